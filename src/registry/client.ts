/**
 * RegistryClient: reference -> ImageFacts (src/core/image.ts) over the OCI distribution / Docker
 * registry v2 API (https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md).
 *
 * What it fetches, and why only that:
 * - the top-level manifest with the full Accept list (manifest.ts MANIFEST_ACCEPT);
 * - for an index, the children any runtime might pick for the asked platforms
 *   (core/platform.ts candidateChildren: containerd's ladders and CRI-O's exact match together);
 * - the config blob only for a single manifest at the root, or for a chosen child that has no platform
 *   in the index (its platform and diff_ids count come from the config);
 * - a child that is itself an index: its candidate children too (containerd walks nested indexes;
 *   containers/image refuses them, and the rules need the inner manifest to judge containerd);
 * - with `verifyLayers`: the first 512 bytes of each distinct layer blob (an HTTP Range request) and a
 *   HEAD of each foreign-layer URL, because the pullers decide on the bytes, not on the declared type
 *   (containerd does not decompress a layer declared uncompressed; containers/image sniffs), and both
 *   fail on a dead foreign URL.
 */
import type {
  Descriptor,
  HttpEvidence,
  ImageError,
  ImageFacts,
  ImageReference,
  LayerMagic,
  LayerUrlStatus,
  ManifestFacts,
} from "../core/image.js";
import { candidateChildren } from "../core/platform.js";
import { InvalidReferenceError, isValidDigest, parseReference } from "../core/reference.js";
import type { Platform } from "../core/target.js";
import { Authenticator, type Endpoint } from "./auth.js";
import { ContentCache, Inflight } from "./cache.js";
import { CredentialStore } from "./credentials.js";
import { RegistryError, toImageError } from "./errors.js";
import {
  computeDigest,
  MANIFEST_ACCEPT,
  MANIFEST_PARSE_LIMIT,
  parseConfig,
  parseManifest,
  READ_LIMIT,
  schema1PayloadDigest,
  simpleContentType,
  sniffLayer,
} from "./manifest.js";
import { Redactor } from "./redact.js";
import { header, type SendResult, Transport } from "./transport.js";

export interface InspectOptions {
  /** Read the first bytes of each layer and probe foreign-layer URLs (see #verifyLayers). */
  verifyLayers?: boolean;
}

/** Bytes read from the start of each layer blob: a tar header is 512 bytes, its magic at 257. */
const LAYER_SNIFF_BYTES = 512;
/** Layer sniffs kept per client (see #layerMagic), like the content cache's bound. */
const LAYER_MAGIC_ENTRIES = 5000;

export interface RegistryOptions {
  /** Registries reached over plain HTTP ("host:port", or "host:*" for any port). Loopback too must be listed. */
  insecureRegistries?: string[];
  credentials?: CredentialStore;
  /** Concurrent requests per host (default 16: the parallelism of a `xargs -P 16 skopeo` loop; bench/images). */
  concurrencyPerRegistry?: number;
  /** Concurrent requests overall (default 32). */
  concurrencyGlobal?: number;
  /** Budget per HTTP exchange: connect + headers + body (default 15000). */
  requestTimeoutMs?: number;
  /** Retries on 429/503 (default 3). */
  maxRetries?: number;
  /** Longest wait honoured from Retry-After (default 10000). */
  maxRetryWaitMs?: number;
  /** Directory for the by-digest content cache (manifests and configs). */
  cacheDir?: string;
  userAgent?: string;
  /** Extra trusted CA certificates (PEM), e.g. a private registry's CA. */
  caCertificates?: string[];
  /** Called after every HTTP exchange; the URL has no user-info and no secret query parameters. */
  onRequest?: (e: { method: string; url: string; status?: number }) => void;
}

const DEFAULT_USER_AGENT = "kube-runtime-audit/0.1 (+https://github.com/kube-runtime-audit)";

/** docker.io is an alias; the API lives at registry-1.docker.io (containerd config/hosts.go, c/image docker_client.go). */
const API_HOSTS: Record<string, string> = { "docker.io": "registry-1.docker.io" };

