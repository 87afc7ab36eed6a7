/**
 * I013 layer-compression-mismatch: a layer's bytes do not match the compression its media type
 * declares. Judged only when the first bytes of the layer were read (an HTTP Range request: by default
 * in `image`, with `--verify-layers` in `files`).
 * - containerd applies a layer declared uncompressed (`…layer.v1.tar`, `…rootfs.diff.tar`, unknown
 *   `application/vnd.oci.image.layer.*`) as a plain tar, without its decompressor, so gzip or zstd
 *   bytes there fail the unpack ("unexpected EOF"; measured on 1.6.20, 1.7.24, 2.1.9). A layer declared
 *   gzip or zstd goes through DecompressStream, which sniffs the real format: zstd declared as gzip, or
 *   a plain tar declared as gzip, unpacks (measured).
 * - containers/image sniffs the compression of every layer whatever its type (measured on 5.23, 5.34,
 *   5.39): no failure from a mismatch alone.
 * Sources: https://github.com/containerd/containerd/blob/v2.1.9/core/diff/apply/apply.go,
 * https://github.com/containerd/containerd/blob/v2.1.9/pkg/archive/compression/compression.go,
 * https://github.com/containers/image/blob/v5.34.2/pkg/compression/compression.go.
 */
import type { ImageRule } from "../../core/rule.js";
import type { RuntimeCapabilities } from "../data/runtime-capabilities.js";
import { declaredUncompressed, pullFails, resolve, who } from "./resolve.js";

const COMPRESSED = new Set(["gzip", "zstd", "bzip2", "xz"]);

export const I013: ImageRule<RuntimeCapabilities> = {
  id: "I013",
  slug: "layer-compression-mismatch",
  title: "Layer bytes do not match the declared compression",
  category: "image",
  description:
    "A layer is declared uncompressed but its bytes are gzip or zstd. containerd applies it as a plain tar and the unpack " +
    "fails; containers/image (CRI-O) sniffs the compression and pulls it.",
  remediation:
    "Rebuild or re-push the image so each layer's media type matches its bytes (e.g. `skopeo copy` or `crane copy` " +
    "rewrite the manifest from the real blobs; BuildKit `--output type=image,compression=gzip`).",
  defaultSeverity: "critical",
  check(facts, rt, platform, caps) {
    if (rt.name !== "containerd" || !facts.layerMagic) return [];
    const m = resolve(facts, rt, platform).manifest;
    if (m?.kind !== "manifest") return [];
    const name = who(rt, caps);
    const seen = new Set<string>();
    const hits = [];
    for (const l of m.layers ?? []) {
      const magic = facts.layerMagic[l.digest];
      if (!magic || seen.has(l.digest) || !COMPRESSED.has(magic) || !declaredUncompressed(l.mediaType))
        continue;
      seen.add(l.digest);
      hits.push(
        pullFails(
          "critical",
          `Layer ${l.digest.slice(0, 19)} is declared ${l.mediaType} (uncompressed) but its bytes are ${magic}; ${name} applies ` +
            'it as a plain tar without decompressing and the unpack fails ("unexpected EOF").',
          { evidence: { layer: l.digest, layerMediaType: l.mediaType ?? "(none)", layerBytes: magic } },
        ),
      );
    }
    return hits;
  },
};
