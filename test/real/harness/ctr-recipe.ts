/**
 * containerd's CRI pull for a platform this amd64 host is not (linux/arm64), made with that version's
 * ctr as docs/oracles.md ("containerd on linux/arm64") describes. The CRI pulls for the host only, so
 * a CRI PullImage cannot answer for an arm64 node; these steps make the same choices it would there:
 *
 * - containerd 1.6 / 1.7: the CRI pulls with `client.Pull` and the platform matcher `platforms.Only(host)`,
 *   which on arm64 accepts arm64, then arm/v8 down to arm/v5 (platforms/compare.go `platformVector`),
 *   and fetches only the best entry. `ctr image pull --platform P` fetches with an exact matcher, so it
 *   would miss those fallbacks. Instead: (1) `ctr content fetch` with every platform Only(P) accepts,
 *   then (2) `ctr image pull --platform P` (1.7: `--local`, the client pull rather than the transfer
 *   service, as 1.7's CRI does), whose unpack chooses with `platforms.Only(P)`.
 *   https://github.com/containerd/containerd/blob/v1.6.20/platforms/compare.go
 *   https://github.com/containerd/containerd/blob/v1.7.24/cmd/ctr/commands/images/pull.go
 * - containerd 2.1: the CRI pulls through the transfer service with `WithPlatforms(host)` +
 *   `WithUnpack(host, snapshotter)`; `ctr image pull --skip-metadata --platform P` sends the same store
 *   options. https://github.com/containerd/containerd/blob/v2.1.9/internal/cri/server/images/image_pull.go
 * - Every version: the CRI's next step after the pull is `image.Config` with `platforms.Only(host)`
 *   (images.Manifest's walk), then the config blob is read and parsed. ctr does not do that step, so it
 *   is replayed here over the daemon's content store (`ctr content get`); on 2.1 it fails when it picks
 *   an entry the strict fetch skipped. https://github.com/containerd/containerd/blob/v2.1.9/core/images/image.go
 * - Unpacked or not: `image.IsUnpacked` is a snapshot named by the chain id of the chosen config's
 *   `rootfs.diff_ids`; `ctr images check` would ask for the host's platform, so the snapshot is looked
 *   up here (`ctr snapshots info`).
 *
 * The platform matching below is written from containerd's source, on purpose not shared with
 * src/core/platform.ts: this is the oracle that code is checked against.
 * The same steps for linux/amd64 are checked against the real CRI on every crafted image
 * (test/real/differential.test.ts), which is what makes the arm64 column stand for the CRI.
 */
import { createHash } from "node:crypto";
import { type OraclePull, runProc } from "./oracles.js";

/** A containerd daemon kept for ctr pulls (scripts/testenv.sh `recipe-VERSION`). */
export interface CtrRecipe {
  /** "1.6", "1.7", "2.1". */
  version: string;
  sock: string;
  /** The ctr of that version. */
  ctr: string;
  /** Registry hosts (certs.d) the CRI of that version reads. */
  hostsDir: string;
  snapshotter: string;
}

interface Plat {
  os: string;
  architecture: string;
  variant: string;
}

interface Desc {
  mediaType: string;
  digest: string;
  platform?: { os?: string; architecture?: string; variant?: string };
}

const NAMESPACE = "recipe";
const MANIFEST_TYPES = [
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
];
const INDEX_TYPES = [
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.index.v1+json",
];

/** platforms.Normalize (database.go normalizeArch); 2.x also maps arm64 v8.0 → "" and 9 / v9.0 → v9. */
function normalize(p: { os?: string; architecture?: string; variant?: string }, v2: boolean): Plat {
  const os = (p.os ?? "").toLowerCase();
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
      if (variant === "8" || variant === "v8" || (v2 && variant === "v8.0")) variant = "";
      else if (v2 && (variant === "9" || variant === "9.0" || variant === "v9.0")) variant = "v9";
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
      else if (["5", "6", "8"].includes(variant)) variant = `v${variant}`;
      break;
  }
  return { os: p.os === "macos" ? "darwin" : os, architecture: arch, variant };
}

/**
 * `platforms.Only(P)` for the plain platforms this suite asks for (linux/amd64, linux/arm64): the
 * platform, then amd64 → 386, arm64 → arm/v8 … arm/v5 (1.6 compare.go; the 2.x arm64 ladder adds
 * arm64 variants only above v8, so for plain arm64 it is the same list).
 */
function onlyLadder(wanted: string): Plat[] {
  const [os = "linux", architecture = "amd64"] = wanted.split("/");
  const out: Plat[] = [{ os, architecture, variant: "" }];
  if (architecture === "amd64") out.push({ os, architecture: "386", variant: "" });
  if (architecture === "arm64")
    for (let v = 8; v >= 5; v--) out.push({ os, architecture: "arm", variant: `v${v}` });
  return out;
}

const fmt = (p: Plat) => `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ""}`;

/** Rank of `p` in the Only(wanted) ladder, -1 when it does not match. */
function rank(ladder: Plat[], p: Desc["platform"], v2: boolean): number {
  const n = normalize(p ?? {}, v2);
  return ladder.findIndex(
    (l) => l.os === n.os && l.architecture === n.architecture && l.variant === n.variant,
  );
}

export class CtrRecipeRunner {
  constructor(private readonly r: CtrRecipe) {}

  private ctr(args: string[]) {
    return runProc(this.r.ctr, ["--address", this.r.sock, "--namespace", NAMESPACE, ...args]);
  }

