// The Helm chart, through the real helm 4: lint, render each mode and notable value combinations,
// validate every rendered object against the Kubernetes schemas, and hold the RBAC and the pod
// security to what README "In-cluster (Helm chart)" promises.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CHART, helm, type K8sObject, type Overrides, render, runHelm, setArgs } from "./helm.js";

const chartYaml = parse(readFileSync(join(CHART, "Chart.yaml"), "utf8")) as { appVersion: string };

/** The value combinations every structural check runs over. */
const COMBOS: Record<string, Overrides> = {
  "cronjob (defaults)": {},
  controller: { mode: "controller" },
  "controller, everything on": {
    mode: "controller",
    "controller.replicas": 2,
    "controller.metrics.serviceMonitor.enabled": true,
    "pullSecrets.enabled": true,
    "kubeletConfig.enabled": true,
    installPolicyReportCRD: true,
    "registry.insecureRegistries": ["registry.local:5000", "10.0.0.5"],
    targetRuntimes: ["containerd@2.3", "cri-o@1.37"],
    targetK8s: "1.38",
    "rbac.extraOwnerResources[0].apiGroups": ["example.com"],
    "rbac.extraOwnerResources[0].resources": ["widgets"],
  },
  "controller without leader election": { mode: "controller", "controller.leaderElection.enabled": false },
  "cronjob, wgpolicyk8s only, no images, no ConfigMap reads": {
    reportApi: "wgpolicyk8s",
    "images.enabled": false,
    "configMaps.read": false,
  },
  "cronjob, openreports only, pinned digest": {
    reportApi: "openreports",
    "image.digest": `sha256:${"a".repeat(64)}`,
    timeZone: "Europe/Berlin",
  },
};

const rendered: Record<string, K8sObject[]> = {};

beforeAll(() => {
  helm();
  for (const [name, values] of Object.entries(COMBOS)) rendered[name] = render(values);
}, 300_000);

function one(objs: K8sObject[], kind: string): K8sObject {
  const found = objs.filter((o) => o.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0] as K8sObject;
}

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

function rulesOf(objs: K8sObject[], kind: "ClusterRole" | "Role"): PolicyRule[] {
  return objs.filter((o) => o.kind === kind).flatMap((o) => (o.rules as PolicyRule[] | undefined) ?? []);
}

/** group/resource → verbs, over every rule (for "who may do what" assertions). */
function grants(rules: PolicyRule[]): Map<string, Set<string>> {
  const m = new Map<string, Set<string>>();
  for (const r of rules)
    for (const g of r.apiGroups ?? [])
      for (const res of r.resources ?? []) {
        const key = `${g}/${res}`;
        const set = m.get(key) ?? new Set<string>();
        for (const v of r.verbs) set.add(v);
        m.set(key, set);
      }
  return m;
}

interface PodSpec {
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  securityContext?: Record<string, unknown>;
  volumes?: Record<string, unknown>[];
  containers: {
    name: string;
    image: string;
    args: string[];
    securityContext: Record<string, unknown>;
    resources: { requests?: Record<string, string>; limits?: Record<string, string> };
    volumeMounts?: { name: string; mountPath: string }[];
    [k: string]: unknown;
  }[];
  [k: string]: unknown;
}

function podSpecOf(objs: K8sObject[]): PodSpec {
  const wl = objs.find((o) => o.kind === "CronJob" || o.kind === "Deployment");
  if (!wl) throw new Error("no workload rendered");
  // biome-ignore lint/suspicious/noExplicitAny: walking rendered YAML
  const spec = wl.spec as any;
  return (wl.kind === "CronJob" ? spec.jobTemplate.spec.template.spec : spec.template.spec) as PodSpec;
}

const MiB: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024 };
function toMiB(q: string): number {
  const m = /^(\d+)(Ki|Mi|Gi)$/.exec(q);
  if (!m) throw new Error(`unexpected quantity ${q}`);
  return Number(m[1]) * (MiB[m[2] as string] as number);
}

describe("helm lint", () => {
  for (const [name, values] of Object.entries(COMBOS)) {
    it(`is clean with --strict: ${name}`, () => {
      const r = runHelm(["lint", CHART, "--strict", ...setArgs(values)]);
      expect(r.stderr + r.stdout).toContain("0 chart(s) failed");
      expect(r.status).toBe(0);
    });
  }
});

