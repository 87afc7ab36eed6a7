/**
 * The controller loop (README "Controller"): informers keep a compact cache of the cluster; each
 * change marks the subject it belongs to (a top owner or a node) dirty; after a debounce window the
 * dirty subjects alone are re-audited through the injected engine, merged into the current
 * findings, and, on the leader only, published as reports and Events. Probes and metrics are
 * served over HTTP; stop() ends it all within the Lease's release and the servers' close.
 */
import type { ImageFacts } from "../core/image.js";
import { type Coverage, emptyCoverage, type ImageReport } from "../core/report.js";
import type { Finding, Severity } from "../core/types.js";
import { isObject, type JsonObject, str } from "../core/workload.js";
import { type Clock, systemClock } from "./clock.js";
import { Debouncer } from "./debounce.js";
import { DEFAULT_EVENT_RATE } from "./defaults.js";
import { EventRecorder, findingKey } from "./events.js";
import { type HttpEndpoint, metricsRoutes, parseBindAddress, probeRoutes, serveRoutes } from "./health.js";
import { mergeImages } from "./images.js";
import { type Change, Informer } from "./informer.js";
import { LeaderElector } from "./leader.js";
import {
  type AuditFn,
  type AuditIssue,
  type ClusterView,
  type ControllerObserver,
  type EventSink,
  errorText,
  type LeaseStore,
  type ObjectSource,
  type ReportPlanner,
  type ReportStore,
  type ResourceSpec,
} from "./ports.js";
import {
  type Projection,
  projectEvent,
  projectMetadataOnly,
  projectNode,
  projectPod,
  projectWorkload,
} from "./projection.js";
import { Publisher } from "./publisher.js";
import { parseSubjectKey, type SubjectRef, subjectKey, topOwner } from "./subjects.js";
import { TtlCache } from "./ttl-cache.js";

/** Minimal logger shape (src/log's Logger satisfies it). */
export interface ControllerLog {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
}

export interface WatchedResource {
  spec: ResourceSpec;
  project: Projection;
}

const r = (
  group: string,
  version: string,
  resource: string,
  kind: string,
  namespaced: boolean,
  project: Projection,
  fieldSelector?: string,
): WatchedResource => ({
  spec: { group, version, resource, kind, namespaced, ...(fieldSelector ? { fieldSelector } : {}) },
  project,
});

/** What the rules read: pods, every built-in kind with a pod template, nodes, namespaces, and the
 * kubelet's CgroupV1 warnings (N008). Secrets are never listed or watched. */
export const DEFAULT_RESOURCES: readonly WatchedResource[] = [
  r("", "v1", "pods", "Pod", true, projectPod),
  r("apps", "v1", "deployments", "Deployment", true, projectWorkload),
  r("apps", "v1", "replicasets", "ReplicaSet", true, projectWorkload),
  r("apps", "v1", "statefulsets", "StatefulSet", true, projectWorkload),
  r("apps", "v1", "daemonsets", "DaemonSet", true, projectWorkload),
  r("batch", "v1", "jobs", "Job", true, projectWorkload),
  r("batch", "v1", "cronjobs", "CronJob", true, projectWorkload),
  r("", "v1", "replicationcontrollers", "ReplicationController", true, projectWorkload),
  r("", "v1", "nodes", "Node", false, projectNode),
  r("", "v1", "namespaces", "Namespace", false, projectMetadataOnly),
  r("", "v1", "events", "Event", true, projectEvent, "reason=CgroupV1"),
];

/** Kinds whose objects are audit subjects (or lead to one through their owners). */
const NOT_SUBJECTS = new Set(["Node", "Namespace", "Event"]);

export interface ControllerOptions {
  resources?: readonly WatchedResource[];
  /** Quiet time before a re-audit (default 500 ms) and the longest a change waits (default 2 s). */
  debounceMs?: number;
  maxWaitMs?: number;
  /** Omit to run as the only replica (always the leader). */
  leaderElection?: {
    namespace: string;
    name: string;
    leaseDurationMs?: number;
    renewDeadlineMs?: number;
    retryPeriodMs?: number;
  };
  /** This replica's identity: the Lease holder and the Events' reportingInstance (the pod name). */
  identity: string;
  healthProbeBindAddress?: string;
  metricsBindAddress?: string;
  /** Findings at or above this severity get an Event on their workload (default "high"). */
  eventMinSeverity?: Severity | "none";
  /** Fetched image facts by reference, credentials and platforms (default 6 h, 10,000 entries). */
  imageCacheTtlMs?: number;
  imageCacheMaxEntries?: number;
  /**
   * Event API calls per second and burst (default 5/s, burst 25): a first sync with thousands of
   * findings queues its Events instead of sending them at once.
   */
  eventRate?: { perSecond: number; burst: number };
  /** Delay before retrying a publish that failed (403, 5xx); doubles up to 5 min. */
  publishRetryMs?: number;
}

