/**
 * I008 short-name: the reference names no registry host (`nginx`, `team/app:1.2`).
 * - containerd (like Docker Engine): always docker.io (`docker.io/library/nginx:latest`), never searches.
 * - CRI-O: resolves through registries.conf: an `[aliases]` entry, else each
 *   `unqualified-search-registries` entry in order; none configured → the pull fails. CRI-O ≤ 1.33 tries
 *   every candidate; ≥ 1.34 `short_name_mode = "enforcing"` (default) fails when the name is ambiguous
 *   (more than one candidate and no alias).
 * Sources: https://github.com/cri-o/cri-o/blob/v1.33.13/internal/storage/image.go,
 * https://github.com/cri-o/cri-o/commit/a8b550ad04,
 * https://github.com/containers/image/blob/v5.36.1/docs/containers-registries.conf.5.md.
 */
import type { ImageRule } from "../../core/rule.js";
import type { RuntimeCapabilities } from "../data/runtime-capabilities.js";
import { warn, who } from "./resolve.js";

export const I008: ImageRule<RuntimeCapabilities> = {
  id: "I008",
  slug: "short-name",
  title: "Unqualified (short-name) image reference",
  category: "image",
  description:
    "The image reference has no registry host. containerd and Docker read it as docker.io; CRI-O resolves it through " +
    "registries.conf and, from 1.34, refuses ambiguous short names.",
  remediation:
    "Write the fully qualified name, e.g. docker.io/library/nginx:1.27 instead of nginx:1.27 (ideally pinned by digest).",
  defaultSeverity: "medium",
  check(facts, rt, _platform, caps) {
    const ref = facts.reference;
    if (!ref.shortName) return [];
    const name = who(rt, caps);
    const evidence = { reference: ref.original, resolvesTo: ref.normalized };
    switch (caps.shortNames) {
      case "docker-io":
        if (rt.name === "cri-dockerd") return [];
        return [
          warn(
            "low",
            `"${ref.original}" has no registry host: ${name} pulls ${ref.normalized} from Docker Hub, as Docker did; it never searches ` +
              "other registries, and anonymous Docker Hub pulls are rate-limited.",
            { evidence },
          ),
        ];
      case "search-all":
        return [
          warn(
            "medium",
            `"${ref.original}" has no registry host: ${name} does not assume docker.io but resolves it through registries.conf ` +
              "(an [aliases] entry, else each unqualified-search-registries entry in order); with none configured the pull fails, " +
              "and with several the image may come from a different registry than on Docker.",
            { evidence },
          ),
        ];
      case "enforcing":
        return [
          warn(
            "medium",
            `"${ref.original}" has no registry host: ${name} resolves it through registries.conf, and its short_name_mode "enforcing" ` +
              "(default since CRI-O 1.34) fails the pull when more than one unqualified-search registry could match and no alias " +
              `exists ("short name mode is enforcing, but image name ${ref.original} returns ambiguous list").`,
            { evidence },
          ),
        ];
    }
    return [];
  },
};
