/**
 * I004 unsupported-layer-media-type: layer types a runtime cannot unpack.
 * - `application/vnd.docker.image.rootfs.diff.tar.zstd`: containerd ≥ 2.0 only (1.x: not a layer type,
 *   unpack fails); CRI-O ≥ 1.35 (containers/image 5.38) only, and only inside Docker v2s2 manifests
 *   (c/image does not validate layer types of OCI manifests).
 * - `+encrypted`: needs decryption set up on the node (containerd 1.x imgcrypt stream processor;
 *   containerd 2.x CRI removed the decryption wiring; CRI-O keys in decryption_keys_path).
 * - Other unknown types: containerd treats `application/vnd.oci.image.layer.*` as uncompressed tar and
 *   skips non-layer types (rootfs/diff_ids mismatch); c/image rejects them in v2s2 and sniffs the
 *   compression in OCI.
 * Sources: https://github.com/containerd/containerd/blob/v2.0.0/core/images/mediatypes.go,
 * https://github.com/containers/image/blob/v5.36.1/manifest/docker_schema2.go,
 * https://github.com/containerd/containerd/blob/v1.7.34/docs/cri/decryption.md.
 */
import { MediaTypes } from "../../core/image.js";
import type { ImageHit, ImageRule } from "../../core/rule.js";
import type { RuntimeCapabilities } from "../data/runtime-capabilities.js";
import {
  containerdLayerType,
  IMAGE_CONFIG_TYPES,
  isDockerV2,
  isEncrypted,
  KNOWN_LAYER_TYPES,
  pullFails,
  resolve,
  runFails,
  warn,
  who,
} from "./resolve.js";

export const I004: ImageRule<RuntimeCapabilities> = {
  id: "I004",
  slug: "unsupported-layer-media-type",
  title: "Layer media type the runtime cannot unpack",
  category: "image",
  description:
    "A layer uses a media type (Docker-typed zstd, encrypted, or unknown) that the target runtime version does not unpack " +
    "without extra node configuration.",
  remediation:
    "Rebuild with gzip layers (BuildKit `--output type=image,compression=gzip`), or OCI zstd (`application/vnd.oci.image.layer.v1.tar+zstd`) " +
    "if every target runtime supports it; for encrypted images configure decryption keys on every node first.",
  defaultSeverity: "critical",
  check(facts, rt, platform, caps) {
    const r = resolve(facts, rt, platform);
    const m = r.manifest;
    if (m?.kind !== "manifest" || !m.layers?.length) return [];
    // Non-image configs are I006's business: their layers are not meant to be unpacked.
    if (
      m.config?.mediaType &&
      !IMAGE_CONFIG_TYPES.has(m.config.mediaType) &&
      m.config.mediaType !== "application/octet-stream"
    )
      return [];
    const name = who(rt, caps);
    const hits: ImageHit[] = [];
    const types = [...new Set(m.layers.map((l) => l.mediaType ?? ""))];
    const dockerV2 = isDockerV2(r);
    for (const t of types) {
      const evidence = { layerMediaType: t || "(none)" };
      if (t === MediaTypes.dockerLayerZstd) {
        if (rt.name === "containerd" && caps.dockerZstdLayer === false) {
          hits.push(
            pullFails(
              "critical",
              `${name} does not know the Docker zstd layer type ${t}: it is not unpacked as a layer, so the pull fails with ` +
                '"mismatched image rootfs and manifest layers" (or "number of layers and diffIDs don\'t match"). containerd 2.0 added it.',
              { evidence },
            ),
          );
        } else if (rt.name === "cri-o" && caps.dockerZstdLayer === false && dockerV2) {
          hits.push(
            pullFails(
              "critical",
              `${name} rejects the Docker v2s2 manifest: "unsupported docker v2s2 media type: \\"${t}\\"". CRI-O 1.35 (containers/image 5.38) accepts it.`,
              { evidence },
            ),
          );
        } else if (caps.dockerZstdLayer === undefined) {
          hits.push(
            warn(
              "low",
              `Whether ${name} unpacks Docker-typed zstd layers (${t}) is not established; test a pull.`,
              { evidence },
            ),
          );
        }
        continue;
      }
      if (t === MediaTypes.ociLayerZstd) {
        if (caps.ociZstdLayer === false) {
          hits.push(
            pullFails("critical", `${name} cannot unpack zstd-compressed OCI layers (${t}).`, { evidence }),
          );
        } else if (caps.ociZstdLayer === undefined) {
          hits.push(
            warn("low", `Whether ${name} unpacks zstd OCI layers (${t}) is not established; test a pull.`, {
              evidence,
            }),
          );
        }
        continue;
      }
      if (isEncrypted(t)) {
        hits.push(encrypted(name, t, caps));
        continue;
      }
      if (KNOWN_LAYER_TYPES.has(t)) continue;
      // containerd's transfer service (2.1+) skips the unpack of a manifest with no layer-typed layer:
      // it pulls without a rootfs instead of failing on the diff_ids count.
      const noneUnpacked =
        caps.unpack === "transfer-service" && !m.layers.some((l) => containerdLayerType(l.mediaType, caps));
      if (caps.layerTypePrefixCheck && !/^application\/vnd\.(oci\.image|docker)\./.test(t) && t !== "") {
        hits.push(
          pullFails("critical", `${name} refuses the layer type ${t}: "unsupported media type ${t}".`, {
            evidence: { layerMediaType: t },
          }),
        );
        continue;
      }
      hits.push(...unknownType(name, rt.name, t, dockerV2, noneUnpacked));
    }
    return hits;
  },
};

