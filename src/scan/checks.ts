/**
 * What the files scan must say about what it did not check, beside the findings: inputs that held no
 * Kubernetes object, rules that failed (bugs), ignore annotations that name an unknown rule or
 * suppress nothing, and which config exemptions the images of a workload inherit. Kept out of the
 * document loop in files.ts so that loop stays about reading and locating.
 */
import {
  type ExemptionSubject,
  findExemption,
  IGNORE_ANNOTATION,
  normalizeRuleRef,
  type Policy,
  type Suppression,
} from "../core/policy.js";
import type { CoverageIssue, ImageReport } from "../core/report.js";
import { type ObjectAudit, type RuleFailure, subjectLabel } from "../core/rule.js";
import type { RuleMeta } from "../core/types.js";
import type { K8sObject } from "../core/workload.js";
import { imageRules } from "../rules/image/index.js";
import { allRuleMeta } from "./catalogue.js";

export type IssueSink = (kind: "error" | "skipped" | "warning", issue: CoverageIssue) => void;

/** "W001" and "docker-socket-mount" -> the rule; "all" and "*" name every rule. */
function ruleIndex(): Map<string, RuleMeta> {
  const m = new Map<string, RuleMeta>();
  for (const r of allRuleMeta()) {
    m.set(r.id, r);
    m.set(r.slug, r);
  }
  return m;
}

/** A rule that threw is a bug in this tool: the coverage error names the rule and the object. */
export function failureIssue(f: RuleFailure): CoverageIssue {
  const issue: CoverageIssue = {
    source: f.origin.file ?? subjectLabel(f.subject),
    reason: `internal error: rule ${f.ruleId} failed on ${subjectLabel(f.subject)}: ${f.message} (a bug in kube-runtime-audit; the object was not fully audited)`,
  };
  if (f.origin.line) issue.line = f.origin.line;
  return issue;
}

/** Annotation entries naming image rules (or "all"), settled once the images were checked. */
interface PendingIgnore {
  where: Omit<CoverageIssue, "reason">;
  object: string;
  text: string;
  refs: string[];
  images: Set<string>;
}

export class ScanChecks {
  readonly #rules = ruleIndex();
  readonly #pending: PendingIgnore[] = [];
  /** Objects per named input, in the order given. */
  readonly #objects: number[];
  /** Named inputs that could not be read at all (already an error of their own). */
  readonly #unreadable = new Set<number>();
  #input = 0;

  constructor(
    private readonly inputs: readonly string[],
    private readonly issue: IssueSink,
    private readonly opts: { policy?: Policy; allowEmpty?: boolean; checkImages?: boolean },
  ) {
    this.#objects = inputs.map(() => 0);
  }