describe("values.schema.json refuses bad values", () => {
  const bad: [string, Overrides, RegExp][] = [
    ["an unknown mode", { mode: "daemonset" }, /mode.*value must be one of 'cronjob', 'controller'/],
    ["an unknown failOn", { failOn: "severe" }, /failOn/],
    ["an unknown reportApi", { reportApi: "kyverno" }, /reportApi/],
    ["a misspelt key", { pullSecret: "true" }, /pullSecret/],
    ["a malformed runtime target", { targetRuntimes: ["runc"] }, /targetRuntimes/],
    [
      "a wildcard owner resource",
      { "rbac.extraOwnerResources[0].apiGroups": ["x"], "rbac.extraOwnerResources[0].resources": ["*"] },
      /extraOwnerResources/,
    ],
    [
      "secrets as an owner resource",
      { "rbac.extraOwnerResources[0].apiGroups": [""], "rbac.extraOwnerResources[0].resources": ["secrets"] },
      /extraOwnerResources/,
    ],
  ];
  for (const [what, values, msg] of bad) {
    it(`refuses ${what}`, () => {
      const r = runHelm(["template", "kra", CHART, ...setArgs(values)]);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(msg);
    });
  }
  it("refuses a Kubernetes older than 1.25 (CronJob batch/v1, seccompProfile, restricted Pod Security)", () => {
    const r = runHelm(["template", "kra", CHART, "--kube-version", "1.24.17"]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/kubeVersion|incompatible/i);
    expect(runHelm(["template", "kra", CHART, "--kube-version", "1.25.0"]).status).toBe(0);
  });
  it("refuses several controller replicas without leader election", () => {
    const r = runHelm([
      "template",
      "kra",
      CHART,
      ...setArgs({
        mode: "controller",
        "controller.replicas": 2,
        "controller.leaderElection.enabled": false,
      }),
    ]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("needs controller.leaderElection.enabled");
  });
});

describe("rendered objects are valid Kubernetes objects", () => {
  // kubernetes-models ships the Kubernetes OpenAPI schemas compiled to validators, one per kind.
  const SKIP_SCHEMA = new Set(["monitoring.coreos.com/v1/ServiceMonitor"]);
  for (const name of Object.keys(COMBOS)) {
    it(name, async () => {
      const objs = rendered[name] as K8sObject[];
      expect(objs.length).toBeGreaterThan(5);
      for (const o of objs) {
        const [group, version] = o.apiVersion.includes("/") ? o.apiVersion.split("/") : ["", o.apiVersion];
        if (SKIP_SCHEMA.has(`${o.apiVersion}/${o.kind}`)) continue;
        const path = group
          ? `kubernetes-models/${group}/${version}/${o.kind}`
          : `kubernetes-models/${version}/${o.kind}`;
        const mod = (await import(path)) as Record<string, new (d: unknown) => { validate(): void }>;
        const Model = mod[o.kind];
        if (!Model) throw new Error(`no model for ${o.apiVersion} ${o.kind}`);
        expect(() => new Model(o).validate(), `${o.kind}/${o.metadata.name}`).not.toThrow();
      }
    });
  }
  it("the ServiceMonitor (no Kubernetes schema) selects the metrics Service's port", () => {
    const objs = rendered["controller, everything on"] as K8sObject[];
    const sm = one(objs, "ServiceMonitor");
    const svc = one(objs, "Service");
    // biome-ignore lint/suspicious/noExplicitAny: rendered YAML
    const s = sm.spec as any;
    // biome-ignore lint/suspicious/noExplicitAny: rendered YAML
    const ports = (svc.spec as any).ports as { name: string }[];
    expect(s.endpoints[0]).toMatchObject({ port: "metrics", path: "/metrics" });
    expect(ports.map((p) => p.name)).toContain("metrics");
    // biome-ignore lint/suspicious/noExplicitAny: rendered YAML
    expect(s.selector.matchLabels).toEqual((svc.spec as any).selector);
  });
  it("a validator that can fail: a rendered Deployment with a string replica count is refused", async () => {
    const dep = structuredClone(one(rendered.controller as K8sObject[], "Deployment"));
    // biome-ignore lint/suspicious/noExplicitAny: mutating rendered YAML
    (dep.spec as any).replicas = "two";
    const { Deployment } = await import("kubernetes-models/apps/v1/Deployment");
    expect(() => new Deployment(dep as never).validate()).toThrow(/replicas/);
  });
});

describe("RBAC is least privilege", () => {
  const WRITE = new Set(["create", "update", "patch", "delete", "deletecollection"]);
  const WRITABLE = new Set([
    "wgpolicyk8s.io/policyreports",
    "wgpolicyk8s.io/clusterpolicyreports",
    "openreports.io/reports",
    "openreports.io/clusterreports",
    "/events",
    "events.k8s.io/events",
    "coordination.k8s.io/leases",
    "/configmaps",
  ]);
  for (const [name, values] of Object.entries(COMBOS)) {
    describe(name, () => {
      const objs = () => rendered[name] as K8sObject[];
      const all = () => [...rulesOf(objs(), "ClusterRole"), ...rulesOf(objs(), "Role")];

      it("names every verb, resource and group: no wildcards, no non-resource URLs", () => {
        for (const r of all()) {
          expect(r.verbs).not.toContain("*");
          expect(r.resources ?? []).not.toContain("*");
          expect(r.apiGroups ?? []).not.toContain("*");
          expect(r.nonResourceURLs).toBeUndefined();
          for (const v of ["escalate", "bind", "impersonate"]) expect(r.verbs).not.toContain(v);
        }
      });
      it("never lists or watches secrets; gets them only with pullSecrets.enabled", () => {
        const secretRules = all().filter((r) => r.resources?.includes("secrets"));
        for (const r of secretRules) {
          expect(r.verbs).toEqual(["get"]);
          expect(r.apiGroups).toEqual([""]);
        }
        expect(secretRules.length).toBe(values["pullSecrets.enabled"] === true ? 1 : 0);
      });
      it("writes only its reports, events, its Lease and its ConfigMap", () => {
        for (const [res, verbs] of grants(all()))
          for (const v of verbs) if (WRITE.has(v)) expect(WRITABLE, `${v} ${res}`).toContain(res);
      });
      it("changes or deletes its reports, Lease and ConfigMap only by name", () => {
        for (const r of all()) {
          const changes = r.verbs.filter((v) => v === "update" || v === "patch" || v === "delete");
          const own = (r.resources ?? []).some((res) => res !== "events");
          if (changes.length > 0 && own) expect(r.resourceNames).toEqual(["kube-runtime-audit"]);
        }
      });
      it("keeps the Lease and the ConfigMap to its own namespace", () => {
        const cluster = grants(rulesOf(objs(), "ClusterRole"));
        expect(cluster.has("coordination.k8s.io/leases")).toBe(false);
        // Cluster-wide, ConfigMaps are only read by name (env and mounted configs), never listed or written.
        const cm = cluster.get("/configmaps");
        if (values["configMaps.read"] === false) expect(cm).toBeUndefined();
        else expect([...(cm ?? [])]).toEqual(["get"]);
        const role = one(objs(), "Role");
        expect(role.metadata.namespace).toBe("audit");
      });
      it("reads the workload kinds, pods, nodes, namespaces and service accounts (get/list/watch only)", () => {
        const g = grants(rulesOf(objs(), "ClusterRole"));
        for (const res of [
          "/pods",
          "/nodes",
          "/namespaces",
          "/serviceaccounts",
          "/replicationcontrollers",
          "/podtemplates",
          "apps/deployments",
          "apps/replicasets",
          "apps/statefulsets",
          "apps/daemonsets",
          "batch/jobs",
          "batch/cronjobs",
          "argoproj.io/workflows",
          "argoproj.io/rollouts",
          "tekton.dev/pipelineruns",
          "keda.sh/scaledjobs",
          "serving.knative.dev/services",
        ])
          expect([...(g.get(res) ?? [])].sort(), res).toEqual(["get", "list", "watch"]);
        // The controller watches the kubelet's CgroupV1 warnings and reads back the Events it wrote.
        for (const v of ["get", "list", "watch"]) expect(g.get("/events")).toContain(v);
      });
      it("grants nodes/proxy get only with kubeletConfig.enabled", () => {
        const g = grants(rulesOf(objs(), "ClusterRole"));
        if (values["kubeletConfig.enabled"] === true)
          expect([...(g.get("/nodes/proxy") ?? [])]).toEqual(["get"]);
        else expect(g.has("/nodes/proxy")).toBe(false);
      });
      it("writes only the report API that reportApi selects", () => {
        const g = grants(rulesOf(objs(), "ClusterRole"));
        const api = (values.reportApi as string | undefined) ?? "auto";
        expect(g.has("wgpolicyk8s.io/policyreports")).toBe(api !== "openreports");
        expect(g.has("openreports.io/reports")).toBe(api !== "wgpolicyk8s");
      });
      it("grants the Lease only to a controller that elects a leader", () => {
        const g = grants(rulesOf(objs(), "Role"));
        const elects = values.mode === "controller" && values["controller.leaderElection.enabled"] !== false;
        expect(g.has("coordination.k8s.io/leases")).toBe(elects);
      });
      it("binds the roles to the chart's service account only", () => {
        const sa = podSpecOf(objs()).serviceAccountName;
        for (const kind of ["ClusterRoleBinding", "RoleBinding"]) {
          // biome-ignore lint/suspicious/noExplicitAny: rendered YAML
          const subjects = (one(objs(), kind) as any).subjects as {
            kind: string;
            name: string;
            namespace: string;
          }[];
          expect(subjects).toEqual([{ kind: "ServiceAccount", name: sa, namespace: "audit" }]);
        }
      });
    });
  }
  it("adds extra owner kinds read-only (get)", () => {
    const g = grants(rulesOf(rendered["controller, everything on"] as K8sObject[], "ClusterRole"));
    expect([...(g.get("example.com/widgets") ?? [])]).toEqual(["get"]);
  });
});

describe("pod security is restricted", () => {
  for (const name of Object.keys(COMBOS)) {
    it(name, () => {
      const pod = podSpecOf(rendered[name] as K8sObject[]);
      expect(pod.hostNetwork).toBe(false);
      expect(pod.hostPID).toBe(false);
      expect(pod.hostIPC).toBe(false);
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: "RuntimeDefault" },
      });
      for (const v of pod.volumes ?? []) {
        expect(Object.keys(v).sort()).toEqual(["emptyDir", "name"]);
      }
      expect(pod.containers).toHaveLength(1);
      const c = pod.containers[0] as PodSpec["containers"][number];
      expect(c.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
      });
      expect(c.securityContext.capabilities).not.toHaveProperty("add");
      // The cache lives on an emptyDir (the root filesystem is read-only) and is what --cache-dir names.
      const cache = c.volumeMounts?.find((m) => m.name === "cache");
      expect(cache?.mountPath).toBe("/var/cache/kube-runtime-audit");
      if (!c.args.includes("--no-images"))
        expect(c.args).toContain("--cache-dir=/var/cache/kube-runtime-audit");
      // Requests, and a memory limit the 50,000-pod goal (300 MiB RSS) fits in with headroom.
      expect(c.resources.requests?.cpu).toBeDefined();
      const limit = toMiB(c.resources.limits?.memory ?? "0Mi");
      expect(limit).toBeGreaterThanOrEqual(300);
      expect(limit).toBeLessThanOrEqual(512);
      expect(toMiB(c.resources.requests?.memory ?? "0Mi")).toBeLessThanOrEqual(limit);
    });
  }
});

