// The `controller` command as it runs in the cluster: the built CLI spawned against the writable
// fake API server (watches with bookmarks, drops, 410 after a restart, injected 429/403), its
// reports read back from the server and with the real kubectl 1.35, and every write counted in the
// server's request log (each controller process has its own bearer token, so the log says who
// wrote). Needs `npm run build`.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { FakeApiServer, type RequestLogEntry } from "../fakeapi/server.js";
import { Kubectl } from "./kubectl.js";

const ROOT = join(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin/kube-runtime-audit.js");
const CRDS = join(ROOT, "test/fixtures/cluster/policyreport-crds.yaml");
const CLUSTER = join(ROOT, "test/fixtures/cluster/controller.yaml");
const ARGO_CRDS = join(ROOT, "test/fixtures/cluster/argo-crds.yaml");
const PR = "wgpolicyk8s.io/v1alpha2";

type Obj = Record<string, unknown>;

let server: FakeApiServer;
let kubectl: Kubectl;
let dir: string;
const procs: Controller[] = [];

class Controller {
  readonly child: ChildProcess;
  stderr = "";
  readonly exited: Promise<number | null>;
  constructor(
    readonly user: string,
    args: string[] = [],
  ) {
    const kc = join(dir, `kubeconfig-${user}`);
    writeFileSync(kc, server.kubeconfig({ token: user }));
    this.child = spawn(
      process.execPath,
      [
        BIN,
        "controller",
        "--kubeconfig",
        kc,
        "--metrics-bind-address",
        "127.0.0.1:0",
        "--health-probe-bind-address",
        "127.0.0.1:0",
        "--log-format",
        "text",
        // The image check has its own tests below; here the example.com images are not fetched.
        ...(args.includes("--insecure-registry") ? [] : ["--no-images"]),
        ...args,
      ],
      {
        env: { ...process.env, POD_NAMESPACE: "audit", POD_NAME: user },
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    this.child.stderr?.setEncoding("utf8").on("data", (d: string) => {
      this.stderr += d;
    });
    this.exited = new Promise((resolve) => this.child.on("exit", (code) => resolve(code)));
    procs.push(this);
  }
  url(kind: "probes" | "metrics"): string | undefined {
    return new RegExp(`${kind} on (http://[0-9.:]+)`).exec(this.stderr)?.[1];
  }
  async ready(): Promise<void> {
    await until(async () => {
      const u = this.url("probes");
      if (!u) return false;
      try {
        return (await fetch(`${u}/readyz`)).status === 200;
      } catch {
        return false;
      }
    }, `controller ${this.user} ready\n${this.stderr}`);
  }
  async stop(): Promise<number | null> {
    this.child.kill("SIGTERM");
    return this.exited;
  }
}

async function until(pred: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const settle = () => new Promise((r) => setTimeout(r, 2_500));

const reportWrites = (user?: string): RequestLogEntry[] =>
  server.log.filter(
    (e) =>
      e.method !== "GET" &&
      (e.resource === "policyreports" || e.resource === "clusterpolicyreports") &&
      (user === undefined || e.user === user),
  );

function report(ns: string): Obj | undefined {
  const rd = server.resourceFor(PR, "PolicyReport");
  return rd ? server.stored(rd, ns, "kube-runtime-audit") : undefined;
}

function clusterResults(): string[] {
  const rd = server.resourceFor(PR, "ClusterPolicyReport");
  const r = rd ? server.stored(rd, undefined, "kube-runtime-audit") : undefined;
  const results = (r?.results ?? []) as { rule: string; resources: { kind: string; name: string }[] }[];
  return results.map((x) => `${x.resources[0]?.kind}/${x.resources[0]?.name} ${x.rule}`).sort();
}

function resultsOn(ns: string): string[] {
  const r = report(ns);
  const results = (r?.results ?? []) as { rule: string; resources: { kind: string; name: string }[] }[];
  return results.map((x) => `${x.resources[0]?.kind}/${x.resources[0]?.name} ${x.rule}`).sort();
}

const sockTemplate = (app: string): Obj => ({
  metadata: { labels: { app } },
  spec: {
    containers: [
      {
        name: app,
        image: `example.com/${app}:1`,
        volumeMounts: [{ name: "sock", mountPath: "/var/run/docker.sock" }],
      },
    ],
    volumes: [{ name: "sock", hostPath: { path: "/var/run/docker.sock" } }],
  },
});

function deployment(ns: string, name: string, sock: boolean): Obj {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: ns },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: sock
        ? sockTemplate(name)
        : {
            metadata: { labels: { app: name } },
            spec: { containers: [{ name, image: `example.com/${name}:1` }] },
          },
    },
  };
}

beforeAll(async () => {
  const tokens = Object.fromEntries(
    [
      "ctl-a",
      "ctl-b",
      "ctl-c",
      "ctl-d",
      "ctl-e",
      "ctl-f",
      "ctl-g",
      "ctl-h",
      "ctl-i",
      "ctl-j",
      "ctl-k",
      "ctl-l",
    ].map((u) => [u, u]),
  );
  // kubectl reads anonymously; each controller authenticates with its own token.
  server = await FakeApiServer.start({
    fixtures: [CRDS, ARGO_CRDS, CLUSTER],
    writable: true,
    tokens,
    allowAnonymous: true,
  });
  kubectl = new Kubectl(inject("kubectl"), server);
  dir = mkdtempSync(join(tmpdir(), "kra-controller-"));
});
afterEach(() => {
  server.faults.length = 0;
});
afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill("SIGKILL");
  await server.close();
  kubectl.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe("controller", () => {
  let a: Controller;

  it("publishes a report per namespace with findings once its caches synced", async () => {
    a = new Controller("ctl-a");
    await a.ready();
    await until(() => report("shop") !== undefined && report("ops") !== undefined, "the first reports");
    await settle();
    expect(resultsOn("shop")).toEqual(["Deployment/agent docker-socket-mount"]);
    expect(resultsOn("ops")).toEqual(["DaemonSet/logs docker-socket-mount"]);
    // One PolicyReport per namespace with findings, and the ClusterPolicyReport (cluster-scoped).
    expect(
      reportWrites("ctl-a")
        .map((e) => `${e.verb} ${e.resource} ${e.namespace ?? "-"} ${e.status}`)
        .sort(),
    ).toEqual([
      "create clusterpolicyreports - 201",
      "create policyreports ops 201",
      "create policyreports shop 201",
    ]);
    const polr = await kubectl.run(["get", "polr", "-A"]);
    expect(polr.stderr).toBe("");
    expect(polr.stdout).toMatch(/shop\s+kube-runtime-audit/);
    const metrics = await (await fetch(`${a.url("metrics")}/metrics`)).text();
    expect(metrics).toMatch(/kube_runtime_audit_findings\{[^}]*namespace="shop"[^}]*\} 1/);
  });

  it("re-audits a changed workload and writes its report once", async () => {
    server.log.length = 0;
    server.add(deployment("shop", "web", true));
    await until(() => resultsOn("shop").length === 2, "the web finding");
    await settle();
    expect(resultsOn("shop")).toEqual([
      "Deployment/agent docker-socket-mount",
      "Deployment/web docker-socket-mount",
    ]);
    expect(reportWrites().map((e) => `${e.verb} ${e.namespace} ${e.status}`)).toEqual(["update shop 200"]);
  });

  it("follows a new namespace, a deleted workload and a node change", async () => {
    server.log.length = 0;
    server.add({ apiVersion: "v1", kind: "Namespace", metadata: { name: "lab" } });
    server.add(deployment("lab", "probe", true));
    await until(() => report("lab") !== undefined, "the lab report");
    server.remove("apps/v1", "DaemonSet", "logs", "ops");
    await until(() => report("ops") === undefined, "the ops report deleted");
    server.add({
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: "node-2", labels: { "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64" } },
      status: {
        nodeInfo: {
          kubeletVersion: "v1.33.2",
          containerRuntimeVersion: "containerd://2.0.5",
          operatingSystem: "linux",
          architecture: "amd64",
        },
      },
    });
    await settle();
    // The node changes nothing the workloads are judged by: no namespace report is rewritten. Its own
    // finding (containerd 2.0.5 is below the 2.0.6 the target minor lists: N005) goes to the cluster report.
    expect(reportWrites().map((e) => `${e.verb} ${e.resource} ${e.namespace ?? "-"} ${e.status}`)).toEqual([
      "create policyreports lab 201",
      "delete policyreports ops 200",
      "update clusterpolicyreports - 200",
    ]);
    expect(clusterResults()).toContain("Node/node-2 unsupported-runtime-version-for-target");
  });

  it("runs the node rules on a node that joins and publishes them in the ClusterPolicyReport", async () => {
    server.log.length = 0;
    // Docker Engine through dockershim (kubelet < 1.24): N001, whatever the day.
    server.add({
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name: "old-docker",
        labels: { "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64" },
      },
      status: {
        nodeInfo: {
          kubeletVersion: "v1.23.17",
          containerRuntimeVersion: "docker://20.10.24",
          operatingSystem: "linux",
          architecture: "amd64",
        },
      },
    });
    await until(() => clusterResults().includes("Node/old-docker dockershim-node"), "the node finding");
    await settle();
    expect(reportWrites().map((e) => `${e.verb} ${e.resource} ${e.status}`)).toEqual([
      "update clusterpolicyreports 200",
    ]);
    server.remove("v1", "Node", "old-docker");
    await until(
      () => !clusterResults().some((r) => r.startsWith("Node/old-docker")),
      "the node finding gone",
    );
    await settle();
  });

  it("survives dropped watches, a 429 and an API server restart (410) without rewriting anything", async () => {
    server.log.length = 0;
    server.dropWatches();
    server.faults.push({
      method: "GET",
      path: /\/deployments$/,
      when: (q) => q.get("watch") === "1",
      status: 429,
      retryAfter: 1,
      times: 2,
    });
    await settle();
    server.add(deployment("shop", "web", false));
    await until(() => resultsOn("shop").length === 1, "web fixed after the drop");
    server.restart();
    await settle();
    server.remove("apps/v1", "Deployment", "probe", "lab");
    await until(() => report("lab") === undefined, "the lab report deleted after the restart");
    await settle();
    expect(reportWrites().map((e) => `${e.verb} ${e.namespace} ${e.status}`)).toEqual([
      "update shop 200",
      "delete lab 200",
    ]);
    expect(server.log.some((e) => e.verb === "watch" && e.status === 429)).toBe(true);
  });

  it("logs a 403 on report writes and retries until it is allowed", async () => {
    server.log.length = 0;
    server.faults.push({ method: "PUT", path: /\/policyreports\//, status: 403, times: 1 });
    server.add(deployment("shop", "web", true));
    await until(() => resultsOn("shop").length === 2, "the report after the 403", 30_000);
    expect(a.stderr).toMatch(/publishing: update PolicyReport shop\/kube-runtime-audit: .*forbidden/);
    expect(reportWrites().map((e) => `${e.verb} ${e.status}`)).toEqual(["update 403", "update 200"]);
    expect(a.child.exitCode).toBeNull();
  });

  it("exits 0 on SIGTERM, and a restarted controller neither duplicates nor rewrites", async () => {
    const before = JSON.stringify([report("shop")]);
    expect(await a.stop()).toBe(0);
    server.log.length = 0;
    const b = new Controller("ctl-b");
    await b.ready();
    await settle();
    expect(reportWrites()).toEqual([]);
    expect(JSON.stringify([report("shop")])).toBe(before);
    expect(await b.stop()).toBe(0);
  });

  it("with --leader-elect only the leader writes; SIGTERM releases the Lease and the standby takes over", async () => {
    const le = ["--leader-elect", "--leader-elect-namespace", "audit"];
    const c = new Controller("ctl-c", le);
    await until(() => /became leader/.test(c.stderr), "ctl-c leading");
    const d = new Controller("ctl-d", le);
    await d.ready();
    await c.ready();
    server.log.length = 0;
    server.add(deployment("shop", "web", false));
    await until(() => resultsOn("shop").length === 1, "the leader's update");
    await settle();
    expect(reportWrites().map((e) => e.user)).toEqual(["ctl-c"]);

    const t0 = Date.now();
    expect(await c.stop()).toBe(0);
    expect(Date.now() - t0).toBeLessThan(15_000);
    const leaseRd = server.resourceFor("coordination.k8s.io/v1", "Lease");
    const lease = leaseRd ? server.stored(leaseRd, "audit", "kube-runtime-audit") : undefined;
    // Released (holder cleared) or already taken by the standby: never still held by the stopped one.
    expect(String((lease?.spec as Obj | undefined)?.holderIdentity ?? "")).not.toMatch(/^ctl-c_/);
    await until(() => /became leader/.test(d.stderr), "ctl-d taking over", 30_000);
    server.log.length = 0;
    server.add(deployment("shop", "web", true));
    await until(() => resultsOn("shop").length === 2, "the new leader's update");
    await settle();
    expect(reportWrites().map((e) => `${e.user} ${e.verb}`)).toEqual(["ctl-d update"]);
    expect(await d.stop()).toBe(0);
  });
});

