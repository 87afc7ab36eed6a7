/**
 * A bounded cache with a time-to-live, for image verdicts keyed by digest: a digest names immutable
 * content, but the verdict also depends on registry reachability and credentials, so entries expire.
 * Concurrent lookups of one key share a single computation; failures are not cached.
 */
import type { Clock } from "./clock.js";

export interface TtlCacheOptions {
  clock: Clock;
  ttlMs: number;
  /** Oldest entries are evicted beyond this (insertion order; a hit refreshes the position). */
  maxEntries: number;
}

export class TtlCache<V> {
  readonly #entries = new Map<string, { value: V; expires: number }>();
  readonly #inflight = new Map<string, Promise<V>>();
  #hits = 0;
  #misses = 0;

  constructor(private readonly opts: TtlCacheOptions) {}

  get(key: string): V | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    if (e.expires <= this.opts.clock.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    // Re-insert: most recently used goes last.
    this.#entries.delete(key);
    this.#entries.set(key, e);
    return e.value;
  }

  set(key: string, value: V, ttlMs = this.opts.ttlMs): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expires: this.opts.clock.now() + ttlMs });
    while (this.#entries.size > this.opts.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
  }

  /** The cached value, or the result of `compute` (shared by concurrent callers, cached on success). */
  async getOrCompute(key: string, compute: () => Promise<V>): Promise<V> {
    const hit = this.get(key);
    if (hit !== undefined) {
      this.#hits++;
      return hit;
    }
    const pending = this.#inflight.get(key);
    if (pending) return pending;
    this.#misses++;
    const p = compute().then(
      (v) => {
        this.#inflight.delete(key);
        this.set(key, v);
        return v;
      },
      (err: unknown) => {
        this.#inflight.delete(key);
        throw err;
      },
    );
    this.#inflight.set(key, p);
    return p;
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }

  stats(): { hits: number; misses: number; size: number } {
    return { hits: this.#hits, misses: this.#misses, size: this.#entries.size };
  }
}
