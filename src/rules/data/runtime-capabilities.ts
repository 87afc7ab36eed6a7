/**
 * What each runtime version does with image facts: the capability matrix behind the I-rules
 * (DESIGN.md §5). One row per version range; every row carries the URL it was read from, and
 * `CAPABILITY_SOURCES` names the source of each column. `undefined` in a column means "not
 * established for this runtime": rules then say so instead of guessing.
 *
 * Read by tag: containerd v1.6.39, v1.7.34, v2.0.11, v2.1.9, v2.2.0, v2.3.4; cri-o v1.24.6 … v1.36.3 and
 * the containers/image (c/image) release in each CRI-O go.mod; Docker Engine deprecation notes.
 */
import type { PlatformMatchStyle } from "../../core/platform.js";
import { platformMatchStyle } from "../../core/platform.js";
import type { RuntimeName, RuntimeTarget } from "../../core/target.js";
import { compareVersions, formatVersion, parseVersion, type Version } from "../../core/version.js";

/** Schema 1 pull support. */
export type Schema1Support =
  | "pulls" // pulled as is
  | "pulls-deprecated" // pulled (converted), with a deprecation warning
  | "disabled" // refused unless an environment variable opts back in
  | "removed" // refused, no opt-in
  | "unsupported"; // never understood (an unknown media type)

export type ArtifactHandling =
  /** containerd: fetches everything, fails at unpack when rootfs.diff_ids ≠ layers ("mismatched image rootfs and manifest layers"). */
  | "unpack-fails"
  /** containerd ≥ 1.7: a manifest with a non-image config or no layer-typed layers pulls without being unpacked (no rootfs). */
  | "pulled-not-unpacked"
  /** c/image 5.17 (CRI-O 1.24): no artifact check; stored as an image, the container cannot start. */
  | "stored-as-image"
  /** c/image 5.22–5.33 (CRI-O 1.25–1.31): "unsupported image-specific operation on artifact" after the layers download. */
  | "rejected-after-download"
  /** c/image 5.34 (CRI-O 1.32): the same error before any layer is downloaded. */
  | "rejected-before-download"
  /** CRI-O ≥ 1.33: the image pull fails, CRI-O retries as an OCI artifact; PullImage succeeds, CreateContainer fails. */
  | "artifact-fallback";

export interface ManifestLimit {
  bytes: number;
  /** containerd checks only the top-level resolved manifest; c/image every manifest GET and the config blob. */
  scope: "top-level" | "every-manifest-and-config";
}

/**
 * How a row's image verdicts are known. `proven`: test/real/differential.test.ts pulls every crafted
 * image with a real puller of that version and the verdicts agree on every case; `oracle` names it.
 * `from source`: read from the runtime's source at the tag in `source` (and CAPABILITY_SOURCES), not
 * run. A unit test keeps the proven rows equal to the differential suite's oracle list.
 */
export type Proof = { status: "proven"; oracle: string } | { status: "from source" };

const FROM_SOURCE: Proof = { status: "from source" };

