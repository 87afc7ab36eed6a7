/**
 * Use case: check images against the target runtimes (docs/ARCHITECTURE.md). Distinct references are
 * inspected once each (the registry client bounds concurrency per registry and caches by digest),
 * then judged by the pure image rules.
 */
import { createHash } from "node:crypto";
import type { ImageFacts, ManifestFacts } from "../core/image.js";
import type { Policy, Suppression } from "../core/policy.js";
import { parseReference } from "../core/reference.js";
import type { ImageReport, ImageUse, ManifestNode } from "../core/report.js";
import type { RuleFailure } from "../core/rule.js";
import type { Platform, Target } from "../core/target.js";
import { formatPlatform } from "../core/target.js";
import type { Finding } from "../core/types.js";
import {
  CredentialError,
  type CredentialStore,
  loadDockerConfig,
  RegistryClient,
  type RegistryOptions,
} from "../registry/index.js";
import { type JudgeOptions, judgeImage } from "../rules/image/index.js";

export type { CredentialStore, ImageUse };

/** The registry credentials file could not be read or parsed (exit 2, with this one-line message). */
export class RegistryConfigError extends Error {}

/**
 * The credentials the run itself has for registries: a Docker `config.json` (`--registry-config`, else
 * `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`). The cluster scan adds the pods' pull
 * secrets per use; callers outside scan get the store as data and never parse it.
 */
export async function loadRegistryCredentials(path?: string): Promise<CredentialStore> {
  try {
    return await loadDockerConfig(path);
  } catch (e) {
    if (e instanceof CredentialError) throw new RegistryConfigError(e.message);
    throw e;
  }
}

/** Where one image reference is used, as collected by the files scan. */
export interface ImageUses {
  /** The first uses (bounded). */
  uses: ImageUse[];
  /** How many containers use it. */
  total: number;
  /** Rules suppressed by every workload that uses the image (ignore annotations). */
  ignore?: ReadonlySet<string>;
  /** Per image rule id: a config exemption every workload that uses the image has. */
  exempt?: Map<string, Suppression>;
  /**
   * Cluster scan: the uses grouped by the pull credentials that apply to them (the pod's and its
   * service account's pull secrets), keyed by namespace and secret names. Each group is tried with
   * its own credentials (then the run's `credentials`), never with another group's; absent = every
   * use with the run's `credentials`.
   */
  access?: Map<string, ImageAccess>;
  /** The platforms the image must run on (the nodes its workloads can run on); absent = the target's. */
  platforms?: Platform[];
}

/** The uses of an image that share one set of pull credentials. */
export interface ImageAccess {
  credentials: CredentialStore;
  uses: ImageUse[];
  total: number;
}

