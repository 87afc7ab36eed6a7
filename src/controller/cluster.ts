/**
 * The controller's ports on a real cluster: src/kube's client for lists, watches and writes, the
 * cluster scan's engine (src/scan/subject-audit.ts) as the audit, src/reporters' PolicyReport
 * builder and write planner, and the Prometheus metrics. The `controller` command builds its
 * dependencies here, and `scan --publish` publishes one scan's findings through the same Publisher
 * and EventRecorder the controller uses, so both write exactly the same objects.
 *
 * It lives in src/controller rather than src/scan because the ports it returns are the controller's
 * types and the layering (test/unit/architecture.test.ts) lets controller import scan and kube,
 * not the reverse; src/cli still never imports src/kube.
 */

import { type EnvSources, EnvStore } from "../core/env.js";
import { defaultTargetMinor, toNodeFacts } from "../core/node.js";
import type { Policy } from "../core/policy.js";
import { type Coverage, type CoverageIssue, emptyCoverage, type ImageReport } from "../core/report.js";
import type { Target } from "../core/target.js";
import { makeTarget } from "../core/target.js";
import type { Finding, Severity } from "../core/types.js";
import { formatVersion } from "../core/version.js";
import type { JsonObject } from "../core/workload.js";
import { isObject, str, toK8sObject, toWorkloads } from "../core/workload.js";
import {
  ClusterClient,
  CORE_READS,
  CUSTOM_WORKLOADS,
  type Discovery,
  describePermission,
  isKubeError,
  KubeObjectSource,
  KubeWriter,
  REPORT_GROUPS,
  servedReportApi,
} from "../kube/index.js";
import {
  buildPolicyReports,
  buildSummaryConfigMap,
  MANAGED_BY,
  type PolicyReportObject,
  planSummaryWrite,
  planWrites,
  REPORT_NAME,
  type SummaryConfigMap,
} from "../reporters/policyreport.js";
import { ScanChecks } from "../scan/checks.js";
import { nodePlatforms } from "../scan/cluster.js";
import { nodeIssueSource, scanNodes } from "../scan/nodes.js";
import { nodePlacement } from "../scan/placement.js";
import { auditForSubject } from "../scan/subject-audit.js";
import { metricsObserver, reportPlanner } from "./adapters.js";
import { systemClock } from "./clock.js";
import { EventRecorder } from "./events.js";
import { type AuditedCarrier, auditImages, type RegistrySettings } from "./images.js";
import { AuditMetrics } from "./metrics.js";
import {
  ApiStatusError,
  type AuditFn,
  type AuditIssue,
  type ClusterView,
  type ObjectSource,
  type ReportPlanner,
  type ReportStore,
  type SubjectRef,
  type WriteOp,
} from "./ports.js";
import { controllerOwner, projectWorkload } from "./projection.js";
import { Publisher } from "./publisher.js";
import type { ControllerDeps, ControllerLog, WatchedResource } from "./run.js";
import { subjectKey, topOwner } from "./subjects.js";

export const REPORT_API_CHOICES = ["auto", "wgpolicyk8s", "openreports"] as const;
export type ReportApiChoice = (typeof REPORT_API_CHOICES)[number];

/** Everything the cluster side needs to build the controller's ports and audit engine. */
export interface ControllerSetup {
  kubeconfig?: string;
  context?: string;
  targetK8s?: string;
  targetRuntime?: string;
  /** --platform: images are checked for these instead of the platforms of their nodes. */
  platform?: string;
  /** Used as is when given (both versions were on the command line). */
  target?: Target;
  images: boolean;
  failOn: Severity | "none";
  reportApi: ReportApiChoice;
  identity: string;
  log: ControllerLog;
  /** Where the ConfigMap summary goes when no report API is served (the pod's namespace). */
  namespace?: string;
  /** The tool's version, recorded in the reports. */
  version?: string;
  ignore?: ReadonlySet<string>;
  /** Rule severities and exemptions (--config), as in `scan`. */
  policy?: Policy;
  /** `--as-of`: the day end-of-life dates are judged on (default: today). */
  asOf?: Date;
  /** `--kubelet-config`: read each kubelet's configz through the API server's node proxy. */
  kubeletConfig?: boolean;
  /** Event API calls per second and burst (default: unbounded for scan --publish). */
  eventRate?: { perSecond: number; burst: number };
  /** false (--no-secrets): pull secrets are not read. */
  readSecrets?: boolean;
  /** scan's registry settings (--registry-config, --insecure-registry, …), when images are checked. */
  registry?: RegistrySettings;
}

