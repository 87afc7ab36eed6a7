/**
 * Use case: audit a live cluster (`scan`, the kubectl plugin). Reads the inventory through src/kube,
 * finds the top owner of every pod template, runs the same workload rules as the `files` command
 * once per template, and reports each finding on the top owner:
 *  - Pod → ReplicaSet → Deployment, Pod → Job → CronJob, and any owner kind the API serves (an Argo
 *    Workflow, an operator's custom resource): the controller ownerReference is followed, through a
 *    metadata-only get for kinds that are not listed;
 *  - the object audited is the topmost one that carries a pod template (a Deployment, not its
 *    ReplicaSets or pods); when an owner's API is not served (its CRD is gone) or the owner is
 *    missing, the pod itself is audited and is the subject; mirror (static) pods, owned by their
 *    Node, are pods;
 *  - ReplicaSets scaled to 0 (a Deployment's old revisions, or abandoned ones) are not audited.
 * Nothing is written to the cluster. Secrets are read only by name, for pull secrets, when images
 * are checked.
 */
import { type EnvSources, EnvStore } from "../core/env.js";
import type { NodeEntry } from "../core/node.js";
import type { Policy } from "../core/policy.js";
import { type Coverage, type CoverageIssue, emptyCoverage, type ImageReport } from "../core/report.js";
import type { RuleContext, WorkloadRule } from "../core/rule.js";
import type { Target } from "../core/target.js";
import type { Finding } from "../core/types.js";
import { isObject, type JsonObject, str, toK8sObject, toWorkloads } from "../core/workload.js";
import {
  ClusterClient,
  type ClusterClientOptions,
  describePermission,
  getNamed,
  getOwnerMetadata,
  type Inventory,
  isKubeError,
  type Permission,
  parseApiVersion,
  readInventory,
  trimObject,
} from "../kube/index.js";
import type { CredentialStore } from "../registry/index.js";
import { workloadRules } from "../rules/workload/index.js";
import { ScanChecks } from "./checks.js";
import type { ImageAccess, ImageUse, ImageUses } from "./images.js";
import { type ClusterNodeOptions, scanNodes } from "./nodes.js";
import { nodePlacement, templatePlatforms } from "./placement.js";
import { auditForSubject } from "./subject-audit.js";

/** Usages kept per image, as in the files scan. */
const MAX_USES_PER_IMAGE = 20;
/** Owner chains longer than this are cut (a loop in ownerReferences must not hang the scan). */
const MAX_OWNER_DEPTH = 10;

/** The audit could not run at all (unreachable cluster, refused credentials, bad kubeconfig): exit 2. */
export class ClusterScanError extends Error {}

export interface ClusterScanOptions {
  kubeconfig?: string;
  context?: string;
  /** `-n` (repeatable); undefined = all namespaces. */
  namespaces?: string[];
  labelSelector?: string;
  /**
   * The target, or how to make it once the nodes are known (the default --target-k8s is the minor
   * after the newest kubelet; the default platforms are the nodes' platforms).
   */
  target: Target | ((facts: ClusterFacts) => Target);
  ignore: ReadonlySet<string>;
  rules?: readonly WorkloadRule[];
  /** Collect the distinct images with their uses and the pull secrets they name (for --no-images off). */
  collectImages?: boolean;
  /**
   * Check each image for the platforms of the nodes its workloads can be placed on (default true);
   * false when the user named the platforms (--platform).
   */
  platformsFromNodes?: boolean;
  /** Rule severities and exemptions (--config), as in the files scan. */
  policy?: Policy;
  /**
   * Read Secrets (default true): the pull secrets pods name, and the Secrets their env and mounted
   * log configs name. False (--no-secrets) reads none: ConfigMaps still resolve, images are tried
   * with the run's own credentials only.
   */
  readSecrets?: boolean;
  env?: Record<string, string | undefined>;
  client?: ClusterClientOptions;
  onProgress?: (text: string) => void;
  /** Coverage problems as they happen, for the stderr log. */
  onIssue?: (issue: CoverageIssue) => void;
  /** The node audit: --as-of, --kubelet-config, the config file's policy (src/scan/nodes.ts). */
  node?: Omit<ClusterNodeOptions, "ignore" | "onIssue">;
}

