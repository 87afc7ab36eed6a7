/**
 * Writes for `scan --publish` and the controller: create / update / merge-patch / delete of the
 * objects the tool owns (PolicyReports and ClusterPolicyReports of wgpolicyk8s.io/v1alpha2,
 * Reports and ClusterReports of openreports.io/v1alpha1, core v1 Events, coordination.k8s.io/v1
 * Leases, ConfigMaps), and the choice of report API from discovery. The `scan` command never
 * builds one of these.
 *
 * Semantics follow the API server (https://kubernetes.io/docs/reference/using-api/api-concepts/):
 *  - update is a PUT carrying `metadata.resourceVersion`: a stale one is a 409 Conflict, a
 *    KubeError with code "conflict";
 *  - patch is a JSON merge patch (RFC 7386, `application/merge-patch+json`);
 *  - get of a missing object is undefined, delete of a missing object succeeds;
 *  - a 403 is a KubeError "forbidden" naming the missing permission (RBAC terms), which the
 *    callers log and retry rather than stop on.
 * The methods match the controller's ports (src/controller/ports.ts: ReportStore, EventSink,
 * LeaseStore) structurally.
 */
import http from "node:http";
import type { JsonObject } from "../core/workload.js";
import type { ClusterClient, Discovery, ServedResource } from "./client.js";
import { KubeError, resourceName } from "./errors.js";
import { type ResourceRef, resourcePath } from "./resources.js";

export interface ObjectKey {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** The report objects `--report-api` chooses between (issue: openreports when served). */
export const REPORT_GROUPS = {
  openreports: { group: "openreports.io", namespaced: "Report", cluster: "ClusterReport" },
  wgpolicyk8s: { group: "wgpolicyk8s.io", namespaced: "PolicyReport", cluster: "ClusterPolicyReport" },
} as const;

export type ServedReportApi = keyof typeof REPORT_GROUPS | "configmap";

/**
 * What `--report-api auto` resolves to: openreports.io when its Report kind is served, else
 * wgpolicyk8s.io when PolicyReport is, else the ConfigMap summary. An explicit choice that is not
 * served falls back the same way only for `auto`; otherwise it is returned as asked (writes will
 * then fail with 404 and be logged).
 */
export function servedReportApi(
  discovery: Discovery,
  choice: "auto" | "wgpolicyk8s" | "openreports",
): ServedReportApi {
  if (choice !== "auto") return choice;
  for (const api of ["openreports", "wgpolicyk8s"] as const) {
    if (discovery.find({ group: REPORT_GROUPS[api].group, kind: REPORT_GROUPS[api].namespaced })) return api;
  }
  return "configmap";
}

const isObj = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

function keyOf(obj: JsonObject): ObjectKey {
  const md = isObj(obj.metadata) ? obj.metadata : {};
  const k: ObjectKey = {
    apiVersion: typeof obj.apiVersion === "string" ? obj.apiVersion : "",
    kind: typeof obj.kind === "string" ? obj.kind : "",
    name: typeof md.name === "string" ? md.name : "",
  };
  if (typeof md.namespace === "string" && md.namespace) k.namespace = md.namespace;
  return k;
}

/** Well-known kinds, for when discovery was not asked (Events, Leases, ConfigMaps are always served). */
const BUILTIN: Record<string, ResourceRef> = {
  "v1/Event": { group: "", version: "v1", resource: "events", kind: "Event", namespaced: true },
  "v1/ConfigMap": { group: "", version: "v1", resource: "configmaps", kind: "ConfigMap", namespaced: true },
  "coordination.k8s.io/v1/Lease": {
    group: "coordination.k8s.io",
    version: "v1",
    resource: "leases",
    kind: "Lease",
    namespaced: true,
  },
};

/** Object CRUD through one ClusterClient; kinds are resolved through discovery. */
export class KubeWriter {
  readonly #client: ClusterClient;
  readonly #discovery: Discovery | undefined;

  constructor(client: ClusterClient, discovery?: Discovery) {
    this.#client = client;
    this.#discovery = discovery;
  }

  #ref(apiVersion: string, kind: string): ResourceRef {
    const builtin = BUILTIN[`${apiVersion}/${kind}`];
    if (builtin) return builtin;
    const served: ServedResource | undefined = this.#discovery?.forApiVersion(apiVersion, kind);
    if (served && served.version === (apiVersion.split("/")[1] ?? apiVersion)) return served;
    throw new KubeError("http", `${apiVersion} ${kind} is not served by this cluster`, { status: 404 });
  }