interface FetchedManifest {
  facts: ManifestFacts;
  http?: HttpEvidence;
}

function fallbackReference(input: string | ImageReference): ImageReference {
  if (typeof input !== "string") return input;
  return { original: input, registry: "", repository: "", normalized: input, shortName: false };
}

/** Maps a non-success status to an error kind, reading the registry's error code from the body. */
function statusError(res: SendResult, what: string): RegistryError {
  let code = "";
  try {
    const j = JSON.parse(res.body.toString("utf8")) as { errors?: { code?: unknown }[] };
    const c = j.errors?.[0]?.code;
    if (typeof c === "string") code = c.replace(/[^A-Z_]/gi, "").slice(0, 40);
  } catch {
    // Not JSON: the status alone decides.
  }
  const s = res.status;
  const suffix = code ? ` ${code}` : "";
  if (s === 404 || code === "MANIFEST_UNKNOWN" || code === "NAME_UNKNOWN" || code === "BLOB_UNKNOWN") {
    return new RegistryError("not-found", `${what}: not found (${s}${suffix})`, s);
  }
  if (s === 429)
    return new RegistryError("rate-limit", `${what}: too many requests (429${suffix}) after retries`, s);
  if (s >= 500) return new RegistryError("server", `${what}: registry error ${s}${suffix}`, s);
  return new RegistryError("server", `${what}: unexpected status ${s}${suffix}`, s);
}

export class RegistryClient {
  readonly #transport: Transport;
  readonly #auth: Authenticator;
  readonly #redactor = new Redactor();
  readonly #cache: ContentCache;
  readonly #inflight = new Inflight<FetchedManifest>();
  readonly #blobInflight = new Inflight<Buffer>();
  readonly #insecure: string[];
  /** Per registry: settles when the first request to it has been answered (see #get). */
  readonly #firstContact = new Map<string, Promise<void>>();
  /**
   * "registry/repository@digest" the registry confirmed (GET or HEAD) in this run. Cached bytes are keyed
   * by digest alone, so before reusing them for a repository we have not asked yet, the registry must say
   * that repository has the digest (and that we may read it): content found under repository A says
   * nothing about B.
   */
  readonly #confirmed = new Set<string>();
  /**
   * "registry/repository@digest" -> what the first bytes of that layer blob say, for this run. A blob is
   * immutable under its digest, so tags of one repository that share layers (most do: a base image) need
   * one Range read per layer, not one per image (bench/images: 1000 reads became 50). Only answers are
   * kept (206/200 with bytes, 404); a failed read is retried by the next image that needs the layer.
   */
  readonly #layerMagic = new Map<string, Promise<LayerMagic | undefined>>();