/** A registry address that accepts TCP connections and drops them at once, counting them. */
async function unreachableRegistry(): Promise<{ server: Server; host: string; connections: () => number }> {
  let n = 0;
  const srv = createServer((sock) => {
    n++;
    sock.destroy();
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const addr = srv.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return { server: srv, host: `127.0.0.1:${port}`, connections: () => n };
}

function metric(text: string, name: string): string[] {
  return text.split("\n").filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

describe("controller: images, node info and scan's flags", () => {
  it("checks each image in use once, serves re-audits from the cache, and exports images and nodes", async () => {
    const reg = await unreachableRegistry();
    try {
      server.add(deployment("shop", "cached", false));
      const dep = deployment("shop", "cached", false);
      const tpl = (dep.spec as Obj).template as Obj;
      ((tpl.spec as Obj).containers as Obj[])[0] = { name: "app", image: `${reg.host}/shop/app:1` };
      server.add(dep);
      const e = new Controller("ctl-e", [
        "--insecure-registry",
        reg.host,
        "--registry-timeout",
        "2",
        "--target-runtime",
        "containerd@2.1",
      ]);
      await e.ready();
      const scrape = async () => (await fetch(`${e.url("metrics")}/metrics`)).text();
      let text = "";
      await until(async () => {
        text = await scrape();
        return metric(text, "kube_runtime_audit_images").some((l) => /verdict="unknown"\} [1-9]/.test(l));
      }, `image verdicts in /metrics\n${e.stderr}`);
      // Only the runtime asked for; the unreachable registry's image is unknown.
      expect(
        metric(text, "kube_runtime_audit_images")
          .map((l) => /runtime="([^"]+)"/.exec(l)?.[1])
          .every((r) => r === "containerd@2.1"),
      ).toBe(true);
      const nodeInfo = metric(text, "kube_runtime_audit_node_info").find((l) => l.includes('node="node-1"'));
      expect(nodeInfo).toMatch(/runtime_version="2\.0\.5"/);
      expect(nodeInfo).toMatch(/kubelet_version="v1\.33\.2"/);
      expect(nodeInfo).toMatch(/ 1$/);
      expect(
        Number(metric(text, "kube_runtime_audit_registry_requests_total")[0]?.split(" ")[1]),
      ).toBeGreaterThan(0);
      await settle();
      const first = reg.connections();
      expect(first).toBeGreaterThan(0);

      // A change to the workload that keeps its image: re-audited, not fetched again.
      server.add({ ...dep, metadata: { ...(dep.metadata as Obj), labels: { changed: "yes" } } });
      server.add(deployment("shop", "cached-2", true));
      await until(() => resultsOn("shop").some((r) => r.startsWith("Deployment/cached-2")), "re-audit");
      await settle();
      expect(reg.connections()).toBe(first);

      // A new image is fetched (once).
      const other = deployment("shop", "other", false);
      const otpl = (other.spec as Obj).template as Obj;
      ((otpl.spec as Obj).containers as Obj[])[0] = { name: "app", image: `${reg.host}/shop/other:1` };
      server.add(other);
      await until(() => reg.connections() > first, "the new image fetched");
      await settle();
      const afterNew = reg.connections();
      server.add({ ...other, metadata: { ...(other.metadata as Obj), labels: { changed: "yes" } } });
      await settle();
      expect(reg.connections()).toBe(afterNew);
      expect(await e.stop()).toBe(0);
    } finally {
      server.remove("apps/v1", "Deployment", "cached", "shop");
      server.remove("apps/v1", "Deployment", "cached-2", "shop");
      server.remove("apps/v1", "Deployment", "other", "shop");
      await new Promise((r) => reg.server.close(r));
    }
  });

  it("takes scan's --config, --fail-on, --as-of and --kubelet-config", async () => {
    const cfg = join(dir, "audit.yaml");
    writeFileSync(cfg, "rules:\n  docker-socket-mount: low\n");
    const f = new Controller("ctl-f", [
      "--config",
      cfg,
      "--fail-on",
      "medium",
      "--as-of",
      "2026-01-01",
      "--kubelet-config",
    ]);
    await f.ready();
    await settle();
    const rd = server.resourceFor(PR, "PolicyReport");
    const shop = rd ? server.stored(rd, "shop", "kube-runtime-audit") : undefined;
    const results = (shop?.results ?? []) as { rule: string; severity: string; result: string }[];
    const sock = results.filter((r) => r.rule === "docker-socket-mount");
    expect(sock.length).toBeGreaterThan(0);
    // The config file lowered the severity; below --fail-on medium the result is a warning.
    expect(sock.every((r) => r.severity === "low" && r.result === "warn")).toBe(true);
    // The fake API server serves no kubelet behind nodes/proxy: logged, the audit goes on, and the
    // report and /metrics say the evidence is missing (a clean report must not hide it).
    expect(f.stderr).toMatch(/Node node-1: kubelet configz not read/);
    expect(server.log.some((e) => e.resource === "nodes/proxy" && e.user === "ctl-f")).toBe(true);
    const crd = server.resourceFor(PR, "ClusterPolicyReport");
    const clusterReport = crd ? server.stored(crd, undefined, "kube-runtime-audit") : undefined;
    const coverage = ((clusterReport?.results ?? []) as { rule: string; result: string; message: string }[])
      .filter((r) => r.rule === "coverage")
      .map((r) => `${r.result} ${r.message.split(":")[0]}`);
    expect(coverage).toContain("skip kubelet configz not read");
    const metricsText = await (await fetch(`${f.url("metrics")}/metrics`)).text();
    const partial = /^kube_runtime_audit_coverage_errors (\d+)/m.exec(metricsText)?.[1];
    expect(Number(partial)).toBeGreaterThanOrEqual(1);
    expect(await f.stop()).toBe(0);
    // A bad --as-of is a usage error.
    const g = new Controller("ctl-g", ["--as-of", "someday"]);
    expect(await g.exited).toBe(2);
  });
});

describe("controller: env from the cluster", () => {
  it("resolves envFrom ConfigMaps by name, as scan does, and never lists ConfigMaps or Secrets", async () => {
    server.add({ apiVersion: "v1", kind: "Namespace", metadata: { name: "envns" } });
    server.add({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "docker-env", namespace: "envns" },
      data: { DOCKER_HOST: "tcp://localhost:2375" },
    });
    server.add({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "builder", namespace: "envns" },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: "builder" } },
        template: {
          metadata: { labels: { app: "builder" } },
          spec: {
            containers: [
              {
                name: "builder",
                image: "example.com/builder:1",
                envFrom: [{ configMapRef: { name: "docker-env" } }],
              },
            ],
          },
        },
      },
    });
    const j = new Controller("ctl-j");
    await j.ready();
    // Only the ConfigMap's variable makes this a finding: without reading it the report has none.
    await until(() => resultsOn("envns").length > 0, `the envns report\n${j.stderr}`);
    expect(resultsOn("envns")).toEqual(["Deployment/builder docker-host-env"]);
    const mine = server.log.filter((e) => e.user === "ctl-j");
    expect(
      mine
        .filter((e) => e.resource === "configmaps" && e.namespace === "envns")
        .map((e) => `${e.verb} ${e.name}`),
    ).toEqual(["get docker-env"]);
    expect(
      mine.some((e) => (e.resource === "configmaps" || e.resource === "secrets") && e.verb !== "get"),
    ).toBe(false);
    expect(await j.stop()).toBe(0);
  });
});

