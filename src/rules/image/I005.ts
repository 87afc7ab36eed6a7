/**
 * I005 foreign-or-nondistributable-layer: layers typed foreign (Docker, Windows base layers) or
 * non-distributable (OCI, deprecated in image-spec 1.1), usually with `urls`.
 * - containerd: fetches from `urls[]` first (http/https), then from the registry if a URL answers not-found.
 * - CRI-O (containers/image): fetches only from `urls[]`, unauthenticated; if every URL fails the pull
 *   fails ("failed fetching external blob from all urls"), no registry fallback.
 * Both need the nodes to reach the URL hosts (often Microsoft's CDN): registry mirrors do not help.
 * Sources: https://github.com/containerd/containerd/blob/v2.1.0/core/remotes/docker/fetcher.go,
 * https://github.com/containers/image/blob/v5.36.1/docker/docker_client.go,
 * https://github.com/opencontainers/image-spec/blob/v1.1.1/layer.md.
 */
import type { ImageRule } from "../../core/rule.js";
import type { RuntimeCapabilities } from "../data/runtime-capabilities.js";
import { isForeignOrNondistributable, resolve, warn, who } from "./resolve.js";

export const I005: ImageRule<RuntimeCapabilities> = {
  id: "I005",
  slug: "foreign-or-nondistributable-layer",
  title: "Foreign or non-distributable layers fetched from external URLs",
  category: "image",
  description:
    "Some layers are foreign/non-distributable and are downloaded from the URLs in the manifest rather than from the registry; " +
    "containerd and CRI-O differ in how they fall back, and nodes must reach those hosts.",
  remediation:
    "Let nodes reach the layer URLs, or re-push the image with the layers included (e.g. Docker `allow-nondistributable-artifacts`, " +
    "or `crane`/`skopeo` copies that include foreign layers) so the registry serves them.",
  defaultSeverity: "medium",
  check(facts, rt, platform, caps) {
    const m = resolve(facts, rt, platform).manifest;
    if (!m?.layers) return [];
    const layers = m.layers.filter((l) => isForeignOrNondistributable(l) || (l.urls?.length ?? 0) > 0);
    if (layers.length === 0) return [];
    const name = who(rt, caps);
    const hosts = [
      ...new Set(
        layers.flatMap((l) =>
          (l.urls ?? []).map((u) => {
            try {
              return new URL(u).host;
            } catch {
              return u;
            }
          }),
        ),
      ),
    ];
    const withUrls = layers.filter((l) => (l.urls ?? []).some((u) => /^https?:\/\//i.test(u)));
    const evidence: Record<string, string> = { layers: String(layers.length) };
    if (hosts.length) evidence.urlHosts = hosts.join(", ");
    if (withUrls.length === 0) {
      // No usable URL: both runtimes fetch the blob from the registry like any other layer.
      return [];
    }
    const where = hosts.join(", ");
    switch (caps.foreignLayers) {
      case "urls-then-registry":
        return [
          warn(
            "medium",
            `${withUrls.length} layer(s) are foreign/non-distributable: ${name} downloads them from ${where} (without registry credentials) ` +
              "and falls back to the registry only when a URL answers not-found; nodes without access to those hosts fail the pull.",
            { evidence },
          ),
        ];
      case "urls-only":
        return [
          warn(
            "medium",
            `${withUrls.length} layer(s) are foreign/non-distributable: ${name} downloads them only from ${where}, unauthenticated, with no ` +
              'registry fallback: if the nodes cannot reach those hosts the pull fails ("failed fetching external blob from all urls").',
            { evidence },
          ),
        ];
      default:
        return [
          warn(
            "low",
            `${withUrls.length} layer(s) are foreign/non-distributable with URLs on ${where}; how ${name} fetches them is not established.`,
            { evidence },
          ),
        ];
    }
  },
};
