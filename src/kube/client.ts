/**
 * The cluster client: read-only access to the Kubernetes API for the audit.
 *
 *   const client = ClusterClient.fromKubeConfig({ kubeconfig, context });
 *   const api = await client.discover();                 // fatal KubeError when unreachable / refused
 *   const deploy = api.find({ group: "apps", kind: "Deployment" });
 *   const { items } = await client.list(deploy, { map: trim });  // every page, `limit` 500 + `continue`
 *   const owner = await client.get(ref, name, { namespace, metadataOnly: true });  // undefined on 404
 *   for await (const ev of client.watch(ref, { resourceVersion })) …  // one stream; 410 -> "expired"
 *
 * client-node (`KubeConfig`) loads the kubeconfig and does the auth (tokens, client certificates,
 * exec plugins, the in-cluster token), through `applyToHTTPSOptions`; the GETs themselves go through
 * node:http(s) with the agent it builds, and each page's body is parsed once with JSON.parse and
 * handed to the caller's `map`, so only what the caller keeps stays in memory (the typed client
 * builds class instances for every field, which costs ~1.6x the time on 50,000 pods).
 *
 * Behaviour (https://kubernetes.io/docs/reference/using-api/api-concepts/):
 *  - lists are paged (`limit`, `continue`); a 410 Gone on a continue token restarts that list;
 *    the next page is asked for while the current one is parsed (one page ahead per list);
 *  - at most `concurrency` requests are in flight; several lists can run at once;
 *  - 429 and 5xx are retried with exponential backoff, honouring `Retry-After`
 *    (https://kubernetes.io/docs/concepts/cluster-administration/flow-control/);
 *  - a 403 becomes a `KubeError` with code "forbidden" and the missing `permission`, which the
 *    scan turns into a coverage entry; unreachable / 401 / 403 at discovery are fatal KubeErrors.
 * The audit's reads are GETs only; `send` is the one door for writes (src/kube/writer.ts, used by
 * `scan --publish` and the controller, never by `scan`).
 */
import http from "node:http";
import https from "node:https";
import type { JsonObject } from "../core/workload.js";
import { type KubeConfigOptions, type LoadedKubeConfig, loadKubeConfig } from "./config.js";
import { KubeError, resourceName } from "./errors.js";
import {
  apiVersionOf,
  type GroupKind,
  parseApiVersion,
  type ResourceRef,
  resourcePath,
} from "./resources.js";

export interface ClusterClientOptions {
  /** Requests in flight at once (default 4). */
  concurrency?: number;
  /** Page size of lists (default 500, kubectl's --chunk-size default). */
  pageSize?: number;
  /** Retries of a request on 429 / 5xx / a dropped connection (default 5). */
  maxRetries?: number;
  /** First backoff step in ms, doubled per retry (default 250). */
  retryBaseMs?: number;
  /** Cap on one wait, whatever Retry-After says (default 60 s). */
  maxRetryAfterMs?: number;
  /** Per-request timeout (default 60 s). */
  timeoutMs?: number;
  userAgent?: string;
  onRetry?: (info: { path: string; status?: number; attempt: number; delayMs: number }) => void;
}

export interface ListOptions<T> {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Ask for PartialObjectMetadata items (metadata only). */
  metadataOnly?: boolean;
  /** Called on every item as its page arrives; undefined drops it. Items carry kind and apiVersion. */
  map?: (item: JsonObject) => T | undefined;
}

export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
  /** How many times the list restarted after its continue token expired (410). */
  restarts: number;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Start after this version (from a list or the last event); absent = from now, or with initial events. */
  resourceVersion?: string;
  /** Ask for BOOKMARK events (default true), so a resumed watch rarely gets 410. */
  allowWatchBookmarks?: boolean;
  /** Stream the current state first as ADDED events, ended by a bookmark (WatchList, KEP-3157). */
  sendInitialEvents?: boolean;
  /** The server ends the watch after this long (client-go picks 5–10 min at random). */
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

export interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK";
  object: JsonObject;
}

export interface ServedResource extends ResourceRef {
  verbs: readonly string[];
}

const ACCEPT_JSON = "application/json";
const ACCEPT_AGGREGATED =
  "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";
