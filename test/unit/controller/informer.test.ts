import { afterEach, describe, expect, it } from "vitest";
import { type Change, Informer } from "../../../src/controller/informer.js";
import { ApiStatusError, type JsonObject, type ResourceSpec } from "../../../src/controller/ports.js";
import { projectPod } from "../../../src/controller/projection.js";
import { FakeApi, FakeClock, settle } from "./fakes.js";

const PODS: ResourceSpec = { group: "", version: "v1", resource: "pods", kind: "Pod", namespaced: true };

const pod = (name: string, image = "nginx:1.27", extra: JsonObject = {}): JsonObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "default", managedFields: [{ manager: "kubectl" }] },
  spec: { containers: [{ name: "c", image }] },
  status: { phase: "Running" },
  ...extra,
});

let informers: Informer[] = [];
afterEach(async () => {
  for (const i of informers) await i.stop();
  informers = [];
});

function setup(api: FakeApi, clock = new FakeClock()) {
  const changes: string[] = [];
  const restarts: string[] = [];
  const inf = new Informer({
    resource: PODS,
    source: api,
    project: projectPod,
    clock,
    onChange: (c: Change) => changes.push(`${c.type} ${c.key}`),
    onRestart: (r) => restarts.push(r),
  });
  informers.push(inf);
  return { inf, changes, restarts, clock };
}

describe("Informer", () => {
  it("lists page by page, stores projections, then follows the watch from the list's version", async () => {
    const api = new FakeApi();
    api.apply(PODS, pod("a"));
    api.apply(PODS, pod("b"));
    api.apply(PODS, pod("c"));
    const { inf, changes } = setup(api);
    inf.start();
    await inf.waitForSync();
    expect(inf.size).toBe(3);
    expect(inf.resourceVersion).toBe("103");
    const a = inf.get("default/a") as JsonObject;
    expect(a.status).toBeUndefined();
    expect((a.metadata as JsonObject).managedFields).toBeUndefined();
    // The first list is the initial state, not a series of changes.
    expect(changes).toEqual([]);
    await settle();
    expect(api.watches).toEqual(["/pods@103"]);

    api.apply(PODS, pod("d"));
    api.apply(PODS, pod("a", "nginx:1.28"));
    api.remove(PODS, "default", "b");
    await settle();
    expect(changes).toEqual(["add default/d", "update default/a", "delete default/b"]);
    expect(inf.size).toBe(3);
    expect(inf.resourceVersion).toBe("106");
  });

  it("does not report updates that change only what it does not keep (status churn)", async () => {
    const api = new FakeApi();
    api.apply(PODS, pod("a"));
    const { inf, changes } = setup(api);
    inf.start();
    await inf.waitForSync();
    await settle();
    api.apply(PODS, pod("a", "nginx:1.27", { status: { phase: "Failed" } }));
    await settle();
    expect(changes).toEqual([]);
    expect(inf.resourceVersion).toBe("102");
  });

  it("moves its version forward on bookmarks and resumes from it after the server closes the stream", async () => {
    const api = new FakeApi();
    api.apply(PODS, pod("a"));
    const { inf, restarts, clock } = setup(api);
    inf.start();
    await inf.waitForSync();
    await settle();
    api.rv += 10; // other resources changed meanwhile
    api.bookmark(PODS);
    await settle();
    expect(inf.resourceVersion).toBe("112");
    await clock.advance(5000);
    api.dropWatches();
    await settle();
    expect(restarts).toEqual(["dropped"]);
    expect(api.watches.at(-1)).toBe("/pods@112");
    expect(api.lists).toBe(1);
  });

  it("relists on 410 and synthesizes deletes for objects that vanished meanwhile", async () => {
    const api = new FakeApi();
    api.apply(PODS, pod("a"));
    api.apply(PODS, pod("b"));
    const { inf, changes, restarts } = setup(api);
    inf.start();
    await inf.waitForSync();
    await settle();
    // Changes the watch never delivers, then the history is compacted and the watch expires.
    api.silently(() => {
      api.remove(PODS, "default", "a");
      api.apply(PODS, pod("b", "redis:7"));
      api.apply(PODS, pod("c"));
    });
    api.compact();
    api.expireWatches();
    await settle();
    expect(restarts).toEqual(["expired"]);
    expect(api.lists).toBe(2);
    expect(changes.sort()).toEqual(["add default/c", "delete default/a", "update default/b"]);
    expect([...inf.values()].map((o) => (o.metadata as JsonObject).name).sort()).toEqual(["b", "c"]);
  });

  it("relists when the watch request itself is refused with 410", async () => {
    const api = new FakeApi();
    api.apply(PODS, pod("a"));
    api.failWatch.push(new ApiStatusError(410, "Expired"));
    const { inf, restarts } = setup(api);
    inf.start();
    await inf.waitForSync();
    await settle();
    expect(restarts).toEqual(["expired"]);
    expect(api.lists).toBe(2);
  });

  it("backs off on errors, honours Retry-After, and resumes without relisting", async () => {
    const api = new FakeApi();
    api.apply(PODS, pod("a"));
    api.failWatch.push(new ApiStatusError(429, "slow down", 7), new Error("ECONNRESET"));
    const { inf, restarts, clock, changes } = setup(api);
    inf.start();
    await inf.waitForSync();
    await settle();
    expect(restarts).toEqual(["error"]);
    expect(api.watches).toHaveLength(1);
    await clock.advance(6900);
    expect(api.watches).toHaveLength(1);
    await clock.advance(200);
    expect(api.watches).toHaveLength(2);
    expect(restarts).toEqual(["error", "error"]);
    await clock.advance(60_000);
    expect(api.watches).toHaveLength(3);
    api.apply(PODS, pod("z"));
    await settle();
    expect(changes).toEqual(["add default/z"]);
    expect(api.lists).toBe(1);
  });

  it("keeps retrying the first list until it succeeds, and only then is synced", async () => {
    const api = new FakeApi();
    api.apply(PODS, pod("a"));
    api.failList.push(new ApiStatusError(503, "unavailable"));
    const { inf, clock } = setup(api);
    inf.start();
    await settle();
    expect(inf.synced).toBe(false);
    await clock.advance(2000);
    expect(inf.synced).toBe(true);
    expect(inf.size).toBe(1);
  });

  it("stops promptly: the open watch is aborted", async () => {
    const api = new FakeApi();
    const { inf } = setup(api);
    inf.start();
    await inf.waitForSync();
    await settle();
    expect(api.watchers.size).toBe(1);
    await inf.stop();
    expect(api.watchers.size).toBe(0);
  });

  it("counts a forbidden resource as synced and empty, says why, and fills in once a retry is allowed", async () => {
    const api = new FakeApi();
    api.apply(PODS, pod("a"));
    api.failList.push(new ApiStatusError(403, 'pods is forbidden: cannot list resource "pods"'));
    const { inf, clock, changes } = setup(api);
    inf.start();
    await inf.waitForSync();
    expect(inf.size).toBe(0);
    expect(inf.unavailable).toContain("forbidden");
    await clock.advance(2000);
    expect(inf.size).toBe(1);
    expect(inf.unavailable).toBeUndefined();
    expect(changes).toEqual(["add default/a"]);
  });
});