  #fail(verb: string, ref: ResourceRef, key: Partial<ObjectKey>, r: { status: number; body: unknown }) {
    const resource = resourceName(ref.group, ref.resource);
    const msg =
      isObj(r.body) && typeof r.body.message === "string"
        ? r.body.message.split("\n")[0]
        : (http.STATUS_CODES[r.status] ?? "");
    const what = `${verb} ${resource}${key.name ? ` ${key.namespace ? `${key.namespace}/` : ""}${key.name}` : ""}`;
    if (r.status === 403) {
      const permission =
        ref.namespaced && key.namespace ? { verb, resource, namespace: key.namespace } : { verb, resource };
      return new KubeError("forbidden", `${what}: forbidden: ${msg}`, { status: 403, permission });
    }
    if (r.status === 409) return new KubeError("conflict", `${what}: conflict: ${msg}`, { status: 409 });
    if (r.status === 401) return new KubeError("unauthorized", `${what}: 401 Unauthorized`, { status: 401 });
    return new KubeError("http", `${what}: HTTP ${r.status} ${msg}`, { status: r.status });
  }

  #typed(ref: ResourceRef, body: unknown): JsonObject {
    if (!isObj(body)) throw new KubeError("http", `${ref.kind}: the server's answer is not an object`);
    body.apiVersion ??= ref.group ? `${ref.group}/${ref.version}` : ref.version;
    body.kind ??= ref.kind;
    return body;
  }

  /** Every object of the kind (all namespaces), filtered by label selector. */
  async list(apiVersion: string, kind: string, opts: { labelSelector?: string } = {}): Promise<JsonObject[]> {
    const ref = this.#ref(apiVersion, kind);
    const r = await this.#client.list(ref, opts.labelSelector ? { labelSelector: opts.labelSelector } : {});
    return r.items;
  }

  async get(key: ObjectKey): Promise<JsonObject | undefined> {
    const ref = this.#ref(key.apiVersion, key.kind);
    return this.#client.get(ref, key.name, key.namespace ? { namespace: key.namespace } : {});
  }

  async create(obj: JsonObject): Promise<JsonObject> {
    const key = keyOf(obj);
    const ref = this.#ref(key.apiVersion, key.kind);
    const r = await this.#client.send("POST", resourcePath(ref, key.namespace), obj);
    if (r.status !== 200 && r.status !== 201) throw this.#fail("create", ref, key, r);
    return this.#typed(ref, r.body);
  }

  /** PUT with the object's `metadata.resourceVersion`; a stale one is a "conflict" KubeError. */
  async update(obj: JsonObject): Promise<JsonObject> {
    const key = keyOf(obj);
    const ref = this.#ref(key.apiVersion, key.kind);
    const r = await this.#client.send("PUT", resourcePath(ref, key.namespace, key.name), obj);
    if (r.status !== 200) throw this.#fail("update", ref, key, r);
    return this.#typed(ref, r.body);
  }

  /** A JSON merge patch (RFC 7386). */
  async patch(key: ObjectKey, patch: JsonObject): Promise<JsonObject> {
    const ref = this.#ref(key.apiVersion, key.kind);
    const r = await this.#client.send(
      "PATCH",
      resourcePath(ref, key.namespace, key.name),
      patch,
      "application/merge-patch+json",
    );
    if (r.status !== 200) throw this.#fail("patch", ref, key, r);
    return this.#typed(ref, r.body);
  }

  /** A missing object counts as deleted. */
  async delete(key: ObjectKey): Promise<void> {
    const ref = this.#ref(key.apiVersion, key.kind);
    const r = await this.#client.send("DELETE", resourcePath(ref, key.namespace, key.name), undefined);
    if (r.status === 404 || r.status === 200 || r.status === 202) return;
    throw this.#fail("delete", ref, key, r);
  }

  // ---- the controller's port shapes (src/controller/ports.ts) ----------------------------------

  /** EventSink: core v1 Events in one namespace. */
  events() {
    return {
      create: (event: JsonObject) => this.create({ apiVersion: "v1", kind: "Event", ...event }),
      get: (namespace: string, name: string) =>
        this.get({ apiVersion: "v1", kind: "Event", namespace, name }),
      patch: (namespace: string, name: string, patch: JsonObject) =>
        this.patch({ apiVersion: "v1", kind: "Event", namespace, name }, patch),
    };
  }

  /** LeaseStore: coordination.k8s.io/v1 Leases. */
  leases() {
    const apiVersion = "coordination.k8s.io/v1";
    return {
      get: (namespace: string, name: string) => this.get({ apiVersion, kind: "Lease", namespace, name }),
      create: (lease: JsonObject) => this.create({ apiVersion, kind: "Lease", ...lease }),
      update: (lease: JsonObject) => this.update({ apiVersion, kind: "Lease", ...lease }),
    };
  }
}