describe("each mode runs the right command", () => {
  it("cronjob: `scan --publish` with the audit flags", () => {
    const objs = rendered["cronjob (defaults)"] as K8sObject[];
    expect(objs.map((o) => o.kind)).not.toContain("Deployment");
    expect(objs.map((o) => o.kind)).not.toContain("Service");
    const cj = one(objs, "CronJob");
    // biome-ignore lint/suspicious/noExplicitAny: rendered YAML
    expect((cj.spec as any).schedule).toBe("17 3 * * *");
    const c = podSpecOf(objs).containers[0] as PodSpec["containers"][number];
    expect(c.args.slice(0, 2)).toEqual(["scan", "--publish"]);
    expect(c.args).toEqual(expect.arrayContaining(["--fail-on=high", "--report-api=auto"]));
    expect(c.image).toBe(`ghcr.io/kube-runtime-audit/kube-runtime-audit:${chartYaml.appVersion}`);
  });
  it("controller: leader election, metrics and probes as controller-runtime spells them", () => {
    const objs = rendered.controller as K8sObject[];
    expect(objs.map((o) => o.kind)).not.toContain("CronJob");
    expect(objs.map((o) => o.kind)).not.toContain("ServiceMonitor");
    const c = podSpecOf(objs).containers[0] as PodSpec["containers"][number];
    expect(c.args.slice(0, 4)).toEqual([
      "controller",
      "--leader-elect",
      "--metrics-bind-address=:8080",
      "--health-probe-bind-address=:8081",
    ]);
    expect(c.livenessProbe).toMatchObject({ httpGet: { path: "/healthz", port: "probes" } });
    expect(c.readinessProbe).toMatchObject({ httpGet: { path: "/readyz", port: "probes" } });
    const svc = one(objs, "Service");
    // biome-ignore lint/suspicious/noExplicitAny: rendered YAML
    expect((svc.spec as any).ports).toEqual([
      { name: "metrics", port: 8080, targetPort: "metrics", protocol: "TCP" },
    ]);
  });
  it("passes targets, registries, kubelet config and pinned digests through", () => {
    const c = podSpecOf(rendered["controller, everything on"] as K8sObject[])
      .containers[0] as PodSpec["containers"][number];
    expect(c.args).toEqual(
      expect.arrayContaining([
        "--target-k8s=1.38",
        "--target-runtime=containerd@2.3,cri-o@1.37",
        "--insecure-registry=registry.local:5000",
        "--insecure-registry=10.0.0.5",
        "--kubelet-config",
      ]),
    );
    const pinned = podSpecOf(rendered["cronjob, openreports only, pinned digest"] as K8sObject[])
      .containers[0];
    expect(pinned?.image).toBe(`ghcr.io/kube-runtime-audit/kube-runtime-audit@sha256:${"a".repeat(64)}`);
    // Without pullSecrets.enabled the chart grants no get on secrets: both modes read none.
    expect(c.args).not.toContain("--no-secrets");
    for (const name of ["cronjob (defaults)", "controller"])
      expect(podSpecOf(rendered[name] as K8sObject[]).containers[0]?.args).toContain("--no-secrets");
    const noImages = podSpecOf(
      rendered["cronjob, wgpolicyk8s only, no images, no ConfigMap reads"] as K8sObject[],
    ).containers[0];
    expect(noImages?.args).toContain("--no-images");
    expect(noImages?.args.some((a) => a.startsWith("--registry-"))).toBe(false);
  });
  it("controller without leader election drops the flag", () => {
    const c = podSpecOf(rendered["controller without leader election"] as K8sObject[]).containers[0];
    expect(c?.args).not.toContain("--leader-elect");
  });
});

