/**
 * Platform matching as each runtime does it, as pure functions. Which child of an
 * index a runtime picks for a node decides everything else the image rules judge, and the registry
 * client uses `candidateChildren` to fetch only the children some runtime could pick.
 *
 * Sources (read by tag):
 * - containerd: platforms/database.go `normalizeArch`, platforms/compare.go `platformVector` / `Only`
 *   (https://github.com/containerd/containerd/blob/v1.6.39/platforms/compare.go, and
 *   https://github.com/containerd/platforms/blob/main/compare.go for 2.x), core/images/handlers.go
 *   `FilterPlatforms` + `LimitManifests` (platform-less entries kept, sorted last).
 * - containerd 2.1+: CRI pulls through the transfer service with `platforms.Ordered(DefaultSpec())`,
 *   a strict matcher without the Only() ladder
 *   (https://github.com/containerd/containerd/blob/v2.1.0/internal/cri/server/images/image_pull.go).
 * - CRI-O / containers/image: internal/pkg/platform/platform_matcher.go `WantedPlatforms`,
 *   `MatchesPlatform` (exact strings, no normalisation), manifest/docker_schema2_list.go `ChooseInstance`,
 *   internal/manifest/oci_index.go `chooseInstance` (platform-less entries last resort, zstd tie-break)
 *   (https://github.com/containers/image/blob/v5.36.1/internal/pkg/platform/platform_matcher.go).
 * - Docker Engine (cri-dockerd): distribution pull filters with containerd's `platforms.Only`
 *   (https://github.com/moby/moby/blob/master/distribution/pull_v2_unix.go) — same ladder as containerd 1.x.
 *
 * Core: no imports of ours beyond core, no npm packages.
 */
import type { Descriptor, ManifestFacts, PlatformSpec } from "./image.js";
import { formatPlatform, type Platform, type RuntimeName } from "./target.js";
import type { Version } from "./version.js";
import { atLeastMinor } from "./version.js";

/** How a runtime version matches index entries against the node platform. */
export type PlatformMatchStyle =
  /** containerd 1.x `platforms.Only`: normalise, then amd64→386, arm64→arm/v8..v5, arm/vN→vN-1..v5. */
  | "containerd-only"
  /** containerd 2.0 `platforms.Only`: as 1.x plus the arm64 v8.x/v9.x ladder. */
  | "containerd-only-v2"
  /** containerd 2.1+ CRI transfer-service pull: normalise, then exact match (no ladder). */
  | "containerd-strict"
  /** containers/image (CRI-O): exact strings, variant order list, no cross-arch fallback. */
  | "cri-o-exact"
  /** Docker Engine: containerd's `platforms.Only` (1.x semantics). */
  | "docker-only";

/** Which style a runtime version uses. Kept here (not in the rule data) so core can choose children. */
export function platformMatchStyle(family: RuntimeName, version: Version): PlatformMatchStyle {
  if (family === "cri-o") return "cri-o-exact";
  if (family === "cri-dockerd") return "docker-only";
  if (atLeastMinor(version, 2, 1)) return "containerd-strict";
  if (version.major >= 2) return "containerd-only-v2";
  return "containerd-only";
}

/** `os/arch[/variant]`. */
/** `os/arch[/variant]`: the one formatter lives in target.ts. */
export const platformString: (p: Platform) => string = formatPlatform;

/**
 * Normalises as containerd's `platforms.Normalize` does: x86_64→amd64, amd64/v1→amd64, aarch64→arm64,
 * arm64/v8→arm64 (variant ""), armhf→arm/v7, armel→arm/v6, arm→arm/v7, i386→386, macos→darwin.
 */
export function normalizePlatform(p: { os?: string; architecture?: string; variant?: string }): Platform {
  let os = (p.os ?? "").toLowerCase();
  if (os === "macos") os = "darwin";
  let arch = (p.architecture ?? "").toLowerCase();
  let variant = (p.variant ?? "").toLowerCase();
  switch (arch) {
    case "i386":
      arch = "386";
      variant = "";
      break;
    case "x86_64":
    case "x86-64":
    case "amd64":
      arch = "amd64";
      if (variant === "v1") variant = "";
      break;
    case "aarch64":
    case "arm64":
      arch = "arm64";
      if (variant === "8" || variant === "v8" || variant === "v8.0") variant = "";
      else if (variant === "9" || variant === "v9.0") variant = "v9";
      break;
    case "armhf":
      arch = "arm";
      variant = "v7";
      break;
    case "armel":
      arch = "arm";
      variant = "v6";
      break;
    case "arm":
      if (variant === "" || variant === "7") variant = "v7";
      else if (variant === "5" || variant === "6" || variant === "8") variant = `v${variant}`;
      break;
  }
  return variant ? { os, architecture: arch, variant } : { os, architecture: arch };
}

