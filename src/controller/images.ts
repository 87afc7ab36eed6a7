/**
 * The controller's image check: the images of the subjects a batch re-audits, checked as `scan`
 * checks them (src/scan/images.ts judges, src/scan/placement.ts gives the platforms of the nodes a
 * template can be placed on, pull secrets are read with `get` by name, never listed), with the
 * fetched facts kept in a TTL cache across audits. The cache key is the normalized reference, the
 * credentials that apply to it (hashed) and the platforms: a re-audit of a changed workload whose
 * images did not change sends no registry request, and an image used by a thousand workloads is
 * fetched once. A reference names mutable content (a tag can move), which is why entries expire; a
 * failed fetch (registry down, auth refused) is kept only briefly so a recovered registry is seen soon.
 */
import type { ImageFacts } from "../core/image.js";
import type { Policy, Suppression } from "../core/policy.js";
import { parseReference } from "../core/reference.js";
import type { CoverageIssue, ImageReport, ImageUse } from "../core/report.js";
import type { ObjectAudit } from "../core/rule.js";
import { formatPlatform, type Platform, type Target } from "../core/target.js";
import type { Finding } from "../core/types.js";
import { isObject, type JsonObject, str } from "../core/workload.js";
import {
  CredentialStore,
  credentialsFromSecret,
  RegistryClient,
  type RegistryOptions,
} from "../registry/index.js";
import { credentialFingerprint, type ImageUses, imageFindings, judgeImages } from "../scan/images.js";
import { type NodePlacement, templatePlatforms } from "../scan/placement.js";
import { subjectKey } from "./subjects.js";
import type { TtlCache } from "./ttl-cache.js";

/** How long the facts of a failed fetch are kept (the TTL applies when it is shorter). */
export const IMAGE_ERROR_TTL_MS = 10 * 60_000;

/** scan's registry settings: the run's own credentials (--registry-config) and the client options. */
export type RegistrySettings = RegistryOptions;

export interface ImageAuditDeps {
  cache: TtlCache<ImageFacts>;
  registry: RegistrySettings;
  /** A Secret or ServiceAccount by name; undefined when it does not exist or may not be read. */
  get(kind: "Secret" | "ServiceAccount", namespace: string, name: string): Promise<JsonObject | undefined>;
  onIssue?: (issue: CoverageIssue) => void;
}

/** One audited template carrier: its subject (the top owner) and the engine's result. */
export interface AuditedCarrier {
  subject: { kind: string; name: string; namespace?: string };
  result: ObjectAudit;
  /** Config exemptions its images inherit (ScanChecks.imageExemptions). */
  exempt?: Map<string, Suppression>;
}

export interface ImageAuditContext {
  target: Target;
  ignore: ReadonlySet<string>;
  policy?: Policy;
  /** The nodes' labels and platforms: an image is checked for the platforms its template can run on. */
  placements: readonly NodePlacement[];
}

export interface ImageAuditResult {
  /** One report per image and outcome, `usedBy` listing the batch's uses. */
  images: ImageReport[];
  /** Registry requests sent (cache hits send none). */
  requests: number;
  /** Images fetched in this batch (not served from the cache). */
  fetched: number;
  /** Fetches that ended without facts (auth, network, rate limit). */
  errors: number;
}

interface Group {
  ref: string;
  cacheKey: string;
  credentials: CredentialStore;
  fingerprint: string;
  platforms: Platform[];
  uses: ImageUses;
}

const useKey = (u: ImageUse) => `${subjectKey(u)}\u0000${u.container ?? ""}`;

