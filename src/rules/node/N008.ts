/**
 * N008 cgroup-v1: evidence that the node runs on cgroup v1: the kubelet's `CgroupV1` Warning event (1.31+,
 * https://github.com/kubernetes/kubernetes/pull/125328) or its `kubelet_cgroup_version` metric. Never guessed
 * from the OS image. From 1.35 `failCgroupV1` defaults to true and the kubelet refuses cgroup v1 unless it is
 * set to false (https://github.com/kubernetes/kubernetes/pull/134298). See docs/rules/N008.md.
 */
import { evidenceFor, type NodeRule } from "../../core/node.js";
import type { Hit, Severity } from "../../core/types.js";
import { KUBELET_CHANGES } from "../data/k8s-runtime-support.js";
import { minor, nodeEvidence, targetHas } from "./util.js";

export const N008: NodeRule = {
  id: "N008",
  slug: "cgroup-v1",
  title: "Node runs on cgroup v1",
  category: "node",
  description:
    "The kubelet reports that the node uses cgroup v1 (a CgroupV1 warning event or the kubelet_cgroup_version " +
    "metric). cgroup v1 is in maintenance mode since 1.31; from 1.35 the kubelet refuses to start on it unless " +
    "failCgroupV1 is set to false, and that override is planned to go no earlier than 1.38.",
  remediation:
    "Move the node to an OS image that boots with cgroup v2 (unified hierarchy; systemd.unified_cgroup_hierarchy=1 " +
    "on older distributions), with the systemd cgroup driver. Until then, a 1.35+ kubelet needs failCgroupV1: false.",
  defaultSeverity: "critical",
  check(node, ctx): readonly Hit[] {
    const ev = evidenceFor(ctx, node);
    const metric = ev.kubeletMetrics?.cgroupVersion;
    const events = ev.cgroupV1Events ?? [];
    // The metric is the kubelet's current state; an event may predate a switch to v2.
    if (metric === 2 || (metric !== 1 && events.length === 0)) return [];
    const evidence = nodeEvidence(node);
    const sources: string[] = [];
    if (metric === 1) {
      evidence.kubeletCgroupVersion = "1";
      sources.push("the kubelet_cgroup_version metric");
    }
    if (events.length > 0) {
      const last = events
        .map((e) => e.lastSeen ?? "")
        .sort()
        .pop();
      evidence.cgroupV1Event = last ? `last seen ${last}` : "present";
      sources.push("a CgroupV1 warning event");
    }
    const failCgroupV1 = ev.kubeletConfig?.failCgroupV1;
    if (failCgroupV1 !== undefined) evidence.failCgroupV1 = String(failCgroupV1);
    const optOut = failCgroupV1 === false;
    const t = minor(ctx.target.kubernetes);
    let severity: Severity;
    let why: string;
    if (!targetHas(ctx, KUBELET_CHANGES.failCgroupV1Default)) {
      severity = "medium";
      why = "cgroup v1 is in maintenance mode; from 1.35 the kubelet refuses it by default.";
    } else if (!optOut) {
      severity = "critical";
      why = `A ${t} kubelet refuses to start on cgroup v1 unless failCgroupV1: false is set.`;
    } else if (targetHas(ctx, KUBELET_CHANGES.cgroupV1OverrideMayGo)) {
      severity = "high";
      why = `The kubelet runs with failCgroupV1: false; that override is planned to go no earlier than 1.38, so it may not exist in ${t}.`;
    } else {
      severity = "medium";
      why = `The kubelet runs with failCgroupV1: false, which ${t} still honours.`;
    }
    return [
      {
        severity,
        message: `The node runs on cgroup v1 (from ${sources.join(" and ")}). ${why}`,
        evidence,
      },
    ];
  },
};
