/**
 * I002 platform-missing: nothing in the image for the node's platform.
 * - Index / manifest list without a matching entry: the pull fails (containerd: "no match for platform in
 *   manifest: not found"; CRI-O: "no image found in manifest list for architecture …").
 * - Matching differs per runtime (src/core/platform.ts): containerd 1.x/2.0 fall back amd64→386 and
 *   arm64→arm/v8..v5; containerd 2.1+ (transfer service) does not; CRI-O compares exact strings.
 * - A single manifest is never platform-checked on pull (infra: containerd 1.6 and c/image 5.23 pulled a
 *   windows/amd64 manifest for linux/amd64), so a wrong platform shows only when the container starts.
 * Sources: https://github.com/containerd/containerd/blob/v1.6.39/images/handlers.go,
 * https://github.com/containers/image/blob/v5.36.1/internal/manifest/oci_index.go.
 */
import type { PlatformSpec } from "../../core/image.js";
import {
  containerdLadder,
  normalizePlatform,
  offeredPlatforms,
  platformString,
} from "../../core/platform.js";
import type { ImageHit, ImageRule } from "../../core/rule.js";
import type { Platform } from "../../core/target.js";
import type { RuntimeCapabilities } from "../data/runtime-capabilities.js";
import { pullFails, resolve, runFails, short, warn, who } from "./resolve.js";

function same(a: Platform, b: Platform): boolean {
  return a.os === b.os && a.architecture === b.architecture && (a.variant ?? "") === (b.variant ?? "");
}

/** Can a node of `wanted` execute binaries built for `image`? (Normalised; the Only() ladder is the CPU truth.) */
function executable(image: Platform, wanted: Platform): "yes" | "compat" | "no" {
  const img = normalizePlatform(image);
  const ladder = containerdLadder(wanted, "containerd-only");
  const i = ladder.findIndex((p) => same(p, img));
  if (i === 0) return "yes";
  if (i > 0) return "compat";
  // An image variant higher than the node's, or an unset node variant: treat same os/arch as runnable.
  const w = normalizePlatform(wanted);
  if (img.os === w.os && img.architecture === w.architecture && (!w.variant || !img.variant)) return "yes";
  return "no";
}

/**
 * Whether containerd's `images.Manifest` walks an index entry without a platform for `wanted`: the
 * config's platform, normalised, must be one `platforms.Only(wanted)` accepts. 1.x compares the
 * config's os and architecture only; 2.x (`ConfigPlatform`) the variant too. The CRI reads the config
 * with the client's default `Only(host)` in every version, 2.1's strict transfer-service fetch included.
 * https://github.com/containerd/containerd/blob/v1.6.20/images/image.go,
 * https://github.com/containerd/containerd/blob/v2.1.9/core/images/image.go
 */
function containerdConfigMatches(config: PlatformSpec, wanted: Platform, caps: RuntimeCapabilities): boolean {
  const v2 = caps.platformMatch !== "containerd-only";
  const img = normalizePlatform(v2 ? config : { os: config.os, architecture: config.architecture });
  const ladder = containerdLadder(wanted, v2 ? "containerd-only-v2" : "containerd-only");
  return ladder.some((p) => same(p, img));
}

