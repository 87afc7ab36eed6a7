/**
 * Which real pullers test/real/differential.test.ts runs, and which capability rows each one proves
 * (src/rules/data/runtime-capabilities.ts: rows whose `proof.status` is "proven"). Pure data, so the
 * unit suite can check that the proven rows are exactly the rows listed here without starting anything.
 *
 * containers/image version ↔ CRI-O release, from CRI-O's go.mod at each tag:
 * - v1.26.0–v1.26.1: github.com/containers/image/v5 v5.23.1-0.20221101011818-2f770d6d5a0c
 *   https://github.com/cri-o/cri-o/blob/v1.26.1/go.mod
 * - v1.32.3–v1.32.13: github.com/containers/image/v5 v5.34.1
 *   https://github.com/cri-o/cri-o/blob/v1.32.13/go.mod
 * - v1.35.0–v1.35.6 and v1.36.0–v1.36.3: go.podman.io/image/v5 v5.38.0
 *   https://github.com/cri-o/cri-o/blob/v1.35.0/go.mod, https://github.com/cri-o/cri-o/blob/v1.36.3/go.mod
 * Between image/v5.38.0 and image/v5.39.1 containers/image changed only a proxy option, a debug line,
 * the OCI layout MIME type and the tarball source (https://github.com/containers/container-libs/compare/image/v5.38.0...image/v5.39.1),
 * so the 5.39 build stands for CRI-O 1.35 and 1.36.
 *
 * The containers/image oracles measure the image path. CRI-O ≥ 1.33 retries a failed image pull that
 * is not a network error as an OCI artifact (`shouldTryArtifact`,
 * https://github.com/cri-o/cri-o/blob/v1.36.3/internal/storage/image.go), so on those rows a refused
 * image may be "pulled" as an artifact no container can start from: the test accepts an `incompatible`
 * verdict at either stage there.
 */

export type OracleKind = "cri-containerd" | "podman" | "skopeo" | "docker";

export interface OracleSpec {
  /** e.g. "containerd@1.7", "containers-image@5.34": the version of the code that pulls. */
  key: string;
  kind: OracleKind;
  /** Version the testenv must report for it (major.minor). */
  version: string;
  /** Capability rows it proves, as `--target-runtime` spells them. */
  proves: string[];
  /**
   * Platforms it pulls for. `amd64-and-arm64`: linux/amd64, and linux/arm64 when the image offers it.
   * `cri-amd64-ctr-arm64`: containerd, whose CRI pulls for this amd64 host only: linux/amd64 through
   * the CRI, linux/arm64 with ctr as the CRI of an arm64 node would choose (harness/ctr-recipe.ts),
   * on every image, since containerd pulls an image that does not offer arm64 (a single manifest
   * for another platform) or falls back to arm/v8…v5 entries.
   */
  platforms: "cri-amd64-ctr-arm64" | "amd64-and-arm64";
  /** Where the binary comes from, for the README table. */
  build: string;
}

export const ORACLES: readonly OracleSpec[] = [
  {
    key: "containerd@1.6",
    kind: "cri-containerd",
    version: "1.6",
    proves: ["containerd@1.6"],
    platforms: "cri-amd64-ctr-arm64",
    build: "containerd 1.6.20 (Debian 12), CRI PullImage; ctr content fetch + image pull for linux/arm64",
  },
  {
    key: "containerd@1.7",
    kind: "cri-containerd",
    version: "1.7",
    proves: ["containerd@1.7"],
    platforms: "cri-amd64-ctr-arm64",
    build:
      "containerd 1.7.24 (Debian 13 trixie), CRI PullImage; ctr content fetch + image pull --local for linux/arm64",
  },
  {
    key: "containerd@2.1",
    kind: "cri-containerd",
    version: "2.1",
    proves: ["containerd@2.1"],
    platforms: "cri-amd64-ctr-arm64",
    build:
      "containerd 2.1.9 (Debian sid), CRI PullImage (transfer service); ctr image pull --skip-metadata for linux/arm64",
  },
  {
    key: "containers-image@5.23",
    kind: "podman",
    version: "5.23",
    proves: ["cri-o@1.26"],
    platforms: "amd64-and-arm64",
    build: "podman 4.3.1 (Debian 12, containers/image 5.23.1)",
  },
  {
    key: "containers-image@5.34",
    kind: "skopeo",
    version: "5.34",
    proves: ["cri-o@1.32"],
    platforms: "amd64-and-arm64",
    build: "skopeo 1.18.0 (Debian 13 trixie, containers/image 5.34.2) into containers-storage",
  },
  {
    key: "containers-image@5.39",
    kind: "skopeo",
    version: "5.39",
    proves: ["cri-o@1.35", "cri-o@1.36"],
    platforms: "amd64-and-arm64",
    build: "skopeo 1.22.0 (Debian sid, containers/image 5.39.1) into containers-storage",
  },
  {
    key: "docker@28.5",
    kind: "docker",
    version: "28.5",
    proves: ["cri-dockerd@28.2"],
    platforms: "amd64-and-arm64",
    build: "Docker Engine 28.5.2 (Debian sid docker.io), classic image store (vfs), Engine API pull",
  },
];

/** The capability rows the differential suite proves, e.g. "containerd@1.7". */
export const PROVEN_ROWS: readonly string[] = ORACLES.flatMap((o) => o.proves);