export interface RuntimeCapabilities {
  runtime: RuntimeName;
  /** Inclusive lower bound, "major.minor". */
  from: string;
  /** Exclusive upper bound, "major.minor"; undefined = open-ended. */
  until?: string;
  /** How reports name the row, e.g. "containerd 2.0", "CRI-O 1.26 (containers/image 5.24.2)". */
  label: string;
  /** The image library the runtime vendors (CRI-O: containers/image). */
  imageLibrary?: string;
  /** Where the row's facts were read. */
  source: string;
  proof: Proof;
  schema1Signed: Schema1Support;
  schema1Unsigned: Schema1Support;
  /** How the top-level Content-Type is read: containerd (text/plain = schema 1; other values fail at unpack) or c/image (anything unknown = schema 1). */
  contentType?: "containerd" | "containers-image";
  /** `application/vnd.docker.image.rootfs.diff.tar.zstd`. */
  dockerZstdLayer?: boolean;
  /** `application/vnd.oci.image.layer.v1.tar+zstd`. */
  ociZstdLayer?: boolean;
  /** `+encrypted` layers: imgcrypt stream processor (containerd 1.x), CRI wiring removed (2.x), keys dir (CRI-O). */
  encryptedLayers?: "stream-processor" | "cri-wiring-removed" | "decryption-keys-path" | "unsupported";
  /**
   * Foreign / non-distributable layers with `urls`. `urls-only-registry-on-connect-error`: c/image
   * < 5.30 fetches from the URLs with no registry fallback on an HTTP error, but a connection error is
   * lost (a shadowed `err` in getExternalBlob) and it then fetches from the registry (measured on
   * containers/image 5.23; fixed by https://github.com/containers/image/commit/321d0ecc, v5.30.0).
   */
  foreignLayers?:
    | "urls-then-registry"
    | "urls-only"
    | "urls-only-registry-on-connect-error"
    | "registry-only";
  /**
   * Docker Engine refuses a layer (or config) media type that has neither an `application/vnd.oci.image`
   * nor an `application/vnd.docker` prefix: "unsupported media type …" (moby distribution/registry.go
   * supportedMediaTypes).
   */
  layerTypePrefixCheck?: boolean;
  /** Docker Engine checks the OS in a single manifest's config on pull ("image operating system … cannot be used on this platform"). */
  singleManifestOsCheck?: boolean;
  /** The runtime can run Windows containers at all. */
  windowsContainers: boolean;
  /** OCI manifest whose config is typed as a Docker config. */
  ociManifestDockerConfig?: "accepted" | "rejected";
  /** The error text c/image gives for that mix (changed in c/image 5.25). */
  ociManifestDockerConfigError?: string;
  /** Docker v2s2 manifest with OCI-typed layers or config (c/image's v2s2 allow-list). */
  dockerManifestOciTypes?: "accepted" | "rejected";
  /** Docker v2s2 manifest body without a `mediaType` field. */
  dockerManifestWithoutMediaType?: "accepted" | "rejected";
  artifacts?: ArtifactHandling;
  /**
   * containerd: which layers the pull unpacks, and what happens when nothing is unpacked.
   * - `all-layers`: rootfs.diff_ids are compared with every manifest layer; a mismatch fails the pull
   *   (measured on 1.6.20; 1.6.25+ compare layer-typed layers only, https://github.com/containerd/containerd/pull/9150).
   * - `layer-typed`: only layer-typed layers count; when the unpacker unpacked nothing, the client's
   *   fallback `image.Unpack` still fails on a count mismatch, and a manifest with nothing to unpack pulls
   *   without a rootfs (client.Pull, 1.7 and 2.0: https://github.com/containerd/containerd/blob/v1.7.24/image.go).
   * - `transfer-service`: the CRI pulls through the transfer service (2.1+), which has no fallback: a
   *   manifest the unpacker skips (non-image config, no layer-typed layer) pulls without a rootfs
   *   (https://github.com/containerd/containerd/blob/v2.1.9/internal/cri/server/images/image_pull.go).
   */
  unpack?: "all-layers" | "layer-typed" | "transfer-service";
  platformMatch: PlatformMatchStyle;
  manifestLimit?: ManifestLimit;
  /** Unqualified names: docker.io; every unqualified-search registry tried in order; enforcing (ambiguous = error). */
  shortNames: "docker-io" | "search-all" | "enforcing";
}

/** containerd's `MaxManifestSize = 4 * 1048 * 1048` (1048, not 1024), core/remotes/docker/resolver.go. */
export const CONTAINERD_MAX_MANIFEST = 4 * 1048 * 1048;
/** c/image `iolimits.MaxManifestBodySize` / `MaxConfigBodySize` = 4 MiB. */
export const CIMAGE_MAX_MANIFEST = 4 * 1024 * 1024;

const CTD = "https://github.com/containerd/containerd/blob";
const CRIO = "https://github.com/cri-o/cri-o/blob";

function containerd(
  from: string,
  until: string,
  tag: string,
  over: Partial<RuntimeCapabilities>,
): RuntimeCapabilities {
  const v = parseVersion(from) as Version;
  return {
    runtime: "containerd",
    from,
    until,
    label: `containerd ${from}${until.startsWith("3.") ? "+" : ""}`,
    source: `${CTD}/${tag}/RELEASES.md`,
    proof: FROM_SOURCE,
    schema1Signed: "pulls-deprecated",
    schema1Unsigned: "unsupported",
    contentType: "containerd",
    dockerZstdLayer: v.major >= 2,
    ociZstdLayer: true,
    encryptedLayers: v.major >= 2 ? "cri-wiring-removed" : "stream-processor",
    foreignLayers: "urls-then-registry",
    windowsContainers: true,
    ociManifestDockerConfig: "accepted",
    dockerManifestOciTypes: "accepted",
    dockerManifestWithoutMediaType: "accepted",
    artifacts: v.major === 1 && v.minor < 7 ? "unpack-fails" : "pulled-not-unpacked",
    unpack:
      v.major === 1 && v.minor < 7
        ? "all-layers"
        : v.major === 1 || (v.major === 2 && v.minor === 0)
          ? "layer-typed"
          : "transfer-service",
    platformMatch: platformMatchStyle("containerd", v),
    manifestLimit: { bytes: CONTAINERD_MAX_MANIFEST, scope: "top-level" },
    shortNames: "docker-io",
    ...over,
  };
}

