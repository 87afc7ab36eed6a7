/**
 * The shared shape of the runtime-socket rules (W001, W002, W003, W005, W016): a hostPath volume whose
 * normalised path is the socket, or a hostPath directory whose volumeMount subPath reaches it.
 */
import type { RuleContext, WorkloadRule } from "../../core/rule.js";
import type { Hit, Severity } from "../../core/types.js";
import type { Workload } from "../../core/workload.js";
import { type SocketKind, socketKindOf } from "../data/sockets.js";
import { containerOf, describeMounters, hostVolumes, normalizePath, pathText, subPathRefs } from "./util.js";

export interface SocketRuleSpec {
  kind: SocketKind;
  /** e.g. "the Docker Engine socket". */
  what: string;
  /** Severity and the sentence explaining it, for this target. */
  judge(ctx: RuleContext): { severity: Severity; why: string };
}

export function socketHits(workload: Workload, ctx: RuleContext, spec: SocketRuleSpec): Hit[] {
  const hits: Hit[] = [];
  const volumes = hostVolumes(workload.template);
  if (volumes.length === 0) return hits;
  const { severity, why } = spec.judge(ctx);
  for (const hv of volumes) {
    if (socketKindOf(hv.canonical) === spec.kind) {
      hits.push({
        severity,
        path: hv.path,
        ...containerOf(hv),
        message:
          `hostPath volume "${hv.volume.name}" (${pathText(hv.path, workload)}) mounts ${spec.what} ${hv.hostPath}` +
          `${normalizePath(hv.hostPath) !== hv.hostPath ? ` (normalised: ${normalizePath(hv.hostPath)})` : ""}, ` +
          `${describeMounters(hv)}. ${why}`,
        evidence: { hostPath: hv.hostPath, normalized: hv.canonical, volume: hv.volume.name },
      });
      continue;
    }
    for (const ref of subPathRefs(hv)) {
      if (socketKindOf(ref.canonical) !== spec.kind) continue;
      hits.push({
        severity,
        path: ref.path,
        container: ref.container.name,
        message:
          `container "${ref.container.name}" mounts hostPath directory ${hv.hostPath} (volume "${hv.volume.name}") ` +
          `with subPath "${ref.mount.subPath}", which is ${spec.what} ${ref.canonical}. ${why}`,
        evidence: {
          hostPath: hv.hostPath,
          subPath: ref.mount.subPath ?? "",
          normalized: ref.canonical,
          volume: hv.volume.name,
        },
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
  };
}