function samePlatform(a: Platform, b: Platform): boolean {
  return a.os === b.os && a.architecture === b.architecture && (a.variant ?? "") === (b.variant ?? "");
}

/** The containerd `platformVector`: the wanted platform first, then what it may fall back to, best first. */
export function containerdLadder(wanted: Platform, style: PlatformMatchStyle): Platform[] {
  const w = normalizePlatform(wanted);
  const out: Platform[] = [w];
  if (style === "containerd-strict") return out;
  const withVariant = (arch: string, variant: string): Platform =>
    variant ? { os: w.os, architecture: arch, variant } : { os: w.os, architecture: arch };
  const armLadder = (from: number) => {
    for (let v = from; v >= 5; v--) out.push(withVariant("arm", `v${v}`));
  };
  switch (w.architecture) {
    case "amd64": {
      const n = Number.parseInt((w.variant ?? "").replace(/^v/, ""), 10);
      if (Number.isFinite(n) && n > 1) {
        for (let v = n - 1; v >= 1; v--) out.push(withVariant("amd64", v === 1 ? "" : `v${v}`));
      }
      out.push(withVariant("386", ""));
      break;
    }
    case "arm": {
      const n = Number.parseInt((w.variant ?? "").replace(/^v/, ""), 10);
      if (Number.isFinite(n) && n > 5) armLadder(n - 1);
      break;
    }
    case "arm64": {
      if (style === "containerd-only-v2") {
        // 2.0 (github.com/containerd/platforms): v9.x and v8.x hosts also accept lower arm64 variants,
        // ending at plain arm64 (= v8); then the 32-bit ladder from arm/v8.
        const m = /^v(\d+)(?:\.(\d+))?$/.exec(w.variant ?? "");
        if (m) {
          const major = Number(m[1]);
          const minor = m[2] === undefined ? 0 : Number(m[2]);
          for (let maj = major; maj >= 8; maj--) {
            const top = maj === major ? minor : maj === 9 ? 5 : 9;
            for (let min = maj === major ? top - 1 : top; min >= 0; min--) {
              if (maj === 8 && min === 0) continue;
              out.push(withVariant("arm64", min === 0 ? `v${maj}` : `v${maj}.${min}`));
            }
          }
          out.push(withVariant("arm64", ""));
        }
      }
      armLadder(8);
      break;
    }
  }
  // De-duplicate while keeping the order.
  return out.filter((p, i) => out.findIndex((q) => samePlatform(p, q)) === i);
}

/** containers/image `WantedPlatforms`: exact strings, variants tried in order, no cross-arch fallback. */
export function crioWantedPlatforms(wanted: Platform): Platform[] {
  const { os, architecture } = wanted;
  let variants: string[];
  if (architecture === "arm64") {
    // The node's cpuinfo reports "8", which c/image maps to "v8"; then the empty variant.
    const v = wanted.variant || "v8";
    variants = v === "v8" ? ["v8", ""] : [v, "v8", ""];
  } else if (architecture === "arm") {
    const n = Number.parseInt((wanted.variant || "v7").replace(/^v/, ""), 10);
    variants = [];
    if (Number.isFinite(n)) for (let v = n; v >= 5; v--) variants.push(`v${v}`);
    variants.push("");
  } else {
    variants = [wanted.variant ?? ""];
  }
  return variants.map((v) => (v ? { os, architecture, variant: v } : { os, architecture }));
}

/** BuildKit attestation manifests (`unknown/unknown`, `vnd.docker.reference.type: attestation-manifest`). */
function isAttestationEntry(d: Descriptor): boolean {
  if (d.annotations?.["vnd.docker.reference.type"] === "attestation-manifest") return true;
  return d.platform?.os === "unknown" && d.platform?.architecture === "unknown";
}

function isDockerList(index: ManifestFacts): boolean {
  const t = index.contentType ?? index.mediaType;
  return t === "application/vnd.docker.distribution.manifest.list.v2+json";
}

function entryPlatform(p: PlatformSpec): Platform {
  return p.variant
    ? { os: p.os, architecture: p.architecture, variant: p.variant }
    : { os: p.os, architecture: p.architecture };
}

export interface ManifestSelection {
  /** The chosen child; undefined when nothing matches. */
  descriptor?: Descriptor;
  /** Position of the chosen child in `manifests[]`. */
  position?: number;
  /** How the child was chosen. */
  match?: "exact" | "fallback" | "no-platform";
  /** For `fallback`: the platform of the chosen entry, e.g. linux/386 for an amd64 node. */
  chosenPlatform?: Platform;
  style: PlatformMatchStyle;
}

function zstdInstance(d: Descriptor): boolean {
  return d.annotations?.["io.github.containers.compression.zstd"] === "true";
}

/**
 * Which index entry a runtime (family@version) picks for `wanted`, or none. `index` must be an
 * index/manifest list (`manifests[]`); for any other manifest the result has no descriptor.
 */