const MIXED_GENERIC =
  'unsupported image-specific operation on artifact with type "application/vnd.docker.container.image.v1+json"';
const MIXED_SPECIFIC =
  'invalid mixed OCI image with Docker v2s2 config ("application/vnd.docker.container.image.v1+json")';

function crio(
  minor: number,
  cimage: string,
  over: Partial<RuntimeCapabilities> = {},
  open = false,
): RuntimeCapabilities {
  const v: Version = { major: 1, minor };
  const cimageVersion = parseVersion(cimage.replace(/^.*v/, "")) as Version;
  const artifacts: ArtifactHandling =
    minor >= 33
      ? "artifact-fallback"
      : minor >= 32
        ? "rejected-before-download"
        : minor >= 25
          ? "rejected-after-download"
          : "stored-as-image";
  return {
    runtime: "cri-o",
    from: `1.${minor}`,
    until: open ? "2.0" : `1.${minor + 1}`,
    label: `CRI-O 1.${minor}${open ? "+" : ""} (containers/image ${cimage.replace(/^.*v/, "")})`,
    imageLibrary: cimage,
    source: `${CRIO}/${PATCH[minor]}/go.mod`,
    proof: FROM_SOURCE,
    schema1Signed: "pulls",
    schema1Unsigned: "pulls",
    contentType: "containers-image",
    dockerZstdLayer: minor >= 35,
    ociZstdLayer: true,
    encryptedLayers: "decryption-keys-path",
    foreignLayers:
      compareVersions(cimageVersion, { major: 5, minor: 30 }) >= 0
        ? "urls-only"
        : "urls-only-registry-on-connect-error",
    windowsContainers: false,
    // c/image < 5.22 has no artifact check at all (derived: the mix is stored as an image).
    ociManifestDockerConfig:
      compareVersions(cimageVersion, { major: 5, minor: 22 }) >= 0 ? "rejected" : "accepted",
    ociManifestDockerConfigError:
      compareVersions(cimageVersion, { major: 5, minor: 25 }) >= 0 ? MIXED_SPECIFIC : MIXED_GENERIC,
    dockerManifestOciTypes: "rejected",
    dockerManifestWithoutMediaType: "rejected",
    artifacts,
    platformMatch: platformMatchStyle("cri-o", v),
    manifestLimit: { bytes: CIMAGE_MAX_MANIFEST, scope: "every-manifest-and-config" },
    shortNames: minor >= 34 ? "enforcing" : "search-all",
    ...over,
  };
}

/** The CRI-O patch tag each row was read at. */
const PATCH: Record<number, string> = {
  24: "v1.24.6",
  25: "v1.25.5",
  26: "v1.26.4",
  27: "v1.27.8",
  28: "v1.28.11",
  29: "v1.29.13",
  30: "v1.30.14",
  31: "v1.31.13",
  32: "v1.32.13",
  33: "v1.33.13",
  34: "v1.34.11",
  35: "v1.35.6",
  36: "v1.36.3",
};

/**
 * Docker Engine behind cri-dockerd. Versions 0.x are cri-dockerd's own (the engine version is then
 * unknown and judged as a current engine); versions ≥ 20.10 are Docker Engine versions, as a Node's
 * `containerRuntimeVersion` shows them (`docker://27.3.1`). Only facts we could source are filled in.
 */
function docker(
  from: string,
  until: string | undefined,
  label: string,
  source: string,
  schema1: Schema1Support,
  over: Partial<RuntimeCapabilities> = {},
): RuntimeCapabilities {
  const row: RuntimeCapabilities = {
    runtime: "cri-dockerd",
    from,
    label,
    source,
    proof: FROM_SOURCE,
    schema1Signed: schema1,
    schema1Unsigned: schema1,
    windowsContainers: true,
    platformMatch: "docker-only",
    shortNames: "docker-io",
    ...over,
  };
  if (until) row.until = until;
  return row;
}

function proven(oracle: string): Proof {
  return { status: "proven", oracle };
}
const CIMAGE_539 = "containers/image 5.39.1 (skopeo 1.22.0, Debian sid), linux/amd64 + linux/arm64";

