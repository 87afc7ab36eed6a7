/**
 * I001 schema1-manifest: Docker image manifest v2 schema 1. containerd deprecated it in 1.7 (pulls with
 * a warning on 1.6/1.7), disabled it in 2.0 (env opt-in), removed it in 2.1; it never understood the
 * unsigned `v1+json` variant. CRI-O (containers/image) still pulls both. Docker Engine disabled schema 1
 * pulls by default in 26.0 and removed them in 28.2.
 * Sources: https://github.com/containerd/containerd/blob/v2.3.4/RELEASES.md,
 * https://github.com/containerd/containerd/pull/9765, https://github.com/containerd/containerd/pull/11681,
 * https://github.com/moby/moby/pull/47459, https://github.com/moby/moby/pull/50036.
 */
import { MediaTypes } from "../../core/image.js";
import type { ImageRule } from "../../core/rule.js";
import type { RuntimeCapabilities } from "../data/runtime-capabilities.js";
import { pullFails, resolve, rootContentType, warn, who } from "./resolve.js";

export const I001: ImageRule<RuntimeCapabilities> = {
  id: "I001",
  slug: "schema1-manifest",
  title: "Docker schema 1 image manifest",
  category: "image",
  description:
    "The image is published as a Docker v2 schema 1 manifest, a format containerd 2.0 disables, containerd 2.1 " +
    "removes and Docker Engine 26+ refuses; containerd never handled the unsigned variant.",
  remediation:
    "Rebuild or re-push the image as Docker v2 schema 2 or OCI (e.g. `skopeo copy --format oci docker://OLD docker://NEW`, " +
    "or pull and push with a current Docker/BuildKit), then reference the new tag or digest.",
  defaultSeverity: "critical",
  check(facts, rt, platform, caps) {
    const r = resolve(facts, rt, platform);
    const m = r.manifest;
    if (m?.kind !== "schema1") return [];
    const ct = rt.name === "cri-o" ? (r.manifestType ?? rootContentType(facts)) : r.manifestType;
    // containerd reads the format from Content-Type only; text/plain is its schema 1 special case. A
    // schema 1 body served under `v1+json` is unsigned for containerd whatever the body holds.
    const signed =
      ct === MediaTypes.dockerSchema1Signed || ct === "text/plain"
        ? true
        : ct === MediaTypes.dockerSchema1
          ? false
          : m.signed !== false;
    const support = signed ? caps.schema1Signed : caps.schema1Unsigned;
    const kind = signed
      ? "signed schema 1 (`application/vnd.docker.distribution.manifest.v1+prettyjws`)"
      : "unsigned schema 1 (`application/vnd.docker.distribution.manifest.v1+json`)";
    const evidence = { contentType: ct ?? "(none)", schemaVersion: "1" };
    const name = who(rt, caps);
    switch (support) {
      case "pulls":
        return [];
      case "pulls-deprecated":
        if (rt.name === "containerd") {
          return [
            warn(
              "medium",
              `${name} still pulls this ${kind} image, converting it to schema 2 and logging the deprecation ` +
                `warning io.containerd.deprecation/pull-schema-1-image; the CRI image then has no repo digest. ` +
                "containerd 2.0 refuses it by default and 2.1 cannot pull it at all.",
              { evidence },
            ),
          ];
        }
        return [
          warn(
            "medium",
            `${name} still pulls this ${kind} image with a deprecation notice; Docker Engine 26.0 disables such pulls by default and 28.2 removes them.`,
            { evidence },
          ),
        ];
      case "disabled":
        return [
          pullFails(
            "critical",
            rt.name === "containerd"
              ? `${name} refuses to pull this ${kind} image: "Pulling Schema 1 images have been deprecated and disabled by default since containerd v2.0". ` +
                  "Only starting containerd with CONTAINERD_ENABLE_DEPRECATED_PULL_SCHEMA_1_IMAGE=1 re-enables it, and 2.1 drops even that."
              : `${name} refuses to pull this ${kind} image by default ("[DEPRECATION NOTICE] … schema 1 support is disabled by default"); ` +
                  "DOCKER_ENABLE_DEPRECATED_PULL_SCHEMA_1_IMAGE=1 on the daemon re-enables it until 28.2.",
            { evidence },
          ),
        ];
      case "removed":
        return [
          pullFails(
            "critical",
            rt.name === "containerd"
              ? `${name} cannot pull this ${kind} image: schema 1 support was removed in containerd 2.1 ` +
                  '("schema 1 image manifests are no longer supported"); no setting brings it back.'
              : `${name} cannot pull this ${kind} image: Docker Engine 28.2 removed schema 1 pulls.`,
            { evidence },
          ),
        ];
      case "unsupported":
        return [
          pullFails(
            "critical",
            `${name} does not recognise ${kind} manifests (only the signed variant was ever converted): ` +
              `the pull fails at unpack with "unexpected media type ${MediaTypes.dockerSchema1}".`,
            { evidence },
          ),
        ];
    }
    return [];
  },
};
