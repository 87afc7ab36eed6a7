/**
 * What the controller needs from the cluster, as interfaces. The controller never talks to the API
 * server itself: src/kube (the home of @kubernetes/client-node) implements these ports, and the unit
 * tests implement them in memory. Every shape below follows the Kubernetes wire format, so an
 * adapter is a thin mapping, not a translation.
 */
import type { ImageFacts } from "../core/image.js";
import type { Coverage, CoverageIssue, ImageReport } from "../core/report.js";
import type { Finding } from "../core/types.js";
import type { JsonObject } from "../core/workload.js";
import type { SubjectRef } from "./subjects.js";
import type { TtlCache } from "./ttl-cache.js";

export type { Coverage, CoverageIssue, JsonObject, SubjectRef };

/** One API resource the controller lists and watches. */
export interface ResourceSpec {
  /** "" for the core group. */
  group: string;
  version: string;
  /** Plural resource name as in the URL: "pods", "deployments". */
  resource: string;
  kind: string;
  namespaced: boolean;
  /** Server-side filters, passed through as the `fieldSelector` / `labelSelector` query parameters. */
  fieldSelector?: string;
  labelSelector?: string;
}

/** `group/version`, or `version` for the core group (the `apiVersion` of the resource's objects). */
export function apiVersionOf(r: Pick<ResourceSpec, "group" | "version">): string {
  return r.group === "" ? r.version : `${r.group}/${r.version}`;
}

/** One page of a list (https://kubernetes.io/docs/reference/using-api/api-concepts/#retrieving-large-results-sets-in-chunks). */
export interface ListPage {
  items: JsonObject[];
  /** `metadata.resourceVersion` of the list: every page of one paged list carries the snapshot's version. */
  resourceVersion: string;
}

/**
 * A watch event as the API server streams it
 * (https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes).
 * ERROR carries a `Status` object; `code: 410` means the resourceVersion is too old: relist.
 */
export type WatchEvent =
  | { type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK"; object: JsonObject }
  | { type: "ERROR"; object: JsonObject };

export interface ObjectSource {
  /**
   * A full list, paged by the source (`limit` + `continue`); pages are yielded as they arrive so the
   * caller can project each and let the raw page go. A `continue` token that expired (410) restarts
   * the list inside the source or is thrown as an error with `status: 410`.
   */
  list(resource: ResourceSpec, opts: { signal: AbortSignal }): AsyncIterable<ListPage>;
  /**
   * A watch from `resourceVersion` with `allowWatchBookmarks=true`. The iterable ends when the server
   * closes the stream (its timeout); errors at connect time are thrown with `status` (410, 429, 5xx).
   */
  watch(
    resource: ResourceSpec,
    opts: { resourceVersion: string; signal: AbortSignal },
  ): AsyncIterable<WatchEvent>;
}

/** Identifies one object of any kind. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/**
 * CRUD on report objects (PolicyReport, ClusterPolicyReport, openreports Report/ClusterReport,
 * ConfigMap). `update` sends `metadata.resourceVersion`: a stale one fails with `status: 409`.
 */
export interface ReportStore {
  /** Every object of the kind in every namespace (or cluster-scoped), filtered by label selector. */
  list(apiVersion: string, kind: string, opts?: { labelSelector?: string }): Promise<JsonObject[]>;
  /** undefined when it does not exist (404). */
  get(ref: ObjectRef): Promise<JsonObject | undefined>;
  create(obj: JsonObject): Promise<JsonObject>;
  update(obj: JsonObject): Promise<JsonObject>;
  /** A 404 is success (already gone). */
  delete(ref: ObjectRef): Promise<void>;
}

/** Core v1 Events (https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/event-v1/). */
export interface EventSink {
  /** Creates a v1 Event; an existing name fails with `status: 409`. */
  create(event: JsonObject): Promise<JsonObject>;
  /** undefined when it does not exist (404). */
  get(namespace: string, name: string): Promise<JsonObject | undefined>;
  /** A JSON merge patch of `count`, `lastTimestamp`, `message` on an existing Event; 404 when it expired. */
  patch(namespace: string, name: string, patch: JsonObject): Promise<JsonObject>;
}

/**
 * A coordination.k8s.io/v1 Lease
 * (https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/lease-v1/).
 * `create` of an existing name and `update` with a stale `metadata.resourceVersion` fail with 409.
 */
export interface LeaseStore {
  get(namespace: string, name: string): Promise<JsonObject | undefined>;
  create(lease: JsonObject): Promise<JsonObject>;
  update(lease: JsonObject): Promise<JsonObject>;
}

/** An error carrying the HTTP status of a failed API call. Adapters may throw their own errors:
 * the controller reads `status`, `statusCode` or `code` (the first that is a number). */
export class ApiStatusError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Seconds from a `Retry-After` header (429, 503). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = "ApiStatusError";
  }
}

