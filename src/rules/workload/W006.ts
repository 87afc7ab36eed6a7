/**
 * W006 docker-data-dir-mount: Docker Engine's data root (/var/lib/docker) or configuration (/etc/docker)
 * mounted from the host. Neither exists, or means anything, on containerd/CRI-O nodes
 * (https://github.com/fluent/fluent-bit-kubernetes-logging/issues/88; writing /etc/docker/daemon.json has no
 * effect: https://kubernetes.io/docs/tasks/administer-cluster/migrating-from-dockershim/check-if-dockershim-removal-affects-you/).
 * /var/lib/docker/containers (json-file logs) is W007.
 */
import type { WorkloadRule } from "../../core/rule.js";
import type { DocPath, Hit } from "../../core/types.js";
import type { DockerDirRow } from "../data/sockets.js";
import { matchesOfKind } from "./hostpaths.js";
import { logShipperEvidence } from "./signs.js";
import { containerOf, describeMounters, dockerSeverity, pathText } from "./util.js";

export const W006: WorkloadRule = {
  id: "W006",
  slug: "docker-data-dir-mount",
  title: "Docker Engine data or configuration directory mounted",
  category: "workload",
  description:
    "A hostPath volume mounts /var/lib/docker (images, layers, container state) or /etc/docker " +
    "(daemon.json, certs.d). containerd and CRI-O keep their state elsewhere (/var/lib/containerd, " +
    "/var/lib/containers/storage) and never read /etc/docker, so the mount is empty or stale after the move.",
  remediation:
    "Drop the mount once no node in the workload's scope runs Docker. Log shippers read " +
    "/var/log/pods (through /var/log/containers) instead; node configuration moves to " +
    "/etc/containerd/config.toml + certs.d or /etc/crio and /etc/containers/registries.conf.",
  defaultSeverity: "high",
  check(workload, ctx) {
    const hits: Hit[] = [];
    // Whether the pod is a log shipper only matters once a Docker directory is mounted: decided lazily.
    let judged: { sev: Hit["severity"]; why: string } | undefined;
    const judge = () => {
      if (judged) return judged;
      const shipper = logShipperEvidence(workload.template);
      judged = {
        sev: dockerSeverity(ctx.target, shipper ? "high" : "medium"),
        why: shipper
          ? ` The pod looks like a log shipper (${shipper}), so it will lose its input after the move.`
          : " This directory is empty or stale on containerd/CRI-O nodes.",
      };
      return judged;
    };
    const push = (
      row: DockerDirRow,
      path: DocPath,
      msg: string,
      extra: Record<string, string>,
      container?: string,
    ) => {
      const { sev, why } = judge();
      const hit: Hit = { severity: sev, path, message: `${msg} (${row.what}).${why}`, evidence: extra };
      if (container) hit.container = container;
      hits.push(hit);
    };
    for (const m of matchesOfKind(workload.template, "docker-data")) {
      const hv = m.volume;
      if (m.via === "volume" || !m.container || !m.mount) {
        push(
          m.match.row,
          hv.path,
          `hostPath volume "${hv.volume.name}" (${pathText(hv.path, workload)}) mounts ${hv.hostPath}, ${describeMounters(hv)}`,
          { hostPath: hv.hostPath, normalized: hv.canonical, volume: hv.volume.name },
          containerOf(hv).container,
        );
        continue;
      }
      push(
        m.match.row,
        m.path,
        `container "${m.container.name}" mounts ${m.canonical} through hostPath ${hv.hostPath} + subPath "${m.mount.subPath}"`,
        {
          hostPath: hv.hostPath,
          subPath: m.mount.subPath ?? "",
          normalized: m.canonical,
          volume: hv.volume.name,
        },
        m.container.name,
      );
    }
    return hits;
  },
};
