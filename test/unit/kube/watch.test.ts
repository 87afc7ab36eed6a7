// ClusterClient.watch against the fake API server's watch streams.
import { afterEach, describe, expect, it } from "vitest";
import { ClusterClient, KubeError, type WatchEvent } from "../../../src/kube/index.js";
import { type Harness, harness } from "./helpers.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const POD = { group: "", version: "v1", resource: "pods", kind: "Pod", namespaced: true };
const name = (e: WatchEvent) => (e.object.metadata as { name?: string } | undefined)?.name ?? "";

function client() {
  if (!h) throw new Error("no harness");
  return ClusterClient.fromKubeConfig({ kubeconfig: h.kubeconfig, env: {} });
}

describe("watch", () => {
  it("streams initial events, the end-of-initial-events bookmark, changes, and ends when the server drops it", async () => {
    h = await harness();
    const server = h.server;
    const seen: string[] = [];
    for await (const ev of client().watch(POD, { namespace: "default", sendInitialEvents: true })) {
      seen.push(`${ev.type} ${name(ev)}`);
      if (ev.type === "BOOKMARK") {
        server.add({
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: "web-3", namespace: "default" },
          spec: {},
        });
        server.remove("v1", "Pod", "web-1", "default");
      }
      if (ev.type === "DELETED") server.dropWatches();
    }
    expect(seen).toEqual(["ADDED web-1", "ADDED web-2", "BOOKMARK ", "ADDED web-3", "DELETED web-1"]);
    const req = server.log.find((e) => e.verb === "watch");
    expect(req?.query).toMatchObject({
      watch: "1",
      allowWatchBookmarks: "true",
      sendInitialEvents: "true",
      resourceVersionMatch: "NotOlderThan",
    });
  });

  it("resumes from a resourceVersion and throws 'expired' once it is compacted", async () => {
    h = await harness();
    const rv = (await client().list(POD)).resourceVersion;
    h.server.compact();
    const err = await (async () => {
      for await (const _ of client().watch(POD, { resourceVersion: rv })) {
        /* none */
      }
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeError);
    expect((err as KubeError).code).toBe("expired");
  });

  it("a refused watch is a forbidden error naming the permission; an abort ends it quietly", async () => {
    h = await harness();
    h.server.denials.push({ verb: "watch", resource: "pods" });
    const err = (await (async () => {
      for await (const _ of client().watch(POD)) {
        /* none */
      }
    })().catch((e: unknown) => e)) as KubeError;
    expect(err.permission).toEqual({ verb: "watch", resource: "pods" });
    h.server.denials.length = 0;
    const ac = new AbortController();
    const events: WatchEvent[] = [];
    const done = (async () => {
      for await (const ev of client().watch(POD, { signal: ac.signal, namespace: "team-a" })) events.push(ev);
    })();
    while (!h.server.log.some((e) => e.verb === "watch" && e.status === 200))
      await new Promise((r) => setTimeout(r, 10));
    ac.abort();
    await expect(done).resolves.toBeUndefined();
    expect(events).toEqual([]);
  });
});