/** The audit could not start: unreachable cluster, refused credentials, a report API not served. */
export class ClusterSetupError extends Error {}

/** How long an unchanged Event stands before `scan --publish` refreshes it (kube-apiserver's event TTL is 1 h). */
const EVENT_REFRESH_MS = 30 * 60_000;

const LABEL_SELECTOR = `${MANAGED_BY.key}=${MANAGED_BY.value}`;

interface Connection {
  client: ClusterClient;
  discovery: Discovery;
  writer: KubeWriter;
  api: "wgpolicyk8s" | "openreports" | "configmap";
}

async function connect(setup: ControllerSetup): Promise<Connection> {
  try {
    const client = ClusterClient.fromKubeConfig({
      ...(setup.kubeconfig ? { kubeconfig: setup.kubeconfig } : {}),
      ...(setup.context ? { context: setup.context } : {}),
    });
    const discovery = await client.discover();
    const api = servedReportApi(discovery, setup.reportApi);
    if (api !== "configmap" && setup.reportApi !== "auto") {
      const g = REPORT_GROUPS[api];
      if (!discovery.find({ group: g.group, kind: g.namespaced }))
        throw new ClusterSetupError(
          `--report-api ${api}: the cluster does not serve ${g.namespaced} of ${g.group} (install its CRD, or use --report-api auto)`,
        );
    }
    return { client, discovery, writer: new KubeWriter(client, discovery), api };
  } catch (e) {
    if (isKubeError(e)) throw new ClusterSetupError(e.message);
    throw e;
  }
}

/**
 * The report objects for the chosen API, and a store that reads the ConfigMap summary by name
 * (the chart grants ConfigMap access in its own namespace only, never a cluster-wide list).
 */
function reportsFor(
  conn: Connection,
  setup: ControllerSetup,
  target: () => Target,
): { planner: ReportPlanner; store: ReportStore } {
  const version = setup.version ?? "0.0.0";
  const w = conn.writer;
  const store: ReportStore = {
    list: async (apiVersion, kind, opts) => {
      if (kind === "ConfigMap") {
        const ns = setup.namespace ?? "default";
        const cm = await w.get({ apiVersion, kind, namespace: ns, name: REPORT_NAME });
        return cm ? [cm] : [];
      }
      return w.list(apiVersion, kind, opts);
    },
    get: (ref) => w.get(ref),
    create: (obj) => w.create(obj),
    update: (obj) => w.update(obj),
    delete: (ref) => w.delete(ref),
  };
  if (conn.api === "configmap") {
    const namespace = setup.namespace ?? "default";
    const planner: ReportPlanner = {
      managedKinds: () => [{ apiVersion: "v1", kind: "ConfigMap", labelSelector: LABEL_SELECTOR }],
      desired: (findings, now, images, coverage) => {
        const p = reportPlanner({
          kinds: [],
          target: target(),
          version,
          build: (r) => [
            buildSummaryConfigMap(r, { failOn: setup.failOn, namespace }) as unknown as JsonObject,
          ],
          plan: () => [],
        });
        return p.desired(findings, now, images, coverage);
      },
      plan: (existing, desired) => {
        const want = desired[0] as unknown as SummaryConfigMap;
        const have = existing.find(
          (o) => isObject(o.metadata) && o.metadata.name === REPORT_NAME,
        ) as unknown as SummaryConfigMap | undefined;
        return [planSummaryWrite(have, want) as unknown as WriteOp];
      },
    };
    return { planner, store };
  }
  const api = conn.api;
  const g = REPORT_GROUPS[api];
  const apiVersion = api === "openreports" ? "openreports.io/v1alpha1" : "wgpolicyk8s.io/v1alpha2";
  const kinds = [
    { apiVersion, kind: g.namespaced, labelSelector: LABEL_SELECTOR },
    { apiVersion, kind: g.cluster, labelSelector: LABEL_SELECTOR },
  ];
  const make = () =>
    reportPlanner({
      kinds,
      target: target(),
      version,
      build: (r) => buildPolicyReports(r, { api, failOn: setup.failOn }) as unknown as JsonObject[],
      plan: (existing, desired) =>
        planWrites(
          existing as unknown as PolicyReportObject[],
          desired as unknown as PolicyReportObject[],
        ) as unknown as WriteOp[],
    });
  // Made again for each publish: the target follows the nodes (the default --target-k8s is the
  // minor after the newest kubelet).
  const planner: ReportPlanner = {
    managedKinds: () => kinds,
    desired: (findings, now, images, coverage) => make().desired(findings, now, images, coverage),
    plan: (existing, desired) => make().plan(existing, desired),
  };
  return { planner, store };
}

