import { describe, expect, it } from "vitest";
import { EventRecorder, eventName, findingKey, reasonOf } from "../../../src/controller/events.js";
import { parseBindAddress } from "../../../src/controller/health.js";
import type { JsonObject } from "../../../src/controller/ports.js";
import {
  projectNode,
  projectPod,
  projectWorkload,
  sameProjection,
} from "../../../src/controller/projection.js";
import { parseSubjectKey, subjectKey, topOwner } from "../../../src/controller/subjects.js";
import type { Finding } from "../../../src/core/types.js";
import { FakeClock, MemoryEventSink } from "./fakes.js";

describe("parseBindAddress (controller-runtime conventions)", () => {
  it("accepts HOST:PORT, :PORT, [IPv6]:PORT and 0", () => {
    expect(parseBindAddress(":8081", "--x")).toEqual({ host: "", port: 8081 });
    expect(parseBindAddress("127.0.0.1:0", "--x")).toEqual({ host: "127.0.0.1", port: 0 });
    expect(parseBindAddress("[::1]:8080", "--x")).toEqual({ host: "::1", port: 8080 });
    expect(parseBindAddress("0", "--x")).toBeUndefined();
  });
  it("names the flag when the value is wrong", () => {
    expect(() => parseBindAddress("8080", "--metrics-bind-address")).toThrow(
      /--metrics-bind-address must be/,
    );
    expect(() => parseBindAddress("host:99999", "--x")).toThrow(/HOST:PORT/);
  });
});

