/**
 * Registries that are frozen or retired: images there still pull (or are redirected) today but get no
 * new releases or security fixes, and may disappear. Rule I011 reads this table; each row has its source.
 */

export interface FrozenRegistry {
  /** Registry host, or host + repository prefix ("host/path/"), as in ImageReference.registry/repository. */
  prefix: string;
  /** Where the same images live now (a registry host, or host/path prefix). */
  replacement: string;
  /** True when the successor keeps the same repository path (so the new name can be computed). */
  samePath: boolean;
  /** ISO date the registry stopped receiving images, when the source gives one. */
  since?: string;
  /** What happened, one line, our words. */
  status: string;
  source: string;
}

export const FROZEN_REGISTRIES: readonly FrozenRegistry[] = [
  {
    prefix: "k8s.gcr.io",
    replacement: "registry.k8s.io",
    samePath: true,
    since: "2023-04-03",
    status:
      "frozen on 2023-04-03 (no new images, no security fixes; requests redirected to registry.k8s.io since 2023-03-20)",
    source: "https://kubernetes.io/blog/2023/02/06/k8s-gcr-io-freeze-announcement/",
  },
  {
    prefix: "docker.pkg.github.com",
    replacement: "ghcr.io",
    samePath: false,
    status: "GitHub's old Docker registry, replaced by the GitHub Container Registry (ghcr.io)",
    source:
      "https://docs.github.com/en/packages/working-with-a-github-packages-registry/migrating-to-the-container-registry-from-the-docker-registry",
  },
];

/** The frozen-registry row matching `registry` + `repository`, if any. */
export function frozenRegistryFor(registry: string, repository: string): FrozenRegistry | undefined {
  const host = registry.toLowerCase();
  const full = `${host}/${repository}`;
  return FROZEN_REGISTRIES.find((r) =>
    r.prefix.includes("/") ? full.startsWith(r.prefix) : host === r.prefix,
  );
}
