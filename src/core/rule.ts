/**
 * Rule contracts and the one engine that runs every kind of rule (docs/ARCHITECTURE.md): `runRules`
 * runs rules over a subject, asks the policy about each rule, builds findings with `makeFinding`, and
 * turns a rule that throws into a RuleFailure. Rules are pure functions of their subject and the
 * target; they never throw for bad data.
 */

import type { EnvSources } from "./env.js";
import type { ImageFacts } from "./image.js";
import {
  type Decision,
  EMPTY_POLICY,
  IGNORE_ANNOTATION,
  type Policy,
  parseIgnoreList,
  subjectDecider,
} from "./policy.js";
import type { Platform, RuntimeTarget, Target } from "./target.js";
import type { DocPath, Finding, Hit, Origin, RuleMeta, Subject } from "./types.js";
import type { EmbeddedParser, K8sObject, Workload } from "./workload.js";
import { toWorkloads } from "./workload.js";

/** Where each rule's page is published; docs/rules/<ID>.md in the repository. */
const DOCS_BASE = "https://github.com/kube-runtime-audit/kube-runtime-audit/blob/main/docs/rules";

export function docsUrl(ruleId: string): string {
  return `${DOCS_BASE}/${ruleId}.md`;
}

export interface RuleContext {
  target: Target;
  /** ConfigMaps and Secrets of the same input (files) or cluster, when the scan provides them. */
  sources?: EnvSources;
}

/**
 * A rule over one kind of subject (a workload's pod template, a node...). Every such rule runs through
 * `runRules`; a new kind of subject needs a rule interface like this one and a scanner that calls
 * `runRules` with a FindingSite for each subject (docs/ARCHITECTURE.md "Adding a rule").
 */
export interface SubjectRule<S, C = RuleContext> extends RuleMeta {
  check(subject: S, ctx: C): readonly Hit[];
}

export interface WorkloadRule extends SubjectRule<Workload> {
  category: "workload";
  /** Checks one pod unit and its owner. Hit paths are from the object root (as every path in a Workload). */
  check(workload: Workload, ctx: RuleContext): readonly Hit[];
  /**
   * Optional: checks any object that is not a workload (e.g. a log shipper's ConfigMap for W007).
   * Hit paths are relative to the object root.
   */
  checkObject?(object: K8sObject, ctx: RuleContext): readonly Hit[];
}

/** A rule failure: a bug in the rule, reported as a coverage error (exit 2), never as a finding. */
export interface RuleFailure {
  ruleId: string;
  subject: Subject;
  origin: Origin;
  message: string;
}

/** Where a set of rules ran: what every finding of the run shares. */
export interface FindingSite {
  /** Kind, namespace and name of the object (node, image); the hit adds container and image. */
  subject: Subject;
  origin: Origin;
  /** Prefix of every hit path (the object's place in its document, then the pod template's). */
  basePath?: DocPath;
}

/** The one place a finding is built, for every kind of rule. */
export function makeFinding(
  rule: RuleMeta,
  hit: Hit,
  site: FindingSite,
  decision: Decision & { off: false },
): Finding {
  const f: Finding = {
    ruleId: rule.id,
    slug: rule.slug,
    severity: decision.severity ?? hit.severity,
    subject: { ...site.subject },
    origin: { ...site.origin },
    message: hit.message,
    remediation: hit.remediation ?? rule.remediation,
    docs: docsUrl(rule.id),
  };
  if (hit.container) f.subject.container = hit.container;
  if (hit.image) f.subject.image = hit.image;
  if (hit.runtime) f.runtime = hit.runtime;
  if (hit.platform) f.platform = hit.platform;
  if (hit.evidence) f.evidence = hit.evidence;
  const s = decision.suppression;
  if (s) {
    f.suppressed = true;
    f.suppressedBy = s.by;
    if (s.reason) f.suppressionReason = s.reason;
  }
  if (site.basePath || hit.path) f.path = [...(site.basePath ?? []), ...(hit.path ?? [])];
  return f;
}

/** How the engine decides about each rule on the subject of a run (see core/policy.ts `decide`). */
export type Decider = (rule: RuleMeta) => Decision;

