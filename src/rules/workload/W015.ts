/**
 * W015 runtime-class-or-device: RuntimeClass handlers and device-plugin resources (GPUs, accelerators,
 * FPGAs) are wired into the runtime's configuration and must be set up again on the new runtime. The
 * dockershim FAQ lists "GPUs or special hardware and how they integrate with your runtime"
 * (https://kubernetes.io/blog/2022/02/17/dockershim-faq/); the field mapping is ours (derived).
 */
import type { WorkloadRule } from "../../core/rule.js";
import type { Hit } from "../../core/types.js";
import { containerFieldPath } from "../../core/workload.js";
import { deviceOf } from "../data/devices.js";
import { dockerSeverity } from "./util.js";

export const W015: WorkloadRule = {
  id: "W015",
  slug: "runtime-class-or-device",
  title: "RuntimeClass or device resources that depend on runtime configuration",
  category: "workload",
  description:
    "The pod selects a RuntimeClass or requests device-plugin resources such as nvidia.com/gpu. The handler " +
    "and the device integration (for example Docker's default-runtime: nvidia) live in the runtime's own " +
    "configuration and do not carry over to containerd or CRI-O.",
  remediation:
    "Before moving nodes, configure the same handler in the new runtime (containerd: " +
    "[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.<handler>]; CRI-O: [crio.runtime.runtimes.<handler>]) " +
    "and install the device vendor's toolkit for it (NVIDIA Container Toolkit `nvidia-ctk runtime configure`, or CDI).",
  defaultSeverity: "medium",
  check(workload, ctx) {
    const tpl = workload.template;
    const sev = dockerSeverity(ctx.target, "medium");
    const hits: Hit[] = [];
    if (tpl.runtimeClassName) {
      hits.push({
        severity: sev,
        path: tpl.fieldPaths.runtimeClassName ?? [],
        message: `the pod uses runtimeClassName "${tpl.runtimeClassName}": its RuntimeClass handler must exist in the new runtime's configuration on every node it can land on.`,
        evidence: { runtimeClassName: tpl.runtimeClassName },
      });
    }
    for (const c of tpl.containers) {
      const seen = new Set<string>();
      for (const [field, map] of [
        ["limits", c.limits],
        ["requests", c.requests],
      ] as const) {
        for (const resource of Object.keys(map)) {
          const dev = deviceOf(resource);
          if (!dev || seen.has(resource)) continue;
          seen.add(resource);
          hits.push({
            severity: sev,
            path: containerFieldPath(c, ["resources", field, resource]),
            container: c.name,
            message: `container "${c.name}" requests ${resource} (${dev.what}): the device integration is part of the runtime setup and must be configured again for the new runtime.`,
            evidence: { resource, quantity: map[resource] ?? "" },
          });
        }
      }
    }
    return hits;
  },
};