/** The target from the flags, with the defaults `scan` uses: the minor after the newest kubelet. */
export function targetFromNodes(setup: ControllerSetup, nodes: Iterable<JsonObject>): Target {
  if (setup.target) return setup.target;
  const list = [...nodes];
  const facts = list.flatMap((n) => {
    const f = toNodeFacts(n);
    return f ? [f] : [];
  });
  const next = defaultTargetMinor(facts);
  const t: { k8s?: string; runtimes?: string; platforms?: string } = {};
  const k8s = setup.targetK8s ?? (next ? formatVersion(next) : undefined);
  if (k8s) t.k8s = k8s;
  if (setup.targetRuntime) t.runtimes = setup.targetRuntime;
  const platforms = setup.platform ?? nodePlatforms(list).join(",");
  if (platforms) t.platforms = platforms;
  return makeTarget(t);
}

/** What the controller's audit reads from the cluster besides its cache: Secrets, ServiceAccounts, configz. */
export interface ClusterReads {
  client: Pick<ClusterClient, "get" | "nodeProxyGet">;
  discovery: Pick<Discovery, "find">;
}

/**
 * The controller's audit, the engine of `scan` over the cached objects: the workload rules on the
 * pod-template carriers of the requested subjects (a Deployment, a CronJob, a bare Pod…), the node
 * rules on the requested nodes (src/scan/nodes.ts, with the CgroupV1 events the controller watches
 * and, with --kubelet-config, each kubelet's configz), and the images those subjects use
 * (src/controller/images.ts: checked once, then served from the TTL cache).
 */