export interface ControllerDeps {
  source: ObjectSource;
  reports: ReportStore;
  /** Required when leaderElection is set. */
  leases?: LeaseStore;
  events?: EventSink;
  audit: AuditFn;
  planner: ReportPlanner;
  log: ControllerLog;
  clock?: Clock;
  /** The Prometheus registry's text, served on /metrics. */
  metrics?: { text(): Promise<string>; contentType: string };
  observer?: ControllerObserver;
  /** Watched besides `opts.resources`: the custom workload kinds the cluster serves. */
  extraResources?: readonly WatchedResource[];
}

export interface ControllerHandle {
  /** Resolves after the caches synced and the first full audit ran (what /readyz reports). */
  readonly ready: Promise<void>;
  /** Resolves once stop() finished. */
  readonly done: Promise<void>;
  readonly healthUrl: string | undefined;
  readonly metricsUrl: string | undefined;
  isLeader(): boolean;
  isReady(): boolean;
  /** The current findings, every subject merged. */
  findings(): Finding[];
  /** Runs pending re-audits and publishing now (tests, and stop()). */
  flush(): Promise<void>;
  /** Stops watching, releases the Lease, closes the servers. Idempotent. */
  stop(): Promise<void>;
}

const FULL = "*";
/** Audit issues about no one subject kept between full audits. */
const MAX_AUDIT_ISSUES = 200;

/** The node facts that change what every workload is judged against: platforms, newest kubelet. */
function nodeFingerprint(nodes: Iterable<JsonObject>): string {
  const platforms = new Set<string>();
  let kubelets: string[] = [];
  for (const n of nodes) {
    const info = isObject(n.status) && isObject(n.status.nodeInfo) ? n.status.nodeInfo : {};
    platforms.add(`${str(info.operatingSystem) ?? ""}/${str(info.architecture) ?? ""}`);
    const kv = str(info.kubeletVersion);
    if (kv) kubelets.push(kv);
  }
  kubelets = [...new Set(kubelets)].sort();
  return `${[...platforms].sort().join(",")}|${kubelets.join(",")}`;
}