export interface ClusterScanResult {
  findings: Finding[];
  coverage: Coverage;
  target: Target;
  /**
   * Distinct images with where they are used (with `collectImages`), each use grouped with the pull
   * credentials of its pods (`ImageUses.access`) and the platforms of the nodes it can run on.
   */
  images: Map<string, ImageUses>;
  /** After the images were checked: warn about ignore-annotation entries for image rules that suppressed nothing. */
  settleImageIgnores: (images: readonly ImageReport[]) => void;
  /** Trimmed Node objects, for the node rules. */
  nodes: JsonObject[];
  /** Kubelet CgroupV1 Warning events. */
  cgroupV1Events: JsonObject[];
  /** The report's `nodes[]`. */
  nodeEntries: NodeEntry[];
  context: string;
  server: string;
}

/** What the target defaults depend on. */
export interface ClusterFacts {
  /** The newest kubelet minor among the nodes, "1.30"; undefined without readable nodes. */
  newestKubelet?: string;
  /** Distinct node platforms, "linux/amd64", from the kubernetes.io/os and /arch labels or nodeInfo. */
  platforms: string[];
}

interface Ref {
  apiVersion: string;
  kind: string;
  name: string;
  uid?: string;
}

/** One object in the owner graph: listed (with its raw object), or known only by its metadata. */
interface Entry {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
  controller?: Ref;
  /** Audited as a template carrier (listed workload with a pod template, not scaled to 0). */
  carrier: boolean;
  /** The trimmed object; absent for compact entries (re-read by name if they must be audited). */
  raw?: JsonObject;
  /** Kept without its object because its controller normally carries the template. */
  compact?: boolean;
}

/** Pods owned by these built-in controllers are kept without their spec until needed. */
const COMPACT_OWNERS = new Set([
  "apps/ReplicaSet",
  "batch/Job",
  "apps/StatefulSet",
  "apps/DaemonSet",
  "/ReplicationController",
]);

function controllerOf(md: JsonObject): Ref | undefined {
  if (!Array.isArray(md.ownerReferences)) return undefined;
  for (const o of md.ownerReferences) {
    if (!isObject(o) || o.controller !== true) continue;
    const apiVersion = str(o.apiVersion);
    const kind = str(o.kind);
    const name = str(o.name);
    if (!apiVersion || !kind || !name) continue;
    const ref: Ref = { apiVersion, kind, name };
    const uid = str(o.uid);
    if (uid) ref.uid = uid;
    return ref;
  }
  return undefined;
}

function metadataOf(o: JsonObject): JsonObject {
  return isObject(o.metadata) ? o.metadata : {};
}

function entryOf(o: JsonObject, carrier: boolean): Entry {
  const md = metadataOf(o);
  const e: Entry = {
    apiVersion: str(o.apiVersion) ?? "",
    kind: str(o.kind) ?? "",
    name: str(md.name) ?? "",
    carrier,
  };
  const ns = str(md.namespace);
  if (ns) e.namespace = ns;
  const uid = str(md.uid);
  if (uid) e.uid = uid;
  const c = controllerOf(md);
  if (c) e.controller = c;
  return e;
}

const groupKind = (r: Ref) => `${parseApiVersion(r.apiVersion).group}/${r.kind}`;

/**
 * A pod as kept in memory. A pod that a built-in controller owns is kept as an owner-graph entry
 * only (no spec): its controller's template is what gets audited. Others keep the trimmed object.
 * At 50,000 pods this is most of the memory saved.
 */
function podEntry(p: JsonObject): Entry {
  const e = entryOf(p, true);
  if (e.controller && COMPACT_OWNERS.has(groupKind(e.controller))) e.compact = true;
  else e.raw = p;
  return e;
}