export function clusterAudit(
  setup: ControllerSetup,
  onTarget: (t: Target) => void,
  reads?: ClusterReads,
): AuditFn {
  const log = setup.log;
  // Each refusal logged once: a missing grant is a fact about the install, not about every audit.
  // Every issue also goes into the audit's result (the report's coverage), each time it happens.
  const refused = new Set<string>();
  // Batches never overlap (src/controller/debounce.ts), so one list serves the audit under way.
  let collected: AuditIssue[] = [];
  const issue = (level: AuditIssue["level"], i: CoverageIssue, subject?: SubjectRef) => {
    collected.push({ level, issue: i, ...(subject ? { subject } : {}) });
    const text = `${i.source}: ${i.reason}`;
    if (level !== "error" && refused.has(text)) return;
    refused.add(text);
    log[level === "error" ? "error" : "warn"](text);
  };
  const env = reads
    ? new EnvCache(reads, setup.readSecrets !== false, (i) => issue("warning", i))
    : undefined;
  return async (req) => {
    collected = [];
    const target = targetFromNodes(setup, req.view.list("Node"));
    onTarget(target);
    const ignore = setup.ignore ?? new Set<string>();
    const carriers: AuditedCarrier[] = [];
    // ConfigMaps and Secrets that env and mounted configs name are read by name, as `scan` reads them
    // (never listed or watched). The audit answers from the cache and records what it lacks; when
    // something was missing, it is read and the subjects are audited again with it.
    let subjectIssues: AuditIssue[] = [];
    const audit = (sources: EnvSources | undefined) => {
      subjectIssues = [];
      return auditSubjects(
        req.view,
        req.subjects,
        target,
        setup,
        (level, i, subject) => subjectIssues.push({ level, issue: i, subject }),
        setup.images ? carriers : undefined,
        sources,
      );
    };
    let asked = env?.recorder();
    let findings = audit(asked?.sources);
    if (env && asked && asked.missing.size > 0) {
      await env.read(asked.missing.values());
      carriers.length = 0;
      asked = env.recorder();
      findings = audit(asked.sources);
    }
    // Only the last pass's: the first one may have lacked a ConfigMap the second had.
    for (const i of subjectIssues) issue(i.level, i.issue, i.subject);
    const nodes: JsonObject[] = [];
    for (const s of req.subjects) {
      if (s.kind !== "Node") continue;
      const n = req.view.get("Node", undefined, s.name);
      if (n) nodes.push(n);
    }
    if (nodes.length > 0) {
      // The node audit of `scan` (src/scan/nodes.ts): a rule that throws is an error, a kubelet
      // whose configz cannot be read a skipped entry; both are logged, the audit goes on.
      const coverage = emptyCoverage();
      const noProxy = {
        nodeProxyGet: () => Promise.reject(new Error("no cluster access")),
      };
      await scanNodes(
        reads?.client ?? noProxy,
        { nodes, cgroupV1Events: [...req.view.list("Event")] },
        target,
        {
          ignore,
          ...(setup.asOf ? { asOf: setup.asOf } : {}),
          ...(setup.policy ? { policy: setup.policy } : {}),
          ...(setup.kubeletConfig ? { kubeletConfig: true } : {}),
        },
        { findings, coverage },
      );
      // Each entry names its node as nodeIssueSource does: filed under that node's subject.
      const nodeBySource = new Map<string, SubjectRef>();
      for (const n of nodes) {
        const name = isObject(n.metadata) ? str(n.metadata.name) : undefined;
        if (name) nodeBySource.set(nodeIssueSource(name), { kind: "Node", name });
      }
      for (const e of coverage.errors) issue("error", e, nodeBySource.get(e.source));
      for (const e of coverage.skipped) issue("skipped", e, nodeBySource.get(e.source));
    }
    if (!setup.images || !reads) return { findings, issues: collected };
    const r = await auditImages(
      carriers,
      {
        target,
        ignore,
        ...(setup.policy ? { policy: setup.policy } : {}),
        placements: setup.platform ? [] : [...req.view.list("Node")].map(nodePlacement),
      },
      {
        cache: req.images,
        registry: setup.registry ?? {},
        get: async (kind, namespace, name) =>
          kind === "Secret" && setup.readSecrets === false
            ? undefined
            : getByName(
                reads,
                kind,
                namespace,
                name,
                kind === "Secret"
                  ? "images using this pull secret are checked without it"
                  : "its pull secrets are not used",
                (i) => issue("warning", i),
              ),
        onIssue: (i) => issue("warning", i),
      },
    );
    if (r.fetched > 0) log.info(`images: ${r.fetched} fetched, ${r.errors} without a verdict`);
    return {
      findings,
      images: r.images,
      registry: { requests: r.requests, errors: r.errors },
      issues: collected,
    };
  };
}

interface EnvRef {
  kind: "configMap" | "secret";
  namespace: string;
  name: string;
}

/**
 * ConfigMaps and Secrets named by env (`envFrom`, `valueFrom`) and mounted log configs, read by name and
 * kept for ENV_TTL_MS: the controller does not watch them (that would mean listing every Secret), so an
 * edit to one is seen when its entry expires or a workload naming it changes after that.
 */
class EnvCache {
  static readonly TTL_MS = 10 * 60_000;
  readonly #entries = new Map<string, { obj: JsonObject | undefined; at: number }>();

  constructor(
    private readonly reads: ClusterReads,
    private readonly readSecrets: boolean,
    private readonly warn: (i: CoverageIssue) => void,
    private readonly now: () => number = Date.now,
  ) {}

  #fresh(key: string): { obj: JsonObject | undefined } | undefined {
    const e = this.#entries.get(key);
    return e && this.now() - e.at < EnvCache.TTL_MS ? e : undefined;
  }

  /** An EnvSources that answers from the cache and records what it does not hold (or holds expired). */
  recorder(): { sources: EnvSources; missing: Map<string, EnvRef> } {
    const missing = new Map<string, EnvRef>();
    const store = new EnvStore();
    for (const [key, e] of this.#entries) if (e.obj && this.#fresh(key)) store.add(toK8sObject(e.obj, {}));
    const sources: EnvSources = {
      lookup: (kind, namespace, name) => {
        if (!namespace || (kind === "secret" && !this.readSecrets)) return undefined;
        const key = `${kind}/${namespace}/${name}`;
        if (!this.#fresh(key)) {
          missing.set(key, { kind, namespace, name });
          return undefined;
        }
        return store.lookup(kind, namespace, name);
      },
    };
    return { sources, missing };
  }

  async read(refs: Iterable<EnvRef>): Promise<void> {
    await Promise.all(
      [...refs].map(async (r) => {
        const kind = r.kind === "secret" ? "Secret" : "ConfigMap";
        const obj = await getByName(
          this.reads,
          kind,
          r.namespace,
          r.name,
          "env and configs from it are not resolved",
          this.warn,
        );
        // Only what the engine reads: a large ConfigMap's other fields are not kept.
        const md = obj && isObject(obj.metadata) ? obj.metadata : undefined;
        const kept: JsonObject | undefined = obj
          ? {
              apiVersion: "v1",
              kind,
              metadata: { name: r.name, namespace: r.namespace, ...(md?.uid ? { uid: md.uid } : {}) },
              ...(isObject(obj.data) ? { data: obj.data } : {}),
              ...(isObject(obj.stringData) ? { stringData: obj.stringData } : {}),
            }
          : undefined;
        this.#entries.set(`${r.kind}/${r.namespace}/${r.name}`, { obj: kept, at: this.now() });
      }),
    );
  }
}

