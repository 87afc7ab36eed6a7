/**
 * The I-rules and the judge that turns one image's registry facts into a verdict per
 * (target runtime × target platform) (docs/ARCHITECTURE.md). Pure: no I/O; the registry client gathered
 * the facts first.
 *
 * Verdict precedence per cell: incompatible > unknown > warning > compatible. `unknown` always has a
 * `reason` (auth, network, rate limit, timeout, child not fetched...).
 */
import type { ImageFacts } from "../../core/image.js";
import { platformString } from "../../core/platform.js";
import { type Decision, decide, EMPTY_POLICY, type Policy, type Suppression } from "../../core/policy.js";
import type { ImageReport, ImageVerdict, Verdict } from "../../core/report.js";
import type { ImageHit, ImageRule, RuleFailure, RunSink } from "../../core/rule.js";
import { runRules } from "../../core/rule.js";
import type { Platform, RuntimeTarget, Target } from "../../core/target.js";
import type { RuleMeta, Subject } from "../../core/types.js";
import {
  capabilitiesFor,
  checkRuntimeSupported,
  type RuntimeCapabilities,
} from "../data/runtime-capabilities.js";
import { I001 } from "./I001.js";
import { I002 } from "./I002.js";
import { I003 } from "./I003.js";
import { I004 } from "./I004.js";
import { I005 } from "./I005.js";
import { I006 } from "./I006.js";
import { I007 } from "./I007.js";
import { I008 } from "./I008.js";
import { I009 } from "./I009.js";
import { I010 } from "./I010.js";
import { I011 } from "./I011.js";
import { I012 } from "./I012.js";
import { I013 } from "./I013.js";
import { resolve, rootContentType } from "./resolve.js";

export { checkRuntimeSupported };

const NONE: ReadonlySet<string> = new Set();

/** Every image rule, in id order. */
export const imageRules: readonly ImageRule<RuntimeCapabilities>[] = [
  I001,
  I002,
  I003,
  I004,
  I005,
  I006,
  I007,
  I008,
  I009,
  I010,
  I011,
  I012,
  I013,
];

export interface JudgeOptions {
  /** Rule ids or slugs from --ignore; their findings are still returned, marked suppressed. */
  ignore?: ReadonlySet<string>;
  /**
   * Rules suppressed by annotation on every workload that uses the image (files mode). Their findings
   * are marked `suppressedBy: "annotation"`.
   */
  annotationIgnore?: ReadonlySet<string>;
  /** Rule severities, `off` rules and exemptions from the config file. */
  policy?: Policy;
  /**
   * Per rule id, a config exemption every workload using the image has (files mode); used when the
   * policy's own exemptions, which match the image itself (kind `Image`, name = the reference), do not.
   */
  exempt?: ReadonlyMap<string, Suppression>;
  /** Rules that threw (bugs) are added here: the caller reports them as coverage errors. */
  failures?: RuleFailure[];
}

/** One cell of the verdict table. */
function judgeCell(
  facts: ImageFacts,
  rt: RuntimeTarget,
  platform: Platform,
  opts: JudgeOptions,
): ImageVerdict {
  const p = platformString(platform);
  const caps = capabilitiesFor(rt);
  if (!caps) {
    return {
      runtime: rt.label,
      platform: p,
      verdict: "unknown",
      findings: [],
      reason: checkRuntimeSupported(rt) ?? "runtime not covered",
    };
  }
  const verdicts: ImageHit["verdict"][] = [];
  let pullFailure = false;
  const subject: Subject = {
    kind: "Image",
    name: facts.reference.original,
    image: facts.reference.normalized,
  };
  const annotations = opts.annotationIgnore ? [opts.annotationIgnore] : [];
  const ignore = opts.ignore ?? NONE;
  const policy = opts.policy ?? EMPTY_POLICY;
  const decider = (rule: RuleMeta): Decision => {
    const d = decide(rule, subject, annotations, ignore, policy);
    const shared = opts.exempt?.get(rule.id);
    // An exemption every using workload has beats --ignore, as it does on the workloads themselves.
    if (!d.off && shared && d.suppression?.by !== "annotation" && d.suppression?.by !== "config")
      d.suppression = shared;
    return d;
  };
  const sink: RunSink<ImageHit> = {
    findings: [],
    failures: opts.failures ?? [],
    onHit: (f, hit) => {
      f.runtime = rt.label;
      f.platform = p;
      if (hit.stage) f.evidence = { ...(f.evidence ?? {}), stage: hit.stage };
      if (f.suppressed) return;
      verdicts.push(hit.verdict);
      if (hit.verdict === "incompatible" && hit.stage === "pull") pullFailure = true;
    },
  };
  runRules(
    imageRules,
    (rule) => rule.check(facts, rt, platform, caps),
    { subject, origin: {} },
    decider,
    sink,
  );
  const findings = sink.findings;
  const r = resolve(facts, rt, platform);
  let verdict: Verdict = "compatible";
  let reason: string | undefined;
  if (verdicts.includes("incompatible")) {
    verdict = "incompatible";
    reason = pullFailure ? "the pull fails" : "the pull succeeds but the container cannot start";
  } else if (r.unknown) {
    verdict = "unknown";
    reason = r.unknown;
  } else if (verdicts.includes("warning")) {
    verdict = "warning";
  } else if (r.manifest && r.isRoot && r.manifest.kind === "manifest" && !r.manifest.configPlatform) {
    reason = r.manifest.configError
      ? `single-platform image; its platform was not verified (config: ${r.manifest.configError})`
      : "single-platform image; its platform was not verified (config not fetched)";
  }
  const v: ImageVerdict = { runtime: rt.label, platform: p, verdict, findings };
  if (reason) v.reason = reason;
  return v;
}

/** The verdict table for one image: one entry per (target runtime × target platform). */
export function judgeImage(facts: ImageFacts, target: Target, opts: JudgeOptions = {}): ImageReport {
  const report: ImageReport = {
    reference: facts.reference.original,
    normalized: facts.reference.normalized,
    verdicts: [],
  };
  const digest = facts.root?.digest ?? facts.reference.digest;
  if (digest) report.digest = digest;
  const mediaType = (facts.root ? rootContentType(facts) : undefined) ?? facts.root?.mediaType;
  if (mediaType) report.mediaType = mediaType;
  for (const rt of target.runtimes) {
    for (const platform of target.platforms) {
      report.verdicts.push(judgeCell(facts, rt, platform, opts));
    }
  }
  return report;
}

/**
 * What a real puller should observe for a verdict: the pull fails (an incompatible finding at the pull
 * stage), succeeds, or cannot be predicted (unknown). For the differential tests against containerd/c/image.
 */
export function expectedPull(v: ImageVerdict): "fails" | "succeeds" | "unknown" {
  if (v.verdict === "unknown") return "unknown";
  const fails = v.findings.some(
    (f) => !f.suppressed && f.evidence?.stage === "pull" && v.verdict === "incompatible",
  );
  return fails ? "fails" : "succeeds";
}