describe("controller: workloads a custom resource controls", () => {
  it("audits the pods and ReplicaSets of owners it does not watch, on the owner, newest revision only", async () => {
    server.add({ apiVersion: "v1", kind: "Namespace", metadata: { name: "crs" } });
    const rollout = {
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Rollout",
      name: "checkout",
      uid: "ro-1",
      controller: true,
    };
    const rs = (name: string, revision: string, replicas: number, hostPath: string) => ({
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: {
        name,
        namespace: "crs",
        uid: `uid-${name}`,
        annotations: { "rollout.argoproj.io/revision": revision },
        ownerReferences: [rollout],
      },
      spec: {
        replicas,
        selector: { matchLabels: { app: "checkout" } },
        template: {
          metadata: { labels: { app: "checkout" } },
          spec: {
            containers: [
              {
                name: "app",
                image: "example.com/checkout:1",
                volumeMounts: [{ name: "h", mountPath: "/h" }],
              },
            ],
            volumes: [{ name: "h", hostPath: { path: hostPath } }],
          },
        },
      },
    });
    // The old revision mounted the Docker socket; the running one mounts the data root.
    server.add(rs("checkout-old", "1", 0, "/var/run/docker.sock"));
    server.add(rs("checkout-new", "2", 3, "/var/lib/docker"));
    // An Argo Workflow's step pods: the Workflow is not watched, its pods keep their spec.
    const wf = {
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Workflow",
      name: "build-7",
      uid: "wf-7",
      controller: true,
    };
    for (const step of ["build-7-a", "build-7-b"]) {
      server.add({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: step, namespace: "crs", ownerReferences: [wf] },
        spec: {
          containers: [
            {
              name: "main",
              image: "example.com/builder:1",
              env: [{ name: "DOCKER_HOST", value: "tcp://dind:2375" }],
            },
          ],
        },
      });
    }
    const k = new Controller("ctl-k");
    await k.ready();
    await until(() => resultsOn("crs").length >= 2, `the crs report\n${k.stderr}`);
    await settle();
    // One finding per owner and rule (two pods share their spec); the old revision is not reported.
    expect(resultsOn("crs")).toEqual([
      "Rollout/checkout docker-data-dir-mount",
      "Workflow/build-7 docker-host-env",
    ]);
    // The Workflow is gone with its pods: its findings go too.
    server.remove("v1", "Pod", "build-7-a", "crs");
    server.remove("v1", "Pod", "build-7-b", "crs");
    await until(
      () => !resultsOn("crs").some((r) => r.startsWith("Workflow/")),
      "the Workflow's findings gone",
    );
    expect(await k.stop()).toBe(0);
  });
});

