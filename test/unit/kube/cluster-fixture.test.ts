// The fixture cluster of the live audit (test/fixtures/cluster/NN-*.yaml): loaded into the fake API
// server and read back over HTTP, it must be a cluster a real API server could hold (owner uids
// resolve, controllers' selectors match their pods, pods run on existing nodes, pull secrets exist and
// name the registry) except where it is broken on purpose; and expected.ts beside it must be exactly
// what the engines find when each template is judged once, on its top owner.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cgroupV1EventsByNode,
  type NodeEvidence,
  type NodeRuleContext,
  parseAsOf,
  toNodeFacts,
} from "../../../src/core/node.js";
import { auditObject } from "../../../src/core/rule.js";
import { makeTarget } from "../../../src/core/target.js";
import type { Finding } from "../../../src/core/types.js";
import { isObject, type JsonObject, toK8sObject, toWorkloads } from "../../../src/core/workload.js";
import { ClusterClient, type Discovery, readInventory } from "../../../src/kube/index.js";
import { nodeRules } from "../../../src/rules/node/index.js";
import { workloadRules } from "../../../src/rules/workload/index.js";
import {
  clusterFixtureObjects,
  FIXTURE_REGISTRY,
  startFixtureCluster,
} from "../../fakeapi/cluster-fixture.js";
import type { FakeApiServer } from "../../fakeapi/server.js";
import {
  EXPECTED_NODE_FINDINGS,
  EXPECTED_TARGET,
  EXPECTED_WORKLOAD_FINDINGS,
  type ExpectedFinding,
} from "../../fixtures/cluster/expected.js";

type Obj = JsonObject;
const md = (o: Obj): Obj => (isObject(o.metadata) ? o.metadata : {});
const nameOf = (o: Obj) => String(md(o).name);
const nsOf = (o: Obj) => (typeof md(o).namespace === "string" ? String(md(o).namespace) : undefined);
const uidOf = (o: Obj) => String(md(o).uid);
const labelsOf = (o: Obj): Record<string, string> =>
  isObject(md(o).labels) ? (md(o).labels as Record<string, string>) : {};
const key = (o: Obj) => `${String(o.kind)} ${nsOf(o) ?? ""}/${nameOf(o)}`;

interface Controller {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}
function controllerOf(o: Obj): Controller | undefined {
  const refs = Array.isArray(md(o).ownerReferences) ? (md(o).ownerReferences as Obj[]) : [];
  const c = refs.find((r) => r.controller === true);
  return c ? (c as unknown as Controller) : undefined;
}

/** matchLabels only: every controller in the fixture uses that form. */
function selects(selector: unknown, labels: Record<string, string>): boolean {
  if (!isObject(selector) || !isObject(selector.matchLabels) || selector.matchExpressions) return false;
  return Object.entries(selector.matchLabels).every(([k, v]) => labels[k] === v);
}

let server: FakeApiServer;
let done: () => void;
let client: ClusterClient;
let discovery: Discovery;
/** What the server returns (kind/apiVersion added to list items by the client), by kind. */
let inv: Awaited<ReturnType<typeof readInventory>>;
// YAML documents parse to JSON values.
const objects = clusterFixtureObjects() as JsonObject[];
const byUid = new Map(objects.map((o) => [uidOf(o), o]));

beforeAll(async () => {
  server = await startFixtureCluster();
  const dir = mkdtempSync(join(tmpdir(), "kra-fixture-"));
  writeFileSync(join(dir, "config"), server.kubeconfig());
  done = () => rmSync(dir, { recursive: true, force: true });
  client = ClusterClient.fromKubeConfig({ kubeconfig: join(dir, "config") });
  discovery = await client.discover();
  inv = await readInventory(client);
});
afterAll(async () => {
  done?.();
  await server?.close();
});