const ACCEPT_META = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json";
const ACCEPT_META_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";
/** Network errors worth a retry: the connection broke after it was made. */
const TRANSIENT = new Set([
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ECONNABORTED",
  "UND_ERR_SOCKET",
  "KRA_TIMEOUT",
]);

interface WriteRequest {
  method: "POST" | "PUT" | "PATCH" | "DELETE";
  body: string | undefined;
  contentType: string;
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body, decoded as UTF-8 while it arrives (every caller reads it as text: JSON or a kubelet page). */
  body: string;
}

const isObj = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What the server serves, from discovery. Versions are kept in the server's preference order. */
export class Discovery {
  readonly resources: readonly ServedResource[];
  /** Groups whose discovery failed (a broken aggregated API): their kinds count as not served. */
  readonly failedGroups: readonly string[];

  constructor(resources: readonly ServedResource[], failedGroups: readonly string[] = []) {
    this.resources = resources;
    this.failedGroups = failedGroups;
  }

  /** The preferred served version of a kind, or undefined when the API does not serve it. */
  find(gk: GroupKind): ServedResource | undefined {
    return this.resources.find((r) => r.group === gk.group && r.kind === gk.kind);
  }

  /** The resource for an exact apiVersion + kind (as an ownerReference names it). */
  forApiVersion(apiVersion: string, kind: string): ServedResource | undefined {
    const { group, version } = parseApiVersion(apiVersion);
    return (
      this.resources.find((r) => r.group === group && r.version === version && r.kind === kind) ??
      // The owner's stored version may no longer be served while another version of the kind is.
      this.find({ group, kind })
    );
  }
}

class Semaphore {
  #free: number;
  #waiting: (() => void)[] = [];
  constructor(n: number) {
    this.#free = Math.max(1, n);
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((r) => this.#waiting.push(r));
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    }
  }
}

/**
 * The `continue` token of a list page, read from the head of its JSON body without parsing it: the
 * API server writes a list's `metadata` before its `items` (the Go struct's field order). Undefined
 * when the head does not have it in that shape; the caller checks the guess against the parsed page.
 */
export function continueAhead(body: string): string | undefined {
  const head = body.slice(0, 8192);
  const items = head.indexOf('"items"');
  const at = head.indexOf('"continue":"');
  if (at < 0 || (items >= 0 && items < at)) return undefined;
  const start = at + '"continue":"'.length;
  const end = head.indexOf('"', start);
  if (end < 0) return undefined;
  const token = head.slice(start, end);
  // An escaped character would need JSON decoding: leave such a token to the parser.
  return token && !token.includes("\\") ? token : undefined;
}