const BY_NAME = {
  Secret: CORE_READS.secrets,
  ServiceAccount: CORE_READS.serviceAccounts,
  ConfigMap: CORE_READS.configMaps,
} as const;

/**
 * A Secret, ServiceAccount or ConfigMap by name (never listed); a refusal is a warning saying `what`
 * goes without it, and reads as absent.
 */
async function getByName(
  reads: ClusterReads,
  kind: keyof typeof BY_NAME,
  namespace: string,
  name: string,
  what: string,
  warn: (i: CoverageIssue) => void,
): Promise<JsonObject | undefined> {
  const ref = reads.discovery.find(BY_NAME[kind]);
  if (!ref) return undefined;
  try {
    return await reads.client.get(ref, name, { namespace });
  } catch (e) {
    if (!isKubeError(e)) throw e;
    warn({
      source: `${kind} ${namespace}/${name}`,
      reason: e.permission ? `missing permission: ${describePermission(e.permission)} (${what})` : e.message,
    });
    return undefined;
  }
}

/**
 * The workload audit of the requested subjects. What `scan` puts in its coverage goes to `onIssue`
 * with the subject it is about: a rule that threw (an error: the subject was not fully audited), a
 * podSpecPatch that could not be read, an ignore annotation naming an unknown rule or suppressing
 * nothing (warnings), all from the ScanChecks that `files` and `scan` use.
 */
function auditSubjects(
  view: ClusterView,
  subjects: readonly SubjectRef[],
  target: Target,
  setup: Pick<ControllerSetup, "ignore" | "policy">,
  onIssue: (level: AuditIssue["level"], i: CoverageIssue, subject: SubjectRef) => void,
  carriers?: AuditedCarrier[],
  sources?: EnvSources,
): Finding[] {
  const out: Finding[] = [];
  const ignore = setup.ignore ?? new Set<string>();
  let current: SubjectRef | undefined;
  const checks = new ScanChecks(
    [],
    (kind, i) => {
      if (current)
        onIssue(kind === "error" ? "error" : kind === "skipped" ? "skipped" : "warning", i, current);
    },
    setup.policy ? { policy: setup.policy } : {},
  );
  let byOwner: Map<string, ControlledObject[]> | undefined;
  const carriersOf = (s: SubjectRef) => {
    byOwner ??= controlledCarriers(view);
    return liveCarriers(byOwner.get(subjectKey(s)) ?? []);
  };
  for (const s of subjects) {
    if (s.kind === "Node") continue;
    const obj = view.get(s.kind, s.namespace, s.name);
    // A subject the cache does not hold is an object of a kind the controller does not watch (an
    // operator's resource, a custom kind it may not list): it is audited through the cached objects
    // it controls (its pods, ReplicaSets, Jobs, StatefulSets), reported on it, as `scan` reports them
    // on their top owner. So is a watched one without a pod template of its own (an Argo Rollout with
    // workloadRef, a Workflow that only names a WorkflowTemplate).
    const targets: ControlledObject[] = obj ? [{ kind: s.kind, obj }] : carriersOf(s);
    const subject = { kind: s.kind, name: s.name, ...(s.namespace ? { namespace: s.namespace } : {}) };
    const seen = new Set<string>();
    for (let i = 0; i < targets.length; i++) {
      const t = targets[i] as ControlledObject;
      const self = t.obj === obj;
      const md = isObject(t.obj.metadata) ? t.obj.metadata : {};
      const uid = self ? str(md.uid) : s.uid;
      const audited = auditForSubject(t.obj, subject, {
        ctx: { target },
        ignore,
        ...(sources ? { sources } : {}),
        ...(setup.policy ? { policy: setup.policy } : {}),
        ...(uid ? { uid } : {}),
        ...(self ? {} : { audited: { kind: t.kind, name: str(md.name) ?? "" } }),
      });
      if (self && audited.result.workloads.length === 0) targets.push(...carriersOf(s));
      for (const f of audited.findings) {
        // Several pods or ReplicaSets of one owner usually share their spec: one finding each.
        const key = [f.ruleId, f.subject.container, f.message].join("\u0000");
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(f);
      }
      current = s;
      checks.object(audited.object, audited.result);
      current = undefined;
      if (carriers && audited.result.workloads.length > 0) {
        const exempt = checks.imageExemptions(audited.object);
        carriers.push({ subject, result: audited.result, ...(exempt ? { exempt } : {}) });
      }
    }
  }
  return out;
}