describe("the fixture cluster in the fake API server", () => {
  it("serves every object it holds (nothing dropped, uids unique, namespaces exist)", () => {
    const uids = objects.map(uidOf).filter((u) => u !== "undefined");
    expect(new Set(uids).size).toBe(uids.length);
    const namespaces = new Set(inv.namespaces);
    for (const o of objects) {
      const ns = nsOf(o);
      if (ns !== undefined) expect(namespaces, key(o)).toContain(ns);
    }
    const count = (kind: string) => objects.filter((o) => o.kind === kind).length;
    expect(inv.nodes).toHaveLength(count("Node"));
    expect(inv.pods).toHaveLength(count("Pod"));
    expect(inv.serviceAccounts).toHaveLength(count("ServiceAccount"));
    const workloadKinds = [
      "Deployment",
      "ReplicaSet",
      "StatefulSet",
      "DaemonSet",
      "Job",
      "CronJob",
      "Workflow",
    ];
    expect(inv.workloads).toHaveLength(objects.filter((o) => workloadKinds.includes(String(o.kind))).length);
  });

  it("has the node runtime cases of the issue", () => {
    const classes = inv.nodes.map((n) => {
      const f = toNodeFacts(n);
      return `${f?.runtimeClass} ${f?.runtime.versionText} ${f?.os}`;
    });
    for (const want of [
      /^dockershim 20\./,
      /^cri-dockerd /,
      /^containerd 1\.6\./,
      /^containerd 1\.7\./,
      /^containerd 2\./,
      /^cri-o /,
      / windows$/,
    ])
      expect(
        classes.some((c) => want.test(c)),
        String(want),
      ).toBe(true);
  });

  it("returns exactly the CgroupV1 Warning events for nodes, through the field selector the scan uses", () => {
    const byNode = cgroupV1EventsByNode(inv.cgroupV1Events);
    expect([...byNode.keys()].sort()).toEqual(["containerd16-a", "containerd17-b"]);
    const nodes = new Set(inv.nodes.map(nameOf));
    for (const n of byNode.keys()) expect(nodes).toContain(n);
    // The fixture has other events the selector must leave out.
    expect(objects.filter((o) => o.kind === "Event").length).toBeGreaterThan(byNode.size);
  });

  it("resolves every controller reference by uid, apart from the two dangling on purpose", () => {
    const dangling: string[] = [];
    for (const o of objects) {
      const c = controllerOf(o);
      if (!c) continue;
      const owner = byUid.get(c.uid);
      if (!owner) {
        // Either the owner's kind is not served any more (its CRD was removed) or the object is gone.
        const served = discovery.forApiVersion(c.apiVersion, c.kind) !== undefined;
        dangling.push(`${key(o)} -> ${c.kind} ${c.name} (${served ? "object gone" : "kind not served"})`);
        continue;
      }
      expect([String(owner.kind), nameOf(owner), String(owner.apiVersion)], key(o)).toEqual([
        c.kind,
        c.name,
        c.apiVersion,
      ]);
      if (owner.kind !== "Node") expect(nsOf(owner), key(o)).toBe(nsOf(o));
    }
    expect(dangling.sort()).toEqual([
      "Pod legacy-ops/old-api-6d8f7c9b5-2xv8q -> ReplicaSet old-api-6d8f7c9b5 (object gone)",
      "Pod ml/spark-pi-driver -> SparkApplication spark-pi (kind not served)",
    ]);
  });

  it("matches every controller's selector to its pods and the pods' containers to its template", () => {
    for (const pod of objects.filter((o) => o.kind === "Pod")) {
      const c = controllerOf(pod);
      const owner = c ? byUid.get(c.uid) : undefined;
      if (!owner || owner.kind === "Node" || owner.kind === "Workflow") continue;
      const spec = owner.spec as Obj;
      expect(selects(spec.selector, labelsOf(pod)), `${key(owner)} selects ${key(pod)}`).toBe(true);
      const tpl = spec.template as Obj;
      expect((pod.spec as Obj).containers, key(pod)).toEqual((tpl.spec as Obj).containers);
    }
    // Controllers' own templates carry the labels their selectors ask for.
    for (const o of objects.filter((x) =>
      ["ReplicaSet", "Deployment", "DaemonSet", "StatefulSet", "Job"].includes(String(x.kind)),
    )) {
      const spec = o.spec as Obj;
      if (!spec.selector) continue;
      expect(selects(spec.selector, labelsOf(spec.template as Obj)), key(o)).toBe(true);
    }
  });

  it("keeps each owner's template in step with its children (Deployment→ReplicaSet, CronJob→Job)", () => {
    for (const child of objects.filter((o) => o.kind === "ReplicaSet" || o.kind === "Job")) {
      const c = controllerOf(child);
      const owner = c ? byUid.get(c.uid) : undefined;
      if (!owner) continue;
      const childTpl = (child.spec as Obj).template as Obj;
      const ownerSpec = owner.spec as Obj;
      const ownerTpl =
        owner.kind === "CronJob"
          ? (((ownerSpec.jobTemplate as Obj).spec as Obj).template as Obj)
          : (ownerSpec.template as Obj);
      const scaledToZero = child.kind === "ReplicaSet" && (child.spec as Obj).replicas === 0;
      // An old ReplicaSet keeps its old template; the current one has the Deployment's.
      expect((childTpl.spec as Obj).containers !== undefined).toBe(true);
      if (!scaledToZero) expect(childTpl.spec, key(child)).toEqual(ownerTpl.spec);
    }
  });

  it("gives each ReplicaSet as many pods as its replicas (none for the one scaled to 0)", () => {
    for (const rs of objects.filter((o) => o.kind === "ReplicaSet")) {
      const pods = objects.filter((p) => p.kind === "Pod" && controllerOf(p)?.uid === uidOf(rs));
      expect(pods.length, key(rs)).toBe((rs.spec as Obj).replicas);
    }
    expect(objects.some((o) => o.kind === "ReplicaSet" && (o.spec as Obj).replicas === 0)).toBe(true);
  });

  it("runs pods on existing nodes; mirror pods are owned by the node they run on", () => {
    const nodes = new Map(objects.filter((o) => o.kind === "Node").map((n) => [nameOf(n), n]));
    let mirrors = 0;
    for (const pod of objects.filter((o) => o.kind === "Pod")) {
      const nodeName = String((pod.spec as Obj).nodeName);
      expect(nodes.has(nodeName), key(pod)).toBe(true);
      const c = controllerOf(pod);
      const mirror =
        isObject(md(pod).annotations) && "kubernetes.io/config.mirror" in (md(pod).annotations as Obj);
      expect(c?.kind === "Node", key(pod)).toBe(mirror);
      if (mirror) {
        mirrors++;
        expect(c?.name).toBe(nodeName);
        expect(c?.uid).toBe(uidOf(nodes.get(nodeName) as Obj));
      }
    }
    expect(mirrors).toBeGreaterThanOrEqual(2);
  });

  it("has the pull secrets that pods and service accounts name, of both docker config types, for the placeholder registry", async () => {
    const named = new Set<string>();
    for (const o of objects) {
      const list =
        o.kind === "ServiceAccount"
          ? o.imagePullSecrets
          : o.kind === "Pod" || o.kind === "Deployment" || o.kind === "ReplicaSet"
            ? ((o.kind === "Pod" ? o.spec : ((o.spec as Obj).template as Obj).spec) as Obj).imagePullSecrets
            : undefined;
      for (const s of Array.isArray(list) ? list : []) named.add(`${nsOf(o)}/${String((s as Obj).name)}`);
    }
    const secretRef = discovery.find({ group: "", kind: "Secret" });
    if (!secretRef) throw new Error("secrets not served");
    const types = new Set<string>();
    for (const ref of named) {
      const [namespace, name] = ref.split("/") as [string, string];
      const s = await client.get(secretRef, name, { namespace });
      expect(s, ref).toBeDefined();
      const data = (s as Obj).data as Record<string, string>;
      const text = Buffer.from(Object.values(data)[0] ?? "", "base64").toString("utf8");
      expect(text, ref).toContain(FIXTURE_REGISTRY);
      types.add(String((s as Obj).type));
    }
    expect([...types].sort()).toEqual(["kubernetes.io/dockercfg", "kubernetes.io/dockerconfigjson"]);
    // The images those secrets unlock are on the same registry.
    const images = objects.flatMap((o) =>
      o.kind === "Pod" ? ((o.spec as Obj).containers as Obj[]).map((c) => String(c.image)) : [],
    );
    expect(images.some((i) => i.startsWith(`${FIXTURE_REGISTRY}/`))).toBe(true);
  });

  it("moves images and pull secrets to the registry a test gives", () => {
    const moved = clusterFixtureObjects({ registry: "127.0.0.1:43210" }) as JsonObject[];
    const text = JSON.stringify(moved);
    expect(text).not.toContain(FIXTURE_REGISTRY);
    const secrets = moved.filter(
      (o) => o.kind === "Secret" && String(o.type).startsWith("kubernetes.io/docker"),
    );
    expect(secrets).toHaveLength(2);
    for (const s of secrets) {
      const decoded = Buffer.from(
        Object.values(s.data as Record<string, string>)[0] ?? "",
        "base64",
      ).toString();
      expect(JSON.parse(decoded)).toBeTypeOf("object");
      expect(decoded).toContain("127.0.0.1:43210");
      expect(decoded).not.toContain(FIXTURE_REGISTRY);
    }
  });
});

