// scanCluster over the fixture cluster: images collected once per template on the top owner, and
// pull secrets read by name only when images are checked.
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { WorkloadRule } from "../../../src/core/rule.js";
import { makeTarget } from "../../../src/core/target.js";
import { workloadRules } from "../../../src/rules/workload/index.js";
import { scanCluster } from "../../../src/scan/cluster.js";
import { type Harness, harness } from "./helpers.js";

const FIXTURE = join(import.meta.dirname, "../../fixtures/cluster/audit.yaml");
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("scanCluster", () => {
  it("collects images on top owners and reads only the pull secrets that are named, by name", async () => {
    h = await harness({ fixtures: [FIXTURE] });
    const r = await scanCluster({
      kubeconfig: h.kubeconfig,
      env: {},
      target: makeTarget({ k8s: "1.35" }),
      ignore: new Set(),
      collectImages: true,
    });
    // The old ReplicaSet's image (fluentd v1.16) is not in use: it is scaled to 0.
    expect([...r.images.keys()].sort()).toEqual([
      "busybox:1.36",
      "docker:27-cli",
      "example/agent:1",
      "fluent/fluentd:v1.17",
      "nginx:1.27",
      "redis:7",
      "registry.k8s.io/etcd:3.5.21-0",
    ]);
    expect(r.images.get("fluent/fluentd:v1.17")?.uses).toEqual([
      { kind: "Deployment", namespace: "prod", name: "logger", container: "shipper" },
    ]);
    expect(r.images.get("redis:7")?.uses).toEqual([
      { kind: "RedisCluster", namespace: "prod", name: "cache", container: "redis" },
    ]);
    // web names regcred; its service account (default/default) names sa-cred, which the admission
    // plugin copies only into pods that name none: web's pods pull with regcred alone.
    const secretReqs = h.server.log.filter((e) => e.resource === "secrets");
    expect(secretReqs.map((e) => `${e.verb} ${e.namespace}/${e.name}`).sort()).toEqual([
      "get default/regcred",
    ]);
    const access = [...(r.images.get("nginx:1.27")?.access?.entries() ?? [])];
    expect(access.map(([k]) => k)).toEqual(["default/regcred"]);
    expect(access[0]?.[1].credentials.lookup("registry.example.com")).toMatchObject({
      username: "user",
      password: "pass",
    });
    // Another namespace's image never gets default's secret.
    for (const [k, g] of r.images.get("redis:7")?.access ?? [])
      expect([k, g.credentials.lookup("registry.example.com")]).toEqual(["prod/", undefined]);
    expect(r.coverage.errors).toEqual([]);
  });

  it("reads no secret at all when images are not checked", async () => {
    h = await harness({ fixtures: [FIXTURE] });
    const r = await scanCluster({
      kubeconfig: h.kubeconfig,
      env: {},
      target: makeTarget({ k8s: "1.35" }),
      ignore: new Set(),
    });
    expect(r.findings.filter((f) => f.subject.kind !== "Node").length).toBe(7);
    expect(r.images.size).toBe(0);
    expect(h.server.log.filter((e) => e.resource === "secrets")).toEqual([]);
  });

  it("--ignore and ignore annotations apply as in files mode", async () => {
    h = await harness({ fixtures: [FIXTURE] });
    h.server.loadYaml(`
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: kube-system, uid: 00000000-0000-0000-0000-00000000a001, annotations: {runtime-audit.io/ignore: W001}}
spec:
  template:
    spec:
      containers: [{name: agent, image: example/agent:1, volumeMounts: [{name: s, mountPath: /var/run/docker.sock}]}]
      volumes: [{name: s, hostPath: {path: /var/run/docker.sock}}]
`);
    const r = await scanCluster({
      kubeconfig: h.kubeconfig,
      env: {},
      target: makeTarget({ k8s: "1.35" }),
      ignore: new Set(["W008"]),
    });
    const agent = r.findings.find((f) => f.subject.name === "agent");
    expect(agent).toMatchObject({ suppressed: true, suppressedBy: "annotation" });
    expect(r.findings.find((f) => f.ruleId === "W008")).toMatchObject({
      suppressed: true,
      suppressedBy: "flag",
    });
  });

  it("with -n, a refusal outside the named namespaces is a warning, inside them an error", async () => {
    h = await harness({ fixtures: [FIXTURE] });
    h.server.denials.push({ verb: "list", resource: "nodes" });
    h.server.denials.push({ verb: "list", resource: "daemonsets", namespace: "prod" });
    const r = await scanCluster({
      kubeconfig: h.kubeconfig,
      env: {},
      namespaces: ["prod"],
      target: makeTarget({ k8s: "1.35" }),
      ignore: new Set(),
    });
    expect(r.coverage.skipped).toEqual([
      { source: "cluster", reason: "missing permission: list nodes (cluster-wide)" },
    ]);
    expect(r.coverage.errors).toEqual([
      { source: "cluster", reason: "missing permission: list daemonsets.apps in namespace prod" },
    ]);
    expect(r.findings.map((f) => `${f.ruleId} ${f.subject.kind}/${f.subject.name}`).sort()).toEqual([
      "W001 Deployment/logger",
      "W006 RedisCluster/cache",
    ]);
  });
});

