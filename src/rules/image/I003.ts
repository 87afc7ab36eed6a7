/**
 * I003 image-not-found: the registry says the repository or tag does not exist (404, NAME_UNKNOWN,
 * MANIFEST_UNKNOWN). Every runtime fails the pull. Typical after a move off Docker Engine: the image
 * was built or loaded on the node (`docker build`, `docker load`) and never pushed, so only the node's
 * Docker cache had it; containerd and CRI-O have their own image stores and cannot see it.
 * Source: https://kubernetes.io/docs/tasks/administer-cluster/migrating-from-dockershim/check-if-dockershim-removal-affects-you/
 *
 * Also an image reference that does not parse (e.g. `Bad::Ref`, an uppercase repository): the kubelet
 * parses it before calling the runtime and fails the container with InvalidImageName, whatever the runtime
 * (https://github.com/kubernetes/kubernetes/blob/v1.33.0/pkg/kubelet/images/image_manager.go, ErrInvalidImageName).
 */
import type { ImageRule } from "../../core/rule.js";
import type { RuntimeCapabilities } from "../data/runtime-capabilities.js";
import { pullFails, resolve, short, who } from "./resolve.js";

export const I003: ImageRule<RuntimeCapabilities> = {
  id: "I003",
  slug: "image-not-found",
  title: "Image not found in its registry",
  category: "image",
  description:
    "The registry does not have this repository, tag or digest. Images that existed only in a node's Docker cache " +
    "(built or loaded locally) are invisible to containerd and CRI-O.",
  remediation:
    "Push the image to a registry the nodes can reach and reference it by that name (fully qualified, ideally by digest); " +
    "check spelling, tag and registry host.",
  defaultSeverity: "critical",
  check(facts, rt, platform, caps) {
    const r = resolve(facts, rt, platform);
    const name = who(rt, caps);
    if (r.invalidReference) {
      return [
        pullFails(
          "critical",
          `"${facts.reference.original}" is not a valid image reference: the kubelet rejects the container with InvalidImageName ` +
            `before ${name} is asked to pull it. ${r.invalidReference.message}`,
          {
            evidence: { error: r.invalidReference.message, kind: "reference" },
            remediation:
              "Fix the image reference: [registry[:port]/]repository[:tag][@sha256:digest], repository in lowercase.",
          },
        ),
      ];
    }
    if (!r.notFound) return [];
    const status = r.notFound.status ? ` (HTTP ${r.notFound.status})` : "";
    const evidence: Record<string, string> = { error: r.notFound.message };
    if (r.notFound.status) evidence.status = String(r.notFound.status);
    if (r.index && r.selection?.descriptor) {
      return [
        pullFails(
          "critical",
          `The image index names child manifest ${short(r.selection.descriptor.digest)} for this platform, but the registry does not ` +
            `have it${status}: the pull fails on ${name}.`,
          { evidence },
        ),
      ];
    }
    const shortHint = facts.reference.shortName
      ? " The name has no registry host: containerd looks only on docker.io; CRI-O searches its unqualified-search-registries."
      : "";
    return [
      pullFails(
        "critical",
        `${facts.reference.normalized} does not exist in its registry${status}: the pull fails on ${name}. If it ran before, it ` +
          `probably came from a node's Docker image cache, which the new runtime does not see.${shortHint}`,
        { evidence },
      ),
    ];
  },
};
