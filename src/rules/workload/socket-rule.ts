/**
 * The shared shape of the runtime-socket rules (W001, W002, W003, W005, W016): a hostPath volume whose
 * normalised path is the socket, or a hostPath directory whose volumeMount subPath reaches it; and the
 * same socket named in a CI runner's configuration for the job pods it creates.
 */
import type { RuleContext, WorkloadRule } from "../../core/rule.js";
import type { Hit, Severity } from "../../core/types.js";
import type { K8sObject, Workload } from "../../core/workload.js";
import type { SocketKind } from "../data/sockets.js";
import { configTexts } from "./configdata.js";
import { classifyHostPath, type HostPathMatch, matchesOfKind } from "./hostpaths.js";
import { runnerHostPaths } from "./runnerconfig.js";
import { canonicalHostPath, containerOf, describeMounters, displayPath, pathText } from "./util.js";

export interface SocketRuleSpec {
  kind: SocketKind;
  /** e.g. "the Docker Engine socket". */
  what: string;
  /** Severity and the sentence explaining it, for this target. */
  judge(ctx: RuleContext): { severity: Severity; why: string };
  /** A different judgement for one mount, from what the mounting containers are (undefined: keep `judge`'s). */
  adjust?(
    workload: Workload,
    match: HostPathMatch,
    ctx: RuleContext,
  ): { severity: Severity; why: string } | undefined;
}

export function socketHits(workload: Workload, ctx: RuleContext, spec: SocketRuleSpec): Hit[] {
  const matches = matchesOfKind(workload.template, "socket").filter((m) => m.match.socket === spec.kind);
  if (matches.length === 0) return [];
  const base = spec.judge(ctx);
  return matches.map((m): Hit => {
    const { severity, why } = (base.severity !== "info" && spec.adjust?.(workload, m, ctx)) || base;
    const hv = m.volume;
    if (m.via === "volume" || !m.container || !m.mount) {
      const shown = displayPath(hv.hostPath);
      return {
        severity,
        path: hv.path,
        ...containerOf(hv),
        message:
          `hostPath volume "${hv.volume.name}" (${pathText(hv.path, workload)}) mounts ${spec.what} ${hv.hostPath}` +
          `${shown !== hv.hostPath ? ` (normalised: ${shown})` : ""}, ${describeMounters(hv)}. ${why}`,
        evidence: { hostPath: hv.hostPath, normalized: hv.canonical, volume: hv.volume.name },
      };
    }
    return {
      severity,
      path: m.path,
      container: m.container.name,
      message:
        `container "${m.container.name}" mounts hostPath directory ${hv.hostPath} (volume "${hv.volume.name}") ` +
        `with subPath "${m.mount.subPath}", which is ${spec.what} ${m.canonical}. ${why}`,
      evidence: {
        hostPath: hv.hostPath,
        subPath: m.mount.subPath ?? "",
        normalized: m.canonical,
        volume: hv.volume.name,
      },
    };
  });
}

/**
 * The same sockets in a CI runner's configuration (a ConfigMap or Secret): the job pods it creates will
 * mount them, though no manifest shows those pods.
 */
export function runnerConfigHits(object: K8sObject, ctx: RuleContext, spec: SocketRuleSpec): Hit[] {
  const hits: Hit[] = [];
  for (const { key, text, path } of configTexts(object)) {
    for (const v of runnerHostPaths(text)) {
      const canonical = canonicalHostPath(v.hostPath);
      const c = classifyHostPath(canonical);
      if (c?.kind !== "socket" || c.socket !== spec.kind) continue;
      const { severity, why } = spec.judge(ctx);
      hits.push({
        severity,
        path,
        message:
          `${object.kind} key "${key}" (${v.runner} config): the job pods it creates mount ${spec.what} ` +
          `${v.hostPath}${v.name ? ` (volume "${v.name}")` : ""} from the node. ${why}`,
        evidence: { hostPath: v.hostPath, normalized: canonical, key, runner: v.runner },
      });
    }
  }
  return hits;
}

export function socketRule(
  meta: Omit<WorkloadRule, "check" | "category" | "checkObject">,
  spec: SocketRuleSpec,
): WorkloadRule {
  return {
    ...meta,
    category: "workload",
    check: (workload, ctx) => socketHits(workload, ctx, spec),
    checkObject: (object, ctx) => runnerConfigHits(object, ctx, spec),
  };
}
