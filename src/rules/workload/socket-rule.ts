/**
 * The shared shape of the runtime-socket rules (W001, W002, W003, W005, W016): a hostPath volume whose
 * normalised path is the socket, or a hostPath directory whose volumeMount subPath reaches it.
 */
import type { RuleContext, WorkloadRule } from "../../core/rule.js";
import type { Hit, Severity } from "../../core/types.js";
import type { Workload } from "../../core/workload.js";
import type { SocketKind } from "../data/sockets.js";
import { type HostPathMatch, matchesOfKind } from "./hostpaths.js";
import { containerOf, describeMounters, displayPath, pathText } from "./util.js";

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

export function socketRule(
  meta: Omit<WorkloadRule, "check" | "category" | "checkObject">,
  spec: SocketRuleSpec,
): WorkloadRule {
  return {
    ...meta,
    category: "workload",
    check: (workload, ctx) => socketHits(workload, ctx, spec),
  };
}