export async function auditImages(
  carriers: readonly AuditedCarrier[],
  ctx: ImageAuditContext,
  deps: ImageAuditDeps,
): Promise<ImageAuditResult> {
  // Reads of one batch are shared: a secret named by a thousand pods is read once.
  const reads = new Map<string, Promise<JsonObject | undefined>>();
  const read = (kind: "Secret" | "ServiceAccount", ns: string, name: string) => {
    const k = `${kind}/${ns}/${name}`;
    let p = reads.get(k);
    if (!p) {
      p = deps.get(kind, ns, name);
      reads.set(k, p);
    }
    return p;
  };
  const stores = new Map<string, Promise<CredentialStore>>();
  const credentialsFor = (ns: string, names: readonly string[]): Promise<CredentialStore> => {
    const k = `${ns}/${names.join(",")}`;
    let p = stores.get(k);
    if (!p) {
      p = (async () => {
        const own: CredentialStore[] = [];
        // In the order named, as the kubelet tries them.
        for (const n of names) {
          const s = await read("Secret", ns, n);
          if (!s) continue;
          const data: Record<string, string> = {};
          if (isObject(s.data))
            for (const [key, v] of Object.entries(s.data)) if (typeof v === "string") data[key] = v;
          try {
            own.push(credentialsFromSecret(str(s.type) ?? "", data, `pull secret ${ns}/${n}`));
          } catch (e) {
            deps.onIssue?.({
              source: `Secret ${ns}/${n}`,
              reason: e instanceof Error ? e.message : String(e),
            });
          }
        }
        const base = CredentialStore.empty().merge(...own);
        return deps.registry.credentials ? base.merge(deps.registry.credentials) : base;
      })();
      stores.set(k, p);
    }
    return p;
  };

  const groups = new Map<string, Group>();
  for (const c of carriers) {
    const ns = c.subject.namespace ?? "";
    for (const wl of c.result.workloads) {
      // The kubelet pulls with the pod's imagePullSecrets; the ServiceAccount admission plugin copies
      // the service account's into a pod that names none
      // (https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/#serviceaccount-admission-controller).
      let names = [...wl.template.imagePullSecrets];
      if (names.length === 0 && ns) {
        const sa = await read("ServiceAccount", ns, wl.template.serviceAccountName ?? "default");
        for (const s of Array.isArray(sa?.imagePullSecrets) ? sa.imagePullSecrets : []) {
          const n = isObject(s) ? str(s.name) : undefined;
          if (n) names.push(n);
        }
      }
      names = [...new Set(names)];
      const credentials = await credentialsFor(ns, names);
      const platforms =
        (ctx.placements.length
          ? templatePlatforms(wl.template.spec, wl.template.nodeSelector, ctx.placements)
          : undefined) ?? ctx.target.platforms;
      const platformKey = platforms.map(formatPlatform).join(",");
      for (const container of wl.template.containers) {
        if (!container.image) continue;
        const ref = container.image;
        let normalized = ref;
        try {
          normalized = parseReference(ref).normalized;
        } catch {
          // invalid: inspect() reports it
        }
        const fingerprint = credentialFingerprint(credentials, ref);
        const cacheKey = [normalized, fingerprint, platformKey].join("\u0000");
        const gk = `${ref}\u0000${cacheKey}`;
        let g = groups.get(gk);
        if (!g) {
          const uses: ImageUses = { uses: [], total: 0, ignore: c.result.annotationIgnore };
          if (c.exempt && c.exempt.size > 0) uses.exempt = new Map(c.exempt);
          g = { ref, cacheKey, credentials, fingerprint, platforms, uses };
          groups.set(gk, g);
        } else {
          // A rule is suppressed for the image only when every workload using it suppresses it.
          const ignore = g.uses.ignore;
          if (ignore && ignore.size > 0)
            g.uses.ignore = new Set([...ignore].filter((r) => c.result.annotationIgnore.has(r)));
          if (g.uses.exempt)
            for (const r of [...g.uses.exempt.keys()]) if (!c.exempt?.has(r)) g.uses.exempt.delete(r);
        }
        const use: ImageUse = { kind: c.subject.kind, name: c.subject.name, container: container.name };
        if (c.subject.namespace) use.namespace = c.subject.namespace;
        g.uses.total++;
        if (!g.uses.uses.some((u) => useKey(u) === useKey(use))) g.uses.uses.push(use);
      }
    }
  }

  const clients = new Map<string, RegistryClient>();
  const clientFor = (g: Group): RegistryClient => {
    let client = clients.get(g.fingerprint);
    if (!client) {
      client = new RegistryClient({ ...deps.registry, credentials: g.credentials });
      clients.set(g.fingerprint, client);
    }
    return client;
  };
  let fetched = 0;
  let errors = 0;
  try {
    const images = await Promise.all(
      [...groups.values()].map(async (g) => {
        const facts = await deps.cache.getOrCompute(g.cacheKey, async () => {
          fetched++;
          const f = await clientFor(g).inspect(g.ref, g.platforms);
          if (f.error) errors++;
          return f;
        });
        // Cached for the full TTL by getOrCompute; a failure only briefly.
        if (facts.error && deps.cache.get(g.cacheKey) === facts)
          deps.cache.set(g.cacheKey, facts, IMAGE_ERROR_TTL_MS);
        const judged = judgeImages(new Map([[g.ref, facts]]), new Map([[g.ref, g.uses]]), {
          target: { ...ctx.target, platforms: g.platforms },
          ignore: ctx.ignore,
          ...(ctx.policy ? { policy: ctx.policy } : {}),
        });
        return judged.images;
      }),
    );
    return {
      images: images.flat(),
      requests: [...clients.values()].reduce((n, c) => n + c.stats().requests, 0),
      fetched,
      errors,
    };
  } finally {
    await Promise.all([...clients.values()].map((c) => c.close()));
  }
}

/** What identifies an image's outcome: equal keys are one report with the uses merged. */
function outcomeKey(img: ImageReport): string {
  const verdicts = img.verdicts.map(
    (v) =>
      `${v.runtime}/${v.platform}/${v.verdict}/${v.findings.map((f) => `${f.ruleId}${f.suppressed ? "-" : ""}`).join(",")}`,
  );
  return `${img.reference}\u0000${img.digest ?? ""}\u0000${verdicts.join("|")}`;
}

/**
 * The images in use across every subject, as `scan` reports them: one report per reference and
 * outcome listing all its uses, and each image finding once (src/scan/images.ts imageFindings).
 */
export function mergeImages(perSubject: Iterable<readonly ImageReport[]>): {
  images: ImageReport[];
  findings: Finding[];
} {
  const merged = new Map<string, ImageReport>();
  for (const list of perSubject) {
    for (const img of list) {
      const k = outcomeKey(img);
      const have = merged.get(k);
      if (!have) merged.set(k, { ...img, usedBy: [...(img.usedBy ?? [])] });
      else have.usedBy = [...(have.usedBy ?? []), ...(img.usedBy ?? [])];
    }
  }
  const images = [...merged.values()].sort((a, b) =>
    a.reference < b.reference ? -1 : a.reference > b.reference ? 1 : 0,
  );
  for (const img of images)
    img.usedBy?.sort((a, b) => {
      const ka = useKey(a);
      const kb = useKey(b);
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
  return { images, findings: images.flatMap(imageFindings) };
}