// --- expected.ts against the engines -------------------------------------------------------------

const target = makeTarget({ k8s: EXPECTED_TARGET.k8s, runtimes: EXPECTED_TARGET.runtimes });
const sig = (f: { ruleId: string; severity: string; subject: ExpectedFinding["subject"] }) =>
  [
    f.ruleId,
    f.severity,
    f.subject.kind,
    f.subject.namespace ?? "",
    f.subject.name,
    f.subject.container ?? "",
  ].join(" ");

/**
 * An independent reading of the owner rules of issue #6 over the fixture's own objects: an object with
 * a pod template (pods included, ReplicaSets scaled to 0 excluded) is judged unless one of its
 * controllers up the chain has a template too; its findings go to the topmost controller the fixture
 * holds (a Node owner, a gone object or an unserved kind stops the chain). Objects without a template
 * (an Argo Workflow) get the engine's object checks only.
 */
function workloadFindings(): Finding[] {
  const carrier = (o: Obj) =>
    o.kind !== "Node" &&
    toWorkloads(toK8sObject(o, {})).length > 0 &&
    !(o.kind === "ReplicaSet" && (o.spec as Obj).replicas === 0);
  const listedKinds = new Set([
    "Pod",
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
    "Workflow",
  ]);
  const out: Finding[] = [];
  const seen = new Set<string>();
  for (const o of objects.filter((x) => listedKinds.has(String(x.kind)))) {
    const chain: Obj[] = [];
    for (let cur = o; ; ) {
      const c = controllerOf(cur);
      const up = c ? byUid.get(c.uid) : undefined;
      if (!up || up.kind === "Node") break;
      chain.push(up);
      cur = up;
    }
    if (chain.some(carrier)) continue;
    if (!carrier(o) && o.kind !== "Workflow") continue;
    const subject = chain.at(-1) ?? o;
    for (const f of auditObject(toK8sObject(o, {}), workloadRules, { target }, { ignore: new Set() })
      .findings) {
      f.subject = { ...f.subject, kind: String(subject.kind), name: nameOf(subject) };
      const ns = nsOf(subject);
      if (ns) f.subject.namespace = ns;
      const k = `${sig(f)}|${f.message}`;
      if (seen.has(k)) continue;
      seen.add(k);
      out.push(f);
    }
  }
  return out;
}