/** Controllers whose template makes their children's redundant (ReplicaSets, Jobs). */
const TEMPLATE_OWNERS = new Set(["apps/Deployment", "batch/CronJob"]);

/** A listed workload: kept whole, except a ReplicaSet/Job that a Deployment/CronJob controls. */
function workloadEntry(w: JsonObject): Entry {
  const e = entryOf(w, !replicasZero(w) && carriesTemplate(w));
  if (e.carrier && e.controller && TEMPLATE_OWNERS.has(groupKind(e.controller))) e.compact = true;
  else e.raw = w;
  return e;
}

/** Whether the engine finds a pod template in the object (a listed custom kind may have none). */
function carriesTemplate(o: JsonObject): boolean {
  return toWorkloads(toK8sObject(o, {})).length > 0;
}

function replicasZero(o: JsonObject): boolean {
  return o.kind === "ReplicaSet" && isObject(o.spec) && o.spec.replicas === 0;
}

/** "v1.30.4-eks-1" -> [1, 30]; the newest kubelet minor among nodes, as "1.30". */
function newestKubelet(nodes: readonly JsonObject[]): string | undefined {
  let best: [number, number] | undefined;
  for (const n of nodes) {
    const info = isObject(n.status) && isObject(n.status.nodeInfo) ? n.status.nodeInfo : {};
    const m = /^v?(\d+)\.(\d+)/.exec(str(info.kubeletVersion) ?? "");
    if (!m) continue;
    const v: [number, number] = [Number(m[1]), Number(m[2])];
    if (!best || v[0] > best[0] || (v[0] === best[0] && v[1] > best[1])) best = v;
  }
  return best ? `${best[0]}.${best[1]}` : undefined;
}

/** The nodes' `os/arch` pairs (labels first, then nodeInfo), sorted: the default target platforms. */
export function nodePlatforms(nodes: readonly JsonObject[]): string[] {
  const out = new Set<string>();
  for (const n of nodes) {
    const labels = isObject(metadataOf(n).labels) ? (metadataOf(n).labels as JsonObject) : {};
    const info = isObject(n.status) && isObject(n.status.nodeInfo) ? n.status.nodeInfo : {};
    const os = str(labels["kubernetes.io/os"]) ?? str(info.operatingSystem);
    const arch = str(labels["kubernetes.io/arch"]) ?? str(info.architecture);
    if (os && arch) out.add(`${os}/${arch}`);
  }
  return [...out].sort();
}

interface EnvRef {
  kind: "configMap" | "secret";
  namespace: string;
  name: string;
}

function permissionIssue(p: Permission): CoverageIssue {
  return { source: "cluster", reason: `missing permission: ${describePermission(p)}` };
}

