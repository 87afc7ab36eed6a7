/**
 * W006 docker-data-dir-mount: Docker Engine's data root (/var/lib/docker) or configuration (/etc/docker)
 * mounted from the host. Neither exists, or means anything, on containerd/CRI-O nodes
 * (https://github.com/fluent/fluent-bit-kubernetes-logging/issues/88; writing /etc/docker/daemon.json has no
 * effect: https://kubernetes.io/docs/tasks/administer-cluster/migrating-from-dockershim/check-if-dockershim-removal-affects-you/).
 * /var/lib/docker/containers (json-file logs) is W007.
 */
import type { WorkloadRule } from "../../core/rule.js";
import type { DocPath, Hit } from "../../core/types.js";
import { DOCKER_CONTAINER_LOG_DIR, DOCKER_DATA_DIRS, type DockerDirRow } from "../data/sockets.js";
import { logShipperEvidence } from "./signs.js";
import {
  containerOf,
  describeMounters,
  dockerSeverity,
  hostVolumes,
  isUnder,
  pathText,
  subPathRefs,
} from "./util.js";

function dataDirOf(canonical: string): DockerDirRow | undefined {
  if (isUnder(canonical, DOCKER_CONTAINER_LOG_DIR.prefix)) return undefined;
  return DOCKER_DATA_DIRS.find((d) => isUnder(canonical, d.prefix));
}

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
    for (const hv of hostVolumes(workload.template)) {
      const row = dataDirOf(hv.canonical);
      if (row) {
        push(
          row,
          hv.path,
          `hostPath volume "${hv.volume.name}" (${pathText(hv.path, workload)}) mounts ${hv.hostPath}, ${describeMounters(hv)}`,
          { hostPath: hv.hostPath, normalized: hv.canonical, volume: hv.volume.name },
          containerOf(hv).container,
        );
        continue;
      }
      for (const ref of subPathRefs(hv)) {
        const r = dataDirOf(ref.canonical);
        if (!r) continue;
        push(
          r,
          ref.path,
          `container "${ref.container.name}" mounts ${ref.canonical} through hostPath ${hv.hostPath} + subPath "${ref.mount.subPath}"`,
          {
            hostPath: hv.hostPath,
            subPath: ref.mount.subPath ?? "",
            normalized: ref.canonical,
            volume: hv.volume.name,
          },
          ref.container.name,
        );
      }
    }
    return hits;
  },
};
