/**
 * I011 frozen-registry: the image comes from a registry that is frozen or retired (table in
 * src/rules/data/image-registries.ts, one source per row), e.g. k8s.gcr.io, frozen on 2023-04-03 in
 * favour of registry.k8s.io. Same on every runtime: a warning, not a pull failure (yet).
 */
import type { ImageRule } from "../../core/rule.js";
import { frozenRegistryFor } from "../data/image-registries.js";
import type { RuntimeCapabilities } from "../data/runtime-capabilities.js";
import { warn } from "./resolve.js";

export const I011: ImageRule<RuntimeCapabilities> = {
  id: "I011",
  slug: "frozen-registry",
  title: "Image from a frozen or retired registry",
  category: "image",
  description:
    "The image is pulled from a registry that no longer receives images or security fixes (e.g. k8s.gcr.io, frozen since " +
    "April 2023); it may be redirected or switched off.",
  remediation:
    "Pull the same image from its successor registry: k8s.gcr.io/<path> → registry.k8s.io/<path> (same path and tag); " +
    "docker.pkg.github.com → ghcr.io.",
  defaultSeverity: "medium",
  check(facts) {
    const ref = facts.reference;
    const row = frozenRegistryFor(ref.registry, ref.repository);
    if (!row) return [];
    const host = row.prefix.split("/")[0] ?? row.prefix;
    const suggested =
      row.samePath && ref.normalized.startsWith(host)
        ? `${row.replacement}${ref.normalized.slice(host.length)}`
        : `the image's new name on ${row.replacement}`;
    return [
      warn(
        "medium",
        `${ref.registry} is ${row.status}. New versions and fixes are published only to ${row.replacement}; use ${suggested}.`,
        {
          remediation: `Change the image to ${suggested} ${row.samePath ? " (same path and tag)" : ""}.`,
          evidence: { registry: ref.registry, replacement: row.replacement, source: row.source },
        },
      ),
    ];
  },
};