interface ControlledObject {
  kind: string;
  obj: JsonObject;
}

/**
 * The cached objects that carry a pod template for an owner that has none to audit, by the owner's
 * subject key (the key the controller files their changes under, src/controller/subjects.ts
 * topOwner): those whose controller owner is not cached, or is cached without a pod template of its
 * own. An object whose owner carries the template (a Deployment's ReplicaSets, a CronWorkflow's
 * Workflows) is not one: the owner is audited, as `scan` audits only the topmost template. Built
 * once per audit that needs it: one pass over the cache.
 */
function controlledCarriers(view: ClusterView): Map<string, ControlledObject[]> {
  const out = new Map<string, ControlledObject[]>();
  const lookup = (kind: string, ns: string | undefined, name: string) => view.get(kind, ns, name);
  const ownerHasTemplate = new Map<JsonObject, boolean>();
  for (const kind of view.kinds()) {
    if (kind === "Node" || kind === "Namespace" || kind === "Event") continue;
    for (const obj of view.list(kind)) {
      const owner = controllerOwner(obj);
      const ownerKind = owner ? str(owner.kind) : undefined;
      const ownerName = owner ? str(owner.name) : undefined;
      if (!ownerKind || !ownerName) continue;
      const md = isObject(obj.metadata) ? obj.metadata : {};
      const ownerObj = lookup(ownerKind, str(md.namespace), ownerName);
      if (ownerObj) {
        let has = ownerHasTemplate.get(ownerObj);
        if (has === undefined) {
          has = toWorkloads(toK8sObject(ownerObj, {})).length > 0;
          ownerHasTemplate.set(ownerObj, has);
        }
        if (has) continue;
      }
      const key = subjectKey(topOwner(obj, kind, lookup));
      const list = out.get(key);
      if (list) list.push({ kind, obj });
      else out.set(key, [{ kind, obj }]);
    }
  }
  return out;
}

/** The revision annotations an owner's ReplicaSets carry (Argo Rollouts; Deployments, for the record). */
const REVISION_ANNOTATIONS = ["rollout.argoproj.io/revision", "deployment.kubernetes.io/revision"];

function revisionOf(c: ControlledObject): number | undefined {
  const a =
    isObject(c.obj.metadata) && isObject(c.obj.metadata.annotations) ? c.obj.metadata.annotations : {};
  for (const k of REVISION_ANNOTATIONS) {
    const n = Number(str(a[k]));
    if (Number.isInteger(n)) return n;
  }
  return undefined;
}

/**
 * An owner keeps its old ReplicaSets scaled to zero (an Argo Rollout's revision history): when some
 * of its objects run, the ones scaled to zero are not what runs and are left out; when none runs (the
 * owner is scaled to zero), the newest revision stands for it.
 */
function liveCarriers(list: readonly ControlledObject[]): ControlledObject[] {
  const scaledToZero = (c: ControlledObject) => isObject(c.obj.spec) && c.obj.spec.replicas === 0;
  const live = list.filter((c) => !scaledToZero(c));
  if (live.length > 0) return live;
  let newest: ControlledObject | undefined;
  let newestRevision = -1;
  for (const c of list) {
    const r = revisionOf(c);
    if (r === undefined) return [...list];
    if (newest === undefined || r > newestRevision) {
      newest = c;
      newestRevision = r;
    }
  }
  return newest ? [newest] : [];
}