describe("projections", () => {
  it("keeps a bare pod's spec but only nodeName for a pod a ReplicaSet runs", () => {
    const base = {
      apiVersion: "v1",
      kind: "Pod",
      spec: { nodeName: "n1", containers: [{ name: "c", image: "x" }] },
      status: { phase: "Running" },
    };
    const bare = projectPod({
      ...base,
      metadata: {
        name: "p",
        annotations: {
          "kubectl.kubernetes.io/last-applied-configuration": "{}",
          "runtime-audit.io/ignore": "W001",
          huge: "x".repeat(5000),
        },
        managedFields: [{}],
      },
    });
    expect(bare.spec).toEqual(base.spec);
    expect(bare.status).toBeUndefined();
    expect((bare.metadata as JsonObject).annotations).toEqual({ "runtime-audit.io/ignore": "W001" });
    expect((bare.metadata as JsonObject).managedFields).toBeUndefined();
    const owned = projectPod({
      ...base,
      metadata: {
        name: "p",
        ownerReferences: [{ kind: "ReplicaSet", name: "rs", uid: "u", controller: true }],
      },
    });
    expect(owned.spec).toEqual({ nodeName: "n1" });
    // A CRD's controller: its template is not watched, so the pod keeps its spec.
    const crd = projectPod({
      ...base,
      metadata: { name: "p", ownerReferences: [{ kind: "Workflow", name: "wf", controller: true }] },
    });
    expect(crd.spec).toEqual(base.spec);
  });

  it("keeps a ReplicaSet's pod as a compact record sharing its namespace, owner reference and node", () => {
    const raw = (name: string): JsonObject => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name,
        namespace: `shop${""}`,
        uid: `uid-${name}`,
        resourceVersion: "12",
        creationTimestamp: "2026-01-01T00:00:00Z",
        labels: { app: "web", "pod-template-hash": "5d4" },
        annotations: { "runtime-audit.io/ignore": "W001" },
        ownerReferences: [
          { apiVersion: "apps/v1", kind: "ReplicaSet", name: "web-5d4", uid: "u-rs", controller: true },
          { apiVersion: "v1", kind: "ConfigMap", name: "other", uid: "u-cm" },
        ],
      },
      spec: { nodeName: "n1", containers: [{ name: "c", image: "x" }] },
      status: { phase: "Running" },
    });
    // JSON.parse gives each object its own strings; the projections share one copy.
    const a = projectPod(JSON.parse(JSON.stringify(raw("web-5d4-a"))) as JsonObject);
    const b = projectPod(JSON.parse(JSON.stringify(raw("web-5d4-b"))) as JsonObject);
    expect(a).toEqual({
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: "web-5d4-a",
        namespace: "shop",
        ownerReferences: [
          { apiVersion: "apps/v1", kind: "ReplicaSet", name: "web-5d4", uid: "u-rs", controller: true },
        ],
      },
      spec: { nodeName: "n1" },
    });
    const owners = (p: JsonObject) => (p.metadata as JsonObject).ownerReferences as JsonObject[];
    expect(owners(a)).toBe(owners(b));
    expect(a.spec).toBe(b.spec);
    expect(Object.isFrozen(owners(a)[0])).toBe(true);
    // What the owner walk needs is still there.
    expect(topOwner(a, "Pod", () => undefined)).toMatchObject({
      kind: "ReplicaSet",
      name: "web-5d4",
      uid: "u-rs",
    });
  });

  it("keeps a template-owned pod of a realistic size in a few hundred bytes (the 50,000-pod budget)", () => {
    const container = (i: number) => ({
      name: `c${i}`,
      image: `registry.example.com/team/app-${i}:1.2.3`,
      env: Array.from({ length: 20 }, (_, j) => ({ name: `VAR_${j}`, value: "x".repeat(40) })),
      resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } },
      volumeMounts: [{ name: "data", mountPath: "/data" }],
    });
    const raw = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: "web-5d4f7c9b8-x2x9k",
        namespace: "shop",
        uid: "6f1c2d8e-1111-2222-3333-444455556666",
        resourceVersion: "123456789",
        labels: { app: "web", "pod-template-hash": "5d4f7c9b8" },
        annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{".padEnd(3000, "x") },
        ownerReferences: [
          { apiVersion: "apps/v1", kind: "ReplicaSet", name: "web-5d4f7c9b8", uid: "u", controller: true },
        ],
        managedFields: Array.from({ length: 4 }, () => ({
          manager: "kube-controller-manager",
          fieldsV1: {},
        })),
      },
      spec: { nodeName: "node-17", containers: [container(1), container(2)], volumes: [{ name: "data" }] },
      status: { phase: "Running", conditions: Array(5).fill({ type: "Ready", status: "True" }) },
    };
    const before = JSON.stringify(raw).length;
    const after = JSON.stringify(projectPod(raw)).length;
    expect(before).toBeGreaterThan(5000);
    expect(after).toBeLessThan(600);
  });

  it("drops the template copy of a Deployment's ReplicaSet or a CronJob's Job, not of a top-level one", () => {
    const template = { spec: { containers: [{ name: "c", image: "x" }] } };
    const rs = (owner?: JsonObject): JsonObject => ({
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: { name: "rs", ...(owner ? { ownerReferences: [owner] } : {}) },
      spec: { replicas: 0, template },
      status: { replicas: 0 },
    });
    expect(projectWorkload(rs({ kind: "Deployment", name: "d", controller: true })).spec).toEqual({
      replicas: 0,
    });
    expect(projectWorkload(rs()).spec).toEqual({ replicas: 0, template });
    // An Argo Rollout's ReplicaSet: the Rollout is not watched, the ReplicaSet's template is the one to audit.
    expect(projectWorkload(rs({ kind: "Rollout", name: "r", controller: true })).spec).toEqual({
      replicas: 0,
      template,
    });
    expect(projectWorkload(rs()).status).toBeUndefined();
  });

  it("drops a node's image list and compares projections without resourceVersion", () => {
    const n = (rv: string, images: number) =>
      projectNode({
        kind: "Node",
        metadata: { name: "n", resourceVersion: rv },
        status: { nodeInfo: { kubeletVersion: "v1.33.0" }, images: Array(images).fill({ names: ["x"] }) },
      });
    expect(n("1", 50)).toEqual({
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: "n", resourceVersion: "1" },
      status: { nodeInfo: { kubeletVersion: "v1.33.0" } },
    });
    expect(sameProjection(n("1", 50), n("2", 3))).toBe(true);
  });
});