export function selectManifest(
  index: ManifestFacts,
  wanted: Platform,
  family: RuntimeName,
  version: Version,
): ManifestSelection {
  const style = platformMatchStyle(family, version);
  return selectWithStyle(index, wanted, style);
}

function selectWithStyle(
  index: ManifestFacts,
  wanted: Platform,
  style: PlatformMatchStyle,
): ManifestSelection {
  const entries = index.manifests ?? [];
  if (style === "cri-o-exact") return selectCrio(index, entries, wanted, style);
  const ladder = containerdLadder(wanted, style);
  let best: { rank: number; position: number } | undefined;
  let noPlatform: number | undefined;
  entries.forEach((d, position) => {
    if (isAttestationEntry(d)) return;
    if (!d.platform) {
      if (noPlatform === undefined) noPlatform = position;
      return;
    }
    // os.version / os.features are not compared: an empty wanted os.version matches any (1.6/1.7 hcsshim).
    const p = normalizePlatform(d.platform);
    const rank = ladder.findIndex((l) => samePlatform(l, p));
    if (rank < 0) return;
    // LimitManifests sorts by preference with a stable sort: the first entry of the best rank wins.
    if (!best || rank < best.rank) best = { rank, position };
  });
  if (best) {
    const descriptor = entries[best.position];
    const chosen = descriptor?.platform ? entryPlatform(descriptor.platform) : undefined;
    const sel: ManifestSelection = {
      position: best.position,
      match: best.rank === 0 ? "exact" : "fallback",
      style,
    };
    if (descriptor) sel.descriptor = descriptor;
    if (chosen && best.rank > 0) sel.chosenPlatform = chosen;
    return sel;
  }
  if (noPlatform !== undefined) {
    const descriptor = entries[noPlatform];
    if (descriptor) return { descriptor, position: noPlatform, match: "no-platform", style };
  }
  return { style };
}

function selectCrio(
  index: ManifestFacts,
  entries: readonly Descriptor[],
  wanted: Platform,
  style: PlatformMatchStyle,
): ManifestSelection {
  const wantedList = crioWantedPlatforms(wanted);
  const dockerList = isDockerList(index);
  let best: { rank: number; position: number; zstd: boolean } | undefined;
  entries.forEach((d, position) => {
    if (isAttestationEntry(d)) return;
    let rank: number;
    if (!d.platform) {
      // Docker lists always have a platform struct (zero value never matches); OCI indexes accept
      // platform-less entries as the last resort.
      if (dockerList) return;
      rank = Number.MAX_SAFE_INTEGER;
    } else {
      const p = d.platform;
      rank = wantedList.findIndex(
        (w) => w.os === p.os && w.architecture === p.architecture && (w.variant ?? "") === (p.variant ?? ""),
      );
      if (rank < 0) return;
    }
    const zstd = !dockerList && zstdInstance(d);
    if (!best || rank < best.rank || (rank === best.rank && zstd && !best.zstd))
      best = { rank, position, zstd };
  });
  if (!best) return { style };
  const descriptor = entries[best.position];
  if (!descriptor) return { style };
  const sel: ManifestSelection = { descriptor, position: best.position, style };
  if (best.rank === Number.MAX_SAFE_INTEGER) sel.match = "no-platform";
  else if (best.rank === 0) sel.match = "exact";
  else {
    sel.match = "fallback";
    if (descriptor.platform) sel.chosenPlatform = entryPlatform(descriptor.platform);
  }
  return sel;
}

/** One representative version per matching style: enough to cover every supported runtime. */
const STYLES: readonly PlatformMatchStyle[] = [
  "containerd-only",
  "containerd-only-v2",
  "containerd-strict",
  "cri-o-exact",
  "docker-only",
];

/**
 * Every child digest any supported runtime might pick for any of the wanted platforms, in index order.
 * The registry client fetches these (and only these) children.
 */
export function candidateChildren(index: ManifestFacts, wanted: readonly Platform[]): string[] {
  const picked = new Set<number>();
  for (const w of wanted) {
    for (const style of STYLES) {
      const sel = selectWithStyle(index, w, style);
      if (sel.position !== undefined) picked.add(sel.position);
    }
  }
  const entries = index.manifests ?? [];
  return [...picked]
    .sort((a, b) => a - b)
    .map((i) => entries[i]?.digest)
    .filter((d): d is string => typeof d === "string")
    .filter((d, i, all) => all.indexOf(d) === i);
}

/** The platforms an index offers, attestations left out, for messages. */
export function offeredPlatforms(index: ManifestFacts): string[] {
  const out: string[] = [];
  for (const d of index.manifests ?? []) {
    if (isAttestationEntry(d)) continue;
    const s = d.platform ? platformString(entryPlatform(d.platform)) : "(no platform)";
    if (!out.includes(s)) out.push(s);
  }
  return out;
}