  constructor(opts: RegistryOptions = {}) {
    const credentials = opts.credentials ?? CredentialStore.empty();
    for (const s of credentials.secrets()) this.#redactor.add(s);
    this.#insecure = (opts.insecureRegistries ?? []).map((e) =>
      e
        .trim()
        .replace(/^https?:\/\//, "")
        .replace(/\/+$/, "")
        .toLowerCase(),
    );
    this.#transport = new Transport({
      timeoutMs: opts.requestTimeoutMs ?? 15_000,
      maxRetries: opts.maxRetries ?? 3,
      maxRetryWaitMs: opts.maxRetryWaitMs ?? 10_000,
      concurrencyPerHost: opts.concurrencyPerRegistry ?? 16,
      concurrencyGlobal: opts.concurrencyGlobal ?? 32,
      userAgent: opts.userAgent ?? DEFAULT_USER_AGENT,
      ...(opts.caCertificates ? { caCertificates: opts.caCertificates } : {}),
      ...(opts.onRequest ? { onRequest: opts.onRequest } : {}),
    });
    this.#auth = new Authenticator(this.#transport, credentials, this.#redactor);
    this.#cache = new ContentCache(opts.cacheDir);
  }

  /** Removes every secret this client knows (credentials, tokens) and secret-shaped strings from text. */
  redact(text: string): string {
    return this.#redactor.redact(text);
  }

  stats(): { requests: number; byKind: Record<string, number> } {
    return this.#transport.stats();
  }

  async close(): Promise<void> {
    await this.#transport.close();
  }

  isInsecure(registry: string): boolean {
    const r = registry.toLowerCase();
    const host = r.replace(/:\d+$/, "");
    return this.#insecure.some((e) => e === r || (e.endsWith(":*") && e.slice(0, -2) === host));
  }

  #endpoint(registry: string): Endpoint {
    const insecure = this.isInsecure(registry);
    const host = API_HOSTS[registry] ?? registry;
    return { name: registry, base: new URL(`${insecure ? "http" : "https"}://${host}`), insecure };
  }

  /** Resolves a reference and the manifests that matter for `platforms`. Never throws. */
  async inspect(
    reference: string | ImageReference,
    platforms: Platform[],
    opts: InspectOptions = {},
  ): Promise<ImageFacts> {
    let ref: ImageReference;
    try {
      ref = typeof reference === "string" ? parseReference(reference) : reference;
    } catch (e) {
      const message =
        e instanceof InvalidReferenceError ? e.message : `invalid image reference "${String(reference)}"`;
      return {
        reference: fallbackReference(reference),
        children: {},
        childErrors: {},
        error: { kind: "reference", message: this.redact(message) },
      };
    }
    const facts: ImageFacts = { reference: ref, children: {}, childErrors: {} };
    if (!ref.registry || !ref.repository) {
      facts.error = {
        kind: "reference",
        message: `invalid image reference "${this.redact(ref.original)}": no registry or repository`,
      };
      return facts;
    }
    try {
      const ep = this.#endpoint(ref.registry);
      const target = ref.digest ?? ref.tag ?? "latest";
      const root = await this.#manifest(ep, ref.repository, target, ref.digest);
      facts.root = cloneFacts(root.facts);
      if (root.http) facts.http = { ...root.http };
      if (facts.root.kind === "index") {
        await this.#children(ep, ref.repository, facts.root, platforms, facts);
        // One level of nesting: an index whose chosen entry is an index (containerd walks it).
        const nested = Object.values(facts.children).filter((c) => c.kind === "index");
        for (const inner of nested) await this.#children(ep, ref.repository, inner, platforms, facts);
      } else if (facts.root.kind === "manifest") {
        await this.#attachConfig(ep, ref.repository, facts.root);
      }
      if (opts.verifyLayers) await this.#verifyLayers(ep, ref.repository, facts);
    } catch (e) {
      facts.error = toImageError(e, this.#redactor.redact);
    }
    return facts;
  }

  async #children(
    ep: Endpoint,
    repository: string,
    index: ManifestFacts,
    platforms: Platform[],
    facts: ImageFacts,
  ): Promise<void> {
    const entries = index.manifests ?? [];
    const digests = candidateChildren(index, platforms);
    await Promise.all(
      digests.map(async (digest) => {
        const descriptor: Descriptor | undefined = entries.find((d) => d.digest === digest);
        try {
          if (!isValidDigest(digest))
            throw new RegistryError("invalid", `index entry has invalid digest "${digest.slice(0, 80)}"`);
          const child = cloneFacts((await this.#manifest(ep, repository, digest, digest)).facts);
          if (child.kind === "manifest" && !descriptor?.platform)
            await this.#attachConfig(ep, repository, child);
          facts.children[digest] = child;
        } catch (e) {
          facts.childErrors[digest] = toImageError(e, this.#redactor.redact, digest);
        }
      }),
    );
  }

  /**
   * The first bytes of each distinct layer blob (Range: bytes=0-511, enough for a tar header's `ustar`
   * magic at offset 257) and a HEAD of each foreign-layer URL, for the single manifests in `facts`.
   * A blob that cannot be read is left out (the rules then do not judge its bytes); a 404 is recorded
   * as `missing` (Docker Engine needs every layer in the registry); errors never fail the inspection.
   */
  async #verifyLayers(ep: Endpoint, repository: string, facts: ImageFacts): Promise<void> {
    const manifests = [facts.root, ...Object.values(facts.children)].filter(
      (m): m is ManifestFacts => m?.kind === "manifest",
    );
    const layers = new Map<string, Descriptor>();
    const urls = new Set<string>();
    for (const m of manifests) {
      for (const l of m.layers ?? []) {
        if (!isValidDigest(l.digest)) continue;
        for (const u of l.urls ?? []) urls.add(u);
        layers.set(l.digest, l);
      }
    }
    const magic: NonNullable<ImageFacts["layerMagic"]> = {};
    const urlStatus: Record<string, LayerUrlStatus> = {};
    await Promise.all([
      ...[...layers.values()].map(async (l) => {
        const key = `${ep.name}/${repository}@${l.digest}`;
        let read = this.#layerMagic.get(key);
        if (!read) {
          read = this.#sniffLayer(ep, repository, l);
          this.#layerMagic.set(key, read);
          // Bounded like the content cache, for a long-running controller: drop the oldest.
          if (this.#layerMagic.size > LAYER_MAGIC_ENTRIES) {
            const oldest = this.#layerMagic.keys().next().value;
            if (oldest !== undefined) this.#layerMagic.delete(oldest);
          }
          const forget = () => {
            if (this.#layerMagic.get(key) === read) this.#layerMagic.delete(key);
          };
          read.then((m) => m === undefined && forget(), forget);
        }
        try {
          const m = await read;
          if (m !== undefined) magic[l.digest] = m;
        } catch {
          // unreadable: not judged
        }
      }),
      ...[...urls].map(async (u) => {
        urlStatus[u] = await this.#probeUrl(u);
      }),
    ]);
    if (Object.keys(magic).length) facts.layerMagic = magic;
    if (Object.keys(urlStatus).length) facts.layerUrls = urlStatus;
  }

  /** One Range read of a layer blob's first bytes: its magic, "missing" on 404, undefined when unreadable. */
  async #sniffLayer(ep: Endpoint, repository: string, l: Descriptor): Promise<LayerMagic | undefined> {
    const what = `registry ${ep.name} repository ${repository} layer ${l.digest}`;
    const res = await this.#get(
      ep,
      repository,
      `/v2/${repository}/blobs/${l.digest}`,
      l.mediaType ? `${l.mediaType}, */*` : "*/*",
      "layer-head",
      LAYER_SNIFF_BYTES,
      what,
      "GET",
      { range: `bytes=0-${LAYER_SNIFF_BYTES - 1}` },
    );
    // 206 with the range, or 200 from a registry that ignores Range (then only if it fit).
    if ((res.status === 206 || res.status === 200) && res.body.length > 0)
      return sniffLayer(res.body.subarray(0, LAYER_SNIFF_BYTES));
    // 404: the registry does not hold it (a foreign layer served from its URLs only).
    if (res.status === 404) return "missing";
    return undefined;
  }

  /** HEAD of a foreign-layer URL, anonymous (registry credentials never go to another host). */
  async #probeUrl(u: string): Promise<LayerUrlStatus> {
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      return { ok: false, notFound: false, error: "not a URL" };
    }
    if (url.protocol !== "http:" && url.protocol !== "https:")
      return { ok: false, notFound: false, error: `unsupported scheme ${url.protocol}` };
    try {
      const res = await this.#transport.send({
        method: "HEAD",
        url,
        kind: "layer-url",
        maxBytes: 0,
        what: `foreign layer URL ${this.redact(u)}`,
      });
      if (res.status >= 200 && res.status < 300) return { ok: true };
      return { ok: false, notFound: res.status === 404, error: `HTTP ${res.status}` };
    } catch (e) {
      return { ok: false, notFound: false, error: toImageError(e, this.#redactor.redact).message };
    }
  }

  /** Fetches one manifest (by tag or digest), verified and parsed; by-digest results are cached. */
  #manifest(
    ep: Endpoint,
    repository: string,
    target: string,
    byDigest: string | undefined,
  ): Promise<FetchedManifest> {
    // Keyed by repository too: one repository's answer is no proof for another (see #confirmed).
    const key = byDigest ? `${ep.name}/${repository}@${byDigest}` : `${ep.name}/${repository}:${target}`;
    return this.#inflight.run(key, async () => {
      const what = `registry ${ep.name} repository ${repository} manifest ${target}`;
      const path = `/v2/${repository}/manifests/${target}`;
      if (byDigest) {
        const cached = await this.#cache.get(byDigest);
        if (cached && (await this.#confirm(ep, repository, byDigest, path, what))) {
          if (cached.bytes.length > MANIFEST_PARSE_LIMIT) {
            throw new RegistryError(
              "too-large",
              `${what}: manifest is ${cached.bytes.length} bytes, over the ${MANIFEST_PARSE_LIMIT}-byte limit of containerd (CRI-O: 4194304)`,
              undefined,
              cached.bytes.length,
            );
          }
          return { facts: parseManifest(cached.bytes, cached.contentType, byDigest, what) };
        }
      }
      const res = await this.#get(ep, repository, path, MANIFEST_ACCEPT, "manifest", READ_LIMIT, what);
      const rawType = header(res.headers, "content-type");
      const dcd = header(res.headers, "docker-content-digest");
      const http: HttpEvidence = { status: res.status };
      if (rawType !== undefined) http.contentType = rawType;
      if (dcd !== undefined) http.dockerContentDigest = dcd;
      if (res.announcedLength !== undefined) http.contentLength = res.announcedLength;
      if (res.status !== 200) throw statusError(res, what);
      if (res.exceeded || res.body.length > MANIFEST_PARSE_LIMIT) {
        const size = res.exceeded
          ? res.announcedLength !== undefined
            ? `${res.announcedLength} bytes`
            : `more than ${READ_LIMIT} bytes`
          : `${res.body.length} bytes`;
        throw new RegistryError(
          "too-large",
          `${what}: manifest is ${size}, over the ${MANIFEST_PARSE_LIMIT}-byte limit of containerd (CRI-O: 4194304)`,
          res.status,
          res.exceeded ? (res.announcedLength ?? res.size) : res.body.length,
        );
      }
      if (res.body.length === 0)
        throw new RegistryError("invalid", `${what}: empty manifest body`, res.status);
      const contentType = simpleContentType(rawType);
      const expected = byDigest ?? (dcd && isValidDigest(dcd) ? dcd : undefined);
      const computed = computeDigest(res.body, expected);
      let digest = computed;
      if (expected && expected !== computed) {
        // Only a signed schema 1 manifest may legitimately differ: the registry names it by the digest of
        // its payload without signatures. Anything else (even a body that no longer parses) is a mismatch.
        const payload = schema1PayloadDigest(res.body, expected);
        if (payload !== expected) throw mismatch(what, expected, computed, res.status);
        digest = payload;
      }
      const provisional = parseManifest(res.body, contentType, digest, what);
      if (provisional.kind === "schema1" && !expected) {
        // No digest to check against: record the one registries use for schema 1.
        digest = schema1PayloadDigest(res.body) ?? computed;
      }
      provisional.digest = digest;
      this.#confirmed.add(`${ep.name}/${repository}@${digest}`);
      await this.#cache.put(
        digest,
        contentType === undefined ? { bytes: res.body } : { bytes: res.body, contentType },
      );
      return { facts: provisional, http };
    });
  }

  /**
   * Before cached bytes serve `repository`: HEAD the manifest there (same Accept list and auth as the GET).
   * True: the registry has it. A 404 (or 401/403 after auth) throws as the GET would. Any other answer
   * (a registry that does not do HEAD, a 5xx) returns false: the caller then GETs, which judges properly.
   */
  async #confirm(
    ep: Endpoint,
    repository: string,
    digest: string,
    path: string,
    what: string,
  ): Promise<boolean> {
    const key = `${ep.name}/${repository}@${digest}`;
    if (this.#confirmed.has(key)) return true;
    const res = await this.#get(ep, repository, path, MANIFEST_ACCEPT, "manifest", READ_LIMIT, what, "HEAD");
    if (res.status === 404) throw statusError(res, what);
    if (res.status !== 200) return false;
    this.#confirmed.add(key);
    return true;
  }

  /** Fetches and parses the config blob of a single manifest; failures land in configError. */
  async #attachConfig(ep: Endpoint, repository: string, m: ManifestFacts): Promise<void> {
    const d = m.config;
    if (!d || !isValidDigest(d.digest)) return;
    try {
      if (d.size > READ_LIMIT) throw new RegistryError("too-large", `config is ${d.size} bytes; not read`);
      const bytes = await this.#blob(ep, repository, d.digest, d.mediaType);
      const c = parseConfig(bytes);
      if (c.platform) m.configPlatform = c.platform;
      if (c.diffIdCount !== undefined) m.diffIdCount = c.diffIdCount;
    } catch (e) {
      m.configError = toImageError(e, this.#redactor.redact).message;
    }
  }

  #blob(ep: Endpoint, repository: string, digest: string, mediaType: string | undefined): Promise<Buffer> {
    return this.#blobInflight.run(`${ep.name}@${digest}`, async () => {
      const cached = await this.#cache.get(digest);
      if (cached) return cached.bytes;
      const what = `registry ${ep.name} repository ${repository} blob ${digest}`;
      // As containerd does for blobs: the descriptor's type, then anything.
      const accept = mediaType ? `${mediaType}, */*` : "*/*";
      const res = await this.#get(
        ep,
        repository,
        `/v2/${repository}/blobs/${digest}`,
        accept,
        "blob",
        READ_LIMIT,
        what,
      );
      if (res.status !== 200) throw statusError(res, what);
      if (res.exceeded) throw new RegistryError("too-large", `${what}: more than ${READ_LIMIT} bytes`);
      const computed = computeDigest(res.body, digest);
      if (computed !== digest) throw mismatch(what, digest, computed, res.status);
      await this.#cache.put(digest, { bytes: res.body });
      return res.body;
    });
  }

  /**
   * The first request to a registry goes alone; requests started meanwhile wait for its answer, so a
   * registry that wants a token answers one 401, not one per image, and the others go out with the
   * token up front (bench/images --auth measures this). Returns the function that ends the turn.
   */
  async #enter(ep: Endpoint): Promise<() => void> {
    const gate = this.#firstContact.get(ep.name);
    if (gate) {
      await gate;
      return () => {};
    }
    let open: () => void = () => {};
    this.#firstContact.set(
      ep.name,
      new Promise<void>((resolve) => {
        open = resolve;
      }),
    );
    return open;
  }

  /** GET (or HEAD) with registry auth: anonymous first, then whatever the 401 challenge asks for (once). */
  async #get(
    ep: Endpoint,
    repository: string,
    path: string,
    accept: string,
    kind: string,
    maxBytes: number,
    what: string,
    method: "GET" | "HEAD" = "GET",
    extraHeaders: Record<string, string> = {},
  ): Promise<SendResult> {
    const release = await this.#enter(ep);
    try {
      const url = new URL(path, ep.base);
      const send = (authorization: string | undefined) =>
        this.#transport.send({
          method,
          url,
          headers: { accept, ...extraHeaders },
          ...(authorization ? { authorization } : {}),
          // Over plain HTTP (insecure registries only) the only header we ever hold is an anonymous token.
          authorizationPlainOk: ep.insecure,
          kind,
          maxBytes,
          what,
        });
      let authorization = await this.#auth.authorization(ep, repository);
      let res = await send(authorization);
      if (res.status === 401) {
        authorization = await this.#auth.onUnauthorized(ep, repository, res.headers, authorization);
        res = await send(authorization);
        if (res.status === 401) throw this.#auth.denied(ep, repository, 401, authorization);
      }
      if (res.status === 403) throw this.#auth.denied(ep, repository, 403, authorization);
      return res;
    } finally {
      release();
    }
  }
}

function mismatch(what: string, expected: string, got: string, status: number): RegistryError {
  return new RegistryError(
    "digest-mismatch",
    `${what}: digest mismatch (expected ${expected}, got ${got})`,
    status,
  );
}

function cloneFacts(m: ManifestFacts): ManifestFacts {
  return structuredClone(m);
}

export type { ImageError };
