import { afterEach, describe, expect, it } from "vitest";
import {
  ApiStatusError,
  type AuditFn,
  type AuditIssue,
  type AuditRequest,
  type Coverage,
  type JsonObject,
  type ReportPlanner,
  type ResourceSpec,
} from "../../../src/controller/ports.js";
import { type ControllerHandle, DEFAULT_RESOURCES, runController } from "../../../src/controller/run.js";
import { subjectKey } from "../../../src/controller/subjects.js";
import { FakeApi, FakeClock, MemoryEventSink, MemoryLeaseStore, MemoryReportStore, settle } from "./fakes.js";
import { fakeAudit, recordingLog, silentLog, testPlanner } from "./support.js";

const spec = (kind: string): ResourceSpec => {
  const r = DEFAULT_RESOURCES.find((x) => x.spec.kind === kind);
  if (!r) throw new Error(kind);
  return r.spec;
};
const DEPLOY = spec("Deployment");
const RS = spec("ReplicaSet");
const POD = spec("Pod");
const NODE = spec("Node");
const NS = spec("Namespace");

function deployment(name: string, image: string, ns = "shop"): JsonObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: ns, uid: `uid-${name}` },
    spec: { template: { spec: { containers: [{ name: "app", image }] } } },
  };
}
function replicaSet(name: string, owner: string, ns = "shop"): JsonObject {
  return {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: {
      name,
      namespace: ns,
      uid: `uid-${name}`,
      ownerReferences: [
        { apiVersion: "apps/v1", kind: "Deployment", name: owner, uid: `uid-${owner}`, controller: true },
      ],
    },
    spec: { replicas: 2 },
  };
}
function pod(name: string, owner: string, labels: Record<string, string> = {}, ns = "shop"): JsonObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: ns,
      labels,
      ownerReferences: [
        { apiVersion: "apps/v1", kind: "ReplicaSet", name: owner, uid: `uid-${owner}`, controller: true },
      ],
    },
    spec: { nodeName: "n1", containers: [{ name: "app", image: "whatever" }] },
    status: { phase: "Running" },
  };
}
function onNode(p: JsonObject, nodeName: string): JsonObject {
  return { ...p, spec: { ...(p.spec as JsonObject), nodeName } };
}
function node(name: string, runtime: string, arch = "amd64"): JsonObject {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name },
    status: {
      nodeInfo: {
        containerRuntimeVersion: runtime,
        kubeletVersion: "v1.33.2",
        operatingSystem: "linux",
        architecture: arch,
      },
      images: [{ names: ["big"], sizeBytes: 1 }],
    },
  };
}

function cluster(): FakeApi {
  const api = new FakeApi();
  api.apply(NS, { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } });
  api.apply(DEPLOY, deployment("web", "docker:27-dind"));
  api.apply(RS, replicaSet("web-5d4", "web"));
  api.apply(POD, pod("web-5d4-a", "web-5d4"));
  api.apply(POD, pod("web-5d4-b", "web-5d4"));
  api.apply(DEPLOY, deployment("api", "registry.example/api:1"));
  api.apply(RS, replicaSet("api-77f", "api"));
  api.apply(POD, pod("api-77f-a", "api-77f"));
  api.apply(NODE, node("n1", "docker://27.1.0"));
  api.apply(NODE, node("n2", "containerd://2.1.0"));
  return api;
}

let handles: ControllerHandle[] = [];
afterEach(async () => {
  for (const h of handles) await h.stop();
  handles = [];
});

interface Env {
  api: FakeApi;
  clock: FakeClock;
  reports: MemoryReportStore;
  leases: MemoryLeaseStore;
  events: MemoryEventSink;
  calls: AuditRequest[];
}

function env(): Env {
  return {
    api: cluster(),
    clock: new FakeClock(),
    reports: new MemoryReportStore(),
    leases: new MemoryLeaseStore(),
    events: new MemoryEventSink(),
    calls: [],
  };
}

async function start(e: Env, extra: { identity?: string; leaderElect?: boolean; log?: string[] } = {}) {
  const h = await runController(
    {
      identity: extra.identity ?? "pod-a",
      ...(extra.leaderElect ? { leaderElection: { namespace: "audit", name: "kube-runtime-audit" } } : {}),
      publishRetryMs: 1000,
    },
    {
      source: e.api,
      reports: e.reports,
      leases: e.leases,
      events: e.events,
      audit: fakeAudit(e.calls),
      planner: testPlanner,
      clock: e.clock,
      log: extra.log ? recordingLog(extra.log) : silentLog,
    },
  );
  handles.push(h);
  return h;
}