/** Seconds or an HTTP date (RFC 9110 §10.2.3), in ms; undefined when absent or unreadable. */
export function parseRetryAfter(v: string | undefined, now = Date.now()): number | undefined {
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

export class ClusterClient {
  readonly config: LoadedKubeConfig;
  /** The server URL without a trailing slash (it may carry a path prefix, as proxies use). */
  readonly server: string;
  #opts: Required<Omit<ClusterClientOptions, "onRetry">> & Pick<ClusterClientOptions, "onRetry">;
  #limit: Semaphore;
  /** client-node's agents, each with its keep-alive twin (see #keepAlive). */
  #agents = new WeakMap<http.Agent, http.Agent>();

  constructor(config: LoadedKubeConfig, opts: ClusterClientOptions = {}) {
    this.config = config;
    this.server = config.cluster.server.replace(/\/+$/, "");
    this.#opts = {
      concurrency: opts.concurrency ?? 4,
      pageSize: opts.pageSize ?? 500,
      maxRetries: opts.maxRetries ?? 5,
      retryBaseMs: opts.retryBaseMs ?? 250,
      maxRetryAfterMs: opts.maxRetryAfterMs ?? 60_000,
      timeoutMs: opts.timeoutMs ?? 60_000,
      userAgent: opts.userAgent ?? "kube-runtime-audit",
      onRetry: opts.onRetry,
    };
    this.#limit = new Semaphore(this.#opts.concurrency);
  }

  static fromKubeConfig(opts: KubeConfigOptions & ClusterClientOptions = {}): ClusterClient {
    return new ClusterClient(loadKubeConfig(opts), opts);
  }

  /** `GET /version`: the server's gitVersion ("v1.35.0"). */
  async version(): Promise<string> {
    const r = await this.#request("/version", {}, ACCEPT_JSON);
    if (r.status !== 200) throw this.#discoveryError(r, "/version");
    const v = this.#json(r, "/version");
    return isObj(v) && typeof v.gitVersion === "string" ? v.gitVersion : "";
  }

  /**
   * What the server serves: aggregated discovery v2 (two requests) when the server offers it, else
   * the legacy documents (`/api`, `/apis`, then one per group version). Unreachable, 401 and 403 here
   * are fatal.
   */
  async discover(): Promise<Discovery> {
    const [core, groups] = await Promise.all([
      this.#request("/api", {}, ACCEPT_AGGREGATED),
      this.#request("/apis", {}, ACCEPT_AGGREGATED),
    ]);
    for (const [r, p] of [
      [core, "/api"],
      [groups, "/apis"],
    ] as const) {
      if (r.status !== 200) throw this.#discoveryError(r, p);
    }
    const aggregated = (r: RawResponse) =>
      String(r.headers["content-type"] ?? "").includes("as=APIGroupDiscoveryList");
    if (aggregated(core) && aggregated(groups)) {
      return new Discovery([
        ...this.#fromAggregated(this.#json(core, "/api")),
        ...this.#fromAggregated(this.#json(groups, "/apis")),
      ]);
    }
    return this.#legacyDiscovery(this.#json(core, "/api"), this.#json(groups, "/apis"));
  }

  #fromAggregated(doc: unknown): ServedResource[] {
    const out: ServedResource[] = [];
    const items = isObj(doc) && Array.isArray(doc.items) ? doc.items : [];
    for (const g of items) {
      if (!isObj(g)) continue;
      const group = isObj(g.metadata) && typeof g.metadata.name === "string" ? g.metadata.name : "";
      for (const v of Array.isArray(g.versions) ? g.versions : []) {
        if (!isObj(v) || typeof v.version !== "string") continue;
        for (const r of Array.isArray(v.resources) ? v.resources : []) {
          if (!isObj(r) || typeof r.resource !== "string") continue;
          const kind =
            isObj(r.responseKind) && typeof r.responseKind.kind === "string" ? r.responseKind.kind : "";
          if (!kind) continue;
          out.push({
            group,
            version: v.version,
            resource: r.resource,
            kind,
            namespaced: r.scope === "Namespaced",
            verbs: Array.isArray(r.verbs) ? r.verbs.map(String) : [],
          });
        }
      }
    }
    return out;
  }

  async #legacyDiscovery(core: unknown, groups: unknown): Promise<Discovery> {
    const gvs: string[] = [];
    if (isObj(core) && Array.isArray(core.versions)) for (const v of core.versions) gvs.push(String(v));
    if (isObj(groups) && Array.isArray(groups.groups)) {
      for (const g of groups.groups) {
        if (!isObj(g) || !Array.isArray(g.versions)) continue;
        const pref = isObj(g.preferredVersion) ? g.preferredVersion.groupVersion : undefined;
        const list = g.versions.map((v) => (isObj(v) ? String(v.groupVersion) : "")).filter((v) => v);
        // The preferred version first, so find() picks it.
        list.sort((a, b) => (a === pref ? -1 : b === pref ? 1 : 0));
        gvs.push(...list);
      }
    }
    const failed: string[] = [];
    const lists = await Promise.all(
      gvs.map(async (gv) => {
        const path = gv.includes("/") ? `/apis/${gv}` : `/api/${gv}`;
        const r = await this.#request(path, {}, ACCEPT_JSON);
        if (r.status === 401 || (r.status === 403 && !gv.includes("/"))) throw this.#discoveryError(r, path);
        if (r.status !== 200) {
          // A broken aggregated API server (503) must not stop the audit of everything else.
          failed.push(gv);
          return [];
        }
        const doc = this.#json(r, path);
        const { group, version } = parseApiVersion(gv);
        const out: ServedResource[] = [];
        for (const x of isObj(doc) && Array.isArray(doc.resources) ? doc.resources : []) {
          if (!isObj(x) || typeof x.name !== "string" || x.name.includes("/")) continue;
          out.push({
            group,
            version,
            resource: x.name,
            kind: String(x.kind ?? ""),
            namespaced: x.namespaced === true,
            verbs: Array.isArray(x.verbs) ? x.verbs.map(String) : [],
          });
        }
        return out;
      }),
    );
    return new Discovery(lists.flat(), failed);
  }

  /**
   * Lists a resource, every page (`limit` + `continue`), cluster-wide or in one namespace. Each
   * item gets `kind`/`apiVersion` (list items on the wire lack them) and goes through `map`.
   * A 410 on a continue token restarts the list from scratch (up to 3 times).
   */
  async list<T = JsonObject>(ref: ResourceRef, opts: ListOptions<T> = {}): Promise<ListResult<T>> {
    const path = resourcePath(ref, opts.namespace);
    const apiVersion = apiVersionOf(ref);
    const map = opts.map ?? ((x: JsonObject) => x as unknown as T);
    const page = (cont: string | undefined) => {
      const q: Record<string, string> = { limit: String(this.#opts.pageSize) };
      if (cont) q.continue = cont;
      if (opts.labelSelector) q.labelSelector = opts.labelSelector;
      if (opts.fieldSelector) q.fieldSelector = opts.fieldSelector;
      return this.#request(path, q, opts.metadataOnly ? ACCEPT_META_LIST : ACCEPT_JSON);
    };
    let restarts = 0;
    for (;;) {
      const items: T[] = [];
      let cont: string | undefined;
      let rv = "";
      let expired = false;
      let next: { cont: string; response: Promise<RawResponse> } | undefined;
      do {
        // The page asked for ahead (below) when its token was read right, else asked for now.
        const res = await (next && next.cont === cont ? next.response : page(cont));
        next = undefined;
        if (res.status === 410 && cont && restarts < 3) {
          expired = true;
          break;
        }
        if (res.status !== 200) throw this.#statusError(res, "list", ref, opts.namespace);
        // Ask for the next page before parsing this one, so the server encodes it while this one is
        // parsed and mapped: its token is read from the head of the body, where the server writes
        // the list's metadata before its items. Checked against the parsed token below; a wrong
        // guess costs one discarded request and the page is asked for again.
        const ahead = continueAhead(res.body);
        if (ahead) {
          next = { cont: ahead, response: page(ahead) };
          // Left unread when this page fails or the guess was wrong: its failure is not unhandled.
          next.response.catch(() => undefined);
          // The request goes out once the credentials are applied (a promise): let that happen
          // before the parse below holds the thread.
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        const body = this.#json(res, path);
        if (!isObj(body))
          throw new KubeError("http", `list ${resourceName(ref.group, ref.resource)}: not a JSON object`);
        const md = isObj(body.metadata) ? body.metadata : {};
        rv = typeof md.resourceVersion === "string" ? md.resourceVersion : rv;
        cont = typeof md.continue === "string" && md.continue !== "" ? md.continue : undefined;
        for (const it of Array.isArray(body.items) ? body.items : []) {
          if (!isObj(it)) continue;
          it.kind ??= ref.kind;
          it.apiVersion ??= apiVersion;
          const v = map(it);
          if (v !== undefined) items.push(v);
        }
      } while (cont);
      if (!expired) return { items, resourceVersion: rv, restarts };
      restarts++;
    }
  }

  /** Reads one object by name; undefined when it does not exist (404). */
  async get(
    ref: ResourceRef,
    name: string,
    opts: { namespace?: string; metadataOnly?: boolean } = {},
  ): Promise<JsonObject | undefined> {
    const path = resourcePath(ref, opts.namespace, name);
    const r = await this.#request(path, {}, opts.metadataOnly ? ACCEPT_META : ACCEPT_JSON);
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw this.#statusError(r, "get", ref, opts.namespace);
    const body = this.#json(r, path);
    if (!isObj(body))
      throw new KubeError("http", `get ${resourceName(ref.group, ref.resource)}/${name}: not a JSON object`);
    if (!opts.metadataOnly) {
      body.kind ??= ref.kind;
      body.apiVersion ??= apiVersionOf(ref);
    }
    return body;
  }

  /**
   * `GET /api/v1/nodes/<node>/proxy/<path>`: the API server forwards it to the node's kubelet
   * (https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/node-v1/#get-connect-get-requests-to-proxy-of-node);
   * needs `get` on `nodes/proxy`. The body as text; a 403 throws a "forbidden" KubeError naming that
   * permission, any other non-200 (an unreachable kubelet is a 5xx from the proxy) an "http" one.
   */
  async nodeProxyGet(node: string, path: string): Promise<string> {
    const full = `/api/v1/nodes/${encodeURIComponent(node)}/proxy/${path.replace(/^\/+/, "")}`;
    // One retry at most: a kubelet the proxy cannot dial answers 503 only after a dial timeout, and
    // retrying that five times per node would stall the scan for minutes.
    const r = await this.#request(full, {}, ACCEPT_JSON, undefined, Math.min(1, this.#opts.maxRetries));
    if (r.status === 200) return r.body;
    throw this.#statusError(
      r,
      "get",
      { group: "", version: "v1", resource: "nodes/proxy", kind: "Node", namespaced: false },
      undefined,
    );
  }

  /**
   * One watch stream (https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes):
   * yields events until the server or `signal` ends it; the caller resumes from the last
   * resourceVersion it saw. A too-old resourceVersion (HTTP 410 or an ERROR event carrying 410)
   * throws a KubeError with code "expired": list again. Watches do not take a request slot.
   */
  async *watch(ref: ResourceRef, opts: WatchOptions = {}): AsyncGenerator<WatchEvent> {
    const q: Record<string, string> = { watch: "1" };
    if (opts.allowWatchBookmarks !== false) q.allowWatchBookmarks = "true";
    if (opts.resourceVersion) q.resourceVersion = opts.resourceVersion;
    if (opts.sendInitialEvents) {
      q.sendInitialEvents = "true";
      q.resourceVersionMatch = "NotOlderThan";
    }
    if (opts.labelSelector) q.labelSelector = opts.labelSelector;
    if (opts.fieldSelector) q.fieldSelector = opts.fieldSelector;
    if (opts.timeoutSeconds) q.timeoutSeconds = String(opts.timeoutSeconds);
    const path = resourcePath(ref, opts.namespace);
    let res: http.IncomingMessage;
    try {
      res = await this.#open(path, q, ACCEPT_JSON, opts.signal);
    } catch (e) {
      if (e instanceof KubeError) throw e;
      if (opts.signal?.aborted) return;
      const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      throw new KubeError("unreachable", `cannot reach the cluster at ${this.#where()}: ${code}`);
    }
    if (res.statusCode !== 200) {
      res.setEncoding("utf8");
      let body = "";
      for await (const c of res) body += c as string;
      const r: RawResponse = { status: res.statusCode ?? 0, headers: res.headers, body };
      if (r.status === 410)
        throw new KubeError(
          "expired",
          `watch ${resourceName(ref.group, ref.resource)}: ${this.#statusMessage(r)}`,
          { status: 410 },
        );
      throw this.#statusError(r, "watch", ref, opts.namespace);
    }
    res.setEncoding("utf8");
    let buf = "";
    try {
      for await (const chunk of res) {
        buf += chunk as string;
        let nl = buf.indexOf("\n");
        while (nl >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          nl = buf.indexOf("\n");
          if (!line) continue;
          const ev: unknown = JSON.parse(line);
          if (!isObj(ev) || !isObj(ev.object) || typeof ev.type !== "string") continue;
          if (ev.type === "ERROR") {
            const st = ev.object;
            const msg = `watch ${resourceName(ref.group, ref.resource)}: ${typeof st.message === "string" ? st.message : "error event"}`;
            if (st.code === 410) throw new KubeError("expired", msg, { status: 410 });
            throw new KubeError("http", msg, typeof st.code === "number" ? { status: st.code } : {});
          }
          if (
            ev.type === "ADDED" ||
            ev.type === "MODIFIED" ||
            ev.type === "DELETED" ||
            ev.type === "BOOKMARK"
          ) {
            yield { type: ev.type, object: ev.object };
          }
        }
      }
    } catch (e) {
      // A stream cut by the server or the network ends the watch; the caller resumes.
      if (e instanceof KubeError || e instanceof SyntaxError) throw e;
    } finally {
      res.destroy();
    }
  }

  /**
   * One request with a JSON body (POST/PUT/PATCH/DELETE), retried like reads on 429/5xx. Returns
   * the status and the parsed body (a Status object on failures); the caller maps statuses to
   * meaning (src/kube/writer.ts).
   */
  async send(
    method: "POST" | "PUT" | "PATCH" | "DELETE",
    path: string,
    body: unknown,
    contentType = ACCEPT_JSON,
  ): Promise<{ status: number; body: unknown; retryAfter?: string }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const r = await this.#request(path, {}, ACCEPT_JSON, { method, body: payload, contentType });
    let parsed: unknown;
    try {
      parsed = r.body.length > 0 ? JSON.parse(r.body) : undefined;
    } catch {
      parsed = undefined;
    }
    const ra = r.headers["retry-after"];
    return { status: r.status, body: parsed, ...(typeof ra === "string" ? { retryAfter: ra } : {}) };
  }

  // --- transport --------------------------------------------------------------------------------

  #json(r: RawResponse, path: string): unknown {
    try {
      return JSON.parse(r.body);
    } catch {
      throw new KubeError("http", `${path}: the server's answer is not JSON (HTTP ${r.status})`, {
        status: r.status,
      });
    }
  }

  /** The server's Status message, one line. */
  #statusMessage(r: RawResponse): string {
    try {
      const s: unknown = JSON.parse(r.body);
      if (isObj(s) && typeof s.message === "string") return s.message.split("\n")[0] ?? "";
    } catch {
      /* not a Status */
    }
    return http.STATUS_CODES[r.status] ?? "";
  }

  #where(): string {
    return `${this.server} (context "${this.config.context}")`;
  }

  #discoveryError(r: RawResponse, path: string): KubeError {
    if (r.status === 401)
      return new KubeError(
        "unauthorized",
        `the cluster at ${this.#where()} refused the credentials (401 Unauthorized)`,
        {
          status: 401,
        },
      );
    if (r.status === 403)
      return new KubeError(
        "unauthorized",
        `the cluster at ${this.#where()} does not let these credentials read ${path} (403 Forbidden): ${this.#statusMessage(r)}`,
        { status: 403 },
      );
    return new KubeError(
      "http",
      `GET ${path} at ${this.#where()}: HTTP ${r.status} ${this.#statusMessage(r)}`,
      {
        status: r.status,
      },
    );
  }

  #statusError(r: RawResponse, verb: string, ref: ResourceRef, namespace?: string): KubeError {
    const resource = resourceName(ref.group, ref.resource);
    if (r.status === 401)
      return new KubeError(
        "unauthorized",
        `the cluster at ${this.#where()} refused the credentials (401 Unauthorized)`,
        {
          status: 401,
        },
      );
    if (r.status === 403) {
      const permission = ref.namespaced && namespace ? { verb, resource, namespace } : { verb, resource };
      return new KubeError("forbidden", `forbidden: ${this.#statusMessage(r)}`, { status: 403, permission });
    }
    return new KubeError("http", `${verb} ${resource}: HTTP ${r.status} ${this.#statusMessage(r)}`, {
      status: r.status,
    });
  }

  #backoff(attempt: number): number {
    const base = this.#opts.retryBaseMs * 2 ** attempt;
    return Math.min(this.#opts.maxRetryAfterMs, base / 2 + Math.random() * (base / 2));
  }

  async #request(
    path: string,
    query: Record<string, string>,
    accept: string,
    write?: WriteRequest,
    maxRetries = this.#opts.maxRetries,
  ): Promise<RawResponse> {
    for (let attempt = 0; ; attempt++) {
      let r: RawResponse;
      try {
        r = await this.#limit.run(() => this.#once(path, query, accept, write));
      } catch (e) {
        if (e instanceof KubeError) throw e;
        const code = (e as NodeJS.ErrnoException).code ?? "";
        if (!TRANSIENT.has(code) || attempt >= maxRetries) {
          const what = code && code !== "KRA_TIMEOUT" ? code : (e as Error).message;
          const hint = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)
            ? " (the server's certificate is not trusted: check certificate-authority in the kubeconfig)"
            : "";
          throw new KubeError("unreachable", `cannot reach the cluster at ${this.#where()}: ${what}${hint}`);
        }
        const delayMs = this.#backoff(attempt);
        this.#opts.onRetry?.({ path, attempt: attempt + 1, delayMs });
        await sleep(delayMs);
        continue;
      }
      const retryable = r.status === 429 || (r.status >= 500 && r.status !== 501 && r.status !== 505);
      if (!retryable || attempt >= maxRetries) return r;
      const after = parseRetryAfter(r.headers["retry-after"]);
      const delayMs = Math.min(this.#opts.maxRetryAfterMs, after ?? this.#backoff(attempt));
      this.#opts.onRetry?.({ path, status: r.status, attempt: attempt + 1, delayMs });
      await sleep(delayMs);
    }
  }

  async #once(
    path: string,
    query: Record<string, string>,
    accept: string,
    write?: WriteRequest,
  ): Promise<RawResponse> {
    const res = await this.#open(path, query, accept, undefined, write);
    // Decoded chunk by chunk (a StringDecoder keeps a character split across chunks whole) and
    // joined as a string: no Buffer.concat copy of a list page, and each chunk's memory is free as
    // soon as it is decoded. JSON.parse reads the joined string once.
    res.setEncoding("utf8");
    return new Promise<RawResponse>((resolve, reject) => {
      let body = "";
      res.on("data", (c: string) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on("error", reject);
    });
  }

  /**
   * client-node builds its agent without keep-alive, so every request opened a new connection: a
   * new TLS handshake for each page of a list (131 for the bench cluster). A plain http(s).Agent is
   * copied once, with its TLS options, as a keep-alive one; other agents (proxies) are used as given.
   * A reused connection the server has closed meanwhile fails with ECONNRESET, which is retried.
   */
  #keepAlive(agent: http.Agent | boolean): http.Agent | boolean {
    // Node sets `keepAlive` on every Agent (lib/_http_agent.js); @types/node does not declare it.
    if (typeof agent === "boolean" || (agent as { keepAlive?: boolean }).keepAlive) return agent;
    const Kind = agent.constructor;
    if (Kind !== https.Agent && Kind !== http.Agent) return agent;
    let twin = this.#agents.get(agent);
    if (!twin) {
      const options = (agent as https.Agent).options;
      twin =
        Kind === https.Agent
          ? new https.Agent({ ...options, keepAlive: true })
          : new http.Agent({ ...options, keepAlive: true });
      this.#agents.set(agent, twin);
    }
    return twin;
  }

  /** Sends one GET with the context's credentials; resolves with the response headers received. */
  async #open(
    path: string,
    query: Record<string, string>,
    accept: string,
    signal?: AbortSignal,
    write?: WriteRequest,
  ): Promise<http.IncomingMessage> {
    const auth: https.RequestOptions = {};
    try {
      await this.config.kc.applyToHTTPSOptions(auth);
    } catch (e) {
      const msg = (e instanceof Error ? e.message : String(e)).split("\n")[0];
      throw new KubeError(
        "config",
        `cannot prepare the credentials of context "${this.config.context}": ${msg}`,
      );
    }
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(auth.headers ?? {})) if (v !== undefined) headers[k] = String(v);
    headers.Accept = accept;
    headers["User-Agent"] = this.#opts.userAgent;
    const mod = url.protocol === "http:" ? http : https;
    if (write?.body !== undefined) {
      headers["Content-Type"] = write.contentType;
      headers["Content-Length"] = String(Buffer.byteLength(write.body));
    }
    const reqOpts: https.RequestOptions = { method: write?.method ?? "GET", headers };
    // A watch stays open as long as the server keeps it: no idle timeout, only the signal.
    if (!query.watch) reqOpts.timeout = this.#opts.timeoutMs;
    if (signal) reqOpts.signal = signal;
    if (auth.agent !== undefined) reqOpts.agent = this.#keepAlive(auth.agent);
    if (auth.auth) reqOpts.auth = auth.auth;
    return new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = mod.request(url, reqOpts, resolve);
      req.on("timeout", () => {
        const err = new Error(`no answer within ${this.#opts.timeoutMs} ms`) as NodeJS.ErrnoException;
        err.code = "KRA_TIMEOUT";
        req.destroy(err);
      });
      req.on("error", reject);
      req.end(write?.body);
    });
  }
}
