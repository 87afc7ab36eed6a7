// The cluster client against the fake API server: discovery, paging, retries, errors.
import { writeFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { connect, createServer, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { continueAhead } from "../../../src/kube/client.js";
import { ClusterClient, KubeError } from "../../../src/kube/index.js";
import { type Harness, harness } from "./helpers.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const POD = { group: "", version: "v1", resource: "pods", kind: "Pod", namespaced: true };
const DEPLOY = {
  group: "apps",
  version: "v1",
  resource: "deployments",
  kind: "Deployment",
  namespaced: true,
};

function client(extra: ConstructorParameters<typeof ClusterClient>[1] = {}) {
  if (!h) throw new Error("no harness");
  return ClusterClient.fromKubeConfig({ kubeconfig: h.kubeconfig, env: {}, retryBaseMs: 1, ...extra });
}

/** Points the harness's kubeconfig at another server on this host. */
function redirect(port: number): void {
  if (!h) throw new Error("no harness");
  writeFileSync(h.kubeconfig, h.server.kubeconfig().replace(h.server.url, `http://127.0.0.1:${port}`));
}

/**
 * A TCP proxy in front of the fake API server, with the kubeconfig pointed at it. It counts the
 * connections it accepts; `intercept` may take one over instead (returns true).
 */
async function proxyInFront(
  intercept?: (sock: Socket) => boolean,
): Promise<{ connections: () => number; close: () => void }> {
  if (!h) throw new Error("no harness");
  const target = new URL(h.server.url);
  let connections = 0;
  const proxy = createServer((sock) => {
    connections++;
    if (intercept?.(sock)) return;
    const up = connect(Number(target.port), target.hostname);
    sock.pipe(up).pipe(sock);
    sock.on("error", () => up.destroy());
    up.on("error", () => sock.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
  redirect((proxy.address() as { port: number }).port);
  return { connections: () => connections, close: () => proxy.close() };
}

describe("discovery", () => {
  it("reads aggregated discovery v2 in two requests, CRDs included", async () => {
    h = await harness();
    h.server.loadYaml(`
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: workflows.argoproj.io}
spec:
  group: argoproj.io
  scope: Namespaced
  names: {plural: workflows, singular: workflow, kind: Workflow}
  versions: [{name: v1alpha1, served: true, storage: true}]
`);
    const d = await client().discover();
    expect(d.find({ group: "apps", kind: "Deployment" })).toMatchObject({
      version: "v1",
      resource: "deployments",
      namespaced: true,
    });
    expect(d.find({ group: "", kind: "Node" })).toMatchObject({ resource: "nodes", namespaced: false });
    expect(d.find({ group: "argoproj.io", kind: "Workflow" })).toMatchObject({
      version: "v1alpha1",
      resource: "workflows",
    });
    expect(d.find({ group: "tekton.dev", kind: "Task" })).toBeUndefined();
    expect(d.forApiVersion("apps/v1", "ReplicaSet")?.resource).toBe("replicasets");
    expect(h.server.log.map((e) => e.path).sort()).toEqual(["/api", "/apis"]);
  });

  it("falls back to the per-group documents when the server has no aggregated discovery", async () => {
    h = await harness({ aggregatedDiscovery: false });
    const d = await client().discover();
    expect(d.find({ group: "batch", kind: "CronJob" })?.resource).toBe("cronjobs");
    expect(d.find({ group: "", kind: "Pod" })?.resource).toBe("pods");
    const paths = h.server.log.map((e) => e.path);
    expect(paths).toContain("/api/v1");
    expect(paths).toContain("/apis/apps/v1");
  });

  it("keeps going when one group's discovery fails, and names the group", async () => {
    h = await harness({ aggregatedDiscovery: false });
    h.server.faults.push({ path: "/apis/batch/v1", status: 503 });
    const d = await client({ maxRetries: 1 }).discover();
    expect(d.failedGroups).toEqual(["batch/v1"]);
    expect(d.find({ group: "batch", kind: "Job" })).toBeUndefined();
    expect(d.find({ group: "apps", kind: "Deployment" })).toBeDefined();
  });
});

describe("lists", () => {
  it("pages with limit + continue and returns every item with kind and apiVersion", async () => {
    h = await harness();
    const r = await client({ pageSize: 2 }).list(POD);
    expect(r.items.map((p) => (p.metadata as { name: string }).name).sort()).toEqual([
      "cache-0",
      "db-0",
      "job-x",
      "web-1",
      "web-2",
    ]);
    expect(r.items.every((p) => p.kind === "Pod" && p.apiVersion === "v1")).toBe(true);
    const lists = h.server.log.filter((e) => e.path === "/api/v1/pods");
    expect(lists.map((e) => e.query.limit)).toEqual(["2", "2", "2"]);
    expect(lists.filter((e) => e.query.continue).length).toBe(2);
  });

  it("restarts a list whose continue token expired (410) and returns no duplicates", async () => {
    h = await harness();
    const server = h.server;
    let compacted = false;
    const r = await client({ pageSize: 2 }).list(POD, {
      map: (p) => {
        if (!compacted) {
          compacted = true;
          server.compact();
        }
        return (p.metadata as { name: string }).name;
      },
    });
    expect(r.restarts).toBe(1);
    expect([...r.items].sort()).toEqual(["cache-0", "db-0", "job-x", "web-1", "web-2"]);
    expect(server.log.some((e) => e.status === 410 && e.query.continue)).toBe(true);
  });

  it("passes label and field selectors and a namespace", async () => {
    h = await harness();
    const c = client();
    const web = await c.list(POD, { namespace: "default", labelSelector: "app in (web),tier!=back" });
    expect(web.items.map((p) => (p.metadata as { name: string }).name)).toEqual(["web-1"]);
    const ev = await c.list(
      { ...POD, resource: "events", kind: "Event" },
      { fieldSelector: "reason=CgroupV1" },
    );
    expect(ev.items.map((e) => (e.involvedObject as { name: string }).name)).toEqual(["node-2"]);
    expect(h.server.log.at(-1)?.query.fieldSelector).toBe("reason=CgroupV1");
  });

  it("keeps only what map returns", async () => {
    h = await harness();
    const r = await client().list(POD, {
      map: (p) => ((p.spec as { nodeName?: string }).nodeName === "node-2" ? 1 : undefined),
    });
    expect(r.items).toEqual([1, 1]);
  });

  it("reads the next page's token from the head of a page, only from the list's metadata", () => {
    const head =
      '{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"7","continue":"eyJ2IjoxfQ","remainingItemCount":3},"items":[';
    expect(continueAhead(`${head}{"metadata":{"name":"a"}}]}`)).toBe("eyJ2IjoxfQ");
    // Last page: no token. A "continue" inside an item is not the list's.
    expect(continueAhead('{"metadata":{"resourceVersion":"7"},"items":[{"continue":"x"}]}')).toBeUndefined();
    expect(continueAhead('{"metadata":{"continue":""},"items":[]}')).toBeUndefined();
    // An escaped token is left to the parser.
    expect(continueAhead('{"metadata":{"continue":"a\\u003db"},"items":[]}')).toBeUndefined();
  });

  it("asks for the page its parse names when the token read ahead was wrong, and ignores the other", async () => {
    // A server whose list head carries a second "continue" before the list's metadata: the token
    // read ahead is that decoy, its request fails (410), and the list still reads page 2 and ends.
    h = await harness();
    const asked: string[] = [];
    const pages: Record<string, string> = {
      "": '{"kind":"PodList","apiVersion":"v1","note":{"continue":"decoy"},"metadata":{"resourceVersion":"1","continue":"p2"},"items":[{"metadata":{"name":"a"}}]}',
      p2: '{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[{"metadata":{"name":"b"}}]}',
    };
    const raw = createHttpServer((req, res) => {
      const cont = new URL(req.url ?? "/", "http://x").searchParams.get("continue") ?? "";
      asked.push(cont);
      const body = pages[cont];
      res.writeHead(body ? 200 : 410, { "Content-Type": "application/json" });
      res.end(body ?? '{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Expired","code":410}');
    });
    await new Promise<void>((r) => raw.listen(0, "127.0.0.1", r));
    redirect((raw.address() as { port: number }).port);
    try {
      const r = await client().list(POD, { map: (p) => (p.metadata as { name: string }).name });
      expect(r.items).toEqual(["a", "b"]);
      expect(r.restarts).toBe(0);
      expect([...asked].sort()).toEqual(["", "decoy", "p2"]);
    } finally {
      raw.close();
    }
  });

  it("reuses its connections: client-node's agent has no keep-alive, each page would open one", async () => {
    h = await harness();
    const proxy = await proxyInFront();
    try {
      const c = client({ pageSize: 1 });
      expect((await c.list(POD)).items).toHaveLength(5);
      expect((await c.list(POD)).items).toHaveLength(5);
      // 10 pages, one page ahead at most: two connections carry them all.
      expect(h.server.log.filter((e) => e.path === "/api/v1/pods")).toHaveLength(10);
      expect(proxy.connections()).toBeLessThanOrEqual(2);
    } finally {
      proxy.close();
    }
  });

  it("bounds the requests in flight across lists running at once", async () => {
    h = await harness();
    h.server.latencyMs = 30;
    const c = client({ pageSize: 1, concurrency: 2 });
    await Promise.all([c.list(POD), c.list(POD, { namespace: "team-a" }), c.list(DEPLOY), c.list(POD)]);
    expect(h.server.maxInFlight).toBe(2);
  });
});

describe("retries and errors", () => {
  it("honours Retry-After on 429 and retries 5xx", async () => {
    h = await harness();
    h.server.faults.push({ path: "/api/v1/pods", status: 429, retryAfter: 1, times: 1 });
    h.server.faults.push({ path: "/api/v1/pods", status: 500, times: 2 });
    const waits: { status?: number; delayMs: number }[] = [];
    const r = await client({ onRetry: (i) => waits.push(i) }).list(POD);
    expect(r.items.length).toBe(5);
    expect(waits.map((w) => w.status)).toEqual([429, 500, 500]);
    expect(waits[0]?.delayMs).toBe(1000);
    expect(h.server.log.filter((e) => e.path === "/api/v1/pods").map((e) => e.status)).toEqual([
      429, 500, 500, 200,
    ]);
  });

  it("gives up after maxRetries with a one-line error", async () => {
    h = await harness();
    h.server.faults.push({ path: "/api/v1/pods", status: 503, message: "etcd is down" });
    const err = await client({ maxRetries: 2 })
      .list(POD)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeError);
    expect((err as KubeError).code).toBe("http");
    expect((err as KubeError).message).toBe("list pods: HTTP 503 etcd is down");
    expect(h.server.log.filter((e) => e.path === "/api/v1/pods").length).toBe(3);
  });

  it("turns a 403 into a forbidden error naming the permission", async () => {
    h = await harness();
    h.server.denials.push({ verb: "list", resource: "deployments", namespace: "team-a" });
    const c = client();
    const err = (await c.list(DEPLOY, { namespace: "team-a" }).catch((e: unknown) => e)) as KubeError;
    expect(err.code).toBe("forbidden");
    expect(err.fatal).toBe(false);
    expect(err.permission).toEqual({ verb: "list", resource: "deployments.apps", namespace: "team-a" });
    expect(err.message).toBe(
      'forbidden: deployments.apps is forbidden: User "system:anonymous" cannot list resource "deployments" in API group "apps" in the namespace "team-a"',
    );
    // Other namespaces still answer.
    await expect(c.list(DEPLOY, { namespace: "default" })).resolves.toMatchObject({ items: [] });
  });

  it("get: the object, undefined on 404, metadata only on request", async () => {
    h = await harness();
    const c = client();
    const node = await c.get({ ...POD, resource: "nodes", kind: "Node", namespaced: false }, "node-1");
    expect(node?.kind).toBe("Node");
    expect((node!.status as { nodeInfo: { kubeletVersion: string } }).nodeInfo.kubeletVersion).toBe(
      "v1.30.4",
    );
    expect(await c.get(POD, "nope", { namespace: "default" })).toBeUndefined();
    const meta = await c.get(POD, "web-1", { namespace: "default", metadataOnly: true });
    expect(meta?.kind).toBe("PartialObjectMetadata");
    expect(meta?.spec).toBeUndefined();
    expect((meta!.metadata as { labels: Record<string, string> }).labels.app).toBe("web");
    expect(h.server.log.at(-1)?.accept).toContain("as=PartialObjectMetadata");
  });

  it("fails fast and clearly when nothing listens", async () => {
    h = await harness();
    await h.server.close();
    const err = (await client()
      .discover()
      .catch((e: unknown) => e)) as KubeError;
    expect(err.code).toBe("unreachable");
    expect(err.fatal).toBe(true);
    expect(err.message).toMatch(
      /^cannot reach the cluster at http:\/\/127\.0\.0\.1:\d+ \(context "fake"\): ECONNREFUSED$/,
    );
  });

  it("a refused token is fatal at discovery; the right one is sent as a bearer token", async () => {
    h = await harness({ tokens: { "good-token": "alice" }, token: "bad-token" });
    const err = (await client()
      .discover()
      .catch((e: unknown) => e)) as KubeError;
    expect(err.code).toBe("unauthorized");
    expect(err.message).not.toContain("bad-token");
    expect(err.message).toContain("401 Unauthorized");
    await h.close();
    h = await harness({ tokens: { "good-token": "alice" }, token: "good-token" });
    await client().discover();
    expect(h.server.log.every((e) => e.user === "alice")).toBe(true);
  });

  it("403 at discovery is fatal too", async () => {
    h = await harness();
    h.server.faults.push({ path: "/apis", status: 403, message: "no" });
    const err = (await client()
      .discover()
      .catch((e: unknown) => e)) as KubeError;
    expect(err.code).toBe("unauthorized");
    expect(err.fatal).toBe(true);
  });

  it("retries a connection dropped mid-answer", async () => {
    // A server that resets the first connection, then proxies nothing: the retry reaches the fake API.
    h = await harness();
    let first = true;
    const proxy = await proxyInFront((sock) => {
      if (!first) return false;
      first = false;
      sock.once("data", () => sock.resetAndDestroy());
      return true;
    });
    const retries: number[] = [];
    const r = await client({ onRetry: (i) => retries.push(i.attempt) }).list(POD);
    expect(r.items.length).toBe(5);
    expect(retries).toEqual([1]);
    proxy.close();
  });

  it("never writes", async () => {
    h = await harness();
    const c = client({ pageSize: 2 });
    await c.discover();
    await c.list(POD);
    await c.get(POD, "web-1", { namespace: "default" });
    expect(h.server.log.every((e) => e.method === "GET")).toBe(true);
  });
});
