/**
 * I009 manifest-too-large: size caps on manifests.
 * - containerd: `MaxManifestSize = 4 * 1048 * 1048` = 4,393,216 bytes, top-level resolved manifest only
 *   ("rejecting N byte manifest for <ref>: not found"); children and config are not capped.
 * - CRI-O (containers/image): 4 MiB = 4,194,304 bytes for every manifest GET and for the config blob
 *   ("exceeded maximum allowed size of 4194304 bytes").
 * Sources: https://github.com/containerd/containerd/blob/v2.3.4/core/remotes/docker/resolver.go,
 * https://github.com/containers/image/blob/v5.36.1/internal/iolimits/iolimits.go.
 */
import type { ImageHit, ImageRule } from "../../core/rule.js";
import type { RuntimeCapabilities } from "../data/runtime-capabilities.js";
import { pullFails, resolve, short, warn, who } from "./resolve.js";

export const I009: ImageRule<RuntimeCapabilities> = {
  id: "I009",
  slug: "manifest-too-large",
  title: "Manifest or config larger than the runtime accepts",
  category: "image",
  description:
    "A manifest (or CRI-O: the config blob) is larger than the runtime reads: containerd caps the top-level manifest at " +
    "4,393,216 bytes, CRI-O every manifest and the config at 4,194,304 bytes.",
  remediation:
    "Shrink the manifest: fewer index entries (split per platform or drop attestations), fewer layers (squash), shorter " +
    "annotations; keep the config under 4 MiB (large labels or history).",
  defaultSeverity: "critical",
  check(facts, rt, platform, caps) {
    const limit = caps.manifestLimit;
    const name = who(rt, caps);
    // The root over the read cap is an error, not facts; the size the registry announced (or we read) stays on it.
    const rootError =
      facts.error?.kind === "too-large" && facts.error.digest === undefined ? facts.error : undefined;
    const rootSize = facts.root?.size ?? facts.http?.contentLength ?? rootError?.size;
    if (!limit) {
      if (rootSize !== undefined && rootSize > 4 * 1024 * 1024) {
        return [
          warn(
            "low",
            `The manifest is ${rootSize} bytes; whether ${name} accepts manifests over 4 MiB is not established.`,
          ),
        ];
      }
      return [];
    }
    const over = (n: number | undefined): n is number => n !== undefined && n > limit.bytes;
    const hits: ImageHit[] = [];
    if (rootError) {
      // The client refuses a top-level manifest only above containerd's 4,393,216 bytes, which is above
      // CRI-O's 4 MiB too: both runtimes certainly refuse it, whether or not its size is known.
      const size = rootError.size !== undefined ? `${rootError.size} bytes` : "larger than 4 MiB";
      const evidence: Record<string, string> = { limit: String(limit.bytes) };
      if (rootError.size !== undefined) evidence.size = String(rootError.size);
      return [
        pullFails(
          "critical",
          limit.scope === "top-level"
            ? `The top-level manifest is ${size}, over ${name}'s ${limit.bytes}-byte cap: the pull fails with "rejecting ${rootError.size ?? "N"} byte manifest for ${facts.reference.normalized}: not found".`
            : `The top-level manifest is ${size}: ${name} refuses it ("exceeded maximum allowed size of ${limit.bytes} bytes").`,
          { evidence },
        ),
      ];
    }
    if (over(rootSize)) {
      hits.push(
        pullFails(
          "critical",
          limit.scope === "top-level"
            ? `The top-level manifest is ${rootSize} bytes, over ${name}'s ${limit.bytes}-byte cap: the pull fails with "rejecting ${rootSize} byte manifest for ${facts.reference.normalized}: not found".`
            : `The top-level manifest is ${rootSize} bytes: ${name} refuses it ("exceeded maximum allowed size of ${limit.bytes} bytes").`,
          { evidence: { size: String(rootSize), limit: String(limit.bytes) } },
        ),
      );
      return hits;
    }
    if (limit.scope !== "every-manifest-and-config") return hits;
    const r = resolve(facts, rt, platform);
    const chosen = r.selection?.descriptor?.digest;
    const childError = chosen !== undefined ? facts.childErrors[chosen] : undefined;
    if (childError?.kind === "too-large" && chosen !== undefined) {
      // Over our read cap (above 4 MiB): c/image caps every manifest, so CRI-O refuses it. containerd does
      // not cap children; there the cell stays unknown (the child could not be read).
      const size = childError.size !== undefined ? `${childError.size} bytes` : "larger than 4 MiB";
      const evidence: Record<string, string> = { limit: String(limit.bytes) };
      if (childError.size !== undefined) evidence.size = String(childError.size);
      hits.push(
        pullFails(
          "critical",
          `The ${platform.os}/${platform.architecture} manifest ${short(chosen)} is ${size}: ${name} refuses it ("exceeded maximum allowed size of ${limit.bytes} bytes"); containerd would not cap it.`,
          { evidence },
        ),
      );
    }
    if (r.manifest && !r.isRoot && over(r.manifest.size)) {
      hits.push(
        pullFails(
          "critical",
          `The ${platform.os}/${platform.architecture} manifest ${short(r.manifest.digest)} is ${r.manifest.size} bytes: ${name} refuses it ("exceeded maximum allowed size of ${limit.bytes} bytes"); containerd would not cap it.`,
          { evidence: { size: String(r.manifest.size), limit: String(limit.bytes) } },
        ),
      );
    }
    const cfg = r.manifest?.config?.size;
    if (over(cfg)) {
      hits.push(
        pullFails(
          "critical",
          `The image config is ${cfg} bytes: ${name} refuses config blobs over ${limit.bytes} bytes; containerd would not cap it.`,
          { evidence: { configSize: String(cfg), limit: String(limit.bytes) } },
        ),
      );
    }
    return hits;
  },
};