describe("controller: custom workload kinds the cluster serves", () => {
  it("audits an Argo CronWorkflow's template before it runs, its runs on it, and the pods of a template-less Workflow", async () => {
    server.add({ apiVersion: "v1", kind: "Namespace", metadata: { name: "ci" } });
    const template = {
      entrypoint: "build",
      templates: [
        {
          name: "build",
          container: {
            image: "docker:27-cli",
            command: ["docker", "build", "."],
            volumeMounts: [{ name: "sock", mountPath: "/var/run/docker.sock" }],
          },
        },
      ],
      volumes: [{ name: "sock", hostPath: { path: "/var/run/docker.sock" } }],
    };
    server.add({
      apiVersion: "argoproj.io/v1alpha1",
      kind: "CronWorkflow",
      metadata: { name: "nightly", namespace: "ci", uid: "cwf-1" },
      spec: { schedule: "0 3 * * *", workflowSpec: template },
    });
    const l = new Controller("ctl-l");
    await l.ready();
    expect(l.stderr).toMatch(/watching custom workloads: .*cronworkflows/);
    // Nothing ran yet: the finding comes from the CronWorkflow's own template.
    await until(() => resultsOn("ci").length > 0, `the ci report\n${l.stderr}`);
    expect(resultsOn("ci")).toContain("CronWorkflow/nightly docker-socket-mount");
    // A run: a Workflow the CronWorkflow controls and its pod. Its findings stay on the CronWorkflow.
    const audits = async () => {
      const text = await (await fetch(`${l.url("metrics")}/metrics`)).text();
      return Number(/^kube_runtime_audit_scans_total\{outcome="ok"\} (\d+)/m.exec(text)?.[1] ?? 0);
    };
    const before = await audits();
    server.add({
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Workflow",
      metadata: {
        name: "nightly-1",
        namespace: "ci",
        uid: "wf-n1",
        ownerReferences: [
          {
            apiVersion: "argoproj.io/v1alpha1",
            kind: "CronWorkflow",
            name: "nightly",
            uid: "cwf-1",
            controller: true,
          },
        ],
      },
      spec: template,
    });
    server.add({
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: "nightly-1-build",
        namespace: "ci",
        ownerReferences: [
          {
            apiVersion: "argoproj.io/v1alpha1",
            kind: "Workflow",
            name: "nightly-1",
            uid: "wf-n1",
            controller: true,
          },
        ],
      },
      spec: {
        containers: [
          {
            name: "main",
            image: "docker:27-cli",
            volumeMounts: [{ name: "sock", mountPath: "/var/run/docker.sock" }],
          },
        ],
        volumes: [{ name: "sock", hostPath: { path: "/var/run/docker.sock" } }],
      },
    });
    await until(async () => (await audits()) > before, "the re-audit after the run");
    await settle();
    expect(resultsOn("ci").length).toBeGreaterThan(0);
    expect(resultsOn("ci").every((r) => r.startsWith("CronWorkflow/nightly "))).toBe(true);
    // A Workflow that only names a WorkflowTemplate has no template of its own: its pods are audited.
    server.add({
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Workflow",
      metadata: { name: "adhoc", namespace: "ci", uid: "wf-adhoc" },
      spec: { workflowTemplateRef: { name: "release" } },
    });
    server.add({
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: "adhoc-main",
        namespace: "ci",
        ownerReferences: [
          {
            apiVersion: "argoproj.io/v1alpha1",
            kind: "Workflow",
            name: "adhoc",
            uid: "wf-adhoc",
            controller: true,
          },
        ],
      },
      spec: {
        containers: [
          {
            name: "main",
            image: "example.com/rel:1",
            env: [{ name: "DOCKER_HOST", value: "tcp://dind:2375" }],
          },
        ],
      },
    });
    await until(
      () => resultsOn("ci").includes("Workflow/adhoc docker-host-env"),
      `the adhoc finding\n${l.stderr}`,
    );
    expect(await l.stop()).toBe(0);
  });
});