/** ControllerDeps for runController on the cluster of the kubeconfig (the `controller` command). */
export async function controllerDeps(setup: ControllerSetup): Promise<ControllerDeps> {
  const conn = await connect(setup);
  setup.log.info(
    `connected to ${conn.client.server}; publishing ${conn.api === "configmap" ? `the ConfigMap summary ${setup.namespace ?? "default"}/${REPORT_NAME}` : `${REPORT_GROUPS[conn.api].namespaced} objects of ${REPORT_GROUPS[conn.api].group}`}`,
  );
  let target = setup.target ?? targetFromNodes(setup, []);
  const { planner, store } = reportsFor(conn, setup, () => target);
  const metrics = new AuditMetrics();
  const source: ObjectSource = new KubeObjectSource(conn.client);
  // The custom workload kinds `scan` lists (src/kube/resources.ts), watched where served, so a template
  // is audited before anything runs from it (an Argo CronWorkflow, a Tekton Task), as scan audits it;
  // the objects they control are then reported on them.
  const extraResources: WatchedResource[] = CUSTOM_WORKLOADS.flatMap((gk) => {
    const served = conn.discovery.find(gk);
    if (!served?.verbs.includes("watch")) return [];
    const { group, version, resource, kind, namespaced } = served;
    return [{ spec: { group, version, resource, kind, namespaced }, project: projectWorkload }];
  });
  if (extraResources.length > 0)
    setup.log.info(`watching custom workloads: ${extraResources.map((r) => r.spec.resource).join(", ")}`);
  return {
    source,
    extraResources,
    reports: store,
    leases: conn.writer.leases(),
    events: conn.writer.events(),
    audit: clusterAudit(
      setup,
      (t) => {
        target = t;
      },
      { client: conn.client, discovery: conn.discovery },
    ),
    planner,
    log: setup.log,
    metrics,
    observer: metricsObserver(metrics, {
      get target() {
        return target;
      },
      version: setup.version ?? "0.0.0",
      now: () => new Date(),
    }),
  };
}

export interface PublishOutcome {
  api: Connection["api"];
  writes: number;
  events: number;
  errors: string[];
}

/**
 * `scan --publish`: writes one scan's findings as the controller would (same objects, same
 * planner): nothing when nothing changed, a report whose namespace has no findings left is
 * deleted, one Event per finding at or above --fail-on on its workload. Write failures (a 403
 * because RBAC is missing) are returned, not thrown: the audit itself ran.
 */
export async function publishFindings(
  setup: ControllerSetup,
  findings: readonly Finding[],
  target: Target,
  images?: readonly ImageReport[],
  coverage?: Coverage,
): Promise<PublishOutcome> {
  const conn = await connect(setup);
  const { planner, store } = reportsFor(conn, setup, () => target);
  const publisher = new Publisher(store, planner);
  let result: { writes: number; errors: string[] };
  try {
    result = await publisher.publish(findings, new Date(), images, coverage);
  } catch (e) {
    result = {
      writes: 0,
      errors: [`reading existing reports: ${e instanceof Error ? e.message : String(e)}`],
    };
  }
  const errors = [...result.errors];
  // One process per run: an Event this run would only re-announce (same message, refreshed within
  // the last EVENT_REFRESH_MS) is adopted as it is (EventRecorder), so an unchanged cluster gets no
  // writes at all.
  const sink = conn.writer.events();
  const quiet = {
    ...sink,
    create: async (e: JsonObject) => {
      // Read first, so an Event an earlier run wrote costs no refused POST (409) either.
      const md = isObject(e.metadata) ? e.metadata : {};
      if (await sink.get(str(md.namespace) ?? "", str(md.name) ?? ""))
        throw new ApiStatusError(409, "the Event exists");
      return sink.create(e);
    },
  };
  const recorder = new EventRecorder({
    sink: quiet,
    clock: systemClock,
    instance: setup.identity,
    minSeverity: setup.failOn,
    refreshMs: EVENT_REFRESH_MS,
    ...(setup.eventRate ? { rate: setup.eventRate } : {}),
    onError: (m) => errors.push(m),
  });
  recorder.record(findings, (s) => s);
  await recorder.idle();
  const eventWrites = recorder.writes;
  return { api: conn.api, writes: result.writes, events: eventWrites, errors };
}