/**
 * Docker Engine 28 (classic image store, Linux), measured with Docker Engine 28.5.2 and read in
 * https://github.com/moby/moby/tree/v28.5.1/distribution: layers are always fetched from the registry
 * (foreign-layer `urls` are used only on Windows, pull_v2_windows.go); encrypted layers are not
 * decrypted ("failed to register layer: unexpected EOF"); media types outside the OCI/Docker prefixes
 * are refused (registry.go supportedMediaTypes); a single manifest's config OS is checked on pull
 * (config.go platformFromConfig). OCI and Docker zstd layers unpack.
 */
const DOCKER_28_MEASURED: Partial<RuntimeCapabilities> = {
  encryptedLayers: "unsupported",
  foreignLayers: "registry-only",
  layerTypePrefixCheck: true,
  singleManifestOsCheck: true,
};

const MOBY_DISABLE = "https://github.com/moby/moby/pull/47459";
const MOBY_REMOVE = "https://github.com/moby/moby/pull/50036";

export const RUNTIME_CAPABILITIES: readonly RuntimeCapabilities[] = [
  containerd("1.6", "1.7", "v1.6.39", {
    proof: proven("containerd 1.6.20 (Debian 12), CRI PullImage + ctr, linux/amd64 + linux/arm64"),
  }),
  containerd("1.7", "2.0", "v1.7.34", {
    proof: proven("containerd 1.7.24 (Debian 13), CRI PullImage + ctr, linux/amd64 + linux/arm64"),
  }),
  containerd("2.0", "2.1", "v2.0.11", { schema1Signed: "disabled" }),
  containerd("2.1", "2.2", "v2.1.9", {
    schema1Signed: "removed",
    proof: proven("containerd 2.1.9 (Debian sid), CRI PullImage + ctr, linux/amd64 + linux/arm64"),
  }),
  containerd("2.2", "3.0", "v2.3.4", { schema1Signed: "removed" }),
  crio(24, "github.com/containers/image/v5 v5.17.0"),
  crio(25, "github.com/containers/image/v5 v5.25.0"),
  // CRI-O 1.26.0–1.26.1 vendor a containers/image 5.23.1 pseudo-version (https://github.com/cri-o/cri-o/blob/v1.26.1/go.mod)
  crio(26, "github.com/containers/image/v5 v5.24.2", {
    proof: proven("containers/image 5.23.1 (podman 4.3.1, Debian 12), linux/amd64 + linux/arm64"),
  }),
  crio(27, "github.com/containers/image/v5 v5.25.1"),
  crio(28, "github.com/containers/image/v5 v5.27.1"),
  crio(29, "github.com/containers/image/v5 v5.29.1"),
  crio(30, "github.com/containers/image/v5 v5.29.3"),
  crio(31, "github.com/containers/image/v5 v5.32.3"),
  crio(32, "github.com/containers/image/v5 v5.34.1", {
    proof: proven("containers/image 5.34.2 (skopeo 1.18.0, Debian 13), linux/amd64 + linux/arm64"),
  }),
  crio(33, "github.com/containers/image/v5 v5.35.0"),
  crio(34, "github.com/containers/image/v5 v5.36.2"),
  // 5.38.0 → 5.39.1 changed nothing on the image pull path (docs/oracles.md)
  crio(35, "go.podman.io/image/v5 v5.38.0", { proof: proven(CIMAGE_539) }),
  crio(36, "go.podman.io/image/v5 v5.38.0", { proof: proven(CIMAGE_539) }, true),
  docker(
    "0.2",
    "1.0",
    "cri-dockerd (Docker Engine version not given: judged as a current engine, 28.2+)",
    MOBY_REMOVE,
    "removed",
    DOCKER_28_MEASURED,
  ),
  docker(
    "20.10",
    "26.0",
    "Docker Engine 20.10–25.x",
    "https://github.com/containerd/containerd/pull/6884",
    "pulls-deprecated",
  ),
  docker("26.0", "28.2", "Docker Engine 26.0–28.1", MOBY_DISABLE, "disabled"),
  docker("28.2", undefined, "Docker Engine 28.2+", MOBY_REMOVE, "removed", {
    ...DOCKER_28_MEASURED,
    proof: proven("Docker Engine 28.5.2 (Debian sid), classic image store, linux/amd64 + linux/arm64"),
  }),
];