describe("subjects", () => {
  const rs: JsonObject = {
    kind: "ReplicaSet",
    apiVersion: "apps/v1",
    metadata: {
      name: "web-1",
      namespace: "a",
      uid: "rs",
      ownerReferences: [{ kind: "Deployment", name: "web", uid: "d", controller: true }],
    },
  };
  const dep: JsonObject = {
    kind: "Deployment",
    apiVersion: "apps/v1",
    metadata: { name: "web", namespace: "a", uid: "d" },
  };
  const podOf = (owner: JsonObject): JsonObject => ({
    kind: "Pod",
    metadata: { name: "p", namespace: "a", ownerReferences: [owner] },
  });
  const lookup = (kind: string, _ns: string | undefined, name: string) =>
    kind === "ReplicaSet" && name === "web-1"
      ? rs
      : kind === "Deployment" && name === "web"
        ? dep
        : undefined;

  it("walks controller owners through the cache to the top", () => {
    const s = topOwner(
      podOf({ kind: "ReplicaSet", name: "web-1", uid: "rs", controller: true }),
      "Pod",
      lookup,
    );
    expect(s).toEqual({ kind: "Deployment", namespace: "a", name: "web", apiVersion: "apps/v1", uid: "d" });
  });
  it("stops at an owner it does not watch, named by the reference", () => {
    const s = topOwner(
      podOf({ apiVersion: "argoproj.io/v1alpha1", kind: "Workflow", name: "wf", uid: "w", controller: true }),
      "Pod",
      lookup,
    );
    expect(s).toEqual({
      kind: "Workflow",
      namespace: "a",
      name: "wf",
      apiVersion: "argoproj.io/v1alpha1",
      uid: "w",
    });
  });
  it("ignores non-controller owners and a recreated owner with another uid", () => {
    expect(topOwner(podOf({ kind: "ReplicaSet", name: "web-1" }), "Pod", lookup).kind).toBe("Pod");
    const s = topOwner(
      podOf({ kind: "ReplicaSet", name: "web-1", uid: "old", controller: true }),
      "Pod",
      lookup,
    );
    expect(s).toMatchObject({ kind: "ReplicaSet", name: "web-1", uid: "old" });
  });
  it("round-trips keys, names with slashes excepted from splitting", () => {
    expect(subjectKey({ kind: "Node", name: "n1" })).toBe("Node//n1");
    expect(parseSubjectKey("Deployment/shop/web")).toEqual({
      kind: "Deployment",
      namespace: "shop",
      name: "web",
    });
    expect(parseSubjectKey("Node//n1")).toEqual({ kind: "Node", name: "n1" });
  });
});

describe("Event naming", () => {
  const f: Finding = {
    ruleId: "W001",
    slug: "docker-socket-mount",
    severity: "critical",
    subject: { kind: "Deployment", namespace: "a", name: "web", container: "app" },
    origin: {},
    message: "m",
    remediation: "",
    docs: "",
  };
  it("derives a stable DNS-subdomain name and an UpperCamelCase reason", () => {
    const name = eventName("web", findingKey(f));
    expect(name).toMatch(/^web\.[0-9a-f]{16}$/);
    expect(eventName("web", findingKey(f))).toBe(name);
    expect(eventName("web", findingKey({ ...f, subject: { ...f.subject, container: "side" } }))).not.toBe(
      name,
    );
    expect(eventName("x".repeat(300), "k").length).toBeLessThanOrEqual(253);
    expect(reasonOf("docker-socket-mount")).toBe("DockerSocketMount");
  });
});

describe("EventRecorder write rate", () => {
  const finding = (i: number): Finding => ({
    ruleId: "W001",
    slug: "docker-socket-mount",
    severity: "critical",
    subject: { kind: "Deployment", namespace: "a", name: `web-${i}` },
    origin: {},
    message: "m",
    remediation: "",
    docs: "",
  });

  it("spends a burst at once, then one write per 1/qps; one Event per finding, none repeated", async () => {
    const clock = new FakeClock();
    const sink = new MemoryEventSink();
    const rec = new EventRecorder({
      sink,
      clock,
      instance: "pod-a",
      minSeverity: "high",
      rate: { perSecond: 5, burst: 25 },
    });
    const many = Array.from({ length: 100 }, (_, i) => finding(i));
    expect(rec.record(many, (s) => s)).toBe(100);
    await clock.advance(0);
    expect(sink.calls).toHaveLength(25);
    await clock.advance(1000);
    expect(sink.calls).toHaveLength(30);
    // The same findings again while 70 are queued: those written are not queued again.
    expect(rec.record(many, (s) => s)).toBe(70);
    await clock.advance(15_000);
    await rec.idle();
    expect(sink.calls).toHaveLength(100);
    expect(new Set(sink.calls).size).toBe(100);
    expect(sink.calls.every((c) => c.startsWith("create "))).toBe(true);
    // Within the refresh interval nothing is queued; a finding that is gone leaves the queue.
    expect(rec.record(many, (s) => s)).toBe(0);
    await rec.stop();
  });

  it("drops queued writes for findings that are gone, and stops writing on stop()", async () => {
    const clock = new FakeClock();
    const sink = new MemoryEventSink();
    const rec = new EventRecorder({
      sink,
      clock,
      instance: "p",
      minSeverity: "high",
      rate: { perSecond: 1, burst: 1 },
    });
    rec.record([finding(1), finding(2), finding(3)], (s) => s);
    await clock.advance(0);
    expect(sink.calls).toHaveLength(1);
    rec.forget((k) => !k.includes("web-2"));
    await clock.advance(1000);
    await clock.advance(1000);
    expect(sink.calls.map((c) => c.split(".")[0])).toEqual(["create a/web-1", "create a/web-3"]);
    rec.record([finding(4)], (s) => s);
    await rec.stop();
    await clock.advance(5000);
    expect(sink.calls).toHaveLength(2);
  });
});
