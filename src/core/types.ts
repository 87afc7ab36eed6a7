/**
 * The domain model shared by every layer (docs/ARCHITECTURE.md). Pure types: no I/O, no npm imports.
 * Everything in the versioned JSON report (`AuditReport`) is built from these shapes.
 */

export type Severity = "critical" | "high" | "medium" | "low" | "info";

/** Ordered from least to most severe; the index is the rank. */
export const SEVERITIES: readonly Severity[] = ["info", "low", "medium", "high", "critical"];

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

export function isSeverity(s: string): s is Severity {
  return (SEVERITIES as readonly string[]).includes(s);
}

/** A path inside a parsed document, e.g. ["spec", "template", "spec", "volumes", 2, "hostPath", "path"]. */
export type DocPath = readonly (string | number)[];

/** Where an object or finding comes from: a file position (files mode) or a cluster object (cluster mode). */
export interface Origin {
  /** The path as the user gave it, or below the directory they gave. "-" for stdin. */
  file?: string;
  /** 1-based. */
  line?: number;
  /** 1-based. */
  column?: number;
  /** Cluster object uid. */
  uid?: string;
}

export interface Subject {
  kind: string;
  namespace?: string;
  name: string;
  container?: string;
  image?: string;
  node?: string;
}

/** One problem found by one rule. Part of the JSON contract (see README "JSON contract"). */
export interface Finding {
  ruleId: string;
  slug: string;
  severity: Severity;
  subject: Subject;
  origin: Origin;
  /** `<name>@<version>` as given in --target-runtime, when the verdict depends on the runtime. */
  runtime?: string;
  /** `os/arch[/variant]`, when the verdict depends on the platform. */
  platform?: string;
  message: string;
  remediation: string;
  docs: string;
  /** Small key/value facts that back the message (the matched path, the env value...). */
  evidence?: Record<string, string>;
  /** True when an ignore annotation, a config exemption or --ignore matched: still reported, never gates. */
  suppressed?: boolean;
  /**
   * With `suppressed`: "annotation" (runtime-audit.io/ignore in the manifest), "config" (an exemption
   * in the config file) or "flag" (--ignore).
   */
  suppressedBy?: "annotation" | "flag" | "config";
  /** With `suppressedBy: "config"`: the exemption's reason. */
  suppressionReason?: string;
  /** Path inside the source document; used to compute line/column, not serialised. */
  path?: DocPath;
}

/** What a rule returns; the engine adds rule metadata, subject and origin. */
export interface Hit {
  severity: Severity;
  message: string;
  /** Overrides the rule's default remediation. */
  remediation?: string;
  /** Relative to the pod template root for workload rules (["spec","volumes",0,...]), or the object root otherwise. */
  path?: DocPath;
  container?: string;
  image?: string;
  runtime?: string;
  platform?: string;
  evidence?: Record<string, string>;
}

export type RuleCategory = "workload" | "node" | "image";

export interface RuleMeta {
  /** Stable id, e.g. "W001". */
  id: string;
  /** Stable slug, part of the JSON contract, e.g. "docker-socket-mount". */
  slug: string;
  title: string;
  category: RuleCategory;
  /** One-paragraph summary of why it breaks. */
  description: string;
  /** Default remediation text. */
  remediation: string;
  /** The highest severity the rule can give; used for SARIF defaults. */
  defaultSeverity: Severity;
}