/** Where one run puts its results; `onHit` sees each finding with the hit it came from. */
export interface RunSink<H extends Hit> {
  findings: Finding[];
  failures: RuleFailure[];
  onHit?: (finding: Finding, hit: H) => void;
  /** Each annotation entry that suppressed a finding ("W001", "all"...), for the unused-annotation check. */
  usedRefs?: Set<string>;
}

/**
 * The one rule runner, for every kind of subject (workload, object, image cell, node): `invoke` calls
 * the rule on the subject in whatever shape that kind of rule takes. An `off` rule is not invoked. A
 * rule that throws is a bug: it becomes a RuleFailure naming the rule and the subject, and the run
 * goes on with the other rules.
 */
export function runRules<R extends RuleMeta, H extends Hit>(
  rules: readonly R[],
  invoke: (rule: R) => readonly H[] | undefined,
  site: FindingSite,
  decider: Decider,
  sink: RunSink<H>,
): void {
  // Index loops: most rules return no hits, and an iterator per empty list showed in bench/files.
  for (let r = 0; r < rules.length; r++) {
    const rule = rules[r] as R;
    const decision = decider(rule);
    if (decision.off) continue;
    let hits: readonly H[] | undefined;
    try {
      hits = invoke(rule);
    } catch (err) {
      sink.failures.push({
        ruleId: rule.id,
        subject: { ...site.subject },
        origin: { ...site.origin },
        message: err instanceof Error ? err.message : String(err),
      });
      continue;
    }
    if (!hits) continue;
    for (let h = 0; h < hits.length; h++) {
      const hit = hits[h] as H;
      const f = makeFinding(rule, hit, site, decision);
      sink.findings.push(f);
      if (decision.suppression?.ref) sink.usedRefs?.add(decision.suppression.ref);
      sink.onHit?.(f, hit);
    }
  }
}

const AS_IS: Decision = Object.freeze({ off: false as const });
const runAsIs: Decider = () => AS_IS;

/** "Deployment/ns/name" for messages about an object (the reporters have their own richer form). */
export function subjectLabel(s: Pick<Subject, "kind" | "namespace" | "name">): string {
  return s.namespace ? `${s.kind}/${s.namespace}/${s.name}` : `${s.kind}/${s.name}`;
}

export interface AuditOptions {
  /** Rule ids or slugs from --ignore. */
  ignore: ReadonlySet<string>;
  /** Severities, `off` rules and exemptions from the config file. */
  policy?: Policy;
  /** ConfigMaps and Secrets that `envFrom`/`valueFrom` resolve against. */
  envSources?: EnvSources;
  /** Reads pod spec patches written as strings (Argo podSpecPatch); the scan passes the manifest parser. */
  parseEmbedded?: EmbeddedParser;
}

/** An ignore annotation as written on an object or one of its pod templates. */
export interface IgnoreAnnotation {
  /** On the object's metadata, or on a pod template's (relative to the object). */
  where: "object" | "template";
  text: string;
  refs: ReadonlySet<string>;
}

export interface ObjectAudit {
  /** The object's pod units (a Deployment has one; an Argo Workflow one per template that runs a pod). */
  workloads: Workload[];
  findings: Finding[];
  failures: RuleFailure[];
  /** Rules the object's and its pod template's ignore annotations name (for checks run elsewhere). */
  annotationIgnore: ReadonlySet<string>;
  /** The object's ignore annotations (empty when it has none). */
  annotations: IgnoreAnnotation[];
  /** The annotation entries that suppressed at least one of this object's findings. */
  usedRefs: ReadonlySet<string>;
}

/**
 * One finding per field: when several containers of one pod get the same entry from one place (a Tekton
 * stepTemplate's env or mount, an Argo containerSet's shared mounts, templateDefaults), each container's
 * rules report it at the same path. The first finding stays, naming every such container in
 * `evidence.containers`, so the user gets one finding per thing to change.
 */
function mergeSharedFindings(findings: Finding[], from: number): void {
  if (findings.length - from < 2) return;
  const seen = new Map<string, Finding>();
  let w = from;
  for (let r = from; r < findings.length; r++) {
    const f = findings[r] as Finding;
    const key = f.path && f.subject.container ? `${f.ruleId}\u0000${f.path.join("\u0000")}` : undefined;
    const first = key === undefined ? undefined : seen.get(key);
    if (first?.subject.container && f.subject.container && first.subject.container !== f.subject.container) {
      const names = first.evidence?.containers ?? first.subject.container;
      first.evidence = { ...first.evidence, containers: `${names}, ${f.subject.container}` };
      continue;
    }
    if (key && !first) seen.set(key, f);
    findings[w++] = f;
  }
  findings.length = w;
}