export function statusOf(err: unknown): number | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const e = err as { status?: unknown; statusCode?: unknown; code?: unknown };
  for (const v of [e.status, e.statusCode, e.code]) if (typeof v === "number") return v;
  return undefined;
}

export function retryAfterOf(err: unknown): number | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const v = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds;
  return typeof v === "number" && v >= 0 ? v : undefined;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// ---- Injection points for the audit engine and the report format -------------------------------

/**
 * One step of a write plan (the shape of src/reporters' planWrites): an update carries the existing
 * object's `metadata.resourceVersion`; a delete names the existing object; "none" writes nothing.
 */
export type WriteOp = { op: "create" | "update" | "delete" | "none"; object: JsonObject };

/**
 * Turns findings into report objects (PolicyReport, ClusterPolicyReport, openreports, ConfigMap)
 * and plans the writes from what exists to what should: the report format lives in
 * src/reporters; the controller only reads, applies and remembers.
 */
export interface ReportPlanner {
  /** The kinds whose existing objects are read (adopted) when this replica starts leading. */
  managedKinds(): readonly { apiVersion: string; kind: string; labelSelector?: string }[];
  /**
   * The report objects that should exist for these findings; `images` (the images in use, with the
   * workloads using them) place each image finding on its workloads, as `scan --publish` does.
   */
  desired(
    findings: readonly Finding[],
    now: Date,
    images?: readonly ImageReport[],
    coverage?: Coverage,
  ): JsonObject[];
  /** The writes from `existing` to `desired`: none for objects whose content did not change. */
  plan(existing: readonly JsonObject[], desired: readonly JsonObject[]): WriteOp[];
}

/** Read access to the controller's cache, by kind ("Pod", "Deployment", "Node"...). */
export interface ClusterView {
  get(kind: string, namespace: string | undefined, name: string): JsonObject | undefined;
  list(kind: string): Iterable<JsonObject>;
  /** The kinds the cache holds. */
  kinds(): readonly string[];
  /** Resources that could not be listed (403 Forbidden, 404 not served): coverage entries for the report. */
  unavailable(): readonly { resource: string; reason: string }[];
}

export interface AuditRequest {
  /** The subjects to audit; `full` is true when these are all the subjects in the cache. */
  subjects: readonly SubjectRef[];
  full: boolean;
  view: ClusterView;
  /**
   * Fetched image facts by normalized reference, credentials and platforms, kept across audits
   * (entries expire after the configured TTL, --image-cache-ttl).
   */
  images: TtlCache<ImageFacts>;
  signal: AbortSignal;
}

export interface AuditResult {
  /**
   * Every finding about the requested subjects (their previous findings are replaced, so a subject
   * with none left is clean). A finding's subject maps to a requested subject by kind, namespace and
   * name; findings about other subjects are ignored unless the audit was full.
   */
  findings: readonly Finding[];
  /**
   * The images the requested subjects use, judged (undefined when images are not checked): each
   * report's `usedBy` lists uses by requested subjects; they replace those subjects' previous images.
   */
  images?: readonly ImageReport[];
  /** Registry requests this audit sent and image fetches that ended without facts. */
  registry?: { requests: number; errors: number };
  /**
   * What the audit could not read or judge (a rule that threw, a kubelet whose configz could not be
   * read, a Secret it may not get...). An issue with a subject replaces that subject's previous
   * issues, as findings do; one without is about the audit as a whole and lasts until the next full
   * audit. They become the report's coverage, so a clean report never hides them.
   */
  issues?: readonly AuditIssue[];
}

/** One coverage entry of an audit, as `scan` reports it: an error, a skipped input or a warning. */
export interface AuditIssue {
  level: "error" | "skipped" | "warning";
  issue: CoverageIssue;
  subject?: SubjectRef;
}

/** The cluster scan's engine, run on the cached objects. */
export type AuditFn = (request: AuditRequest) => Promise<AuditResult>;

/** Hooks for metrics (src/controller/metrics.ts) and logs; every member is optional. */
export interface ControllerObserver {
  watchRestart?(resource: string, reason: "dropped" | "expired" | "error"): void;
  audited?(info: {
    subjects: number;
    full: boolean;
    durationSeconds: number;
    /** Every current finding, image findings included. */
    findings: readonly Finding[];
    /** The images in use (undefined when images are not checked). */
    images?: readonly ImageReport[];
    view: ClusterView;
    registry?: { requests: number; errors: number };
    /** What the current report says was not read or judged (resources not listed, audit issues). */
    coverage: Coverage;
  }): void;
  published?(info: { writes: number; errors: number }): void;
  leader?(isLeader: boolean): void;
}
