// The fake API server's own behaviour where kubectl does not exercise it: watch streams (bookmarks,
// sendInitialEvents, 410 on a compacted resourceVersion, server-side drops), 410 on expired continue
// tokens, PartialObjectMetadata lists, and the read-only guard.
import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { FakeApiServer } from "../../fakeapi/server.js";
import { SMALL } from "./helpers.js";

let server: FakeApiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

interface WatchEvent {
  type: string;
  object: {
    kind?: string;
    code?: number;
    metadata?: { name?: string; resourceVersion?: string; annotations?: Record<string, string> };
  };
}

/** Opens a watch and collects its events until `until` says stop or the server ends the stream. */
function watch(
  url: string,
  until: (events: WatchEvent[]) => boolean,
  onOpen?: () => void,
): Promise<{ events: WatchEvent[]; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const events: WatchEvent[] = [];
    let buf = "";
    const req = request(url, (res) => {
      onOpen?.();
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        buf += d;
        let i = buf.indexOf("\n");
        while (i >= 0) {
          events.push(JSON.parse(buf.slice(0, i)) as WatchEvent);
          buf = buf.slice(i + 1);
          i = buf.indexOf("\n");
        }
        if (until(events)) {
          req.destroy();
          resolve({ events, ended: false });
        }
      });
      res.on("end", () => resolve({ events, ended: true }));
      res.on("error", () => resolve({ events, ended: true }));
    });
    req.on("error", (e) => (events.length ? resolve({ events, ended: true }) : reject(e)));
    req.end();
  });
}

describe("fake API server watches", () => {
  it("sends initial events and the initial-events-end bookmark, then changes", async () => {
    server = await FakeApiServer.start({ fixtures: [SMALL] });
    const s = server;
    const r = await watch(
      `${s.url}/api/v1/namespaces/default/pods?watch=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan`,
      (ev) => ev.some((e) => e.type === "DELETED"),
      () =>
        setTimeout(() => {
          s.add({ apiVersion: "v1", kind: "Pod", metadata: { name: "new", namespace: "default" }, spec: {} });
          s.add({ apiVersion: "v1", kind: "Pod", metadata: { name: "new", namespace: "team-a" }, spec: {} });
          s.bookmark();
          s.remove("v1", "Pod", "new", "default");
        }, 10),
    );
    expect(r.events.map((e) => `${e.type} ${e.object.metadata?.name ?? ""}`)).toEqual([
      "ADDED web-1",
      "ADDED web-2",
      "BOOKMARK ",
      "ADDED new",
      "BOOKMARK ",
      "DELETED new",
    ]);
    expect(r.events[2]?.object.metadata?.annotations).toEqual({ "k8s.io/initial-events-end": "true" });
    expect(r.events[3]?.object.kind).toBe("Pod");
  });

  it("answers a too-old resourceVersion with an ERROR event carrying 410", async () => {
    server = await FakeApiServer.start({ fixtures: [SMALL] });
    const rv = server.resourceVersion;
    server.compact();
    const r = await watch(`${server.url}/api/v1/pods?watch=1&resourceVersion=${rv}`, () => false);
    expect(r.ended).toBe(true);
    expect(r.events).toEqual([
      { type: "ERROR", object: expect.objectContaining({ kind: "Status", code: 410, reason: "Expired" }) },
    ]);
  });

  it("drops watches server-side", async () => {
    server = await FakeApiServer.start({ fixtures: [SMALL] });
    const s = server;
    const r = await watch(
      `${s.url}/api/v1/nodes?watch=1`,
      () => false,
      () => setTimeout(() => s.dropWatches(), 10),
    );
    expect(r.ended).toBe(true);
  });
});

describe("fake API server lists", () => {
  it("expires continue tokens on compaction with the real 410 Status", async () => {
    server = await FakeApiServer.start({ fixtures: [SMALL] });
    const first = (await (await fetch(`${server.url}/api/v1/pods?limit=2`)).json()) as {
      metadata: { continue: string; remainingItemCount: number };
    };
    expect(first.metadata.remainingItemCount).toBe(3);
    server.compact();
    const r = await fetch(
      `${server.url}/api/v1/pods?limit=2&continue=${encodeURIComponent(first.metadata.continue)}`,
    );
    expect(r.status).toBe(410);
    const body = (await r.json()) as { kind: string; reason: string; code: number; message: string };
    expect(body).toMatchObject({ kind: "Status", reason: "Expired", code: 410 });
    expect(body.message).toMatch(/^The provided continue parameter is too old/);
  });

  it("serves PartialObjectMetadataList and refuses writes (logged)", async () => {
    server = await FakeApiServer.start({ fixtures: [SMALL] });
    const r = await fetch(`${server.url}/apis/apps/v1/deployments`, {
      headers: { Accept: "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1" },
    });
    expect(((await r.json()) as { kind: string }).kind).toBe("PartialObjectMetadataList");
    const w = await fetch(`${server.url}/api/v1/namespaces/default/configmaps`, {
      method: "POST",
      body: "{}",
    });
    expect(w.status).toBe(405);
    expect(server.log.at(-1)).toMatchObject({ method: "POST", verb: "create", resource: "configmaps" });
  });

  it("rejects a bad label selector with 400", async () => {
    server = await FakeApiServer.start({ fixtures: [SMALL] });
    const r = await fetch(`${server.url}/api/v1/pods?labelSelector=${encodeURIComponent("a in b")}`);
    expect(r.status).toBe(400);
  });
});