export interface ImageCheckOptions {
  target: Target;
  ignore: ReadonlySet<string>;
  policy?: Policy;
  insecureRegistries?: string[];
  /** Extra CA certificates (PEM) for registries with a private CA. */
  caCertificates?: string[];
  credentials?: CredentialStore;
  cacheDir?: string;
  requestTimeoutMs?: number;
  concurrencyPerRegistry?: number;
  /** Include the manifest tree in each report (the `image` command). */
  withTree?: boolean;
  /** Read the first bytes of each layer and probe foreign-layer URLs (I013, I005). */
  verifyLayers?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface ImageCheckResult {
  images: ImageReport[];
  /** Every verdict finding, once, pointing at the first place the image is used. */
  findings: Finding[];
  checked: number;
  unknown: number;
  requests: number;
  /** Image rules that threw (bugs): coverage errors, exit 2. */
  failures: RuleFailure[];
}

function platformText(
  p: { os: string; architecture: string; variant?: string } | undefined,
): string | undefined {
  return p ? formatPlatform(p) : undefined;
}

function node(m: ManifestFacts, facts: ImageFacts, isRoot: boolean): ManifestNode {
  const n: ManifestNode = { digest: m.digest, size: m.size, fetched: true };
  const mt = (isRoot ? facts.http?.contentType : undefined) ?? m.mediaType ?? m.contentType;
  if (mt) n.mediaType = mt;
  if (m.artifactType) n.artifactType = m.artifactType;
  const cp = platformText(m.configPlatform);
  if (cp) n.platform = cp;
  if (m.config) {
    n.config = { digest: m.config.digest, size: m.config.size };
    if (m.config.mediaType) n.config.mediaType = m.config.mediaType;
  }
  if (m.layers) {
    n.layers = m.layers.map((l) => {
      const layer: NonNullable<ManifestNode["layers"]>[number] = { digest: l.digest, size: l.size };
      if (l.mediaType) layer.mediaType = l.mediaType;
      if (l.urls?.length) layer.urls = l.urls;
      return layer;
    });
  }
  if (m.manifests) {
    n.children = m.manifests.map((d) => {
      const fetched = facts.children[d.digest];
      const child: ManifestNode = fetched
        ? node(fetched, facts, false)
        : { digest: d.digest, size: d.size, fetched: false };
      if (!fetched && d.mediaType) child.mediaType = d.mediaType;
      const p = platformText(d.platform);
      if (p) child.platform = p;
      return child;
    });
  }
  return n;
}

/** One image report to make: the facts fetched for `ref`, judged for the uses in `entry`. */
interface Judged {
  ref: string;
  facts: ImageFacts;
  entry: ImageUses | undefined;
  platforms?: Platform[];
}

/**
 * What identifies the credentials a client would send for a registry host and repository: equal
 * fingerprints mean an identical request, so the image is fetched once for them. Hashed, in memory
 * only: the value never leaves this function.
 */
export function credentialFingerprint(store: CredentialStore | undefined, ref: string): string {
  if (!store) return "";
  let host = "";
  let repo = "";
  try {
    const r = parseReference(ref);
    host = r.registry;
    repo = r.repository;
  } catch {
    return "";
  }
  const creds = store.lookupAll(host, repo);
  if (creds.length === 0) return "";
  const h = createHash("sha256");
  for (const c of creds) h.update(JSON.stringify([c.username, c.password, c.identityToken, c.registryToken]));
  return `${host}\u0000${h.digest("hex")}`;
}

/** Whether two fetches of one image ended the same way (both fetched, or the same kind of failure). */
function sameOutcome(a: ImageFacts, b: ImageFacts): boolean {
  if (!a.error || !b.error) return !a.error && !b.error && a.root?.digest === b.root?.digest;
  return a.error.kind === b.error.kind;
}

/**
 * Inspects and judges each distinct image; `uses` maps a reference as written to where it is used.
 *
 * With per-use credentials (`ImageUses.access`, the cluster scan), an image is fetched once per
 * distinct credential that applies to its uses. When every group gets the same outcome, one report
 * lists all uses. When they differ (a private image that one namespace's pull secret can read and
 * another namespace cannot), each outcome is its own report listing only its uses: a secret of one
 * namespace never makes the image look pullable for a workload whose pods could not pull it.
 */
export async function checkImages(
  uses: ReadonlyMap<string, ImageUses>,
  opts: ImageCheckOptions,
): Promise<ImageCheckResult> {
  const base: RegistryOptions = {};
  if (opts.insecureRegistries) base.insecureRegistries = opts.insecureRegistries;
  if (opts.cacheDir) base.cacheDir = opts.cacheDir;
  if (opts.caCertificates) base.caCertificates = opts.caCertificates;
  if (opts.requestTimeoutMs) base.requestTimeoutMs = opts.requestTimeoutMs;
  if (opts.concurrencyPerRegistry) base.concurrencyPerRegistry = opts.concurrencyPerRegistry;
  const clients = new Map<string, RegistryClient>();
  const clientFor = (fingerprint: string, credentials: CredentialStore | undefined): RegistryClient => {
    let c = clients.get(fingerprint);
    if (!c) {
      c = new RegistryClient(credentials ? { ...base, credentials } : base);
      clients.set(fingerprint, c);
    }
    return c;
  };
  // Several spellings of one image (nginx, docker.io/library/nginx:latest) are fetched once per
  // credential and platform set.
  const fetches = new Map<string, Promise<ImageFacts>>();
  const inspectWith = (ref: string, store: CredentialStore | undefined, platforms: Platform[]) => {
    let key = ref;
    try {
      key = parseReference(ref).normalized;
    } catch {
      // invalid: inspect() reports it
    }
    const fp = credentialFingerprint(store, ref);
    key = [key, fp, platforms.map(formatPlatform).join(",")].join("\u0000");
    let p = fetches.get(key);
    if (!p) {
      p = clientFor(fp, store).inspect(ref, platforms, { verifyLayers: opts.verifyLayers === true });
      fetches.set(key, p);
    }
    return p;
  };
  const refs = [...uses.keys()];
  let done = 0;
  try {
    const all = await Promise.all(
      refs.map(async (ref): Promise<Judged[]> => {
        const entry = uses.get(ref);
        const platforms = entry?.platforms ?? opts.target.platforms;
        const out: Judged[] = [];
        if (!entry?.access || entry.access.size === 0) {
          const facts = await inspectWith(ref, opts.credentials, platforms);
          out.push({ ref, facts, entry, platforms });
        } else {
          const groups = [...entry.access.values()];
          const results = await Promise.all(
            groups.map((g) =>
              inspectWith(
                ref,
                opts.credentials ? g.credentials.merge(opts.credentials) : g.credentials,
                platforms,
              ),
            ),
          );
          // Group the uses by outcome, in first-seen order.
          const outcomes: { facts: ImageFacts; uses: ImageUse[]; total: number }[] = [];
          results.forEach((facts, i) => {
            const g = groups[i] as ImageAccess;
            const same = outcomes.find((o) => sameOutcome(o.facts, facts));
            if (same) {
              same.uses.push(...g.uses);
              same.total += g.total;
            } else outcomes.push({ facts, uses: [...g.uses], total: g.total });
          });
          // Fetched ones first: the image's verdict, then the uses that could not pull it.
          outcomes.sort((a, b) => Number(a.facts.error !== undefined) - Number(b.facts.error !== undefined));
          for (const o of outcomes) {
            const own: ImageUses =
              outcomes.length === 1 ? { ...entry } : { ...entry, uses: o.uses, total: o.total };
            delete own.access;
            out.push({ ref, facts: o.facts, entry: own, platforms });
          }
        }
        opts.onProgress?.(++done, refs.length);
        return out;
      }),
    );
    return {
      ...judgeAll(all.flat(), opts),
      requests: [...clients.values()].reduce((n, c) => n + c.stats().requests, 0),
    };
  } finally {
    await Promise.all([...clients.values()].map((c) => c.close()));
  }
}

/**
 * Judges fetched facts (by reference as written) the way `checkImages` does: one ImageReport per
 * reference, and each finding once, pointing at the first place the image is used. Pure.
 */
export function judgeImages(
  factsByRef: ReadonlyMap<string, ImageFacts>,
  uses: ReadonlyMap<string, ImageUses>,
  opts: Pick<ImageCheckOptions, "target" | "ignore" | "policy" | "withTree">,
): Omit<ImageCheckResult, "requests"> {
  return judgeAll(
    [...factsByRef].map(([ref, facts]) => ({ ref, facts, entry: uses.get(ref) })),
    opts,
  );
}

/**
 * The findings of one judged image, each once: the same finding for several platforms is listed once,
 * naming them all (the verdict table keeps the per-platform detail). In files mode each points at the
 * first manifest line that uses the image.
 */
export function imageFindings(img: ImageReport): Finding[] {
  const first = img.usedBy?.[0];
  const merged = new Map<string, Finding>();
  for (const v of img.verdicts) {
    for (const f of v.findings) {
      const key = [f.ruleId, f.runtime, f.severity, f.message, f.suppressed === true].join("\u0000");
      const seen = merged.get(key);
      if (seen) {
        if (f.platform && seen.platform && !seen.platform.split(", ").includes(f.platform)) {
          seen.platform = `${seen.platform}, ${f.platform}`;
        }
        continue;
      }
      const copy: Finding = { ...f, subject: { ...f.subject } };
      if (first?.file) {
        copy.origin = { file: first.file };
        if (first.line) copy.origin.line = first.line;
        if (first.column) copy.origin.column = first.column;
      }
      merged.set(key, copy);
    }
  }
  return [...merged.values()];
}

function judgeAll(
  items: readonly Judged[],
  opts: Pick<ImageCheckOptions, "target" | "ignore" | "policy" | "withTree">,
): Omit<ImageCheckResult, "requests"> {
  const failures: RuleFailure[] = [];
  const all: ImageReport[] = [];
  for (const { ref, facts, entry, platforms } of items) {
    // The same facts serve every spelling; the report keeps the reference as written.
    const own: ImageFacts = { ...facts, reference: { ...facts.reference, original: ref } };
    const jopts: JudgeOptions = { ignore: opts.ignore, failures };
    if (opts.policy) jopts.policy = opts.policy;
    if (entry?.ignore && entry.ignore.size > 0) jopts.annotationIgnore = entry.ignore;
    if (entry?.exempt && entry.exempt.size > 0) jopts.exempt = entry.exempt;
    const target = platforms ? { ...opts.target, platforms } : opts.target;
    const report = judgeImage(own, target, jopts);
    if (opts.withTree && facts.root) report.manifest = node(facts.root, facts, true);
    if (entry && entry.uses.length > 0) report.usedBy = entry.uses;
    all.push(report);
  }
  const findings: Finding[] = [];
  let unknown = 0;
  for (const img of all) {
    if (img.verdicts.some((v) => v.verdict === "unknown")) unknown++;
    findings.push(...imageFindings(img));
  }
  return { images: all, findings, checked: all.length, unknown, failures };
}
