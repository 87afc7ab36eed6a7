/**
 * A fake Kubernetes API server that speaks the real wire protocol, for the cluster audit's tests and
 * benchmark (nothing real can run a kube-apiserver here). What it implements, and where it is
 * specified:
 *  - discovery: `/api`, `/api/v1`, `/apis`, `/apis/<g>/<v>` (APIVersions, APIGroupList,
 *    APIResourceList), and aggregated discovery v2 when the Accept header asks for
 *    `as=APIGroupDiscoveryList` (https://github.com/kubernetes/enhancements/tree/master/keps/sig-api-machinery/3352-aggregated-discovery);
 *    `/version`;
 *  - lists with `limit`/`continue` served from a snapshot, `resourceVersion`, label and field
 *    selectors; `compact()` expires every issued continue token, which then gets the 410 `Expired`
 *    Status the real server sends (https://kubernetes.io/docs/reference/using-api/api-concepts/#retrieving-large-results-sets-in-chunks);
 *  - get by name (404 NotFound Status), metadata-only answers for
 *    `Accept: application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1`, and server-side printed
 *    `Table`s for `kubectl get` (`as=Table`);
 *  - watches (`?watch=1`): ADDED/MODIFIED/DELETED, BOOKMARK with `allowWatchBookmarks`,
 *    `sendInitialEvents=true` with the `k8s.io/initial-events-end` bookmark, an ERROR 410 event for a
 *    too-old resourceVersion, and `dropWatches()` to cut streams server-side
 *    (https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes);
 *  - RBAC-style denials with the real Forbidden message, bearer-token users (401 otherwise),
 *    injected faults per path (403/404/410/429 + Retry-After/500) and a request log.
 * Writes are refused (405) but logged, so tests can assert nothing was written, unless the server
 * is made `writable` (test/fakeapi/writes.ts: create/update/merge-patch/delete with
 * resourceVersion conflicts, and `restart()`).
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import { parseAllDocuments } from "yaml";
import { BUILTIN_RESOURCES, groupVersion, type ResourceDef, resourcesOfCrd } from "./resources.js";
import { type Matcher, parseFieldSelector, parseLabelSelector, SelectorError } from "./selectors.js";
import { type IncludeObject, partialMetadata, toTable } from "./tables.js";
import { handleWrite } from "./writes.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

export interface RequestLogEntry {
  method: string;
  path: string;
  query: Record<string, string>;
  accept: string;
  /** The Kubernetes verb: get, list, watch, create, update, patch, delete, or "discovery"/"other". */
  verb: string;
  group?: string;
  resource?: string;
  namespace?: string;
  name?: string;
  user: string;
  status: number;
}

export interface Fault {
  method?: string;
  /** Matched against the URL path (no query). */
  path: string | RegExp;
  /** Extra condition on the query, e.g. only requests that carry `continue`. */
  when?: (query: URLSearchParams) => boolean;
  status: number;
  /** How many requests it hits; default every one. */
  times?: number;
  /** Seconds, sent as `Retry-After`. */
  retryAfter?: number;
  reason?: string;
  message?: string;
}

export interface Denial {
  verb: string | "*";
  /** Plural resource, e.g. "pods"; "*" for all. */
  resource: string;
  group?: string;
  /** Only in this namespace; undefined = everywhere (cluster-wide lists too). */
  namespace?: string;
  user?: string;
}

export interface FakeApiOptions {
  gitVersion?: string;
  /** Bearer token -> user name. When set, requests without a known token get 401. */
  tokens?: Record<string, string>;
  /** Serve aggregated discovery v2 when asked (default true); off, clients must fall back. */
  aggregatedDiscovery?: boolean;
  /** Fixed clock for AGE columns and creationTimestamp defaults. */
  now?: number;
  /** With `tokens`: requests without any Authorization header pass as system:anonymous. */
  allowAnonymous?: boolean;
  /** Accept POST/PUT/PATCH/DELETE (default false: the scan's tests assert it never writes). */
  writable?: boolean;
  /**
   * Serve https with this key and certificate (PEM). With `clientCa`, client certificates signed by
   * it authenticate their CN as the user, as the API server's x509 authenticator does
   * (https://kubernetes.io/docs/reference/access-authn-authz/authentication/#x509-client-certificates).
   */
  tls?: { key: string; cert: string; clientCa?: string };
}