const subjectsOf = (r: AuditRequest | undefined) => (r?.subjects ?? []).map(subjectKey).sort();

describe("runController", () => {
  it("audits every subject once after the caches sync and publishes one report per scope", async () => {
    const e = env();
    const h = await start(e);
    await h.ready;
    await h.flush();
    expect(e.calls).toHaveLength(1);
    expect(e.calls[0]?.full).toBe(true);
    // Pods and ReplicaSets lead to their Deployment: each template is one subject.
    expect(subjectsOf(e.calls[0])).toEqual([
      "Deployment/shop/api",
      "Deployment/shop/web",
      "Node//n1",
      "Node//n2",
    ]);
    expect(e.reports.writes.sort()).toEqual([
      "create wgpolicyk8s.io/v1alpha2|ClusterPolicyReport||kube-runtime-audit",
      "create wgpolicyk8s.io/v1alpha2|PolicyReport|shop|kube-runtime-audit",
    ]);
    // The cache holds no pod spec for template-owned pods and no node image lists.
    const cached = e.calls[0]?.view.get("Pod", "shop", "web-5d4-a") as JsonObject;
    expect(cached.spec).toEqual({ nodeName: "n1" });
    expect(cached.status).toBeUndefined();
    const n1 = e.calls[0]?.view.get("Node", undefined, "n1") as JsonObject;
    expect((n1.status as JsonObject).images).toBeUndefined();
    expect((n1.status as JsonObject).nodeInfo).toMatchObject({ architecture: "amd64" });
  });

  it("re-audits only the changed subject after the debounce window, and writes only what changed", async () => {
    const e = env();
    const h = await start(e);
    await h.ready;
    await h.flush();
    e.reports.writes = [];

    // Status churn on a pod: nothing the rules read changed, no audit.
    e.api.apply(POD, { ...pod("web-5d4-a", "web-5d4"), status: { phase: "Succeeded" } });
    await e.clock.advance(3000);
    expect(e.calls).toHaveLength(1);

    // A label on a pod its ReplicaSet runs: not kept (the audit reads the template), no audit.
    e.api.apply(POD, pod("web-5d4-a", "web-5d4", { tier: "front" }));
    await e.clock.advance(3000);
    expect(e.calls).toHaveLength(1);

    // The pod moves to another node: its Deployment is re-audited, findings are the same: nothing written.
    e.api.apply(POD, onNode(pod("web-5d4-a", "web-5d4"), "n2"));
    await e.clock.advance(400);
    expect(e.calls).toHaveLength(1);
    await e.clock.advance(200);
    expect(e.calls).toHaveLength(2);
    expect(subjectsOf(e.calls[1])).toEqual(["Deployment/shop/web"]);
    expect(e.reports.writes).toEqual([]);

    // The api Deployment starts using a docker image: one subject audited, one report updated.
    e.api.apply(DEPLOY, deployment("api", "docker:cli"));
    await e.clock.advance(600);
    expect(subjectsOf(e.calls[2])).toEqual(["Deployment/shop/api"]);
    expect(e.reports.writes).toEqual(["update wgpolicyk8s.io/v1alpha2|PolicyReport|shop|kube-runtime-audit"]);
    expect(
      h
        .findings()
        .map((f) => `${f.ruleId} ${f.subject.name}`)
        .sort(),
    ).toEqual(["N002 n1", "W001 api", "W001 web"]);
  });

  it("deletes the namespace report once its last finding is gone", async () => {
    const e = env();
    const h = await start(e);
    await h.ready;
    await h.flush();
    e.reports.writes = [];
    e.api.remove(DEPLOY, "shop", "web");
    e.api.apply(DEPLOY, deployment("api", "registry.example/api:2"));
    await e.clock.advance(600);
    expect(subjectsOf(e.calls[1])).toEqual(["Deployment/shop/api", "Deployment/shop/web"]);
    expect(e.reports.writes).toEqual(["delete wgpolicyk8s.io/v1alpha2|PolicyReport|shop|kube-runtime-audit"]);
    expect(h.findings().map((f) => f.ruleId)).toEqual(["N002"]);
  });

  it("a node platform change re-audits everything; a node's own change re-audits the node", async () => {
    const e = env();
    const h = await start(e);
    await h.ready;
    await h.flush();
    e.api.apply(NODE, node("n2", "containerd://2.1.1"));
    await e.clock.advance(600);
    expect(subjectsOf(e.calls[1])).toEqual(["Node//n2"]);
    e.api.apply(NODE, node("n3", "containerd://2.1.1", "arm64"));
    await e.clock.advance(600);
    expect(e.calls[2]?.full).toBe(true);
  });

  it("after a restart adopts the existing reports: no duplicates, nothing rewritten", async () => {
    const e = env();
    const first = await start(e);
    await first.ready;
    await first.flush();
    await first.stop();
    e.reports.writes = [];
    const second = await start(e);
    await second.ready;
    await second.flush();
    expect(e.reports.writes).toEqual([]);
    expect(e.reports.objects.size).toBe(2);
  });

  it("logs a 403 on writing reports and retries until it is allowed", async () => {
    const e = env();
    e.reports.failWrites = [403, 403];
    const log: string[] = [];
    const h = await start(e, { log });
    await h.ready;
    await h.flush();
    expect(log.filter((l) => l.startsWith("error publishing")).length).toBe(2);
    expect(e.reports.objects.size).toBe(0);
    await e.clock.advance(1000);
    expect(e.reports.objects.size).toBe(2);
    expect(h.isReady()).toBe(true);
  });

  it("survives a watch drop and a 410 relist, converging on what changed meanwhile", async () => {
    const e = env();
    const h = await start(e);
    await h.ready;
    await h.flush();
    e.api.silently(() => e.api.remove(DEPLOY, "shop", "web"));
    e.api.compact();
    e.api.expireWatches();
    await e.clock.advance(600);
    expect(h.findings().map((f) => f.subject.name)).toEqual(["n1"]);
    e.api.dropWatches();
    await e.clock.advance(5000);
    e.api.apply(DEPLOY, deployment("web", "docker:27"));
    await e.clock.advance(600);
    expect(
      h
        .findings()
        .map((f) => f.subject.name)
        .sort(),
    ).toEqual(["n1", "web"]);
  });

  it("with leader election only the leader writes; the standby takes over after a release", async () => {
    const e = env();
    const a = await start(e, { identity: "pod-a", leaderElect: true });
    await e.clock.advance(100);
    const b = await start(e, { identity: "pod-b", leaderElect: true });
    await Promise.all([a.ready, b.ready]);
    await e.clock.advance(1000);
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
    expect(e.reports.writes).toHaveLength(2);
    // Both audit; only the leader's changes reach the API.
    e.api.apply(DEPLOY, deployment("api", "docker:cli"));
    await e.clock.advance(600);
    expect(b.findings()).toHaveLength(3);
    expect(e.reports.writes).toHaveLength(3);

    await a.stop();
    expect((e.leases.spec("audit", "kube-runtime-audit") as JsonObject).holderIdentity).toBe("");
    await e.clock.advance(5000);
    expect(b.isLeader()).toBe(true);
    // The new leader adopts the reports it finds: same content, no write.
    expect(e.reports.writes).toHaveLength(3);
    e.api.remove(DEPLOY, "shop", "api");
    await e.clock.advance(600);
    expect(e.reports.writes).toHaveLength(4);
  });

  it("records one Warning Event per finding, refreshes instead of repeating, and not after a restart", async () => {
    const e = env();
    const h = await start(e);
    await h.ready;
    await h.flush();
    const created = e.events.calls.filter((c) => c.startsWith("create"));
    // Node findings get no Event (workloads only); W001 on web does.
    expect(created).toHaveLength(1);
    const ev = [...e.events.events.values()][0] as JsonObject;
    expect(ev).toMatchObject({
      apiVersion: "v1",
      kind: "Event",
      type: "Warning",
      reason: "DockerSocketMount",
      count: 1,
      involvedObject: {
        apiVersion: "apps/v1",
        kind: "Deployment",
        namespace: "shop",
        name: "web",
        uid: "uid-web",
      },
      source: { component: "kube-runtime-audit" },
    });
    // Re-audited soon after: no new write.
    e.api.apply(POD, onNode(pod("web-5d4-a", "web-5d4"), "n2"));
    await e.clock.advance(600);
    expect(e.events.calls).toHaveLength(1);
    // Re-audited after the refresh interval: the same Event, count 2.
    await e.clock.advance(600_000);
    e.api.apply(POD, onNode(pod("web-5d4-a", "web-5d4"), "n1"));
    await e.clock.advance(600);
    expect(e.events.calls.slice(1)).toEqual([`patch shop/${(ev.metadata as JsonObject).name as string}`]);
    expect(ev.count).toBe(2);
    await h.stop();
    // A restarted controller finds the Event by name and adopts it: it was refreshed moments ago,
    // so nothing is patched and nothing is repeated.
    const before = e.events.calls.length;
    const again = await start(e);
    await again.ready;
    await again.flush();
    expect(e.events.events.size).toBe(1);
    expect(ev.count).toBe(2);
    expect(e.events.calls.slice(before).filter((c) => !c.startsWith("create"))).toEqual([]);
    // Seen again once the refresh interval passed: the same Event, count 3.
    await e.clock.advance(600_000);
    e.api.apply(POD, onNode(pod("web-5d4-a", "web-5d4"), "n2"));
    await e.clock.advance(600);
    await again.flush();
    expect(ev.count).toBe(3);
    expect(e.events.events.size).toBe(1);
    await again.stop();
  });

  it("serves /healthz, /readyz (after the first sync) and /metrics on 127.0.0.1", async () => {
    const e = env();
    e.api.failList.push(new ApiStatusError(503, "starting"));
    const h = await runController(
      { identity: "pod-a", healthProbeBindAddress: "127.0.0.1:0", metricsBindAddress: "127.0.0.1:0" },
      {
        source: e.api,
        reports: e.reports,
        audit: fakeAudit(e.calls),
        planner: testPlanner,
        clock: e.clock,
        log: silentLog,
        metrics: {
          text: async () => "kube_runtime_audit_findings 3\n",
          contentType: "text/plain; version=0.0.4",
        },
      },
    );
    handles.push(h);
    expect(h.healthUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${h.healthUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${h.healthUrl}/readyz`)).status).toBe(503);
    await e.clock.advance(2000);
    await h.ready;
    expect((await fetch(`${h.healthUrl}/readyz`)).status).toBe(200);
    const m = await fetch(`${h.metricsUrl}/metrics`);
    expect(m.headers.get("content-type")).toBe("text/plain; version=0.0.4");
    expect(await m.text()).toBe("kube_runtime_audit_findings 3\n");
    expect((await fetch(`${h.healthUrl}/nope`)).status).toBe(404);
    const url = h.healthUrl;
    await h.stop();
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it("stop() closes every watch, releases the Lease and resolves done", async () => {
    const e = env();
    const h = await start(e, { leaderElect: true });
    await h.ready;
    await e.clock.advance(100);
    expect(h.isLeader()).toBe(true);
    expect(e.api.watchers.size).toBe(DEFAULT_RESOURCES.length);
    await h.stop();
    await h.done;
    await settle();
    expect(e.api.watchers.size).toBe(0);
    expect((e.leases.spec("audit", "kube-runtime-audit") as JsonObject).holderIdentity).toBe("");
    expect(h.isLeader()).toBe(false);
  });

  it("reports audits, writes, leadership and watch restarts to the observer (the metrics hooks)", async () => {
    const e = env();
    const seen: string[] = [];
    const h = await runController(
      { identity: "pod-a" },
      {
        source: e.api,
        reports: e.reports,
        audit: fakeAudit(e.calls),
        planner: testPlanner,
        clock: e.clock,
        log: silentLog,
        observer: {
          watchRestart: (res, reason) => seen.push(`restart ${res} ${reason}`),
          audited: (i) => seen.push(`audited ${i.subjects} full=${i.full} findings=${i.findings.length}`),
          published: (i) => seen.push(`published ${i.writes} errors=${i.errors}`),
          leader: (l) => seen.push(`leader ${l}`),
        },
      },
    );
    handles.push(h);
    await h.ready;
    await h.flush();
    e.api.expireWatches();
    await settle();
    expect(seen.filter((s) => s.startsWith("restart")).length).toBe(DEFAULT_RESOURCES.length);
    expect(seen).toContain("restart pods expired");
    expect(seen.filter((s) => !s.startsWith("restart"))).toEqual([
      "leader true",
      "audited 4 full=true findings=2",
      "published 2 errors=0",
    ]);
  });

  it("does not wait forever for a resource it may not list: audits the rest and names it", async () => {
    const e = env();
    const realList = e.api.list.bind(e.api);
    let denied = 0;
    e.api.list = (r, o) => {
      if (r.resource === "events" && denied++ < 3) throw new ApiStatusError(403, "events is forbidden");
      return realList(r, o);
    };
    const h = await start(e);
    await h.ready;
    await h.flush();
    expect(e.calls[0]?.view.unavailable()).toEqual([{ resource: "events", reason: "events is forbidden" }]);
    expect(h.findings()).toHaveLength(2);
  });

  it("puts the audits' issues and the resources it cannot list in the report's coverage", async () => {
    const e = env();
    const realList = e.api.list.bind(e.api);
    e.api.list = (r, o) => {
      if (r.resource === "events") throw new ApiStatusError(403, "events is forbidden");
      return realList(r, o);
    };
    // The engine's issues: a rule failure on each Deployment with a "docker:cli" image (so a change
    // of image clears it), and one issue about no subject (a refused Secret read).
    const engine = fakeAudit(e.calls);
    const audit: AuditFn = async (req) => {
      const result = await engine(req);
      const issues: AuditIssue[] = [
        { level: "warning", issue: { source: "Secret shop/pull", reason: "forbidden" } },
      ];
      for (const s of req.subjects) {
        const obj = req.view.get(s.kind, s.namespace, s.name);
        if (JSON.stringify(obj ?? {}).includes('"docker:cli"'))
          issues.push({
            level: "error",
            issue: { source: `${s.kind}/${s.name}`, reason: "rule W009 failed" },
            subject: s,
          });
      }
      return { ...result, issues };
    };
    const seen: Coverage[] = [];
    const planner: ReportPlanner = {
      ...testPlanner,
      desired: (findings, now, images, coverage) => {
        if (coverage) seen.push(coverage);
        return testPlanner.desired(findings, now, images, coverage);
      },
    };
    const observed: number[] = [];
    const h = await runController(
      { identity: "pod-a", publishRetryMs: 1000 },
      {
        source: e.api,
        reports: e.reports,
        audit,
        planner,
        clock: e.clock,
        log: silentLog,
        observer: { audited: (i) => observed.push(i.coverage.errors.length + i.coverage.skipped.length) },
      },
    );
    handles.push(h);
    await h.ready;
    await h.flush();
    const text = (c: Coverage | undefined) => ({
      errors: (c?.errors ?? []).map((i) => `${i.source}: ${i.reason}`),
      skipped: (c?.skipped ?? []).map((i) => `${i.source}: ${i.reason}`),
      warnings: (c?.warnings ?? []).map((i) => `${i.source}: ${i.reason}`),
    });
    expect(text(seen.at(-1))).toEqual({
      errors: [],
      skipped: ["events: not listed or watched: events is forbidden"],
      warnings: ["Secret shop/pull: forbidden"],
    });

    // api starts using docker:cli: its audit fails a rule; the other subjects keep theirs (none).
    e.api.apply(DEPLOY, deployment("api", "docker:cli"));
    await e.clock.advance(600);
    await h.flush();
    expect(subjectsOf(e.calls.at(-1))).toEqual(["Deployment/shop/api"]);
    expect(text(seen.at(-1)).errors).toEqual(["Deployment/api: rule W009 failed"]);
    expect(observed.at(-1)).toBe(2);

    // Audited again with another image: its issue is gone, as its findings would be.
    e.api.apply(DEPLOY, deployment("api", "registry.example/api:2"));
    await e.clock.advance(600);
    await h.flush();
    expect(text(seen.at(-1)).errors).toEqual([]);
    expect(text(seen.at(-1)).warnings).toEqual(["Secret shop/pull: forbidden"]);
  });

  it("a namespace change re-audits the subjects of that namespace only", async () => {
    const e = env();
    e.api.apply(DEPLOY, deployment("other", "docker:1", "ops"));
    const h = await start(e);
    await h.ready;
    await h.flush();
    e.api.apply(NS, {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "shop", labels: { team: "a" } },
    });
    await e.clock.advance(600);
    expect(subjectsOf(e.calls[1])).toEqual(["Deployment/shop/api", "Deployment/shop/web"]);
  });
});