export async function scanCluster(opts: ClusterScanOptions): Promise<ClusterScanResult> {
  const progress = opts.onProgress;
  let client: ClusterClient;
  try {
    client = ClusterClient.fromKubeConfig({
      ...(opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {}),
      ...(opts.context ? { context: opts.context } : {}),
      ...(opts.env ? { env: opts.env } : {}),
      ...opts.client,
    });
  } catch (e) {
    if (isKubeError(e)) throw new ClusterScanError(e.message);
    throw e;
  }
  const coverage = emptyCoverage();
  const issue = (i: CoverageIssue) => {
    coverage.errors.push(i);
    opts.onIssue?.(i);
  };

  let inv: Inventory<Entry, Entry>;
  try {
    const invOpts: Parameters<typeof readInventory<Entry, Entry>>[1] = {
      mapPod: podEntry,
      mapWorkload: workloadEntry,
      ...(progress ? { onList: (what: string, n: number) => progress(`read ${n} ${what}`) } : {}),
    };
    if (opts.namespaces) invOpts.namespaces = opts.namespaces;
    if (opts.labelSelector) invOpts.labelSelector = opts.labelSelector;
    inv = await readInventory(client, invOpts);
  } catch (e) {
    if (isKubeError(e)) throw new ClusterScanError(e.message);
    throw e;
  }
  const forbidden = [...inv.forbidden];
  for (const gk of inv.discovery.failedGroups)
    issue({ source: "cluster", reason: `API discovery failed for ${gk}` });

  let target: Target;
  if (typeof opts.target === "function") {
    const facts: ClusterFacts = { platforms: nodePlatforms(inv.nodes) };
    const newest = newestKubelet(inv.nodes);
    if (newest) facts.newestKubelet = newest;
    target = opts.target(facts);
  } else target = opts.target;
  const rules = opts.rules ?? workloadRules;
  const ctx: RuleContext = { target };
  /** A warning: the audit is complete, but something the user should know was not read or used. */
  const warn = (i: CoverageIssue) => {
    coverage.warnings ??= [];
    coverage.warnings.push(i);
    opts.onIssue?.(i);
  };
  // Rule failures and ignore annotations that name unknown rules or suppress nothing: as in `files`.
  const checks = new ScanChecks(
    [],
    (kind, i) => {
      if (kind === "error") issue(i);
      else if (kind === "warning") warn(i);
      else coverage.skipped.push(i);
    },
    {
      ...(opts.policy ? { policy: opts.policy } : {}),
      ...(opts.collectImages ? { checkImages: true } : {}),
    },
  );
  const placements = opts.platformsFromNodes === false ? [] : inv.nodes.map(nodePlacement);
  // The registry client (and undici under it) is loaded only when images are checked: `--no-images`
  // must not pay for its import.
  const registry = opts.collectImages ? await import("../registry/index.js") : undefined;

  // The owner graph: every listed workload and pod by uid.
  const byUid = new Map<string, Entry>();
  const listed = inv.workloads;
  for (const e of listed) if (e.uid) byUid.set(e.uid, e);
  const pods = inv.pods;
  coverage.objects = inv.workloads.length + inv.pods.length + inv.nodes.length;

  // Owners that are not listed, read once each (metadata only).
  const fetched = new Map<string, Promise<Entry | undefined>>();
  const notedForbidden = new Set<string>();
  async function owner(of: Entry): Promise<Entry | undefined> {
    const c = of.controller;
    if (!c) return undefined;
    if (c.kind === "Node" && parseApiVersion(c.apiVersion).group === "") return undefined; // mirror pod
    if (c.uid) {
      const known = byUid.get(c.uid);
      if (known) return known;
    }
    const key = `${c.apiVersion}/${c.kind}/${of.namespace ?? ""}/${c.name}`;
    let p = fetched.get(key);
    if (!p) {
      p = (async () => {
        const r = await getOwnerMetadata(client, inv.discovery, c, of.namespace);
        if (r.status === "forbidden") {
          const k = describePermission(r.permission);
          if (!notedForbidden.has(k)) {
            notedForbidden.add(k);
            forbidden.push(r.permission);
          }
          return undefined;
        }
        if (r.status !== "found") return undefined;
        const e = entryOf({ apiVersion: c.apiVersion, kind: c.kind, metadata: r.metadata }, false);
        if (e.uid && c.uid && e.uid !== c.uid) return undefined; // a new object under the old name
        return e;
      })();
      fetched.set(key, p);
    }
    return p;
  }

  /** The chain above an object (nearest first). */
  async function ancestors(e: Entry): Promise<Entry[]> {
    const out: Entry[] = [];
    let cur: Entry | undefined = e;
    const seen = new Set<Entry>([e]);
    while (cur && out.length < MAX_OWNER_DEPTH) {
      const up: Entry | undefined = await owner(cur);
      if (!up || seen.has(up)) break;
      seen.add(up);
      out.push(up);
      cur = up;
    }
    return out;
  }

  /**
   * The same chain when every owner is listed (the common case), without a promise per object;
   * undefined when an owner must be read first.
   */
  function ancestorsListed(e: Entry): Entry[] | undefined {
    const out: Entry[] = [];
    let cur = e;
    while (out.length < MAX_OWNER_DEPTH) {
      const c = cur.controller;
      if (!c || (c.kind === "Node" && parseApiVersion(c.apiVersion).group === "")) return out;
      const up = c.uid ? byUid.get(c.uid) : undefined;
      if (!up) return undefined;
      if (up === e || out.includes(up)) return out;
      out.push(up);
      cur = up;
    }
    return out;
  }

  async function chains(entries: readonly Entry[]): Promise<Entry[][]> {
    const out: (Entry[] | undefined)[] = entries.map(ancestorsListed);
    const pending: number[] = [];
    out.forEach((c, i) => {
      if (!c) pending.push(i);
    });
    await Promise.all(
      pending.map(async (i) => {
        out[i] = await ancestors(entries[i] as Entry);
      }),
    );
    return out as Entry[][];
  }

  const findings: Finding[] = [];
  const dedupe = new Set<string>();
  const images = new Map<string, ImageUses>();
  const pullSecretRefs = new Map<string, { namespace: string; name: string }>();
  /** Uses grouped by the pull secrets that apply to them: "namespace/secret,secret" -> group. */
  const accessGroups: { names: string[]; namespace: string; group: ImageAccess }[] = [];
  const saByKey = new Map<string, JsonObject>();
  for (const sa of inv.serviceAccounts) {
    const md = metadataOf(sa);
    saByKey.set(`${str(md.namespace) ?? ""}/${str(md.name) ?? ""}`, sa);
  }

  /** Objects whose env or mounted configs name ConfigMaps/Secrets: audited once those are read. */
  const deferred: { subjectOf: Entry; e: Entry; raw: JsonObject }[] = [];
  const envRefs = new Map<string, EnvRef>();

  /** The one place the engine runs over a cluster object. */
  function audit(subjectOf: Entry, e: Entry, raw: JsonObject, sources?: EnvSources): void {
    // First pass: record which ConfigMaps/Secrets the engine asks for (env, mounted log configs).
    // An object that asks for any is audited again once they are read (see below).
    const asked: EnvRef[] = [];
    const src: EnvSources = sources ?? {
      lookup(kind, namespace, name) {
        if (namespace) asked.push({ kind, namespace, name });
        return undefined;
      },
    };
    const {
      findings: found,
      result,
      object: obj,
    } = auditForSubject(raw, subjectOf, {
      ctx,
      ignore: opts.ignore,
      rules,
      sources: src,
      ...(opts.policy ? { policy: opts.policy } : {}),
      ...(subjectOf !== e ? { audited: e } : {}),
      ...(e.uid ? { uid: e.uid } : {}),
    });
    if (!sources && asked.length > 0) {
      deferred.push({ subjectOf, e, raw });
      for (const r of asked) envRefs.set(`${r.kind}/${r.namespace}/${r.name}`, r);
      return;
    }
    checks.object(obj, result);
    if (result.workloads.length === 0) return;
    coverage.workloads += result.workloads.length;
    for (const wl of result.workloads) coverage.containers += wl.template.containers.length;
    for (const f of found) {
      const key = [
        f.ruleId,
        f.subject.kind,
        f.subject.namespace,
        f.subject.name,
        f.subject.container,
        f.message,
      ].join("\u0000");
      if (dedupe.has(key)) continue;
      dedupe.add(key);
      findings.push(f);
    }
    if (!registry) return;
    const ns = e.namespace ?? "";
    const exempt = checks.imageExemptions(obj);
    for (const wl of result.workloads) {
      // The kubelet pulls with the pod's imagePullSecrets; the ServiceAccount admission plugin copies
      // the service account's into a pod that names none
      // (https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/#serviceaccount-admission-controller).
      let names = [...wl.template.imagePullSecrets];
      if (names.length === 0) {
        const sa = saByKey.get(`${ns}/${wl.template.serviceAccountName ?? "default"}`);
        for (const s of Array.isArray(sa?.imagePullSecrets) ? sa.imagePullSecrets : []) {
          const n = isObject(s) ? str(s.name) : undefined;
          if (n) names.push(n);
        }
      }
      names = [...new Set(names)];
      for (const n of names) pullSecretRefs.set(`${ns}/${n}`, { namespace: ns, name: n });
      const accessKey = `${ns}/${names.join(",")}`;
      const platforms = placements.length
        ? templatePlatforms(wl.template.spec, wl.template.nodeSelector, placements)
        : undefined;
      for (const c of wl.template.containers) {
        if (!c.image) continue;
        let entry = images.get(c.image);
        if (!entry) {
          entry = { uses: [], total: 0, ignore: result.annotationIgnore, access: new Map() };
          if (exempt && exempt.size > 0) entry.exempt = new Map(exempt);
          images.set(c.image, entry);
        } else {
          if (entry.ignore && entry.ignore.size > 0)
            entry.ignore = new Set([...entry.ignore].filter((r) => result.annotationIgnore.has(r)));
          // An exemption holds for the image only when every workload using it has it.
          if (entry.exempt)
            for (const r of [...entry.exempt.keys()]) if (!exempt?.has(r)) entry.exempt.delete(r);
        }
        // Platforms: the union over the uses; a use that could land on any node widens it to all.
        if (entry.total === 0 || entry.platforms) {
          if (!platforms) delete entry.platforms;
          else {
            const all = new Map((entry.platforms ?? []).map((p) => [`${p.os}/${p.architecture}`, p]));
            for (const p of platforms) all.set(`${p.os}/${p.architecture}`, p);
            entry.platforms = [...all.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, p]) => p);
          }
        }
        entry.total++;
        let group = entry.access?.get(accessKey);
        if (!group) {
          group = { credentials: registry.CredentialStore.empty(), uses: [], total: 0 };
          entry.access?.set(accessKey, group);
          accessGroups.push({ names, namespace: ns, group });
        }
        group.total++;
        const use: ImageUse = { kind: subjectOf.kind, name: subjectOf.name, container: c.name };
        if (subjectOf.namespace) use.namespace = subjectOf.namespace;
        const same = (u: ImageUse) =>
          u.kind === use.kind &&
          u.name === use.name &&
          u.namespace === use.namespace &&
          u.container === use.container;
        if (entry.uses.length < MAX_USES_PER_IMAGE && !entry.uses.some(same)) entry.uses.push(use);
        if (group.uses.length < MAX_USES_PER_IMAGE && !group.uses.some(same)) group.uses.push(use);
      }
    }
  }

  // Listed workloads: audited unless an ancestor carries the template (ReplicaSets of a Deployment,
  // Jobs of a CronJob), reported on the top owner. Owner lookups run concurrently (the client bounds
  // them); auditing then goes in list order so the output is deterministic. Compact entries whose
  // controller turns out not to cover them (deleted, not listable) are re-read by name.
  progress?.("resolving owners");
  const refetch: { e: Entry; subject: Entry }[] = [];
  const visit = (e: Entry, up: readonly Entry[]) => {
    if (!e.carrier || up.some((a) => a.carrier)) return;
    const subject = up.at(-1) ?? e;
    if (e.raw) audit(subject, e, e.raw);
    else refetch.push({ e, subject });
  };
  const listedUp = await chains(listed);
  for (const [i, e] of listed.entries()) visit(e, listedUp[i] ?? []);
  const podsUp = await chains(pods);
  for (const [i, p] of pods.entries()) visit(p, podsUp[i] ?? []);
  for (const { e, subject } of refetch) {
    const ref = inv.discovery.forApiVersion(e.apiVersion, e.kind);
    try {
      const full = ref
        ? await client.get(ref, e.name, e.namespace ? { namespace: e.namespace } : {})
        : undefined;
      if (full) audit(subject, e, trimObject(full));
    } catch (err) {
      if (isKubeError(err) && err.permission) forbidden.push(err.permission);
      else if (isKubeError(err))
        issue({ source: `${e.kind} ${e.namespace ?? ""}/${e.name}`, reason: err.message });
      else throw err;
    }
  }

  // ConfigMaps and Secrets that pods' env and mounted configs name: read by name (never listed),
  // then the objects that name them are audited with them, as the files scan does with its input's.
  if (deferred.length > 0) {
    progress?.("reading referenced ConfigMaps and Secrets");
    const store = new EnvStore();
    const refs = [...envRefs.values()];
    const read = async (kind: "ConfigMap" | "Secret", want: EnvRef[], refused: Permission[]) => {
      if (want.length === 0) return;
      try {
        const got = await getNamed(client, inv.discovery, kind, want, refused);
        // The API serves them with apiVersion and kind, which EnvStore keys on.
        for (const o of got.values()) store.add(toK8sObject({ apiVersion: "v1", kind, ...o }, {}));
      } catch (err) {
        if (isKubeError(err)) issue({ source: "cluster", reason: err.message });
        else throw err;
      }
    };
    const refusedEnv: Permission[] = [];
    await read(
      "ConfigMap",
      refs.filter((r) => r.kind === "configMap"),
      forbidden,
    );
    if (opts.readSecrets !== false) {
      await read(
        "Secret",
        refs.filter((r) => r.kind === "secret"),
        refusedEnv,
      );
    }
    for (const p of refusedEnv)
      warn({
        source: "cluster",
        reason: `${permissionIssue(p).reason} (env and configs from this Secret are not resolved)`,
      });
    for (const d of deferred) audit(d.subjectOf, d.e, d.raw, store);
  }

  // Pull secrets: get by name, only those named, only when images are checked. Each group of uses
  // gets the credentials of its own secrets (in the order named), never another namespace's.
  if (registry && opts.readSecrets !== false && pullSecretRefs.size > 0) {
    progress?.("reading pull secrets");
    try {
      // A refused secret get is a warning, not an incomplete audit: the images it would open are
      // reported `unknown` (auth) on their own, so nothing passes silently.
      const refused: Permission[] = [];
      const secrets = await getNamed(client, inv.discovery, "Secret", pullSecretRefs.values(), refused);
      for (const p of refused)
        warn({
          source: "cluster",
          reason: `${permissionIssue(p).reason} (images using this pull secret are checked without it)`,
        });
      const stores = new Map<string, CredentialStore>();
      for (const [key, s] of secrets) {
        const type = str(s.type) ?? "";
        const data: Record<string, string> = {};
        if (isObject(s.data))
          for (const [k, v] of Object.entries(s.data)) if (typeof v === "string") data[k] = v;
        try {
          stores.set(key, registry.credentialsFromSecret(type, data, `pull secret ${key}`));
        } catch (e) {
          issue({ source: `Secret ${key}`, reason: e instanceof Error ? e.message : String(e) });
        }
      }
      for (const { names, namespace, group } of accessGroups) {
        const own = names.flatMap((n) => stores.get(`${namespace}/${n}`) ?? []);
        group.credentials = registry.CredentialStore.empty().merge(...own);
      }
    } catch (e) {
      if (isKubeError(e)) issue({ source: "cluster", reason: e.message });
      else throw e;
    }
  }

  const nodeOpts = { ...opts.node, ignore: opts.ignore, ...(opts.onIssue ? { onIssue: opts.onIssue } : {}) };
  const nodeEntries = await scanNodes(client, inv, target, nodeOpts, { findings, coverage });

  // With -n, what lies outside the named namespaces (nodes, node events) was not asked for: a refusal
  // there is a warning; inside them, or with -A, the report is incomplete (an error, exit 2).
  for (const p of forbidden) {
    if (opts.namespaces && p.namespace === undefined) {
      coverage.skipped.push(permissionIssue(p));
      opts.onIssue?.(permissionIssue(p));
    } else issue(permissionIssue(p));
  }
  progress?.("");
  return {
    findings,
    coverage,
    target,
    images,
    settleImageIgnores: (imgs) => checks.settleImageIgnores(imgs),
    nodes: inv.nodes,
    cgroupV1Events: inv.cgroupV1Events,
    nodeEntries,
    context: client.config.context,
    server: client.server,
  };
}