describe("controller: Events", () => {
  it("writes one Event per finding at the --event-qps rate, and adopts the Events that exist", async () => {
    server.add({ apiVersion: "v1", kind: "Namespace", metadata: { name: "burst" } });
    for (let i = 0; i < 12; i++) server.add(deployment("burst", `sock-${i}`, true));
    server.log.length = 0;
    const creates = () =>
      server.log.filter((e) => e.user === "ctl-h" && e.resource === "events" && e.verb === "create");
    const t0 = Date.now();
    const h = new Controller("ctl-h", ["--event-qps", "2", "--event-burst", "3"]);
    // Never more than the burst plus qps × elapsed seconds (a slow machine only writes fewer).
    const samples: { t: number; n: number }[] = [];
    await until(() => {
      samples.push({
        t: (Date.now() - t0) / 1000,
        n: creates().filter((e) => e.namespace === "burst").length,
      });
      return (samples.at(-1)?.n ?? 0) >= 12;
    }, `12 Events\n${h.stderr}`);
    // From the first write seen (it may be up to one poll old: one token more).
    const first = samples.find((s) => s.n > 0)?.t ?? 0;
    for (const s of samples.filter((x) => x.t >= first))
      expect(s.n).toBeLessThanOrEqual(3 + 1 + Math.ceil(2 * (s.t - first + 0.1)));
    await settle();
    // One Event per finding: created once each, never patched on a first sight.
    const burst = creates().filter((e) => e.namespace === "burst");
    expect(burst.every((e) => e.status === 201)).toBe(true);
    expect(burst).toHaveLength(12);
    const events = await kubectl.run(["get", "events", "-n", "burst", "-o", "json"]);
    const items = (
      JSON.parse(events.stdout) as { items: { involvedObject: { name: string }; count: number }[] }
    ).items;
    expect(items.map((e) => e.involvedObject.name).sort()).toEqual(
      Array.from({ length: 12 }, (_, i) => `sock-${i}`).sort(),
    );
    expect(await h.stop()).toBe(0);
    // A restarted controller adopts the Events: refreshed moments ago, so neither patched nor repeated.
    const i = new Controller("ctl-i");
    await i.ready();
    await settle();
    const again = server.log.filter(
      (e) => e.user === "ctl-i" && e.resource === "events" && e.method !== "GET" && e.namespace === "burst",
    );
    expect(again.filter((e) => e.status < 300).map((e) => `${e.verb} ${e.namespace}/${e.name}`)).toEqual([]);
    expect(await i.stop()).toBe(0);
  });
});
