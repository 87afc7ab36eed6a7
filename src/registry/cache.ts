/**
 * Content caches. By-digest content is immutable once its digest is verified, so it is safe to keep for
 * the whole run (memory) and across runs (disk, `cacheDir`). Only bytes whose own digest equals the key
 * are written to disk; every disk read is re-verified. Tags are never cached (they move); identical
 * requests in flight are shared instead.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isValidDigest } from "../core/reference.js";
import { computeDigest } from "./manifest.js";

export interface CachedContent {
  bytes: Buffer;
  contentType?: string;
}

/** Manifests and configs are small (KiBs); this bounds a long-running controller's memory. */
const DEFAULT_MAX_ENTRIES = 5000;

export class ContentCache {
  readonly #memory = new Map<string, CachedContent>();
  readonly #dir: string | undefined;
  readonly #maxEntries: number;

  constructor(dir?: string, maxEntries = DEFAULT_MAX_ENTRIES) {
    this.#dir = dir;
    this.#maxEntries = maxEntries;
  }

  #remember(digest: string, content: CachedContent): void {
    this.#memory.delete(digest);
    this.#memory.set(digest, content);
    // Map keeps insertion order: drop the oldest.
    while (this.#memory.size > this.#maxEntries) {
      const oldest = this.#memory.keys().next().value;
      if (oldest === undefined) break;
      this.#memory.delete(oldest);
    }
  }

  async get(digest: string): Promise<CachedContent | undefined> {
    const hit = this.#memory.get(digest);
    if (hit) return hit;
    if (!this.#dir || !isValidDigest(digest)) return undefined;
    const [algo = "", hex = ""] = digest.split(":");
    try {
      const bytes = await readFile(join(this.#dir, algo, hex));
      if (computeDigest(bytes, digest) !== digest) return undefined;
      let contentType: string | undefined;
      try {
        const meta = JSON.parse(await readFile(join(this.#dir, algo, `${hex}.json`), "utf8")) as {
          contentType?: unknown;
        };
        if (typeof meta.contentType === "string") contentType = meta.contentType;
      } catch {
        // Metadata is optional.
      }
      const c: CachedContent = contentType === undefined ? { bytes } : { bytes, contentType };
      this.#remember(digest, c);
      return c;
    } catch {
      return undefined;
    }
  }

  /** Stores content; `digest` must be verified by the caller. */
  async put(digest: string, content: CachedContent): Promise<void> {
    this.#remember(digest, content);
    if (!this.#dir || !isValidDigest(digest) || computeDigest(content.bytes, digest) !== digest) return;
    const [algo = "", hex = ""] = digest.split(":");
    const dir = join(this.#dir, algo);
    try {
      await mkdir(dir, { recursive: true });
      const tmp = join(dir, `.${hex}.${process.pid}.${Math.random().toString(36).slice(2)}`);
      await writeFile(tmp, content.bytes);
      await rename(tmp, join(dir, hex));
      if (content.contentType !== undefined) {
        await writeFile(join(dir, `${hex}.json`), JSON.stringify({ contentType: content.contentType }));
      }
    } catch {
      // A cache that cannot be written is only slower.
    }
  }
}

/** Shares one promise among identical concurrent calls. */
export class Inflight<T> {
  readonly #map = new Map<string, Promise<T>>();
  run(key: string, fn: () => Promise<T>): Promise<T> {
    const existing = this.#map.get(key);
    if (existing) return existing;
    const p = fn().finally(() => this.#map.delete(key));
    this.#map.set(key, p);
    return p;
  }
}