describe("PolicyReport CRDs", () => {
  it("are installed only on request, kept on uninstall, with kubectl's short names", () => {
    expect(
      (rendered["cronjob (defaults)"] as K8sObject[]).some((o) => o.kind === "CustomResourceDefinition"),
    ).toBe(false);
    const crds = (rendered["controller, everything on"] as K8sObject[]).filter(
      (o) => o.kind === "CustomResourceDefinition",
    );
    expect(crds.map((c) => c.metadata.name).sort()).toEqual([
      "clusterpolicyreports.wgpolicyk8s.io",
      "policyreports.wgpolicyk8s.io",
    ]);
    for (const c of crds) {
      // biome-ignore lint/suspicious/noExplicitAny: rendered YAML
      const spec = c.spec as any;
      expect(c.metadata).toHaveProperty(["annotations", "helm.sh/resource-policy"], "keep");
      expect(spec.versions.map((v: { name: string }) => v.name)).toEqual(["v1alpha2"]);
      expect(spec.names.shortNames).toEqual([spec.scope === "Cluster" ? "cpolr" : "polr"]);
    }
  });
});

describe("NOTES.txt", () => {
  function notes(values: Overrides): string {
    const r = runHelm([
      "install",
      "kra",
      CHART,
      "--dry-run=client",
      "--namespace",
      "audit",
      ...setArgs(values),
    ]);
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.slice(r.stdout.indexOf("NOTES:"));
  }
  it("cronjob: how to read results and run a one-off scan", () => {
    const n = notes({});
    expect(n).toContain("kubectl get polr -A");
    expect(n).toContain("kubectl get cpolr");
    expect(n).toContain("kubectl -n audit create job --from=cronjob/kra-kube-runtime-audit");
  });
  it("controller: the metrics endpoint", () => {
    const n = notes({ mode: "controller" });
    expect(n).toContain("port-forward service/kra-kube-runtime-audit-metrics 8080");
    expect(n).not.toContain("create job");
  });
});
