/**
 * Rule contracts and the engine that runs workload rules over objects (DESIGN.md §2).
 * Rules are pure functions of their subject and the target; they never throw for bad data.
 */
import type { ImageFacts } from "./image.js";
import type { Platform, RuntimeTarget, Target } from "./target.js";
import type { DocPath, Finding, Hit, RuleMeta } from "./types.js";
import type { K8sObject, Workload } from "./workload.js";
import { toWorkload } from "./workload.js";

/** Where each rule's page is published; docs/rules/<ID>.md in the repository. */
export const DOCS_BASE = "https://github.com/kube-runtime-audit/kube-runtime-audit/blob/main/docs/rules";

export function docsUrl(ruleId: string): string {
  return `${DOCS_BASE}/${ruleId}.md`;
}

/**
 * The string data of the ConfigMaps and Secrets a scan has seen (Secret values decoded), by namespace and
 * name. Lets a workload rule read what a pod mounts (a log shipper's config); absent when nothing feeds it.
 */
export interface ConfigSources {
  lookup(
    kind: "configMap" | "secret",
    namespace: string | undefined,
    name: string,
  ): Readonly<Record<string, string>> | undefined;
}

export interface RuleContext {
  target: Target;
  /** ConfigMaps and Secrets of the same input (files) or cluster, when the scan provides them. */
  sources?: ConfigSources;
}

export interface WorkloadRule extends RuleMeta {
  category: "workload";
  /** Checks a pod template and its owner. Hit paths are relative to the pod template root. */
  check(workload: Workload, ctx: RuleContext): readonly Hit[];
  /**
   * Optional: checks any object that is not a workload (e.g. a log shipper's ConfigMap for W007).
   * Hit paths are relative to the object root.
   */
  checkObject?(object: K8sObject, ctx: RuleContext): readonly Hit[];
}

/** The annotation users put on an object or a pod template to suppress rules (ids or slugs, comma-separated). */
export const IGNORE_ANNOTATION = "runtime-audit.io/ignore";

/** One spelling per rule: ids upper-case ("w001" -> "W001"), slugs lower-case, "all" and "*" as is. */
export function normalizeRuleRef(text: string): string {
  const t = text.trim();
  return /^[a-z]\d{3}$/i.test(t) ? t.toUpperCase() : t.toLowerCase();
}

export function parseIgnoreList(text: string | undefined): Set<string> {
  const out = new Set<string>();
  if (!text) return out;
  for (const part of text.split(/[,\s]+/)) {
    if (part.trim()) out.add(normalizeRuleRef(part));
  }
  return out;
}

/** True when an ignore list names the rule (id or slug) or everything ("all", "*"). */
export function isIgnored(rule: Pick<RuleMeta, "id" | "slug">, l: ReadonlySet<string>): boolean {
  return l.has(rule.id) || l.has(rule.slug) || l.has("*") || l.has("all");
}

/** Who suppressed the rule here, if anyone: an annotation in the manifest wins over --ignore. */
function ignored(
  rule: RuleMeta,
  annotations: readonly ReadonlySet<string>[],
  flag: ReadonlySet<string>,
): Finding["suppressedBy"] {
  if (annotations.some((l) => isIgnored(rule, l))) return "annotation";
  return isIgnored(rule, flag) ? "flag" : undefined;
}

function makeFinding(
  rule: RuleMeta,
  hit: Hit,
  obj: K8sObject,
  basePath: DocPath,
  suppressedBy: Finding["suppressedBy"],
): Finding {
  const f: Finding = {
    ruleId: rule.id,
    slug: rule.slug,
    severity: hit.severity,
    subject: { kind: obj.kind, name: obj.name },
    origin: { ...obj.origin },
    message: hit.message,
    remediation: hit.remediation ?? rule.remediation,
    docs: docsUrl(rule.id),
  };
  if (obj.namespace) f.subject.namespace = obj.namespace;
  if (hit.container) f.subject.container = hit.container;
  if (hit.image) f.subject.image = hit.image;
  if (hit.runtime) f.runtime = hit.runtime;
  if (hit.platform) f.platform = hit.platform;
  if (hit.evidence) f.evidence = hit.evidence;
  if (suppressedBy) {
    f.suppressed = true;
    f.suppressedBy = suppressedBy;
  }
  f.path = [...basePath, ...(hit.path ?? [])];
  return f;
}

export interface AuditOptions {
  /** Rule ids or slugs from --ignore. */
  ignore: ReadonlySet<string>;
}

export interface ObjectAudit {
  workload?: Workload;
  findings: Finding[];
  /** Rules the object's and its pod template's ignore annotations name (for checks run elsewhere). */
  annotationIgnore: ReadonlySet<string>;
}

/** Runs every workload rule over one object. A rule that throws is a bug; it is reported, never fatal. */
export function auditObject(
  obj: K8sObject,
  rules: readonly WorkloadRule[],
  ctx: RuleContext,
  opts: AuditOptions,
): ObjectAudit {
  const findings: Finding[] = [];
  const workload = toWorkload(obj);
  const objIgnore = parseIgnoreList(obj.annotations[IGNORE_ANNOTATION]);
  const lists: ReadonlySet<string>[] = [objIgnore];
  if (workload) {
    lists.push(parseIgnoreList(workload.template.annotations[IGNORE_ANNOTATION]));
    const base = [...obj.docPath, ...workload.templatePath];
    for (const rule of rules) {
      for (const hit of safeRun(rule, () => rule.check(workload, ctx))) {
        findings.push(makeFinding(rule, hit, obj, base, ignored(rule, lists, opts.ignore)));
      }
    }
  } else {
    for (const rule of rules) {
      if (!rule.checkObject) continue;
      const check = rule.checkObject.bind(rule);
      for (const hit of safeRun(rule, () => check(obj, ctx))) {
        findings.push(makeFinding(rule, hit, obj, obj.docPath, ignored(rule, lists, opts.ignore)));
      }
    }
  }
  // Usually both are empty: build a union only when both annotations name rules.
  const tplIgnore = lists[1];
  const annotationIgnore =
    !tplIgnore || tplIgnore.size === 0
      ? objIgnore
      : objIgnore.size === 0
        ? tplIgnore
        : new Set([...objIgnore, ...tplIgnore]);
  return workload ? { workload, findings, annotationIgnore } : { findings, annotationIgnore };
}

function safeRun(rule: RuleMeta, fn: () => readonly Hit[]): readonly Hit[] {
  try {
    return fn();
  } catch (err) {
    return [
      {
        severity: "info",
        message: `internal error in rule ${rule.id}: ${err instanceof Error ? err.message : String(err)}`,
      },
    ];
  }
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
 * An I-rule (DESIGN.md §5): a pure judgement of registry facts for one target runtime and platform.
 * `C` is the runtime's capability row (src/rules/data/runtime-capabilities.ts); core does not know its shape.
 */
export interface ImageRule<C = unknown> extends RuleMeta {
  category: "image";
  check(facts: ImageFacts, runtime: RuntimeTarget, platform: Platform, caps: C): readonly ImageHit[];
}