function nodeFindings(): { ruleId: string; severity: string; subject: ExpectedFinding["subject"] }[] {
  const evidence = new Map<string, NodeEvidence>();
  const events = objects.filter((o) => o.kind === "Event");
  for (const [node, list] of cgroupV1EventsByNode(events)) evidence.set(node, { cgroupV1Events: list });
  const ctx: NodeRuleContext = { target, asOf: parseAsOf(EXPECTED_TARGET.asOf), evidence };
  const out: { ruleId: string; severity: string; subject: ExpectedFinding["subject"] }[] = [];
  for (const n of objects.filter((o) => o.kind === "Node")) {
    const facts = toNodeFacts(n);
    if (!facts) throw new Error(`not a node: ${key(n)}`);
    for (const rule of nodeRules)
      for (const hit of rule.check(facts, ctx))
        out.push({ ruleId: rule.id, severity: hit.severity, subject: { kind: "Node", name: facts.name } });
  }
  return out;
}

describe("expected.ts", () => {
  it("lists exactly what the node rules find on the fixture's nodes", () => {
    const got = nodeFindings().map(sig).sort();
    expect(got).toEqual(EXPECTED_NODE_FINDINGS.map(sig).sort());
  });

  it("lists exactly what the workload rules find, each once on its top owner", () => {
    const got = workloadFindings();
    expect(got.map(sig).sort()).toEqual(EXPECTED_WORKLOAD_FINDINGS.map(sig).sort());
  });

  it("names subjects that the fixture holds and that no listed controller owns", () => {
    for (const e of [...EXPECTED_WORKLOAD_FINDINGS, ...EXPECTED_NODE_FINDINGS]) {
      const o = objects.find(
        (x) => x.kind === e.subject.kind && nameOf(x) === e.subject.name && nsOf(x) === e.subject.namespace,
      );
      expect(o, sig(e)).toBeDefined();
      const c = o ? controllerOf(o) : undefined;
      const owner = c ? byUid.get(c.uid) : undefined;
      expect(owner === undefined || owner.kind === "Node", sig(e)).toBe(true);
      expect(e.why.length, sig(e)).toBeGreaterThan(20);
    }
  });
});
