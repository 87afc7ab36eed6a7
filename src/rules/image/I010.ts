/**
 * I010 bad-content-type: the registry serves the manifest with a missing or wrong Content-Type.
 * Both runtimes take the top-level manifest type from Content-Type, not from the body:
 * - containerd: `text/plain` is read as signed schema 1 (a registry.access.redhat.com workaround from
 *   2019); any other unknown or missing value leaves the root untyped and the pull fails at unpack:
 *   "failed to unpack image on snapshotter …: unexpected media type <ct> for sha256:…: not found".
 * - containers/image: `application/json`, missing or any unknown value is read as schema 1; a v2 body
 *   then fails with "unsupported schema version 2". A real schema 1 body still pulls.
 * An index entry without a known mediaType is fetched by containerd from /blobs/ and never unpacked.
 * Sources: https://github.com/containerd/containerd/blob/v2.1.0/core/remotes/docker/resolver.go,
 * https://github.com/containers/image/blob/v5.36.1/internal/manifest/manifest.go,
 * https://github.com/kubernetes-sigs/cri-tools/issues/1137, https://github.com/pulp/pulp_container/issues/883.
 */
import { MediaTypes } from "../../core/image.js";
import type { ImageRule } from "../../core/rule.js";
import type { RuntimeCapabilities } from "../data/runtime-capabilities.js";
import {
  isIndexType,
  isManifestType,
  isSchema1Type,
  pullFails,
  resolve,
  rootContentType,
  short,
  warn,
  who,
} from "./resolve.js";

const KNOWN = (t: string | undefined) => isIndexType(t) || isManifestType(t) || isSchema1Type(t);

export const I010: ImageRule<RuntimeCapabilities> = {
  id: "I010",
  slug: "bad-content-type",
  title: "Registry serves the manifest with a missing or wrong Content-Type",
  category: "image",
  description:
    "Runtimes decide the manifest format from the HTTP Content-Type. A missing or generic value (application/json, " +
    "text/plain, application/octet-stream) makes containerd fail at unpack and containers/image parse the manifest as schema 1.",
  remediation:
    "Fix the registry or proxy so it returns the manifest's own media type as Content-Type (re-push through a " +
    "distribution-spec compliant registry; check caching proxies and static-file hosting).",
  defaultSeverity: "critical",
  check(facts, rt, platform, caps) {
    const root = facts.root;
    if (!root) return [];
    const name = who(rt, caps);
    const ct = rootContentType(facts);
    const evidence = { contentType: ct ?? "(none)", bodyMediaType: root.mediaType ?? "(absent)" };
    const v2Body = root.kind === "manifest" || root.kind === "index";
    if (!KNOWN(ct) && ct !== MediaTypes.ociArtifactManifest) {
      if (caps.contentType === "containerd") {
        if (ct === "text/plain") {
          if (!v2Body) return []; // a schema 1 body: I001 judges it as signed schema 1
          const tail =
            caps.schema1Signed === "disabled" || caps.schema1Signed === "removed"
              ? "schema 1 is disabled/removed on this version, so the pull fails with the schema 1 error"
              : "the schema 1 converter cannot parse a v2 body, so the pull fails";
          return [
            pullFails(
              "critical",
              `The registry serves this ${root.kind} as text/plain. ${name} reads text/plain as a schema 1 manifest; ${tail}.`,
              { evidence },
            ),
          ];
        }
        return [
          pullFails(
            "critical",
            `The registry serves the manifest ${ct ? `as ${ct}` : "without a Content-Type"}. ${name} takes the type from that header, ` +
              `so it fetches nothing beneath it and the pull fails: "failed to unpack image on snapshotter …: unexpected media type ${ct ?? ""} for ${short(root.digest)}: not found".`,
            { evidence },
          ),
        ];
      }
      if (caps.contentType === "containers-image") {
        if (!v2Body) return [];
        return [
          pullFails(
            "critical",
            `The registry serves the manifest ${ct ? `as ${ct}` : "without a Content-Type"}. ${name} then parses it as a schema 1 manifest ` +
              `and the pull fails: "unsupported schema version ${root.schemaVersion ?? 2}".`,
            { evidence },
          ),
        ];
      }
      return [
        warn(
          "medium",
          `The registry serves the manifest ${ct ? `as ${ct}` : "without a Content-Type"}; how ${name} handles that is not established.`,
          { evidence },
        ),
      ];
    }
    // Content-Type names a manifest, the body is an index (or the reverse): containerd's validateMediaType.
    if (
      caps.contentType === "containerd" &&
      root.kind === "index" &&
      isManifestType(ct) &&
      !root.fields.includes("layers")
    ) {
      return [
        pullFails(
          "critical",
          `The registry serves an index as ${ct}: ${name} fails with "media-type: expected manifest but found index".`,
          { evidence },
        ),
      ];
    }
    if (
      caps.contentType === "containerd" &&
      root.kind === "manifest" &&
      isIndexType(ct) &&
      !root.fields.includes("manifests")
    ) {
      return [
        pullFails(
          "critical",
          `The registry serves a manifest as ${ct}: ${name} fails with "media-type: expected index but found manifest".`,
          { evidence },
        ),
      ];
    }
    // Index entries without a usable mediaType: containerd fetches them as blobs and never walks them.
    const r = resolve(facts, rt, platform);
    const d = r.selection?.descriptor;
    if (
      d &&
      caps.contentType === "containerd" &&
      !isManifestType(d.mediaType) &&
      !isIndexType(d.mediaType) &&
      !isSchema1Type(d.mediaType)
    ) {
      return [
        pullFails(
          "critical",
          `The index entry ${short(d.digest)} chosen for this platform has ${d.mediaType ? `mediaType ${d.mediaType}` : "no mediaType"}: ${name} ` +
            "fetches it as a plain blob, never reads its layers, and the pull fails at unpack.",
          { evidence: { entryMediaType: d.mediaType ?? "(absent)" } },
        ),
      ];
    }
    if (r.manifest && !r.isRoot && caps.contentType === "containers-image") {
      const cct = r.manifest.contentType;
      if (
        cct !== undefined &&
        !KNOWN(cct) &&
        (r.manifest.kind === "manifest" || r.manifest.kind === "index")
      ) {
        return [
          pullFails(
            "critical",
            `The registry serves child manifest ${short(r.manifest.digest)} as ${cct}: ${name} parses it as schema 1 and the pull fails ("unsupported schema version 2").`,
            { evidence: { contentType: cct } },
          ),
        ];
      }
    }
    return [];
  },
};