describe("scanCluster with the config policy and rule failures", () => {
  const run = (extra: Partial<Parameters<typeof scanCluster>[0]>) =>
    scanCluster({
      kubeconfig: (h as Harness).kubeconfig,
      env: {},
      target: makeTarget({ k8s: "1.35" }),
      ignore: new Set(),
      ...extra,
    });

  it("applies severities and namespace-glob exemptions to cluster findings, as to files", async () => {
    h = await harness({ fixtures: [FIXTURE] });
    const plain = await run({});
    const inProd = plain.findings.filter((f) => f.subject.namespace === "prod");
    expect(inProd.length).toBeGreaterThan(0);
    const some = plain.findings[0];
    if (!some) throw new Error("the fixture has findings");
    const r = await run({
      policy: {
        severity: new Map([[some.ruleId, "info"]]),
        exemptions: [{ namespaces: ["pr*"], reason: "moves in Q3" }],
      },
    });
    expect(r.findings.length).toBe(plain.findings.length);
    for (const f of r.findings) {
      if (f.subject.namespace === "prod")
        expect([f.suppressedBy, f.suppressionReason]).toEqual(["config", "moves in Q3"]);
      else expect(f.suppressed).toBeUndefined();
      if (f.ruleId === some.ruleId) expect(f.severity).toBe("info");
    }
  });

  it("turns a rule that throws into a coverage error naming the rule and the object", async () => {
    h = await harness({ fixtures: [FIXTURE] });
    const broken: WorkloadRule = {
      ...(workloadRules[0] as WorkloadRule),
      check: () => {
        throw new Error("boom");
      },
    };
    const r = await run({ rules: [broken] });
    expect(r.coverage.errors.length).toBeGreaterThan(0);
    expect(r.coverage.errors[0]?.reason).toMatch(
      new RegExp(`internal error: rule ${broken.id} failed on .*boom`),
    );
    expect(r.findings.filter((f) => f.ruleId === broken.id)).toEqual([]);
  });
});

describe("scanCluster ignore annotations", () => {
  it("warns about an entry that names an unknown rule or suppresses nothing, as files does", async () => {
    h = await harness({
      fixtures: [],
      objects: [
        {
          apiVersion: "apps/v1",
          kind: "Deployment",
          metadata: {
            name: "quiet",
            namespace: "apps",
            annotations: { "runtime-audit.io/ignore": "W999,W001" },
          },
          spec: {
            selector: { matchLabels: { app: "quiet" } },
            template: {
              metadata: { labels: { app: "quiet" } },
              spec: { containers: [{ name: "c", image: "nginx:1.27" }] },
            },
          },
        },
      ],
    });
    const r = await scanCluster({
      kubeconfig: h.kubeconfig,
      env: {},
      target: makeTarget({ k8s: "1.35" }),
      ignore: new Set(),
    });
    const warnings = (r.coverage.warnings ?? []).map((w) => w.reason);
    expect(warnings).toEqual([expect.stringContaining("W999"), expect.stringContaining("W001")]);
    expect(r.coverage.errors).toEqual([]);
  });
});
