// The inventory: every kind the audit reads, 403 fallbacks, secrets only by name, owner metadata.
import { afterEach, describe, expect, it } from "vitest";
import {
  ClusterClient,
  getNamed,
  getOwnerMetadata,
  type Permission,
  readInventory,
} from "../../../src/kube/index.js";
import { type Harness, harness } from "./helpers.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const EXTRA = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
  managedFields: [{manager: kubectl}]
  annotations: {kubectl.kubernetes.io/last-applied-configuration: "{...}", keep: "yes"}
spec: {template: {spec: {containers: [{name: web, image: nginx}]}}}
status: {replicas: 2}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: team-a}
spec: {jobTemplate: {spec: {template: {spec: {containers: [{name: j, image: busybox}]}}}}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: builder, namespace: team-a}
imagePullSecrets: [{name: regcred}]
secrets: [{name: builder-token}]
---
apiVersion: v1
kind: Secret
metadata: {name: regcred, namespace: team-a}
type: kubernetes.io/dockerconfigjson
data: {.dockerconfigjson: e30=}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: rollouts.argoproj.io}
spec:
  group: argoproj.io
  scope: Namespaced
  names: {plural: rollouts, kind: Rollout}
  versions: [{name: v1alpha1, served: true, storage: true}]
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: canary, namespace: default}
spec: {template: {spec: {containers: [{name: app, image: app:1}]}}}
`;

function client() {
  if (!h) throw new Error("no harness");
  return ClusterClient.fromKubeConfig({ kubeconfig: h.kubeconfig, env: {}, retryBaseMs: 1 });
}

const name = (o: unknown) => (o as { metadata: { name: string } }).metadata.name;

describe("readInventory", () => {
  it("reads every kind, trimmed, served CRD kinds included, secrets never listed", async () => {
    h = await harness();
    h.server.loadYaml(EXTRA);
    const inv = await readInventory(client());
    expect(inv.nodes.map(name)).toEqual(["node-1", "node-2"]);
    expect(inv.namespaces).toEqual(["default", "team-a"]);
    expect(inv.pods.length).toBe(5);
    expect(inv.workloads.map((w) => `${w.kind}/${name(w)}`).sort()).toEqual([
      "CronJob/nightly",
      "Deployment/web",
      "Rollout/canary",
    ]);
    const deploy = inv.workloads.find((w) => w.kind === "Deployment") as {
      metadata: Record<string, unknown>;
      status?: unknown;
    };
    expect(deploy.metadata.managedFields).toBeUndefined();
    expect(deploy.metadata.annotations).toEqual({ keep: "yes" });
    expect(deploy.status).toBeUndefined();
    expect(inv.serviceAccounts.map((s) => s.imagePullSecrets)).toEqual([[{ name: "regcred" }]]);
    expect(inv.cgroupV1Events.map((e) => (e.involvedObject as { name: string }).name)).toEqual(["node-2"]);
    expect(inv.listedKinds.map((r) => r.kind)).toContain("Rollout");
    expect(inv.notServed).toContainEqual({ group: "argoproj.io", kind: "Workflow" });
    expect(inv.forbidden).toEqual([]);
    const log = h.server.log;
    expect(log.filter((e) => e.resource === "secrets")).toEqual([]);
    expect(log.find((e) => e.resource === "events")?.query.fieldSelector).toBe("reason=CgroupV1");
    expect(log.every((e) => e.method === "GET")).toBe(true);
  });

  it("falls back to per-namespace lists when cluster-wide is refused, and records what stays refused", async () => {
    h = await harness();
    // Cluster-wide pods refused (a fault on the cluster-wide path), default allowed, team-a refused.
    h.server.denials.push({ verb: "list", resource: "pods", namespace: "team-a" });
    h.server.faults.push({
      path: "/api/v1/pods",
      status: 403,
      message: 'pods is forbidden: User "x" cannot list resource "pods" in API group "" at the cluster scope',
    });
    const inv = await readInventory(client());
    expect(inv.pods.map(name).sort()).toEqual(["web-1", "web-2"]);
    expect(inv.forbidden).toEqual<Permission[]>([{ verb: "list", resource: "pods", namespace: "team-a" }]);
  });

  it("-n lists only the named namespaces, -l filters pods and workloads", async () => {
    h = await harness();
    const inv = await readInventory(client(), { namespaces: ["team-a"], labelSelector: "app=db" });
    expect(inv.pods.map(name)).toEqual(["db-0"]);
    const podLists = h.server.log.filter((e) => e.resource === "pods");
    expect(podLists.map((e) => [e.namespace, e.query.labelSelector])).toEqual([["team-a", "app=db"]]);
  });

  it("a refused namespace list is a coverage entry, and -A falls back to the context's namespace", async () => {
    h = await harness();
    h.server.denials.push({ verb: "list", resource: "namespaces" });
    h.server.faults.push({ path: "/api/v1/pods", status: 403 });
    const inv = await readInventory(client());
    expect(inv.forbidden).toContainEqual({ verb: "list", resource: "namespaces" });
    expect(inv.pods.map(name).sort()).toEqual(["web-1", "web-2"]);
  });
});

describe("getNamed and getOwnerMetadata", () => {
  it("gets secrets by name only, once each; missing ones are absent; refused ones are recorded", async () => {
    h = await harness();
    h.server.loadYaml(EXTRA);
    h.server.loadYaml("apiVersion: v1\nkind: Secret\nmetadata: {name: hidden, namespace: default}\n");
    h.server.denials.push({ verb: "get", resource: "secrets", namespace: "default" });
    const c = client();
    const d = await c.discover();
    const forbidden: Permission[] = [];
    const got = await getNamed(
      c,
      d,
      "Secret",
      [
        { namespace: "team-a", name: "regcred" },
        { namespace: "team-a", name: "regcred" },
        { namespace: "team-a", name: "gone" },
        { namespace: "default", name: "hidden" },
      ],
      forbidden,
    );
    expect([...got.keys()]).toEqual(["team-a/regcred"]);
    expect(forbidden).toEqual([{ verb: "get", resource: "secrets/hidden", namespace: "default" }]);
    const secretCalls = h.server.log.filter((e) => e.resource === "secrets");
    expect(secretCalls.map((e) => e.verb)).toEqual(["get", "get", "get"]);
  });

  it("reads an owner's metadata when its kind is served, and says when it is not", async () => {
    h = await harness();
    h.server.loadYaml(EXTRA);
    const c = client();
    const d = await c.discover();
    const found = await getOwnerMetadata(
      c,
      d,
      { apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", name: "canary" },
      "default",
    );
    expect(found.status).toBe("found");
    expect(h.server.log.at(-1)?.accept).toContain("as=PartialObjectMetadata");
    expect(
      await getOwnerMetadata(c, d, { apiVersion: "example.com/v1", kind: "Gone", name: "x" }, "default"),
    ).toEqual({
      status: "not-served",
    });
    expect(
      await getOwnerMetadata(c, d, { apiVersion: "apps/v1", kind: "ReplicaSet", name: "x" }, "default"),
    ).toEqual({
      status: "not-found",
    });
  });
});