interface Snapshot {
  rv: number;
  items: Obj[];
}

interface Watcher {
  res: ServerResponse;
  rd: ResourceDef;
  namespace?: string;
  match: Matcher;
  bookmarks: boolean;
}

const BUILTIN_GROUPS = new Set(["", "apps", "batch", "coordination.k8s.io", "apiextensions.k8s.io"]);

export function status(code: number, reason: string, message: string, details?: Obj): Obj {
  const s: Obj = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason };
  if (details) s.details = details;
  s.code = code;
  return s;
}

const REASONS: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  410: "Expired",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
};

export class FakeApiServer {
  readonly log: RequestLogEntry[] = [];
  readonly faults: Fault[] = [];
  /**
   * What each node's kubelet answers to `GET /api/v1/nodes/<node>/proxy/configz` (the body as the
   * kubelet sends it). A node not in the map has an unreachable kubelet: the API server's proxy then
   * answers 503 with a Status, as it does for a kubelet it cannot dial.
   */
  readonly kubeletConfigz = new Map<string, Obj>();
  readonly denials: Denial[] = [];
  /** Added before every answer, so concurrent requests overlap (for the concurrency bound tests). */
  latencyMs = 0;
  /** Requests being answered now, and the most at once since start. */
  inFlight = 0;
  maxInFlight = 0;
  #server: Server | ReturnType<typeof createTlsServer>;
  #resources: ResourceDef[] = [...BUILTIN_RESOURCES];
  /** "group/resource" -> "ns/name" -> object. */
  #store = new Map<string, Map<string, Obj>>();
  #rv = 1000;
  #snapshots = new Map<string, Snapshot>();
  #watchers = new Set<Watcher>();
  #compactedRv = 0;
  /** Every change since the last compaction, so a watch from an older resourceVersion replays them. */
  #history: { rv: number; rd: ResourceDef; type: string; obj: Obj }[] = [];
  #opts: FakeApiOptions;
  /** Accept writes (see FakeApiOptions.writable); may be switched on after start. */
  writable: boolean;
  url = "";