/** Where each column's facts come from (for docs and reviewers). */
export const CAPABILITY_SOURCES: Record<string, readonly string[]> = {
  schema1Signed: [
    `${CTD}/v2.3.4/RELEASES.md`,
    "https://github.com/containerd/containerd/pull/9765",
    "https://github.com/containerd/containerd/pull/11681",
    MOBY_DISABLE,
    MOBY_REMOVE,
    "https://github.com/cri-o/cri-o/pull/9072",
  ],
  schema1Unsigned: ["https://github.com/containerd/containerd/issues/10998"],
  contentType: [
    `${CTD}/v2.1.0/core/remotes/docker/resolver.go`,
    "https://github.com/containers/image/blob/v5.36.1/internal/manifest/manifest.go",
    "https://github.com/kubernetes-sigs/cri-tools/issues/1137",
    "https://github.com/pulp/pulp_container/issues/883",
  ],
  dockerZstdLayer: [
    `${CTD}/v2.0.0/core/images/mediatypes.go`,
    "https://github.com/containers/container-libs/commit/8f2cf8efa4",
  ],
  ociZstdLayer: ["https://github.com/containerd/containerd/pull/6177"],
  encryptedLayers: [
    `${CTD}/v1.7.34/docs/cri/decryption.md`,
    `${CTD}/v2.0.0/internal/cri/server/images/image_pull.go`,
    `${CRIO}/v1.34.11/server/image_pull.go`,
  ],
  foreignLayers: [
    `${CTD}/v2.1.0/core/remotes/docker/fetcher.go`,
    "https://github.com/containers/image/blob/v5.36.1/docker/docker_client.go",
  ],
  mixed: [
    "https://github.com/containers/image/blob/v5.36.1/manifest/docker_schema2.go",
    "https://github.com/containers/image/blob/v5.36.1/internal/image/oci.go",
    "https://github.com/containers/image/blob/v5.36.1/internal/manifest/common.go",
  ],
  artifacts: [
    "https://github.com/containers/image/commit/83aee8f7",
    "https://github.com/containers/image/commit/f751b343",
    `${CRIO}/v1.36.3/internal/storage/image.go`,
    "https://github.com/containers/podman/issues/22738",
  ],
  platformMatch: [
    `${CTD}/v1.6.39/platforms/compare.go`,
    `${CTD}/v2.1.0/internal/cri/server/images/image_pull.go`,
    "https://github.com/containers/image/blob/v5.36.1/internal/pkg/platform/platform_matcher.go",
  ],
  manifestLimit: [
    `${CTD}/v2.3.4/core/remotes/docker/resolver.go`,
    "https://github.com/containers/image/blob/v5.36.1/internal/iolimits/iolimits.go",
  ],
  shortNames: [
    `${CRIO}/v1.33.13/internal/storage/image.go`,
    "https://github.com/cri-o/cri-o/commit/a8b550ad04",
    "https://github.com/containers/image/blob/v5.36.1/docs/containers-registries.conf.5.md",
  ],
};

function inRow(row: RuntimeCapabilities, v: Version): boolean {
  const from = parseVersion(row.from) as Version;
  if (compareVersions({ major: v.major, minor: v.minor }, from) < 0) return false;
  if (row.until === undefined) return true;
  const until = parseVersion(row.until) as Version;
  return compareVersions({ major: v.major, minor: v.minor }, until) < 0;
}

/** The capability row for a target runtime, or undefined when no row covers its version. */
export function capabilitiesFor(
  rt: Pick<RuntimeTarget, "name" | "version">,
): RuntimeCapabilities | undefined {
  return RUNTIME_CAPABILITIES.find((r) => r.runtime === rt.name && inRow(r, rt.version));
}

/** An error line the CLI can show when `--target-runtime` names a version no row covers; else undefined. */
export function checkRuntimeSupported(rt: RuntimeTarget): string | undefined {
  if (capabilitiesFor(rt)) return undefined;
  const rows = RUNTIME_CAPABILITIES.filter((r) => r.runtime === rt.name);
  const ranges = rows.map((r) => (r.until ? `${r.from}–<${r.until}` : `${r.from}+`)).join(", ");
  const hint =
    rt.name === "cri-dockerd"
      ? " (give the cri-dockerd version, e.g. cri-dockerd@0.3, or the Docker Engine version, e.g. docker@27.3)"
      : "";
  return `${rt.label}: ${rt.name} ${formatVersion(rt.version)} is not covered by the image compatibility matrix; covered versions: ${ranges}${hint}`;
}