  private get v2(): boolean {
    return !this.r.version.startsWith("1.");
  }

  /** A blob of the daemon's content store, as text (manifests, indexes and configs are JSON). */
  private async blob(digest: string): Promise<string> {
    const r = await this.ctr(["content", "get", digest]);
    if (r.code !== 0) throw new Error(`content digest ${digest}: not found (${r.stderr.trim()})`);
    return r.stdout;
  }

  /** Pulls `ref` for `platform` on a store that does not hold it; never throws for a refused pull. */
  async pull(ref: string, platform: string): Promise<OraclePull> {
    // start from a node that never had this image (--sync: wait for the garbage collection)
    await this.ctr(["images", "rm", "--sync", ref]);
    const hosts = ["--hosts-dir", this.r.hostsDir];
    if (!this.v2) {
      const fetch = await this.ctr([
        "content",
        "fetch",
        ...hosts,
        ...onlyLadder(platform).flatMap((p) => ["--platform", fmt(p)]),
        ref,
      ]);
      if (fetch.code !== 0) return { ok: false, message: `ctr content fetch: ${fetch.stderr.trim()}` };
    }
    const pull = await this.ctr([
      "images",
      "pull",
      ...(this.r.version === "1.7" ? ["--local"] : []),
      ...(this.v2 ? ["--skip-metadata"] : []),
      ...hosts,
      "--snapshotter",
      this.r.snapshotter,
      "--platform",
      platform,
      ref,
    ]);
    if (pull.code !== 0) return { ok: false, message: `ctr image pull: ${pull.stderr.trim()}` };
    try {
      const config = await this.configStep(ref, platform);
      const unpacked = await this.isUnpacked(config);
      return { ok: true, unpacked, message: `ok${unpacked ? "" : " (not unpacked)"}` };
    } catch (err) {
      return { ok: false, message: `config step: ${(err as Error).message}` };
    }
  }

  /** The image record's target: `ctr images ls` columns REF TYPE DIGEST … */
  private async target(ref: string): Promise<Desc> {
    const r = await this.ctr(["images", "ls", `name==${ref}`]);
    const row = r.stdout.split("\n").find((l) => l.split(/\s+/)[0] === ref);
    const cols = row?.trim().split(/\s+/) ?? [];
    if (r.code !== 0 || !cols[1] || !cols[2])
      throw new Error(`image ${ref} not listed: ${r.stdout}${r.stderr}`);
    return { mediaType: cols[1], digest: cols[2] };
  }

  /**
   * images.Manifest's walk with Only(platform), then the config blob parsed as the CRI's image store
   * does; returns the parsed config.
   */
  private async configStep(ref: string, platform: string): Promise<{ rootfs?: { diff_ids?: string[] } }> {
    const root = await this.target(ref);
    const ladder = onlyLadder(platform);
    let wasIndex = false;
    const walk = async (d: Desc): Promise<{ config: { digest: string } } | undefined> => {
      const text = await this.blob(d.digest);
      const doc = JSON.parse(text) as {
        mediaType?: string;
        manifests?: Desc[];
        config?: { digest: string };
        layers?: unknown[];
      };
      if (MANIFEST_TYPES.includes(d.mediaType)) {
        if (doc.manifests || INDEX_TYPES.includes(doc.mediaType ?? ""))
          throw new Error(`media-type: expected manifest but found index (${d.mediaType})`);
        if (!doc.config) throw new Error(`manifest ${d.digest} has no config`);
        if (d.digest !== root.digest) {
          if (d.platform && rank(ladder, d.platform, this.v2) < 0) return undefined;
          if (!d.platform) {
            const c = JSON.parse(await this.blob(doc.config.digest)) as Desc["platform"] & object;
            const p = this.v2 ? c : { os: c.os, architecture: c.architecture };
            if (rank(ladder, p, this.v2) < 0) return undefined;
          }
        }
        return { config: doc.config };
      }
      if (INDEX_TYPES.includes(d.mediaType)) {
        if (doc.config || doc.layers || MANIFEST_TYPES.includes(doc.mediaType ?? ""))
          throw new Error(`media-type: expected index but found manifest (${d.mediaType})`);
        wasIndex = true;
        const picked = (doc.manifests ?? [])
          .map((c, i) => ({
            c,
            i,
            r: c.platform ? rank(ladder, c.platform, this.v2) : Number.MAX_SAFE_INTEGER,
          }))
          .filter((x) => x.r >= 0)
          .sort((a, b) => a.r - b.r || a.i - b.i)[0];
        return picked ? walk(picked.c) : undefined;
      }
      throw new Error(`unexpected media type ${d.mediaType} for ${d.digest}: not found`);
    };
    const m = await walk(root);
    if (!m)
      throw new Error(`${wasIndex ? "no match for platform in " : ""}manifest ${root.digest}: not found`);
    return JSON.parse(await this.blob(m.config.digest));
  }

  /** image.IsUnpacked: the snapshot named by the chain id of rootfs.diff_ids exists. */
  private async isUnpacked(config: { rootfs?: { diff_ids?: string[] } }): Promise<boolean> {
    const diffs = config.rootfs?.diff_ids ?? [];
    if (!diffs.length) return false;
    let chain = diffs[0] as string;
    for (const d of diffs.slice(1))
      chain = `sha256:${createHash("sha256").update(`${chain} ${d}`).digest("hex")}`;
    const r = await this.ctr(["snapshots", "--snapshotter", this.r.snapshotter, "info", chain]);
    return r.code === 0;
  }
}
