/**
 * I012 nested-index: the index entry chosen for the platform is itself an index (an index inside an
 * index). The OCI image spec allows it; the pullers differ:
 * - containerd walks nested indexes (images.Manifest recurses into index children), so the inner
 *   manifest is judged like any other (measured: CRI PullImage on 1.6.20, 1.7.24 and 2.1.9 succeed).
 * - containers/image (CRI-O) copies one image per platform and refuses an index where it expects a
 *   manifest: "Unexpectedly received a manifest list instead of a manifest for a single image"
 *   (measured on containers/image 5.23, 5.34 and 5.39).
 * Sources: https://github.com/opencontainers/image-spec/blob/v1.1.1/image-index.md,
 * https://github.com/containerd/containerd/blob/v2.1.9/core/images/image.go,
 * https://github.com/containers/image/blob/v5.34.2/copy/single.go.
 */
import type { ImageRule } from "../../core/rule.js";
import type { RuntimeCapabilities } from "../data/runtime-capabilities.js";
import { pullFails, resolve, warn, who } from "./resolve.js";

export const I012: ImageRule<RuntimeCapabilities> = {
  id: "I012",
  slug: "nested-index",
  title: "Index inside an index",
  category: "image",
  description:
    "The index entry for the platform is itself an index. containerd walks nested indexes; CRI-O (containers/image) " +
    "refuses them and the pull fails.",
  remediation:
    "Publish a flat index: one entry per platform pointing at an image manifest (`docker buildx imagetools create` or " +
    "`crane index append` from the inner manifests).",
  defaultSeverity: "critical",
  check(facts, rt, platform, caps) {
    if (rt.name === "containerd") return [];
    const r = resolve(facts, rt, platform);
    if (r.isRoot || r.manifest?.kind !== "index") return [];
    const evidence = { nestedIndex: r.manifest.digest };
    const name = who(rt, caps);
    if (rt.name === "cri-o") {
      return [
        pullFails(
          "critical",
          `The index entry for ${platform.os}/${platform.architecture} is another index; ${name} refuses it: ` +
            '"Unexpectedly received a manifest list instead of a manifest for a single image".',
          { evidence },
        ),
      ];
    }
    return [
      warn(
        "medium",
        `The index entry for this platform is another index; whether ${name} walks it is not established.`,
        {
          evidence,
        },
      ),
    ];
  },
};
