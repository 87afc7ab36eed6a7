/**
 * What a team decided about the rules, applied the same way to every kind of finding: `--ignore`,
 * ignore annotations in the manifests, and the config file (rule severities, `off`, exemptions with a
 * reason). The engine (src/core/rule.ts) asks `decide` once per rule and subject. Pure: the config
 * file is read and validated in src/config; this module only applies it.
 */
import type { RuleMeta, Severity, Subject } from "./types.js";

/** The annotation users put on an object or a pod template to suppress rules (ids or slugs, comma-separated). */
export const IGNORE_ANNOTATION = "runtime-audit.io/ignore";

/** One spelling per rule: ids upper-case ("w001" -> "W001"), slugs lower-case, "all" and "*" as is. */
export function normalizeRuleRef(text: string): string {
  const t = text.trim();
  return /^[a-z]\d{3}$/i.test(t) ? t.toUpperCase() : t.toLowerCase();
}

const NONE: ReadonlySet<string> = new Set();

/** The rules an ignore annotation names (most objects have none: one shared empty set for them). */
export function parseIgnoreList(text: string | undefined): ReadonlySet<string> {
  if (!text) return NONE;
  const out = new Set<string>();
  for (const part of text.split(/[,\s]+/)) {
    if (part.trim()) out.add(normalizeRuleRef(part));
  }
  return out;
}

/** The entry of an ignore list that names the rule (its id, its slug, "*" or "all"), if any. */
function matchIgnore(rule: Pick<RuleMeta, "id" | "slug">, l: ReadonlySet<string>): string | undefined {
  if (l.size === 0) return undefined;
  if (l.has(rule.id)) return rule.id;
  if (l.has(rule.slug)) return rule.slug;
  if (l.has("*")) return "*";
  return l.has("all") ? "all" : undefined;
}

/**
 * An exemption from the config file: objects matched by every field that is given (globs, `*` and
 * `?`), for the listed rules (ids; all rules when absent). The reason is required: it is printed with
 * every finding it suppresses.
 */
export interface Exemption {
  namespaces?: readonly string[];
  kinds?: readonly string[];
  names?: readonly string[];
  /** Rule ids (the config loader turns slugs into ids). */
  rules?: readonly string[];
  reason: string;
}

/** Rule severities, `off` rules and exemptions from the config file. */
export interface Policy {
  /** Per rule id: a severity that replaces the rule's own, or "off" (the rule does not run). */
  severity: ReadonlyMap<string, Severity | "off">;
  exemptions: readonly Exemption[];
}

export const EMPTY_POLICY: Policy = { severity: new Map(), exemptions: [] };

/** Who suppressed a finding, and why (the config exemption's reason). */
export interface Suppression {
  by: "annotation" | "flag" | "config";
  reason?: string;
  /** For annotations: the list entry that matched ("W001", "docker-socket-mount", "all"). */
  ref?: string;
}

/** What the engine does with a rule on one subject. */
export type Decision = { off: true } | { off: false; severity?: Severity; suppression?: Suppression };

/** The subject fields exemptions match on. */
export type ExemptionSubject = Pick<Subject, "kind" | "namespace" | "name">;

const globCache = new Map<string, RegExp>();

/** `*` any run of characters, `?` one character; everything else literal; whole-string match. */
export function globMatch(glob: string, text: string): boolean {
  if (glob === "*") return true;
  let re = globCache.get(glob);
  if (!re) {
    const body = glob
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".");
    re = new RegExp(`^${body}$`, "s");
    globCache.set(glob, re);
  }
  return re.test(text);
}

function anyGlob(globs: readonly string[] | undefined, text: string): boolean {
  return globs === undefined || globs.some((g) => globMatch(g, text));
}

/** The first exemption that covers the rule on the subject. Cluster-scoped objects match namespace "". */
export function findExemption(
  exemptions: readonly Exemption[],
  ruleId: string,
  subject: ExemptionSubject,
): Exemption | undefined {
  for (const e of exemptions) {
    if (e.rules && !e.rules.includes(ruleId)) continue;
    if (!anyGlob(e.kinds, subject.kind)) continue;
    if (!anyGlob(e.names, subject.name)) continue;
    if (!anyGlob(e.namespaces, subject.namespace ?? "")) continue;
    return e;
  }
  return undefined;
}

/**
 * The decision for one rule on one subject. Precedence: `off`; then an annotation in the manifest
 * (closest to the code), then the config exemption, then `--ignore`.
 */
export function decide(
  rule: Pick<RuleMeta, "id" | "slug">,
  subject: ExemptionSubject,
  annotations: readonly ReadonlySet<string>[],
  ignore: ReadonlySet<string>,
  policy: Policy,
): Decision {
  // A copy: callers may set a suppression on it (subjectDecider's plain decisions are shared).
  return { ...subjectDecider(subject, ignore, policy)(rule, annotations) };
}

/** The decisions for rules nothing suppresses depend only on the policy: one frozen object per rule. */
const plainDecisions = new WeakMap<Policy, Map<string, Decision>>();
const OFF: Decision = Object.freeze({ off: true as const });
const AS_IS: Decision = Object.freeze({ off: false as const });

function plainDecisionsOf(policy: Policy): Map<string, Decision> {
  let byRule = plainDecisions.get(policy);
  if (!byRule) {
    byRule = new Map();
    plainDecisions.set(policy, byRule);
  }
  return byRule;
}

function plainDecision(byRule: Map<string, Decision>, policy: Policy, ruleId: string): Decision {
  let d = byRule.get(ruleId);
  if (!d) {
    const sev = policy.severity.get(ruleId);
    d = sev === "off" ? OFF : sev ? Object.freeze({ off: false as const, severity: sev }) : AS_IS;
    byRule.set(ruleId, d);
  }
  return d;
}

/**
 * `decide` for every rule run on one subject: the exemptions whose kinds, names and namespaces match
 * the subject are found once, not once per rule and pod unit (with a config file this was a third of
 * the per-object audit time in bench/files), and a rule nothing suppresses gets its shared, frozen decision.
 * Returned decisions must not be mutated.
 */
export function subjectDecider(
  subject: ExemptionSubject,
  ignore: ReadonlySet<string>,
  policy: Policy,
): (rule: Pick<RuleMeta, "id" | "slug">, annotations: readonly ReadonlySet<string>[]) => Decision {
  // findExemption's test, split: the subject's part here, the rule's part per rule (same order kept).
  let exemptions: readonly Exemption[] | undefined;
  const forSubject = (): readonly Exemption[] => {
    exemptions ??= policy.exemptions.filter(
      (e) =>
        anyGlob(e.kinds, subject.kind) &&
        anyGlob(e.names, subject.name) &&
        anyGlob(e.namespaces, subject.namespace ?? ""),
    );
    return exemptions;
  };
  const byRule = plainDecisionsOf(policy);
  return (rule, annotations) => {
    const plain = plainDecision(byRule, policy, rule.id);
    if (plain.off) return plain;
    for (const l of annotations) {
      const ref = matchIgnore(rule, l);
      if (ref) return { ...plain, suppression: { by: "annotation", ref } };
    }
    if (policy.exemptions.length > 0) {
      const e = forSubject().find((x) => !x.rules || x.rules.includes(rule.id));
      if (e) return { ...plain, suppression: { by: "config", reason: e.reason } };
    }
    if (matchIgnore(rule, ignore)) return { ...plain, suppression: { by: "flag" } };
    return plain;
  };
}
