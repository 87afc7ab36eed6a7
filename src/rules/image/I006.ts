/**
 * I006 not-a-container-image: the reference is an OCI artifact (Helm chart, SBOM, signature, Wasm
 * module packaged as an artifact...), not a runnable image: an empty config
 * (`application/vnd.oci.empty.v1+json`), or a config media type that is not an image config.
 * - containerd 1.6 (as measured on 1.6.20): fetches everything, then fails to unpack when the config's
 *   rootfs.diff_ids do not match the layers: "mismatched image rootfs and manifest layers" (CRI PullImage
 *   of a Helm chart and an OCI 1.1 artifact). An artifact whose counts match pulls, but no container can
 *   start from it.
 * - containerd ≥ 1.7 (1.6.25+ too): only layer-typed layers are unpacked and counted, so a Helm chart or
 *   an OCI 1.1 artifact pulls without a rootfs (measured: CRI PullImage on 1.7.24 and 2.1.9, then
 *   `ctr images check` shows it not unpacked); https://github.com/containerd/containerd/pull/9142.
 * - CRI-O: 1.24 (c/image 5.17) has no check; 1.25–1.31 fail after downloading ("unsupported
 *   image-specific operation on artifact with type …"); 1.32 fails before downloading; ≥ 1.33 retries
 *   as an OCI artifact, so PullImage succeeds and container creation fails.
 * Sources: https://github.com/opencontainers/image-spec/blob/v1.1.1/manifest.md,
 * https://github.com/containers/image/commit/83aee8f7, https://github.com/containers/image/commit/f751b343,
 * https://github.com/cri-o/cri-o/blob/v1.36.3/internal/storage/image.go.
 */
import { MediaTypes } from "../../core/image.js";
import type { ImageRule } from "../../core/rule.js";
import type { RuntimeCapabilities } from "../data/runtime-capabilities.js";
import { containerdLayerType, IMAGE_CONFIG_TYPES, pullFails, resolve, runFails, who } from "./resolve.js";