  constructor(opts: FakeApiOptions = {}) {
    this.#opts = opts;
    this.writable = opts.writable === true;
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      res.on("close", () => this.inFlight--);
      this.#handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) this.#send(res, 500, status(500, "InternalError", String(err)));
        else res.destroy();
      });
    };
    const tls = opts.tls;
    this.#server = tls
      ? createTlsServer(
          {
            key: tls.key,
            cert: tls.cert,
            requestCert: tls.clientCa !== undefined,
            rejectUnauthorized: false,
            ...(tls.clientCa ? { ca: tls.clientCa } : {}),
          },
          handler,
        )
      : createServer(handler);
  }

  static async start(opts: FakeApiOptions & { objects?: Obj[]; fixtures?: string[] } = {}) {
    const s = new FakeApiServer(opts);
    for (const f of opts.fixtures ?? []) s.loadYaml(readFileSync(f, "utf8"));
    for (const o of opts.objects ?? []) s.add(o);
    await new Promise<void>((resolve) => s.#server.listen(0, "127.0.0.1", resolve));
    s.url = `${opts.tls ? "https" : "http"}://127.0.0.1:${(s.#server.address() as AddressInfo).port}`;
    return s;
  }

  async close(): Promise<void> {
    for (const w of this.#watchers) w.res.end();
    this.#watchers.clear();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /**
   * A kubeconfig for this server: over http with insecure-skip-tls-verify (client-node refuses http
   * without it), or over https trusting `ca` (PEM) and, with `clientCert`, authenticating by certificate.
   */
  kubeconfig(
    opts: {
      token?: string;
      context?: string;
      namespace?: string;
      ca?: string;
      clientCert?: { cert: string; key: string };
    } = {},
  ): string {
    const ctx = opts.context ?? "fake";
    const b64 = (t: string) => Buffer.from(t).toString("base64");
    const user = opts.token
      ? `{token: ${JSON.stringify(opts.token)}}`
      : opts.clientCert
        ? `{client-certificate-data: ${b64(opts.clientCert.cert)}, client-key-data: ${b64(opts.clientCert.key)}}`
        : "{}";
    const ns = opts.namespace ? `, namespace: ${opts.namespace}` : "";
    const trust = opts.ca ? `certificate-authority-data: ${b64(opts.ca)}` : "insecure-skip-tls-verify: true";
    return [
      "apiVersion: v1",
      "kind: Config",
      `clusters: [{name: ${ctx}, cluster: {server: "${this.url}", ${trust}}}]`,
      `contexts: [{name: ${ctx}, context: {cluster: ${ctx}, user: ${ctx}${ns}}}]`,
      `current-context: ${ctx}`,
      `users: [{name: ${ctx}, user: ${user}}]`,
      "",
    ].join("\n");
  }

  // --- the object store -------------------------------------------------------------------------

  loadYaml(text: string): void {
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0) throw new Error(`fixture YAML: ${doc.errors[0]?.message}`);
      const v: unknown = doc.toJS();
      if (v === null || v === undefined) continue;
      if (!isObj(v)) throw new Error("fixture YAML: a document is not a mapping");
      if (typeof v.kind === "string" && v.kind.endsWith("List") && Array.isArray(v.items)) {
        for (const item of v.items) if (isObj(item)) this.add(item);
      } else this.add(v);
    }
  }

  resourceFor(apiVersion: string, kind: string): ResourceDef | undefined {
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
    return this.#resources.find((r) => r.group === group && r.version === version && r.kind === kind);
  }

  get resources(): readonly ResourceDef[] {
    return this.#resources;
  }

  /** Adds or replaces an object (defaults uid, resourceVersion, creationTimestamp) and notifies watchers. */
  add(obj: Obj): Obj {
    const rd = this.resourceFor(String(obj.apiVersion ?? ""), String(obj.kind ?? ""));
    if (!rd)
      throw new Error(`fake API: no served resource for ${String(obj.apiVersion)} ${String(obj.kind)}`);
    const md = isObj(obj.metadata) ? { ...obj.metadata } : {};
    if (typeof md.name !== "string") throw new Error(`fake API: ${String(obj.kind)} without metadata.name`);
    if (rd.namespaced) md.namespace ??= "default";
    else delete md.namespace;
    const key = this.#key(md);
    const table = this.#table(rd);
    const prev = table.get(key);
    md.uid ??= (prev?.metadata as Obj | undefined)?.uid ?? randomUUID();
    md.creationTimestamp ??= new Date(this.#opts.now ?? Date.now()).toISOString().replace(/\.\d+Z$/, "Z");
    md.resourceVersion = String(++this.#rv);
    const stored = { ...obj, metadata: md };
    table.set(key, stored);
    if (rd.kind === "CustomResourceDefinition") {
      for (const r of resourcesOfCrd(stored))
        if (!this.resourceFor(groupVersion(r), r.kind)) this.#resources.push(r);
    }
    this.#notify(rd, prev ? "MODIFIED" : "ADDED", stored);
    return stored;
  }

  remove(apiVersion: string, kind: string, name: string, namespace?: string): void {
    const rd = this.resourceFor(apiVersion, kind);
    if (!rd) return;
    const table = this.#table(rd);
    const key = this.#key({ name, namespace: rd.namespaced ? (namespace ?? "default") : undefined });
    const prev = table.get(key);
    if (!prev) return;
    table.delete(key);
    this.#rv++;
    this.#notify(rd, "DELETED", {
      ...prev,
      metadata: { ...(prev.metadata as Obj), resourceVersion: String(this.#rv) },
    });
  }

  /** Drops a served resource (as when a CRD is deleted): its API disappears from discovery. */
  unserve(group: string, resource: string): void {
    this.#resources = this.#resources.filter((r) => !(r.group === group && r.resource === resource));
  }

  /** Expires every continue token and watch resourceVersion issued so far (etcd compaction). */
  compact(): void {
    this.#compactedRv = this.#rv;
    this.#snapshots.clear();
    this.#history = [];
  }

  /**
   * An API server restart as clients see it: every watch stream is cut and the watch cache starts
   * empty, so resuming from an older resourceVersion gets 410 and clients must list again.
   */
  restart(): void {
    this.dropWatches();
    this.compact();
  }

  /** The stored object (without kind/apiVersion), or undefined. */
  stored(rd: ResourceDef, namespace: string | undefined, name: string): Obj | undefined {
    return this.#table(rd).get(this.#key({ name, namespace: rd.namespaced ? namespace : undefined }));
  }

  /** Cuts every open watch stream, as an API server restart or a load balancer timeout would. */
  dropWatches(): void {
    for (const w of this.#watchers) w.res.destroy();
    this.#watchers.clear();
  }

  /** Sends a BOOKMARK to every watcher that allowed them. */
  bookmark(): void {
    for (const w of this.#watchers) {
      if (w.bookmarks) this.#event(w, "BOOKMARK", this.#bookmarkObject(w.rd, false));
    }
  }

  get resourceVersion(): string {
    return String(this.#rv);
  }

  #table(rd: ResourceDef): Map<string, Obj> {
    const k = `${rd.group}/${rd.resource}`;
    let t = this.#store.get(k);
    if (!t) {
      t = new Map();
      this.#store.set(k, t);
    }
    return t;
  }

  #key(md: Obj): string {
    return `${typeof md.namespace === "string" ? md.namespace : ""}/${String(md.name)}`;
  }

  // --- HTTP -------------------------------------------------------------------------------------

  #send(res: ServerResponse, code: number, body: Obj, contentType = "application/json", headers: Obj = {}) {
    const text = JSON.stringify(body);
    res.writeHead(code, {
      "Content-Type": contentType,
      "Content-Length": Buffer.byteLength(text),
      ...(headers as Record<string, string>),
    });
    res.end(text);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? "/", "http://x");
    const accept = req.headers.accept ?? "";
    const entry: RequestLogEntry = {
      method: req.method ?? "GET",
      path: u.pathname,
      query: Object.fromEntries(u.searchParams),
      accept,
      verb: "other",
      user: "system:anonymous",
      status: 0,
    };
    this.log.push(entry);
    const reply = (code: number, body: Obj, ct?: string, headers?: Obj) => {
      entry.status = code;
      this.#send(res, code, body, ct, headers);
    };
    // Drain any request body (writes are refused, but read fully so the socket stays usable).
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));

    const proxy = /^\/api\/v1\/nodes\/([^/]+)\/proxy\/configz$/.exec(u.pathname);
    if (proxy) {
      entry.resource = "nodes/proxy";
      entry.name = decodeURIComponent(proxy[1] ?? "");
      entry.verb = entry.method === "GET" ? "get" : "other";
    }
    const route = this.#route(u.pathname);
    if (proxy) {
      /* handled after authentication and faults */
    } else if (route.kind === "resource") {
      entry.resource = route.rd.resource;
      entry.group = route.rd.group;
      if (route.namespace) entry.namespace = route.namespace;
      if (route.name) entry.name = route.name;
      const m = entry.method;
      entry.verb =
        m === "GET"
          ? route.name
            ? "get"
            : u.searchParams.get("watch") === "1" || u.searchParams.get("watch") === "true"
              ? "watch"
              : "list"
          : m === "POST"
            ? "create"
            : m === "PUT"
              ? "update"
              : m === "PATCH"
                ? "patch"
                : m === "DELETE"
                  ? route.name
                    ? "delete"
                    : "deletecollection"
                  : "other";
    } else if (route.kind !== "notfound") entry.verb = "discovery";

    // Authentication: a verified client certificate's CN, else a bearer token.
    const sock = req.socket as Partial<TLSSocket>;
    if (sock.authorized === true && typeof sock.getPeerCertificate === "function") {
      const cn = sock.getPeerCertificate().subject?.CN;
      if (typeof cn === "string" && cn) entry.user = Array.isArray(cn) ? String(cn[0]) : cn;
    }
    const tokens = this.#opts.tokens;
    if (tokens && entry.user === "system:anonymous") {
      const auth = req.headers.authorization ?? "";
      const user = auth.startsWith("Bearer ") ? tokens[auth.slice(7)] : undefined;
      if (!user && !(auth === "" && this.#opts.allowAnonymous))
        return reply(401, status(401, "Unauthorized", "Unauthorized"));
      if (user) entry.user = user;
    }

    // Injected faults.
    for (const f of this.faults) {
      if (f.times !== undefined && f.times <= 0) continue;
      if (f.method && f.method !== entry.method) continue;
      if (typeof f.path === "string" ? f.path !== u.pathname : !f.path.test(u.pathname)) continue;
      if (f.when && !f.when(u.searchParams)) continue;
      if (f.times !== undefined) f.times--;
      const headers: Obj = {};
      if (f.retryAfter !== undefined) headers["Retry-After"] = String(f.retryAfter);
      const reason = f.reason ?? REASONS[f.status] ?? "Unknown";
      const details: Obj | undefined =
        f.retryAfter !== undefined ? { retryAfterSeconds: f.retryAfter } : undefined;
      return reply(
        f.status,
        status(f.status, reason, f.message ?? `injected ${f.status} for ${u.pathname}`, details),
        "application/json",
        headers,
      );
    }

    if (proxy && entry.name !== undefined) {
      const body = this.kubeletConfigz.get(entry.name);
      if (!body)
        return reply(
          503,
          status(
            503,
            "ServiceUnavailable",
            `error trying to reach service: dial tcp 10.0.0.1:10250: i/o timeout`,
          ),
        );
      return reply(200, body);
    }
    switch (route.kind) {
      case "version": {
        const gv = this.#opts.gitVersion ?? "v1.35.0";
        const [maj, min] = gv.replace(/^v/, "").split(".");
        return reply(200, {
          major: maj,
          minor: min,
          gitVersion: gv,
          gitCommit: "0000000000000000000000000000000000000000",
          gitTreeState: "clean",
          buildDate: "2026-01-01T00:00:00Z",
          goVersion: "go1.25.0",
          compiler: "gc",
          platform: "linux/amd64",
        });
      }
      case "api":
        if (this.#wantsAggregated(accept)) return this.#aggregated(reply, true);
        return reply(200, {
          kind: "APIVersions",
          versions: ["v1"],
          serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: u.host }],
        });
      case "apis":
        if (this.#wantsAggregated(accept)) return this.#aggregated(reply, false);
        return reply(200, this.#groupList());
      case "group": {
        const g = this.#groupList().groups as Obj[];
        const found = g.find((x) => x.name === route.group);
        if (!found)
          return reply(404, status(404, "NotFound", "the server could not find the requested resource"));
        return reply(200, { kind: "APIGroup", apiVersion: "v1", ...found });
      }
      case "groupversion": {
        const rs = this.#resources.filter((r) => r.group === route.group && r.version === route.version);
        if (rs.length === 0)
          return reply(404, status(404, "NotFound", "the server could not find the requested resource"));
        return reply(200, {
          kind: "APIResourceList",
          apiVersion: "v1",
          groupVersion: groupVersion({ group: route.group, version: route.version }),
          resources: rs.map((r) => this.#apiResource(r)),
        });
      }
      case "notfound":
        return reply(404, status(404, "NotFound", "the server could not find the requested resource"));
      case "resource":
        break;
    }
    const { rd } = route;

    // Authorization (RBAC-style denials), with the message the real authorizer writes.
    const denial = this.denials.find(
      (d) =>
        (d.verb === "*" || d.verb === entry.verb) &&
        (d.resource === "*" || d.resource === rd.resource) &&
        (d.group === undefined || d.group === rd.group) &&
        (d.user === undefined || d.user === entry.user) &&
        (d.namespace === undefined || d.namespace === route.namespace),
    );
    if (denial) {
      const what = route.name
        ? `${rd.resource}${rd.group ? `.${rd.group}` : ""} "${route.name}"`
        : rd.resource;
      const res0 = rd.group ? `${rd.resource}.${rd.group}` : rd.resource;
      const scope = route.namespace ? `in the namespace "${route.namespace}"` : "at the cluster scope";
      const msg = `${route.name ? what : res0} is forbidden: User "${entry.user}" cannot ${entry.verb} resource "${rd.resource}" in API group "${rd.group}" ${scope}`;
      const details: Obj = { kind: rd.resource };
      if (rd.group) details.group = rd.group;
      if (route.name) details.name = route.name;
      return reply(403, status(403, "Forbidden", msg, details));
    }

    if (entry.method !== "GET" && this.writable) {
      handleWrite(this, {
        rd,
        ...(route.namespace !== undefined ? { namespace: route.namespace } : {}),
        ...(route.name !== undefined ? { name: route.name } : {}),
        method: entry.method,
        contentType: String(req.headers["content-type"] ?? ""),
        body,
        reply: (code, obj) => {
          reply(code, obj);
          return true;
        },
      });
      return;
    }
    if (entry.method !== "GET") {
      return reply(
        405,
        status(405, "MethodNotAllowed", `the fake API server is read-only: ${entry.method} refused`),
      );
    }
    if (entry.verb === "watch") {
      entry.status = 200;
      return this.#watch(rd, route.namespace, u.searchParams, res);
    }
    if (entry.verb === "get") return this.#get(rd, route.namespace, route.name as string, accept, reply);
    return this.#list(rd, route.namespace, u.searchParams, accept, reply);
  }

  #route(
    path: string,
  ):
    | { kind: "version" | "api" | "apis" | "notfound" }
    | { kind: "group"; group: string }
    | { kind: "groupversion"; group: string; version: string }
    | { kind: "resource"; rd: ResourceDef; namespace?: string; name?: string } {
    const seg = path.split("/").filter((s) => s !== "");
    if (seg[0] === "version" && seg.length === 1) return { kind: "version" };
    let group: string;
    let version: string | undefined;
    let rest: string[];
    if (seg[0] === "api") {
      if (seg.length === 1) return { kind: "api" };
      group = "";
      version = seg[1];
      rest = seg.slice(2);
    } else if (seg[0] === "apis") {
      if (seg.length === 1) return { kind: "apis" };
      group = seg[1] as string;
      if (seg.length === 2) return { kind: "group", group };
      version = seg[2];
      rest = seg.slice(3);
    } else return { kind: "notfound" };
    if (!version) return { kind: "notfound" };
    if (rest.length === 0) return { kind: "groupversion", group, version };
    let namespace: string | undefined;
    if (rest[0] === "namespaces" && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const rd = this.#resources.find(
      (r) => r.group === group && r.version === version && r.resource === rest[0],
    );
    if (!rd || rest.length > 2 || (namespace !== undefined && !rd.namespaced)) return { kind: "notfound" };
    const out: { kind: "resource"; rd: ResourceDef; namespace?: string; name?: string } = {
      kind: "resource",
      rd,
    };
    if (namespace !== undefined) out.namespace = namespace;
    if (rest[1] !== undefined) out.name = rest[1];
    return out;
  }

  #wantsAggregated(accept: string): boolean {
    if (this.#opts.aggregatedDiscovery === false) return false;
    return accept.split(",").some((a) => a.includes("as=APIGroupDiscoveryList") && /;\s*v=v2(;|$)/.test(a));
  }

  #apiResource(r: ResourceDef): Obj {
    const o: Obj = {
      name: r.resource,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
    };
    if (r.shortNames) o.shortNames = r.shortNames;
    if (r.categories) o.categories = r.categories;
    return o;
  }

  #groupsInOrder(): { name: string; versions: string[] }[] {
    const out: { name: string; versions: string[] }[] = [];
    for (const r of this.#resources) {
      let g = out.find((x) => x.name === r.group);
      if (!g) {
        g = { name: r.group, versions: [] };
        out.push(g);
      }
      if (!g.versions.includes(r.version)) g.versions.push(r.version);
    }
    return out;
  }

  #groupList(): Obj {
    const groups = this.#groupsInOrder()
      .filter((g) => g.name !== "")
      .map((g) => {
        const versions = g.versions.map((v) => ({ groupVersion: `${g.name}/${v}`, version: v }));
        return { name: g.name, versions, preferredVersion: versions[0] };
      });
    return { kind: "APIGroupList", apiVersion: "v1", groups };
  }

  #aggregated(reply: (code: number, body: Obj, ct?: string) => void, core: boolean) {
    const items = this.#groupsInOrder()
      .filter((g) => (g.name === "") === core)
      .map((g) => ({
        metadata: { name: g.name, creationTimestamp: null },
        versions: g.versions.map((v) => ({
          version: v,
          resources: this.#resources
            .filter((r) => r.group === g.name && r.version === v)
            .map((r) => {
              const o: Obj = {
                resource: r.resource,
                responseKind: { group: "", version: "", kind: r.kind },
                scope: r.namespaced ? "Namespaced" : "Cluster",
                singularResource: r.singular,
                verbs: r.verbs,
              };
              if (r.shortNames) o.shortNames = r.shortNames;
              if (r.categories) o.categories = r.categories;
              return o;
            }),
          freshness: "Current",
        })),
      }));
    reply(
      200,
      { kind: "APIGroupDiscoveryList", apiVersion: "apidiscovery.k8s.io/v2", metadata: {}, items },
      "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
    );
  }

  #withType(rd: ResourceDef, o: Obj): Obj {
    return { apiVersion: groupVersion(rd), kind: rd.kind, ...o };
  }

  /** Built-in list items carry no kind/apiVersion on the wire; custom resources do. */
  #asListItem(rd: ResourceDef, o: Obj): Obj {
    if (!BUILTIN_GROUPS.has(rd.group)) return this.#withType(rd, o);
    const { kind: _k, apiVersion: _a, ...rest } = o;
    return rest;
  }

  #get(
    rd: ResourceDef,
    namespace: string | undefined,
    name: string,
    accept: string,
    reply: (code: number, body: Obj, ct?: string) => void,
  ) {
    const key = this.#key({ name, namespace: rd.namespaced ? namespace : undefined });
    const o = this.#table(rd).get(key);
    if (!o || (rd.namespaced && namespace === undefined)) {
      const what = rd.group ? `${rd.resource}.${rd.group}` : rd.resource;
      const details: Obj = { name, kind: rd.resource };
      if (rd.group) details.group = rd.group;
      return reply(404, status(404, "NotFound", `${what} "${name}" not found`, details));
    }
    const as = this.#asParam(accept);
    if (as === "PartialObjectMetadata") return reply(200, partialMetadata(o));
    if (as === "Table") {
      return reply(
        200,
        toTable(rd.kind, [o], { resourceVersion: String(this.#rv) }, "PartialObjectMetadata"),
      );
    }
    reply(200, this.#withType(rd, o));
  }

  #asParam(accept: string): string | undefined {
    // The first acceptable media type wins, as content negotiation in the server does.
    for (const part of accept.split(",")) {
      const m = /;\s*as=([A-Za-z]+)/.exec(part);
      if (!m) return undefined;
      if (m[1] === "Table" || m[1] === "PartialObjectMetadata" || m[1] === "PartialObjectMetadataList")
        return m[1] === "PartialObjectMetadataList" ? "PartialObjectMetadata" : m[1];
    }
    return undefined;
  }

  /** The request's label and field selectors as one matcher, or the parse error's message. */
  #matcher(q: URLSearchParams): Matcher | string {
    try {
      const ls = q.get("labelSelector");
      const fs = q.get("fieldSelector");
      const l = ls ? parseLabelSelector(ls) : undefined;
      const f = fs ? parseFieldSelector(fs) : undefined;
      return (o) => (!l || l(o)) && (!f || f(o));
    } catch (e) {
      if (e instanceof SelectorError) return e.message;
      throw e;
    }
  }

  #select(rd: ResourceDef, namespace: string | undefined, q: URLSearchParams): Obj[] | string {
    const match = this.#matcher(q);
    if (typeof match === "string") return match;
    const out: Obj[] = [];
    const keys = [...this.#table(rd).keys()].sort();
    for (const k of keys) {
      const o = this.#table(rd).get(k) as Obj;
      if (namespace !== undefined && (o.metadata as Obj).namespace !== namespace) continue;
      if (match(o)) out.push(o);
    }
    return out;
  }

  #list(
    rd: ResourceDef,
    namespace: string | undefined,
    q: URLSearchParams,
    accept: string,
    reply: (code: number, body: Obj, ct?: string) => void,
  ) {
    const limit = Number(q.get("limit") ?? "0");
    const cont = q.get("continue");
    let snap: Snapshot;
    let start = 0;
    let token = "";
    if (cont) {
      const [id, at] = cont.split(":");
      const s = id ? this.#snapshots.get(id) : undefined;
      if (!s) {
        // The message and reason are the real server's (staging/src/k8s.io/apiserver/pkg/storage/errors.go).
        return reply(
          410,
          status(
            410,
            "Expired",
            "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
          ),
        );
      }
      snap = s;
      start = Number(at);
      token = id as string;
    } else {
      const rv = q.get("resourceVersion");
      if (rv && rv !== "0" && q.get("resourceVersionMatch") === "Exact" && Number(rv) <= this.#compactedRv) {
        return reply(
          410,
          status(410, "Expired", `too old resource version: ${rv} (${this.#compactedRv + 1})`),
        );
      }
      const items = this.#select(rd, namespace, q);
      if (typeof items === "string") return reply(400, status(400, "BadRequest", items));
      snap = { rv: this.#rv, items };
    }
    const end = limit > 0 ? Math.min(start + limit, snap.items.length) : snap.items.length;
    const page = snap.items.slice(start, end);
    const meta: Obj = { resourceVersion: String(snap.rv) };
    if (end < snap.items.length) {
      if (!token) {
        token = randomUUID();
        this.#snapshots.set(token, snap);
      }
      meta.continue = `${token}:${end}`;
      meta.remainingItemCount = snap.items.length - end;
    } else if (token) this.#snapshots.delete(token);
    const as = this.#asParam(accept);
    if (as === "Table") {
      const include = (q.get("includeObject") ?? "PartialObjectMetadata") as IncludeObject;
      return reply(200, toTable(rd.kind, page, meta, include));
    }
    if (as === "PartialObjectMetadata") {
      return reply(200, {
        kind: "PartialObjectMetadataList",
        apiVersion: "meta.k8s.io/v1",
        metadata: meta,
        items: page.map((o) => ({ metadata: o.metadata })),
      });
    }
    reply(200, {
      kind: `${rd.kind}List`,
      apiVersion: groupVersion(rd),
      metadata: meta,
      items: page.map((o) => this.#asListItem(rd, o)),
    });
  }

  // --- watch ------------------------------------------------------------------------------------

  #bookmarkObject(rd: ResourceDef, initialEnd: boolean): Obj {
    const md: Obj = { resourceVersion: String(this.#rv) };
    if (initialEnd) md.annotations = { "k8s.io/initial-events-end": "true" };
    return { kind: rd.kind, apiVersion: groupVersion(rd), metadata: md };
  }

  #event(w: Watcher, type: string, object: Obj) {
    w.res.write(`${JSON.stringify({ type, object })}\n`);
  }

  #notify(rd: ResourceDef, type: string, obj: Obj) {
    this.#history.push({ rv: this.#rv, rd, type, obj });
    if (this.#history.length > 100_000) this.#history.splice(0, 50_000);
    for (const w of this.#watchers) {
      if (w.rd.group !== rd.group || w.rd.resource !== rd.resource) continue;
      if (w.namespace !== undefined && (obj.metadata as Obj).namespace !== w.namespace) continue;
      if (!w.match(obj)) continue;
      this.#event(w, type, this.#withType(rd, obj));
    }
  }

  #watch(rd: ResourceDef, namespace: string | undefined, q: URLSearchParams, res: ServerResponse) {
    const match = this.#matcher(q);
    if (typeof match === "string") return this.#send(res, 400, status(400, "BadRequest", match));
    res.writeHead(200, { "Content-Type": "application/json", "Transfer-Encoding": "chunked" });
    // The real server flushes the headers at once, so clients see the watch open before any event.
    res.flushHeaders();
    const w: Watcher = { res, rd, match, bookmarks: q.get("allowWatchBookmarks") === "true" };
    if (namespace !== undefined) w.namespace = namespace;
    const rv = q.get("resourceVersion");
    if (rv && rv !== "0" && Number(rv) <= this.#compactedRv) {
      // The real server answers 200 and then one ERROR event carrying a 410 Status.
      this.#event(
        w,
        "ERROR",
        status(410, "Expired", `too old resource version: ${rv} (${this.#compactedRv + 1})`),
      );
      res.end();
      return;
    }
    if (q.get("sendInitialEvents") === "true") {
      const items = this.#select(rd, namespace, q);
      if (typeof items !== "string") for (const o of items) this.#event(w, "ADDED", this.#withType(rd, o));
      if (w.bookmarks) this.#event(w, "BOOKMARK", this.#bookmarkObject(rd, true));
    } else if (rv && rv !== "0") {
      // The changes after the client's version, as the watch cache replays them.
      for (const h of this.#history) {
        if (h.rv <= Number(rv) || h.rd.group !== rd.group || h.rd.resource !== rd.resource) continue;
        if (namespace !== undefined && (h.obj.metadata as Obj).namespace !== namespace) continue;
        if (match(h.obj)) this.#event(w, h.type, this.#withType(rd, h.obj));
      }
    }
    this.#watchers.add(w);
    res.on("close", () => this.#watchers.delete(w));
  }
}
