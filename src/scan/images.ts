/**
 * Use case: check images against the target runtimes (docs/ARCHITECTURE.md). Distinct references are
 * inspected once each (the registry client bounds concurrency per registry and caches by digest),
 * then judged by the pure image rules.
 */
import type { ImageFacts, ManifestFacts } from "../core/image.js";
import type { Policy, Suppression } from "../core/policy.js";
import { parseReference } from "../core/reference.js";
import type { ImageReport, ImageUse, ManifestNode } from "../core/report.js";
import type { RuleFailure } from "../core/rule.js";
import type { Target } from "../core/target.js";
import { formatPlatform } from "../core/target.js";
import type { Finding } from "../core/types.js";
import { type CredentialStore, RegistryClient, type RegistryOptions } from "../registry/index.js";
import { type JudgeOptions, judgeImage } from "../rules/image/index.js";

export type { ImageUse };

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
}

export interface ImageCheckOptions {
  target: Target;
  ignore: ReadonlySet<string>;
  policy?: Policy;
  insecureRegistries?: string[];
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

/** Inspects and judges each distinct image; `uses` maps a reference as written to where it is used. */
export async function checkImages(
  uses: ReadonlyMap<string, ImageUses>,
  opts: ImageCheckOptions,
): Promise<ImageCheckResult> {
  const ropts: RegistryOptions = {};
  if (opts.insecureRegistries) ropts.insecureRegistries = opts.insecureRegistries;
  if (opts.credentials) ropts.credentials = opts.credentials;
  if (opts.cacheDir) ropts.cacheDir = opts.cacheDir;
  if (opts.requestTimeoutMs) ropts.requestTimeoutMs = opts.requestTimeoutMs;
  if (opts.concurrencyPerRegistry) ropts.concurrencyPerRegistry = opts.concurrencyPerRegistry;
  const client = new RegistryClient(ropts);
  // Several spellings of one image (nginx, docker.io/library/nginx:latest) are fetched once.
  const byNormalized = new Map<string, Promise<ImageFacts>>();
  const refs = [...uses.keys()];
  let done = 0;
  try {
    const all = await Promise.all(
      refs.map(async (ref) => {
        let key = ref;
        try {
          key = parseReference(ref).normalized;
        } catch {
          // invalid: inspect() reports it
        }
        let p = byNormalized.get(key);
        if (!p) {
          p = client.inspect(ref, opts.target.platforms, { verifyLayers: opts.verifyLayers === true });
          byNormalized.set(key, p);
        }
        const facts = await p;
        opts.onProgress?.(++done, refs.length);
        return [ref, facts] as const;
      }),
    );
    return { ...judgeImages(new Map(all), uses, opts), requests: client.stats().requests };
  } finally {
    await client.close();
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
  const failures: RuleFailure[] = [];
  const all: ImageReport[] = [];
  for (const [ref, facts] of factsByRef) {
    // The same facts serve every spelling; the report keeps the reference as written.
    const own: ImageFacts = { ...facts, reference: { ...facts.reference, original: ref } };
    const entry = uses.get(ref);
    const jopts: JudgeOptions = { ignore: opts.ignore, failures };
    if (opts.policy) jopts.policy = opts.policy;
    if (entry?.ignore && entry.ignore.size > 0) jopts.annotationIgnore = entry.ignore;
    if (entry?.exempt && entry.exempt.size > 0) jopts.exempt = entry.exempt;
    const report = judgeImage(own, opts.target, jopts);
    if (opts.withTree && facts.root) report.manifest = node(facts.root, facts, true);
    if (entry && entry.uses.length > 0) report.usedBy = entry.uses;
    all.push(report);
  }
  const findings: Finding[] = [];
  let unknown = 0;
  for (const img of all) {
    if (img.verdicts.some((v) => v.verdict === "unknown")) unknown++;
    const first = img.usedBy?.[0];
    // The same finding for several platforms is listed once, naming them all; the verdict table
    // keeps the per-platform detail.
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
        // In files mode, point the finding at the first manifest line that uses the image.
        if (first?.file) {
          copy.origin = { file: first.file };
          if (first.line) copy.origin.line = first.line;
          if (first.column) copy.origin.column = first.column;
        }
        merged.set(key, copy);
      }
    }
    for (const f of merged.values()) findings.push(f);
  }
  return { images: all, findings, checked: all.length, unknown, failures };
}