  /** Each entry the reader yields, in order: which named input it belongs to, and whether it failed. */
  file(path: string, failed: boolean): void {
    while (this.#input < this.inputs.length - 1 && !belongsTo(path, this.inputs[this.#input] ?? "")) {
      this.#input++;
    }
    if (failed && path === this.inputs[this.#input]) this.#unreadable.add(this.#input);
  }

  /** After the rules ran on one object. */
  object(obj: K8sObject, audit: ObjectAudit): void {
    this.#objects[this.#input] = (this.#objects[this.#input] ?? 0) + 1;
    for (const f of audit.failures) this.issue("error", failureIssue(f));
    for (const w of audit.workloads) {
      for (const u of w.template.unreadPatches ?? []) {
        const where: CoverageIssue = {
          source: obj.origin.file ?? subjectLabel(obj),
          reason: `${subjectLabel(obj)}: ${u.path.join(".")} could not be read (${u.reason}); what it adds to the pod was not audited`,
        };
        if (obj.origin.line) where.line = obj.origin.line;
        this.issue("warning", where);
      }
    }
    if (audit.annotations.length === 0) return;
    const imageRefs = audit.workloads.flatMap((w) =>
      w.template.containers.flatMap((c) => (c.image ? [c.image] : [])),
    );
    for (const a of audit.annotations) this.#annotation(obj, audit, a.text, a.refs, imageRefs);
  }

  #annotation(
    obj: K8sObject,
    audit: ObjectAudit,
    text: string,
    refs: ReadonlySet<string>,
    imageRefs: readonly string[],
  ): void {
    const label = subjectLabel(obj);
    const where: Omit<CoverageIssue, "reason"> = { source: obj.origin.file ?? label };
    if (obj.origin.line) where.line = obj.origin.line;
    const pending: string[] = [];
    for (const ref of refs) {
      if (audit.usedRefs.has(ref)) continue;
      const rule = this.#rules.get(ref);
      const all = ref === "all" || ref === "*";
      if (!rule && !all) {
        // Name the entry as the user wrote it, not as normalised for matching.
        const raw = text.split(/[,\s]+/).find((t) => t && normalizeRuleRef(t) === ref) ?? ref;
        this.issue("warning", {
          ...where,
          reason: `${label}: ${IGNORE_ANNOTATION} "${text}" names unknown rule "${raw}" (use a rule id such as W001 or a slug)`,
        });
        continue;
      }
      // Image rules (and "all") can only be judged once the images were checked.
      if ((all || rule?.category === "image") && imageRefs.length > 0) {
        if (this.opts.checkImages) pending.push(ref);
        continue;
      }
      if (rule?.category === "image" && !this.opts.checkImages) continue;
      this.issue("warning", { ...where, reason: unusedReason(label, text, ref) });
    }
    if (pending.length > 0)
      this.#pending.push({ where, object: label, text, refs: pending, images: new Set(imageRefs) });
  }

  /**
   * The config exemptions the images of this object inherit, per image rule (an image finding is
   * exempt where every workload that uses the image is). Undefined when the policy has none.
   */
  imageExemptions(subject: ExemptionSubject): Map<string, Suppression> | undefined {
    const exemptions = this.opts.policy?.exemptions;
    if (!exemptions || exemptions.length === 0) return undefined;
    const out = new Map<string, Suppression>();
    for (const r of imageRules) {
      const e = findExemption(exemptions, r.id, subject);
      if (e) out.set(r.id, { by: "config", reason: e.reason });
    }
    return out;
  }

  /** After the images were checked: the annotation entries for image rules that suppressed nothing. */
  settleImageIgnores(images: readonly ImageReport[]): void {
    const byRef = new Map(images.map((i) => [i.reference, i]));
    for (const p of this.#pending) {
      for (const ref of p.refs) {
        const rule = this.#rules.get(ref);
        const used = [...p.images].some((img) =>
          byRef
            .get(img)
            ?.verdicts.some((v) =>
              v.findings.some((f) => f.suppressedBy === "annotation" && (rule ? f.ruleId === rule.id : true)),
            ),
        );
        if (!used) this.issue("warning", { ...p.where, reason: unusedReason(p.object, p.text, ref) });
      }
    }
  }

  /**
   * At the end of the scan: a named input without any Kubernetes object is an error, so a typo or an
   * empty render never passes the gate; --allow-empty accepts it (the skipped files are still listed).
   */
  finish(): void {
    if (this.opts.allowEmpty) return;
    for (const [i, input] of this.inputs.entries()) {
      if ((this.#objects[i] ?? 0) > 0 || this.#unreadable.has(i)) continue;
      this.issue("error", {
        source: input,
        reason: "no Kubernetes objects found (an empty directory or render? --allow-empty accepts it)",
      });
    }
  }
}

function unusedReason(label: string, text: string, ref: string): string {
  return `${label}: ${IGNORE_ANNOTATION} "${text}": "${ref}" suppresses nothing here (no finding of that rule on this object)`;
}

/** True when `path` was read from the named input `input` (itself, or below it when a directory). */
function belongsTo(path: string, input: string): boolean {
  if (path === input) return true;
  return path.startsWith(input.endsWith("/") ? input : `${input}/`);
}
