/**
 * I005 foreign-or-nondistributable-layer: layers typed foreign (Docker, Windows base layers) or
 * non-distributable (OCI, deprecated in image-spec 1.1), usually with `urls`.
 * - containerd: fetches from `urls[]` first (http/https), then from the registry if a URL answers not-found.
 * - CRI-O (containers/image): fetches only from `urls[]`, unauthenticated; if every URL fails the pull
 *   fails ("failed fetching external blob from all urls"), no registry fallback.
 * Both need the nodes to reach the URL hosts (often Microsoft's CDN): registry mirrors do not help.
 * When the URLs were probed (layer verification): all answering 404 fails CRI-O's pull for certain and
 * sends containerd to the registry; a connection error fails both on nodes that cannot reach the host
 * (measured: containerd 1.6.20/1.7.24/2.1.9 and containers/image 5.23/5.34/5.39 fail on a refused URL).
 * Sources: https://github.com/containerd/containerd/blob/v2.1.0/core/remotes/docker/fetcher.go,
 * https://github.com/containers/image/blob/v5.36.1/docker/docker_client.go,
 * https://github.com/opencontainers/image-spec/blob/v1.1.1/layer.md.
 */
import type { ImageRule } from "../../core/rule.js";
import type { RuntimeCapabilities } from "../data/runtime-capabilities.js";
import { isForeignOrNondistributable, pullFails, resolve, warn, who } from "./resolve.js";

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
    if (caps.foreignLayers === "registry-only") {
      // Docker Engine on Linux ignores `urls`: the blob must be in the registry.
      const missing = withUrls.filter((l) => facts.layerMagic?.[l.digest] === "missing");
      if (missing.length) {
        return [
          pullFails(
            "critical",
            `${missing.length} foreign/non-distributable layer(s) are served only from ${where}; ${name} ignores layer URLs on Linux ` +
              'and asks the registry, which does not have them: the pull fails ("unknown blob").',
            { evidence },
          ),
        ];
      }
      if (facts.layerMagic !== undefined) return [];
      return [
        warn(
          "medium",
          `${withUrls.length} layer(s) are foreign/non-distributable with URLs on ${where}; ${name} ignores the URLs on Linux and ` +
            "pulls them from the registry: the pull fails unless the registry holds those blobs.",
          { evidence },
        ),
      ];
    }
    // With --verify-layers / `image`, each URL was probed from here (HEAD). A 404 means the content is
    // gone for every node; a connection error only says this machine cannot reach the host.
    const probed = withUrls.map((l) => (l.urls ?? []).map((u) => facts.layerUrls?.[u]));
    const known = facts.layerUrls !== undefined && probed.every((ss) => ss.every((x) => x !== undefined));
    if (known) {
      const gone = probed.some((ss) => ss.every((x) => x && !x.ok && x.notFound));
      const unreachable = probed.some(
        (ss) => !ss.some((x) => x?.ok) && ss.some((x) => x && !x.ok && !x.notFound),
      );
      if (gone && caps.foreignLayers !== "urls-then-registry" && caps.foreignLayers !== undefined) {
        return [
          pullFails(
            "critical",
            `${withUrls.length} layer(s) are foreign/non-distributable and every URL for one of them answers 404 (${where}); ${name} ` +
              'fetches them only from their URLs, so the pull fails ("failed fetching external blob from all urls").',
            { evidence },
          ),
        ];
      }
      if (unreachable && caps.foreignLayers === "urls-only-registry-on-connect-error") {
        // The connection error is dropped and the blob comes from the registry: the node's reach does not matter.
        return [
          warn(
            "low",
            `${withUrls.length} layer(s) are foreign/non-distributable with URLs on ${where} that did not answer from here; ${name} ` +
              "loses a connection error to such a URL and fetches the blob from the registry instead (fixed in containers/image 5.30, " +
              "which fails the pull).",
            { evidence },
          ),
        ];
      }
      if (unreachable) {
        const firstError = probed.flat().find((x) => x && !x.ok && !x.notFound);
        evidence.urlError = firstError && !firstError.ok ? firstError.error : "unreachable";
        return [
          warn(
            "high",
            `${withUrls.length} layer(s) are foreign/non-distributable and their URLs on ${where} did not answer from here ` +
              `(${evidence.urlError}). ${name} fetches them from those URLs${caps.foreignLayers === "urls-then-registry" ? " and falls back to the registry only on a 404" : ""}: ` +
              "the pull succeeds only on nodes with network access to those hosts.",
            { evidence },
          ),
        ];
      }
      if (gone) {
        // containerd: every URL answers 404, so it fetches the blob from the registry like any other layer.
        return [];
      }
    }
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