/** The used annotation entries of an object without ignore annotations: none (shared, never added to). */
const NO_REFS: ReadonlySet<string> = new Set();

/** Runs every workload rule over one object: `check` on a pod template, `checkObject` otherwise. */
export function auditObject(
  obj: K8sObject,
  rules: readonly WorkloadRule[],
  ctx: RuleContext,
  opts: AuditOptions,
): ObjectAudit {
  const workloads = toWorkloads(obj, opts.envSources, opts.parseEmbedded);
  const annotations: IgnoreAnnotation[] = [];
  const objText = obj.annotations[IGNORE_ANNOTATION];
  const objIgnore = parseIgnoreList(objText);
  if (objText !== undefined) annotations.push({ where: "object", text: objText, refs: objIgnore });
  // One ignore list per pod unit: the object's and that pod template's annotation.
  const unitLists: ReadonlySet<string>[][] = [];
  let annotationIgnore: ReadonlySet<string> = objIgnore;
  for (const workload of workloads) {
    const tplText = workload.template.annotations[IGNORE_ANNOTATION];
    const tplIgnore = parseIgnoreList(tplText);
    if (tplText !== undefined) annotations.push({ where: "template", text: tplText, refs: tplIgnore });
    // Usually empty: build a union only when pod units' annotations name rules.
    if (tplIgnore.size > 0) annotationIgnore = new Set([...annotationIgnore, ...tplIgnore]);
    unitLists.push([objIgnore, tplIgnore]);
  }
  const subject: Subject = { kind: obj.kind, name: obj.name };
  if (obj.namespace) subject.namespace = obj.namespace;
  const policy = opts.policy ?? EMPTY_POLICY;
  // Most objects in most runs: no annotation, no --ignore, no config. Nothing to decide then.
  const plain =
    annotationIgnore.size === 0 &&
    opts.ignore.size === 0 &&
    policy.severity.size === 0 &&
    policy.exemptions.length === 0;
  const decideFor = plain ? undefined : subjectDecider(subject, opts.ignore, policy);
  const decider = (lists: ReadonlySet<string>[]): Decider =>
    decideFor ? (rule) => decideFor(rule, lists) : runAsIs;
  // Only an annotation entry can be "used" (core/policy.ts `subjectDecider`): without one, no set.
  const sink: RunSink<Hit> = { findings: [], failures: [] };
  if (annotationIgnore.size > 0) sink.usedRefs = new Set();
  // Every path in a Workload is from the object root: the site adds only the object's place in its document.
  const site = { subject, origin: obj.origin, basePath: obj.docPath };
  workloads.forEach((workload, i) => {
    const from = sink.findings.length;
    runRules(rules, (rule) => rule.check(workload, ctx), site, decider(unitLists[i] ?? [objIgnore]), sink);
    mergeSharedFindings(sink.findings, from);
  });
  if (workloads.length === 0)
    runRules(rules, (rule) => rule.checkObject?.(obj, ctx), site, decider([objIgnore]), sink);
  return {
    workloads,
    findings: sink.findings,
    failures: sink.failures,
    annotationIgnore,
    annotations,
    usedRefs: sink.usedRefs ?? NO_REFS,
  };
}

/**
 * What an image rule returns for one (runtime, platform). `verdict` is the effect on that cell of the
 * image verdict table; `stage` says when the failure shows: the pull itself fails, or the pull succeeds
 * and the container fails to start (differential tests compare `pull` against real pullers).
 */
export interface ImageHit extends Hit {
  verdict: "incompatible" | "warning";
  stage?: "pull" | "run";
}

/**
 * An I-rule (docs/ARCHITECTURE.md): a pure judgement of registry facts for one target runtime and platform.
 * `C` is the runtime's capability row (src/rules/data/runtime-capabilities.ts); core does not know its shape.
 */
export interface ImageRule<C = unknown> extends RuleMeta {
  category: "image";
  check(facts: ImageFacts, runtime: RuntimeTarget, platform: Platform, caps: C): readonly ImageHit[];
}