export const I002: ImageRule<RuntimeCapabilities> = {
  id: "I002",
  slug: "platform-missing",
  title: "No image for the node's platform",
  category: "image",
  description:
    "The image offers no manifest the runtime will pick for the node's OS/architecture, or its only manifest is built " +
    "for another platform, so the pull fails or the container cannot start.",
  remediation:
    "Publish a multi-platform image that includes this platform (e.g. `docker buildx build --platform linux/amd64,linux/arm64 --push`), " +
    "or keep the workload off these nodes with a nodeSelector on kubernetes.io/arch / kubernetes.io/os.",
  defaultSeverity: "critical",
  check(facts, rt, platform, caps) {
    const want = platformString(platform);
    const name = who(rt, caps);
    if (!caps.windowsContainers && platform.os !== "linux") {
      return [
        pullFails("critical", `${name} runs Linux containers only; it cannot run images on ${want} nodes.`),
      ];
    }
    const r = resolve(facts, rt, platform);
    if (r.index && r.selection) {
      const sel = r.selection;
      const offered = offeredPlatforms(r.index);
      const evidence = { offered: offered.join(", ") || "(none)" };
      if (!sel.descriptor) {
        return [
          pullFails("critical", noMatchMessage(name, rt.name, want, platform, offered, caps), { evidence }),
        ];
      }
      if (sel.match === "fallback" && sel.chosenPlatform) {
        const chosen = platformString(sel.chosenPlatform);
        return [
          warn(
            "medium",
            `${name} has no ${want} entry in this index and falls back to the ${chosen} image; it runs only if the node can ` +
              "execute that instruction set (32-bit compatibility), and usually more slowly.",
            { evidence },
          ),
        ];
      }
      if (sel.match === "no-platform") {
        const child = r.manifest;
        const hits: ImageHit[] = [];
        if (
          rt.name === "containerd" &&
          child?.configPlatform &&
          !containerdConfigMatches(child.configPlatform, platform, caps)
        ) {
          // The fetch keeps entries without a platform, but the CRI then reads the image config through
          // images.Manifest with platforms.Only(node), which walks such an entry only when its config's
          // platform matches: nothing is left, and the pull fails. Measured on containerd 1.6.20, 1.7.24
          // and 2.1.9 for linux/arm64 (docs/oracles.md).
          // https://github.com/containerd/containerd/blob/v2.1.9/core/images/image.go (Manifest)
          return [
            pullFails(
              "critical",
              `The only ${want} candidate in this index is the entry ${short(sel.descriptor.digest)} without a platform, and its ` +
                `config says ${platformString(child.configPlatform)}; ${name} skips it when it reads the image config, so the pull ` +
                'fails with "no match for platform in manifest: not found".',
              { evidence },
            ),
          ];
        }
        if (child?.configPlatform && executable(child.configPlatform, platform) === "no") {
          hits.push(
            runFails(
              `${name} picks the index entry ${short(sel.descriptor.digest)} that has no platform (last resort), but its config says ` +
                `${platformString(child.configPlatform)}: the container fails to start on ${want} (exec format error).`,
              { evidence },
            ),
          );
        } else if (!child?.configPlatform) {
          hits.push(
            warn(
              "low",
              `${name} finds no ${want} entry and takes the entry without a platform (${short(sel.descriptor.digest)}) as last resort; ` +
                "whether it is built for this platform was not verified.",
              { evidence },
            ),
          );
        }
        return hits;
      }
      return [];
    }
    if (!r.manifest || !r.isRoot) return [];
    // Single manifest: no platform check on pull by any runtime; the config (or schema 1 field) tells.
    const m = r.manifest;
    let img: PlatformSpec | undefined = m.configPlatform;
    if (!img && m.kind === "schema1" && m.schema1Architecture) {
      img = { os: "linux", architecture: m.schema1Architecture };
    }
    if (!img) return [];
    const ok = executable(img, platform);
    const imgText = platformString(img);
    if (ok === "yes") return [];
    if (ok === "compat") {
      return [
        warn(
          "medium",
          `This single-platform image is built for ${imgText}; ${name} pulls it on ${want} nodes without checking, and it runs only ` +
            "if the node can execute that instruction set.",
          { evidence: { imagePlatform: imgText } },
        ),
      ];
    }
    const osDiffers = normalizePlatform(img).os !== normalizePlatform(platform).os;
    if (osDiffers && caps.singleManifestOsCheck) {
      return [
        pullFails(
          "critical",
          `This single-platform image is built for ${imgText}. ${name} checks the operating system in the image config and fails the ` +
            `pull: 'image operating system "${normalizePlatform(img).os}" cannot be used on this platform'.`,
          { evidence: { imagePlatform: imgText } },
        ),
      ];
    }
    const why = osDiffers
      ? `a ${normalizePlatform(img).os} image cannot run on a ${platform.os} node`
      : "exec format error";
    return [
      runFails(
        `This single-platform image is built for ${imgText}. ${name} does not check the platform of a single manifest, so the pull ` +
          `succeeds on ${want} nodes, but the container fails to start (${why}).`,
        { evidence: { imagePlatform: imgText } },
      ),
    ];
  },
};

function noMatchMessage(
  name: string,
  family: string,
  want: string,
  platform: Platform,
  offered: string[],
  caps: RuntimeCapabilities,
): string {
  const list = offered.length ? offered.join(", ") : "no platforms";
  let hint = "";
  const w = normalizePlatform(platform);
  const normalizedOffered = offered.map((o) => {
    const [os, architecture, variant] = o.split("/");
    return normalizePlatform({ os, architecture, variant });
  });
  if (family === "cri-o" && normalizedOffered.some((p) => same(p, w))) {
    hint =
      " The index spells the platform in a non-canonical way (e.g. aarch64, x86_64, armhf); containerd normalises it, containers/image compares exact strings.";
  } else if (w.architecture === "amd64" && offered.some((o) => /amd64\/v[2-4]/.test(o))) {
    hint = " Entries for amd64/v2, v3 or v4 never match: runtimes ask for plain amd64.";
  } else if (caps.platformMatch === "containerd-strict") {
    const ladder = containerdLadder(platform, "containerd-only").slice(1);
    const would = normalizedOffered.find((p) => ladder.some((l) => same(l, p)));
    if (would)
      hint = ` containerd 1.x/2.0 would fall back to ${platformString(would)}; 2.1+ pulls through the transfer service, which matches strictly.`;
  }
  const error =
    family === "cri-o"
      ? `"no image found in manifest list for architecture ${platform.architecture}, variant "${platform.variant ?? ""}", OS ${platform.os}"`
      : family === "containerd"
        ? '"no match for platform in manifest: not found"'
        : `"no matching manifest for ${want} in the manifest list entries"`;
  return `The image index offers ${list} but nothing ${name} picks for ${want}: the pull fails with ${error}.${hint}`;
}