export async function runController(
  opts: ControllerOptions,
  deps: ControllerDeps,
): Promise<ControllerHandle> {
  const clock = deps.clock ?? systemClock;
  const log = deps.log;
  const resources = [...(opts.resources ?? DEFAULT_RESOURCES), ...(deps.extraResources ?? [])];
  const abort = new AbortController();
  const informers = new Map<string, Informer>();
  const findingsBySubject = new Map<string, Finding[]>();
  /** Coverage entries of the last audit of each subject (a rule that threw, an unread configz...). */
  const issuesBySubject = new Map<string, AuditIssue[]>();
  /** Entries about no one subject (a Secret it may not get...), by text; reset by each full audit. */
  const auditIssues = new Map<string, AuditIssue>();
  /** The images each subject uses, judged (only when the audit checks images). */
  const imagesBySubject = new Map<string, ImageReport[]>();
  let imagesChecked = false;
  const images = new TtlCache<ImageFacts>({
    clock,
    ttlMs: opts.imageCacheTtlMs ?? 6 * 3600_000,
    maxEntries: opts.imageCacheMaxEntries ?? 10_000,
  });
  const publisher = new Publisher(deps.reports, deps.planner);
  const recorder = deps.events
    ? new EventRecorder({
        sink: deps.events,
        clock,
        instance: opts.identity,
        minSeverity: opts.eventMinSeverity ?? "high",
        rate: opts.eventRate ?? DEFAULT_EVENT_RATE,
        onError: (m) => log.warn(m),
      })
    : undefined;

  let live = true;
  let ready = false;
  let leading = opts.leaderElection === undefined;
  let stopping: Promise<void> | undefined;
  let resolveReady!: () => void;
  const readyPromise = new Promise<void>((res) => (resolveReady = res));
  let resolveDone!: () => void;
  const done = new Promise<void>((res) => (resolveDone = res));

  // ---- the cache -----------------------------------------------------------------------------
  const view: ClusterView = {
    get(kind, namespace, name) {
      return informers.get(kind)?.get(namespace ? `${namespace}/${name}` : name);
    },
    list(kind) {
      return informers.get(kind)?.values() ?? [];
    },
    kinds: () => [...informers.keys()],
    unavailable: () =>
      [...informers.values()].flatMap((i) =>
        i.unavailable ? [{ resource: i.resource.resource, reason: i.unavailable }] : [],
      ),
  };
  const lookup = (kind: string, ns: string | undefined, name: string) => view.get(kind, ns, name);

  const subjectOf = (obj: JsonObject, kind: string): SubjectRef | undefined => {
    if (kind === "Node")
      return { kind: "Node", name: str(isObject(obj.metadata) ? obj.metadata.name : "") ?? "" };
    if (kind === "Event") {
      const io = isObject(obj.involvedObject) ? obj.involvedObject : {};
      const name = str(io.name);
      return str(io.kind) === "Node" && name ? { kind: "Node", name } : undefined;
    }
    if (NOT_SUBJECTS.has(kind)) return undefined;
    return topOwner(obj, kind, lookup);
  };

  /** Every subject in the cache: top owners of all workloads and pods, and every node. */
  const allSubjects = (): Map<string, SubjectRef> => {
    const out = new Map<string, SubjectRef>();
    for (const [kind, inf] of informers) {
      if (kind === "Namespace" || kind === "Event") continue;
      for (const obj of inf.values()) {
        const s = subjectOf(obj, kind);
        if (s) out.set(subjectKey(s), s);
      }
    }
    return out;
  };

  /** The subject with apiVersion and uid filled in from the cache when it is there. */
  const resolveSubject = (s: SubjectRef): SubjectRef | undefined => {
    const obj = view.get(s.kind, s.namespace, s.name);
    if (!obj) return s.apiVersion ? s : undefined;
    const md = isObject(obj.metadata) ? obj.metadata : {};
    const out: SubjectRef = { ...s };
    const av = str(obj.apiVersion);
    if (av) out.apiVersion = av;
    const uid = str(md.uid);
    if (uid) out.uid = uid;
    return out;
  };

  let fingerprint = "";
  const onChange = (c: Change) => {
    if (!ready) return; // the first full audit covers everything seen before it
    const kind = c.resource.kind;
    if (kind === "Namespace") {
      // Every subject of the namespace (its reports and anything judged with namespace data).
      const ns = str(isObject(c.object.metadata) ? c.object.metadata.name : "");
      for (const key of [...findingsBySubject.keys(), ...allSubjects().keys()]) {
        if (parseSubjectKey(key).namespace === ns) debouncer.mark(key);
      }
      return;
    }
    if (kind === "Node") {
      const fp = nodeFingerprint(view.list("Node"));
      if (fp !== fingerprint) {
        fingerprint = fp;
        debouncer.mark(FULL);
      }
    }
    for (const obj of c.old ? [c.old, c.object] : [c.object]) {
      const s = subjectOf(obj, kind);
      if (s) debouncer.mark(subjectKey(s));
    }
  };

  for (const res of resources) {
    const inf = new Informer({
      resource: res.spec,
      source: deps.source,
      project: res.project,
      clock,
      onChange,
      onRestart: (reason, error) => {
        deps.observer?.watchRestart?.(res.spec.resource, reason);
        if (reason !== "dropped")
          log.warn(`watch ${res.spec.resource}: ${reason}${error ? `: ${error}` : ""}`);
      },
    });
    informers.set(res.spec.kind, inf);
  }

  // ---- audit and publish -----------------------------------------------------------------------
  /** Every subject's findings, and the image findings of the images in use (as `scan` reports them). */
  let merged: { images: ImageReport[]; findings: Finding[] } | undefined;
  const currentImages = () => {
    merged ??= mergeImages(imagesBySubject.values());
    return merged;
  };
  const currentFindings = (): Finding[] => [
    ...[...findingsBySubject.values()].flat(),
    ...(imagesChecked ? currentImages().findings : []),
  ];
  /**
   * What the report must say it did not read or judge, as `scan` says it: resources the cache could
   * not list (skipped, as scan reports a forbidden list) and the audits' own issues.
   */
  const currentCoverage = (): Coverage => {
    const coverage = emptyCoverage();
    for (const u of view.unavailable())
      coverage.skipped.push({ source: u.resource, reason: `not listed or watched: ${u.reason}` });
    const seen = new Set<string>();
    for (const i of [...[...issuesBySubject.values()].flat(), ...auditIssues.values()]) {
      const text = `${i.level}\u0000${i.issue.source}\u0000${i.issue.reason}`;
      if (seen.has(text)) continue;
      seen.add(text);
      if (i.level === "error") coverage.errors.push(i.issue);
      else if (i.level === "skipped") coverage.skipped.push(i.issue);
      else {
        coverage.warnings ??= [];
        coverage.warnings.push(i.issue);
      }
    }
    return coverage;
  };

  let publishChain: Promise<void> = Promise.resolve();
  let publishRetryTimer: unknown;
  let publishRetryMs = opts.publishRetryMs ?? 5_000;
  const publish = (): Promise<void> => {
    publishChain = publishChain.then(async () => {
      if (!leading || !ready || abort.signal.aborted) return;
      if (publishRetryTimer !== undefined) clock.clearTimeout(publishRetryTimer);
      publishRetryTimer = undefined;
      let result: { writes: number; errors: string[] };
      try {
        result = await publisher.publish(
          currentFindings(),
          new Date(clock.now()),
          imagesChecked ? currentImages().images : undefined,
          currentCoverage(),
        );
      } catch (err) {
        result = { writes: 0, errors: [`reading existing reports: ${errorText(err)}`] };
      }
      deps.observer?.published?.({ writes: result.writes, errors: result.errors.length });
      if (result.writes > 0) log.info(`published ${result.writes} report write(s)`);
      if (result.errors.length === 0) {
        publishRetryMs = opts.publishRetryMs ?? 5_000;
        return;
      }
      // A 403 (RBAC not yet granted) or an API outage is not fatal: log and try again later.
      for (const e of result.errors) log.error(`publishing: ${e}`);
      const delay = publishRetryMs;
      publishRetryMs = Math.min(publishRetryMs * 2, 300_000);
      if (!abort.signal.aborted) publishRetryTimer = clock.setTimeout(() => void publish(), delay);
    });
    return publishChain;
  };

  const auditBatch = async (keys: ReadonlySet<string>): Promise<void> => {
    const full = keys.has(FULL);
    const subjects = full
      ? allSubjects()
      : new Map([...keys].map((k) => [k, resolveSubject(parseSubjectKey(k)) ?? parseSubjectKey(k)]));
    const started = clock.now();
    const result = await deps.audit({
      subjects: [...subjects.values()],
      full,
      view,
      images,
      signal: abort.signal,
    });
    const grouped = new Map<string, Finding[]>();
    for (const f of result.findings) {
      const key = subjectKey(f.subject);
      if (!full && !subjects.has(key)) {
        log.debug(`audit returned a finding about ${key}, which was not asked for; ignored`);
        continue;
      }
      const list = grouped.get(key);
      if (list) list.push(f);
      else grouped.set(key, [f]);
    }
    if (full) findingsBySubject.clear();
    for (const key of subjects.keys()) findingsBySubject.delete(key);
    for (const [key, list] of grouped) findingsBySubject.set(key, list);
    // Issues follow the findings' rule: a subject's issues are replaced when it is audited again.
    if (full) {
      issuesBySubject.clear();
      auditIssues.clear();
    }
    for (const key of subjects.keys()) issuesBySubject.delete(key);
    for (const i of result.issues ?? []) {
      const key = i.subject ? subjectKey(i.subject) : undefined;
      if (key === undefined || (!full && !subjects.has(key))) {
        // Bounded: a cluster where every Secret read is refused names the first ones, not all.
        if (auditIssues.size < MAX_AUDIT_ISSUES)
          auditIssues.set(`${i.issue.source}\u0000${i.issue.reason}`, i);
        continue;
      }
      const list = issuesBySubject.get(key);
      if (list) list.push(i);
      else issuesBySubject.set(key, [i]);
    }
    if (result.images) {
      imagesChecked = true;
      if (full) imagesBySubject.clear();
      for (const key of subjects.keys()) imagesBySubject.delete(key);
      // Kept per subject (each report's uses split by the workload using it), so a re-audit replaces
      // exactly the uses of the subjects it covered.
      for (const img of result.images) {
        const bySubject = new Map<string, ImageReport["usedBy"] & {}>();
        for (const u of img.usedBy ?? []) {
          const key = subjectKey(u);
          if (!full && !subjects.has(key)) continue;
          const list = bySubject.get(key);
          if (list) list.push(u);
          else bySubject.set(key, [u]);
        }
        for (const [key, usedBy] of bySubject) {
          const list = imagesBySubject.get(key);
          const own = { ...img, usedBy };
          if (list) list.push(own);
          else imagesBySubject.set(key, [own]);
        }
      }
    }
    merged = undefined;
    const fresh = [...grouped.values()].flat();
    deps.observer?.audited?.({
      subjects: subjects.size,
      full,
      durationSeconds: (clock.now() - started) / 1000,
      findings: currentFindings(),
      ...(imagesChecked ? { images: currentImages().images } : {}),
      view,
      ...(result.registry ? { registry: result.registry } : {}),
      coverage: currentCoverage(),
    });
    if (!ready) {
      ready = true;
      resolveReady();
      log.info(`caches synced; first audit: ${subjects.size} subjects, ${fresh.length} findings`);
    }
    await publish();
    if (leading && recorder) {
      // Queued: written at the event rate in the background, never holding up the next audit.
      recorder.record(fresh, resolveSubject);
      const alive = new Set(currentFindings().map(findingKey));
      recorder.forget((k) => alive.has(k));
    }
  };

  const debouncer = new Debouncer({
    clock,
    waitMs: opts.debounceMs ?? 500,
    maxWaitMs: opts.maxWaitMs ?? 2_000,
    run: auditBatch,
    onError: (err) => log.error(`audit failed, will retry: ${errorText(err)}`),
  });

  // ---- leader election -------------------------------------------------------------------------
  let elector: LeaderElector | undefined;
  if (opts.leaderElection) {
    if (!deps.leases) throw new Error("leader election needs a LeaseStore");
    const le = opts.leaderElection;
    elector = new LeaderElector({
      store: deps.leases,
      clock,
      namespace: le.namespace,
      name: le.name,
      identity: opts.identity,
      ...(le.leaseDurationMs ? { leaseDurationMs: le.leaseDurationMs } : {}),
      ...(le.renewDeadlineMs ? { renewDeadlineMs: le.renewDeadlineMs } : {}),
      ...(le.retryPeriodMs ? { retryPeriodMs: le.retryPeriodMs } : {}),
      onStartedLeading: () => {
        leading = true;
        deps.observer?.leader?.(true);
        log.info(`became leader (lease ${le.namespace}/${le.name})`);
        // Read what the previous leader wrote before writing anything.
        publisher.reset();
        void publish();
      },
      onStoppedLeading: () => {
        leading = false;
        deps.observer?.leader?.(false);
        publisher.reset();
        recorder?.clear();
        log.warn(`stopped leading (lease ${le.namespace}/${le.name})`);
      },
      onNewLeader: (id) => {
        if (id && id !== opts.identity) log.info(`leader is ${id}`);
      },
      onError: (m) => log.debug(m),
    });
  } else {
    deps.observer?.leader?.(true);
  }

  // ---- servers ---------------------------------------------------------------------------------
  const servers: HttpEndpoint[] = [];
  let healthUrl: string | undefined;
  let metricsUrl: string | undefined;
  try {
    const hb = opts.healthProbeBindAddress
      ? parseBindAddress(opts.healthProbeBindAddress, "--health-probe-bind-address")
      : undefined;
    if (hb) {
      const s = await serveRoutes(hb, probeRoutes({ live: () => live, ready: () => ready }));
      servers.push(s);
      healthUrl = s.url;
    }
    const mb = opts.metricsBindAddress
      ? parseBindAddress(opts.metricsBindAddress, "--metrics-bind-address")
      : undefined;
    if (mb && deps.metrics) {
      const s = await serveRoutes(mb, metricsRoutes(deps.metrics));
      servers.push(s);
      metricsUrl = s.url;
    }
  } catch (err) {
    await Promise.all(servers.map((s) => s.close()));
    throw err;
  }

  // ---- start -----------------------------------------------------------------------------------
  for (const inf of informers.values()) inf.start();
  elector?.run();
  void Promise.all([...informers.values()].map((i) => i.waitForSync())).then(() => {
    if (abort.signal.aborted) return;
    fingerprint = nodeFingerprint(view.list("Node"));
    debouncer.mark(FULL);
    void debouncer.flush();
  });

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      abort.abort();
      if (publishRetryTimer !== undefined) clock.clearTimeout(publishRetryTimer);
      await Promise.all([...informers.values()].map((i) => i.stop()));
      await debouncer.stop();
      await publishChain;
      await recorder?.stop();
      await elector?.stop();
      live = false;
      await Promise.all(servers.map((s) => s.close()));
      log.info("controller stopped");
      resolveDone();
    })();
    return stopping;
  };

  return {
    ready: readyPromise,
    done,
    healthUrl,
    metricsUrl,
    isLeader: () => leading,
    isReady: () => ready,
    findings: currentFindings,
    flush: async () => {
      await debouncer.flush();
      await publishChain;
      await recorder?.idle();
    },
    stop,
  };
}
