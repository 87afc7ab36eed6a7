/**
 * W014 local-only-image: an image that probably exists only in a node's Docker image cache. "Images built
 * or pulled by Docker would not be visible to container runtime … needed to be pushed to some registry"
 * (https://kubernetes.io/docs/tasks/administer-cluster/migrating-from-dockershim/check-if-dockershim-removal-affects-you/).
 * `imagePullPolicy: Never` is certain to fail on a fresh runtime; local-looking references are hints. The
 * registry lookup that proves an image missing is the image rules' job.
 */
import type { WorkloadRule } from "../../core/rule.js";
import type { Hit } from "../../core/types.js";
import { containerFieldPath } from "../../core/workload.js";
import { OFFICIAL_IMAGES_WITH_CHANNEL_TAGS } from "../data/official-images.js";
import { dockerSeverity, imagePath, parseImage } from "./util.js";

/** Tags that name a developer build; matched as a whole tag or one of its -._ separated parts. */
const LOCAL_TAG_WORDS = new Set([
  "dev",
  "devel",
  "local",
  "test",
  "testing",
  "snapshot",
  "wip",
  "tmp",
  "temp",
]);

/** Why the reference looks local-only, or undefined for ordinary registry references. */
export function localLooking(image: string): { reason: string; strong: boolean } | undefined {
  const p = parseImage(image);
  if (p.imageId)
    return { reason: "is a bare image ID, which only exists in one node's image store", strong: true };
  if (p.registry === "localhost") {
    return {
      reason: "names the localhost/ prefix Docker and Podman give to locally built images",
      strong: true,
    };
  }
  if (p.registry || p.path.length !== 1 || p.digest || !p.tag) return undefined;
  // debian:testing, ubuntu:devel... are real Docker Hub tags, not local builds.
  if (OFFICIAL_IMAGES_WITH_CHANNEL_TAGS.has(p.path[0] ?? "")) return undefined;
  const parts = p.tag.toLowerCase().split(/[-._]/);
  if (!parts.some((x) => LOCAL_TAG_WORDS.has(x))) return undefined;
  return { reason: `is an unqualified name with the development tag "${p.tag}"`, strong: false };
}

export const W014: WorkloadRule = {
  id: "W014",
  slug: "local-only-image",
  title: "Image that may exist only in the node's Docker cache",
  category: "workload",
  description:
    "A container uses imagePullPolicy: Never, or a reference that looks locally built (bare image ID, " +
    "localhost/ prefix, unqualified name with a dev/test/local/snapshot tag). containerd and CRI-O keep their " +
    "own image stores and cannot see images that Docker built or loaded on the node.",
  remediation:
    "Push the image to a registry the nodes can reach and reference it with a full name and a tag or digest " +
    "(registry.example.com/team/app:1.4.2); use imagePullPolicy IfNotPresent or Always.",
  defaultSeverity: "critical",
  check(workload, ctx) {
    const hits: Hit[] = [];
    for (const c of workload.template.containers) {
      const local = localLooking(c.image);
      if (c.imagePullPolicy === "Never") {
        hits.push({
          severity: dockerSeverity(ctx.target, "critical"),
          path: containerFieldPath(c, ["imagePullPolicy"]),
          container: c.name,
          image: c.image,
          message:
            `container "${c.name}" uses imagePullPolicy: Never for ${c.image || "(no image)"}: it only starts if the ` +
            `image is already in the node's runtime store, and images Docker built or loaded are not in ` +
            `containerd's or CRI-O's${local ? `; the reference also ${local.reason}` : ""}.`,
          evidence: { image: c.image, imagePullPolicy: "Never" },
        });
        continue;
      }
      if (!local) continue;
      const sev = local.strong || c.imagePullPolicy === "IfNotPresent" ? "medium" : "low";
      hits.push({
        severity: dockerSeverity(ctx.target, sev),
        path: imagePath(c),
        container: c.name,
        image: c.image,
        message: `container "${c.name}" image ${c.image} ${local.reason}; if it was built or loaded with Docker on the nodes, the new runtime will not find it.`,
        evidence: { image: c.image, ...(c.imagePullPolicy ? { imagePullPolicy: c.imagePullPolicy } : {}) },
      });
    }
    return hits;
  },
};