export const I006: ImageRule<RuntimeCapabilities> = {
  id: "I006",
  slug: "not-a-container-image",
  title: "OCI artifact, not a container image",
  category: "image",
  description:
    "The reference points at an OCI artifact (Helm chart, SBOM, signature, other non-image config), which no runtime can run " +
    "as a container; whether the pull itself fails depends on the runtime and version.",
  remediation:
    "Reference the container image instead of the artifact (check tag and repository). To mount artifact content into a pod, use " +
    "an image volume (Kubernetes ImageVolume, CRI-O ≥ 1.31 / containerd ≥ 2.1) rather than a container image.",
  defaultSeverity: "critical",
  check(facts, rt, platform, caps) {
    const r = resolve(facts, rt, platform);
    const m = r.manifest;
    if (!m) return [];
    const rcArtifact =
      r.manifestType === MediaTypes.ociArtifactManifest || m.mediaType === MediaTypes.ociArtifactManifest;
    const configType = m.config?.mediaType;
    const artifactType = m.artifactType ?? (rcArtifact ? (m.artifactType ?? "artifact manifest") : undefined);
    const configNotImage =
      m.kind === "manifest" && configType !== undefined && !IMAGE_CONFIG_TYPES.has(configType);
    // c/image reads a legacy octet-stream config in v2s2 as an artifact too; containerd rewrites it to the Docker type.
    if (configType === "application/octet-stream" && rt.name !== "cri-o") return [];
    // `artifactType` alone does not make an artifact: a manifest with an image config and layers pulls
    // and runs on every puller (measured: containerd 1.6/1.7/2.1, containers/image 5.23/5.34/5.39,
    // Docker Engine 28.5); they all decide on the config media type.
    if (!rcArtifact && !configNotImage && !(artifactType && configType === undefined)) return [];
    const type = artifactType ?? configType ?? "(unknown)";
    const evidence: Record<string, string> = { artifactType: type };
    if (configType) evidence.configMediaType = configType;
    const name = who(rt, caps);
    const layers = m.layers ?? [];
    // containerd fetches the artifact, then its unpack finds no rootfs to match the layers.
    const unpackFails = () =>
      pullFails(
        "critical",
        `This is an OCI artifact (${type}), not a container image. ${name} downloads it and then fails to unpack: ` +
          '"failed to unpack image on snapshotter …: mismatched image rootfs and manifest layers".',
        { evidence },
      );
    if (rt.name === "containerd") {
      if (rcArtifact) {
        return [
          pullFails(
            "critical",
            `${name} does not know the withdrawn artifact manifest type (${MediaTypes.ociArtifactManifest}): it fetches nothing under it and the unpack fails.`,
            { evidence },
          ),
        ];
      }
      if (caps.unpack === "layer-typed" || caps.unpack === "transfer-service") {
        // containerd ≥ 1.7 counts only layer-typed layers against rootfs.diff_ids (a non-image config
        // has none), and the transfer service (2.1+) has no fallback unpack at all.
        const layerTyped = layers.filter((l) => containerdLayerType(l.mediaType, caps)).length;
        if (caps.unpack === "layer-typed" && (m.diffIdCount ?? 0) !== layerTyped) {
          return [unpackFails()];
        }
        return [
          runFails(
            `This is an OCI artifact (${type}), not a container image. ${name} pulls it without unpacking it (no root filesystem), ` +
              "so PullImage succeeds and creating the container fails.",
            { evidence },
          ),
        ];
      }
      const allLayerTyped = layers.every((l) => containerdLayerType(l.mediaType, caps));
      const countsMatch =
        m.diffIdCount !== undefined
          ? m.diffIdCount === layers.length
          : layers.length === 0
            ? undefined
            : allLayerTyped
              ? undefined
              : false;
      if (countsMatch === false) {
        return [unpackFails()];
      }
      return [
        runFails(
          `This is an OCI artifact (${type}), not a container image. ${name} may store it as an image, but no container can start from it ` +
            "(no root filesystem or command).",
          { evidence },
        ),
      ];
    }
    if (rt.name === "cri-o") {
      const op = `"unsupported image-specific operation on artifact with type \\"${type}\\""`;
      switch (caps.artifacts) {
        case "stored-as-image":
          return [
            runFails(
              `This is an OCI artifact (${type}), not a container image. ${name} has no artifact check: it stores it as an image and the ` +
                "container fails to start.",
              { evidence },
            ),
          ];
        case "rejected-after-download":
          return [
            pullFails(
              "critical",
              `This is an OCI artifact (${type}), not a container image. ${name} downloads the layers and then fails the pull: ${op}.`,
              { evidence },
            ),
          ];
        case "rejected-before-download":
          return [
            pullFails(
              "critical",
              `This is an OCI artifact (${type}), not a container image. ${name} fails the pull before downloading layers: ` +
                `"writing to c/storage without a valid image config: ${op.slice(1)}.`,
              { evidence },
            ),
          ];
        case "artifact-fallback":
          if (facts.reference.shortName) {
            return [
              pullFails(
                "critical",
                `This is an OCI artifact (${type}), not a container image. ${name} fails the image pull and cannot retry it as an artifact ` +
                  "because artifacts need a fully qualified name (no short names or unqualified-search registries).",
                { evidence },
              ),
            ];
          }
          return [
            runFails(
              `This is an OCI artifact (${type}), not a container image. ${name} fails the image pull, retries it as an OCI artifact and ` +
                "reports PullImage success, but creating the container fails: artifacts are only usable as image volumes.",
              { evidence },
            ),
          ];
      }
    }
    return [
      pullFails(
        "critical",
        `This is an OCI artifact (${type}), not a container image: ${name} cannot run it.`,
        { evidence },
      ),
    ];
  },
};