function encrypted(name: string, t: string, caps: RuntimeCapabilities): ImageHit {
  const evidence = { layerMediaType: t };
  switch (caps.encryptedLayers) {
    case "stream-processor":
      return warn(
        "high",
        `${name} can pull encrypted layers (${t}) only with the imgcrypt ctd-decoder stream processor configured and the keys on ` +
          'the node (CRI image_decryption key_model "node"); otherwise unpacking the ciphertext fails.',
        { evidence },
      );
    case "cri-wiring-removed":
      return warn(
        "high",
        `${name}: the CRI pull no longer passes decryption options (removed for the 2.0 upgrade); whether stream-processor decryption ` +
          `still works for encrypted layers (${t}) is not confirmed. Expect the pull to fail.`,
        { evidence },
      );
    case "decryption-keys-path":
      return warn(
        "high",
        `${name} decrypts layers (${t}) only with the private keys in decryption_keys_path (default /etc/crio/keys/); ` +
          'without them the pull fails with "decrypting layer …".',
        { evidence },
      );
    case "unsupported":
      return pullFails(
        "critical",
        `${name} has no layer decryption: it applies the encrypted bytes (${t}) as a layer and the pull fails ` +
          '("failed to register layer: unexpected EOF").',
        { evidence },
      );
    default:
      return warn(
        "medium",
        `Whether ${name} can pull encrypted layers (${t}) is not established; test a pull.`,
        { evidence },
      );
  }
}

function unknownType(
  name: string,
  family: string,
  t: string,
  dockerV2: boolean,
  noneUnpacked: boolean,
): ImageHit[] {
  const evidence = { layerMediaType: t || "(none)" };
  if (family === "containerd" && noneUnpacked) {
    return [
      runFails(
        `${name} does not treat ${t || "an untyped layer"} as a layer; with no layer it can unpack, the pull succeeds without ` +
          "unpacking anything (no root filesystem), and creating the container fails.",
        { evidence },
      ),
    ];
  }
  if (family === "containerd") {
    if (t.startsWith("application/vnd.oci.image.layer.")) {
      return [
        warn(
          "high",
          `${name} accepts the layer type ${t} by prefix but treats it as an uncompressed tar; unless the blob really is a plain tar, ` +
            'unpacking fails ("wrong diff id calculated on extraction").',
          { evidence },
        ),
      ];
    }
    return [
      pullFails(
        "critical",
        `${name} does not treat ${t || "an untyped layer"} as a layer, so the image's rootfs no longer matches its layers: the pull fails with ` +
          '"mismatched image rootfs and manifest layers".',
        { evidence },
      ),
    ];
  }
  if (family === "cri-o") {
    if (dockerV2) {
      return [
        pullFails(
          "critical",
          `${name} rejects the Docker v2s2 manifest: "unsupported docker v2s2 media type: \\"${t}\\"".`,
          {
            evidence,
          },
        ),
      ];
    }
    return [
      warn(
        "high",
        `${name} does not check the layer type ${t || "(none)"} in an OCI manifest and sniffs the compression (gzip, bzip2, xz, zstd); ` +
          "the pull fails unless the blob is such a tar stream.",
        { evidence },
      ),
    ];
  }
  return [
    warn(
      "medium",
      `Whether ${name} unpacks layers of type ${t || "(none)"} is not established; test a pull.`,
      { evidence },
    ),
  ];
}
