/**
 * I007 mixed-media-types: manifests mixing Docker and OCI types, or ambiguous documents.
 * - OCI manifest + Docker config type: containerd pulls; containers/image ≥ 5.22 (CRI-O ≥ 1.25) rejects it
 *   ("invalid mixed OCI image with Docker v2s2 config" since 5.25; before, the generic artifact error,
 *   as seen with c/image 5.23).
 * - Docker v2s2 manifest + OCI layer/config types, or without its `mediaType` field: containerd pulls;
 *   c/image rejects "unsupported docker v2s2 media type: …" (seen with c/image 5.23).
 * - A manifest carrying `manifests` (or an index carrying `layers`/`config`): both reject
 *   (containerd "media-type: expected manifest but found index"; c/image "rejecting ambiguous manifest").
 * Sources: https://github.com/containers/image/blob/v5.36.1/manifest/docker_schema2.go,
 * https://github.com/containers/image/blob/v5.36.1/internal/image/oci.go,
 * https://github.com/containers/image/blob/v5.36.1/internal/manifest/common.go,
 * https://github.com/containerd/containerd/blob/v2.1.0/core/images/image.go.
 */
import type { ManifestFacts } from "../../core/image.js";
import { MediaTypes } from "../../core/image.js";
import type { ImageHit, ImageRule } from "../../core/rule.js";
import type { RuntimeCapabilities } from "../data/runtime-capabilities.js";
import {
  artifactRetryNote,
  isIndexType,
  isManifestType,
  pullFails,
  resolve,
  rootContentType,
  warn,
  who,
} from "./resolve.js";

export const I007: ImageRule<RuntimeCapabilities> = {
  id: "I007",
  slug: "mixed-media-types",
  title: "Manifest mixes Docker and OCI media types",
  category: "image",
  description:
    "The manifest mixes Docker and OCI media types (or lacks its own mediaType). containerd tolerates this; CRI-O's " +
    "containers/image rejects it.",
  remediation:
    "Re-push the image with consistent types, e.g. `skopeo copy --format oci docker://SRC docker://DST` (or `--format v2s2`), " +
    "or rebuild with a current BuildKit.",
  defaultSeverity: "critical",
  check(facts, rt, platform, caps) {
    const r = resolve(facts, rt, platform);
    const hits: ImageHit[] = [];
    const name = who(rt, caps);
    // Ambiguity is checked on the root and on the chosen child.
    const rootType = rootContentType(facts);
    if (facts.root) hits.push(...ambiguous(facts.root, rootType, name));
    const m = r.manifest;
    if (m?.kind !== "manifest") return hits;
    if (!r.isRoot) hits.push(...ambiguous(m, r.manifestType, name));
    const t = r.manifestType;
    if (t === MediaTypes.ociManifest && m.config?.mediaType === MediaTypes.dockerConfig) {
      const evidence = { manifestMediaType: t, configMediaType: MediaTypes.dockerConfig };
      if (caps.ociManifestDockerConfig === "rejected") {
        hits.push(
          pullFails(
            "critical",
            `The OCI manifest declares a Docker config type. ${name} rejects it: "${caps.ociManifestDockerConfigError ?? "invalid mixed OCI image"}".` +
              artifactRetryNote(caps),
            { evidence },
          ),
        );
      } else if (caps.ociManifestDockerConfig === undefined) {
        hits.push(
          warn(
            "low",
            `The OCI manifest declares a Docker config type; how ${name} handles that is not established.`,
            { evidence },
          ),
        );
      }
    }
    if (t === MediaTypes.dockerManifest) {
      const ociTypes = [m.config?.mediaType, ...(m.layers ?? []).map((l) => l.mediaType)].filter(
        (x): x is string => typeof x === "string" && x.startsWith("application/vnd.oci."),
      );
      const first = ociTypes[0];
      if (first) {
        const evidence = { manifestMediaType: t, ociMediaType: first };
        if (caps.dockerManifestOciTypes === "rejected") {
          hits.push(
            pullFails(
              "critical",
              `The Docker v2s2 manifest uses OCI media types. ${name} rejects it: "unsupported docker v2s2 media type: \\"${first}\\"".` +
                artifactRetryNote(caps),
              { evidence },
            ),
          );
        } else if (caps.dockerManifestOciTypes === undefined) {
          hits.push(
            warn(
              "low",
              `The Docker v2s2 manifest uses OCI media types (${first}); how ${name} handles that is not established.`,
              { evidence },
            ),
          );
        }
      }
      if (m.mediaType !== MediaTypes.dockerManifest) {
        const evidence = { manifestMediaType: t, bodyMediaType: m.mediaType ?? "(absent)" };
        if (caps.dockerManifestWithoutMediaType === "rejected") {
          hits.push(
            pullFails(
              "critical",
              `The Docker v2s2 manifest body has ${m.mediaType ? `mediaType "${m.mediaType}"` : "no mediaType field"}. ${name} rejects it: ` +
                `"unsupported docker v2s2 media type: \\"${m.mediaType ?? ""}\\"".` +
                artifactRetryNote(caps),
              { evidence },
            ),
          );
        }
      }
    }
    return hits;
  },
};

function ambiguous(m: ManifestFacts, type: string | undefined, name: string): ImageHit[] {
  const f = new Set(m.fields);
  if (isManifestType(type) && f.has("manifests")) {
    return [
      pullFails(
        "critical",
        `The document is served as ${type} but also has a "manifests" list. ${name} rejects such ambiguous manifests ` +
          '(containerd: "media-type: expected manifest but found index"; containers/image: "rejecting ambiguous manifest").',
        { evidence: { mediaType: type ?? "", fields: m.fields.join(",") } },
      ),
    ];
  }
  if (isIndexType(type) && (f.has("layers") || f.has("config"))) {
    return [
      pullFails(
        "critical",
        `The document is served as ${type} but also has "config"/"layers". ${name} rejects such ambiguous manifests ` +
          '(containerd: "media-type: expected index but found manifest"; containers/image: "rejecting ambiguous manifest").',
        { evidence: { mediaType: type ?? "", fields: m.fields.join(",") } },
      ),
    ];
  }
  return [];
}
