/**
 * An informer-like cache over one resource: list (paged by the source), then watch from the list's
 * resourceVersion, as client-go's reflector does
 * (https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes):
 * - BOOKMARK events only move the resourceVersion forward
 *   (https://kubernetes.io/docs/reference/using-api/api-concepts/#watch-bookmarks);
 * - a 410 Gone (an ERROR event or the watch request itself) means the version was compacted away:
 *   relist, and diff the new list against the cache so objects deleted meanwhile get a DELETE;
 * - a stream the server closes (its watch timeout) is resumed from the last version seen;
 * - errors (drops, 429, 5xx) are retried with exponential backoff, honouring Retry-After.
 * Objects are stored projected (see projection.ts), and updates that change nothing we keep are
 * not reported.
 */
import { isObject, type JsonObject, str } from "../core/workload.js";
import { Backoff, type Clock, sleep } from "./clock.js";
import {
  ApiStatusError,
  errorText,
  type ObjectSource,
  type ResourceSpec,
  retryAfterOf,
  statusOf,
} from "./ports.js";
import { type Projection, sameProjection } from "./projection.js";

export type ChangeType = "add" | "update" | "delete";

export interface Change {
  type: ChangeType;
  resource: ResourceSpec;
  /** `namespace/name`, or `name` for cluster-scoped objects. */
  key: string;
  /** The projected object (for "delete": the last one we had). */
  object: JsonObject;
  /** For "update": the previous projection. */
  old?: JsonObject;
}

/** "expired": 410, relisted; "dropped": the stream ended and was resumed; "error": retried with backoff. */
export type RestartReason = "dropped" | "expired" | "error";

export interface InformerOptions {
  resource: ResourceSpec;
  source: ObjectSource;
  project: Projection;
  clock: Clock;
  /** Called for every change after the first list; relists report their differences. */
  onChange?: (change: Change) => void;
  /** Each time the watch had to be re-established: for the watch-restarts metric and logs. */
  onRestart?: (reason: RestartReason, error?: string) => void;
  backoff?: Backoff;
  /** A watch that ends sooner than this without any event counts as a failure (backoff). */
  minWatchMs?: number;
}

export function objectKey(obj: JsonObject): string {
  const md = isObject(obj.metadata) ? obj.metadata : {};
  const name = str(md.name) ?? "";
  const ns = str(md.namespace);
  return ns ? `${ns}/${name}` : name;
}

function resourceVersionOf(obj: JsonObject): string | undefined {
  return isObject(obj.metadata) ? str(obj.metadata.resourceVersion) : undefined;
}

class RelistNeeded extends Error {}

export class Informer {
  readonly resource: ResourceSpec;
  readonly #store = new Map<string, JsonObject>();
  readonly #opts: InformerOptions;
  readonly #abort = new AbortController();
  readonly #backoff: Backoff;
  #rv = "";
  #synced = false;
  #unavailable: string | undefined;
  /** Relists since the last watch event: more than one in a row backs off. */
  #relistsInARow = 0;
  #running: Promise<void> | undefined;
  #syncWaiters: (() => void)[] = [];

  constructor(opts: InformerOptions) {
    this.resource = opts.resource;
    this.#opts = opts;
    this.#backoff = opts.backoff ?? new Backoff();
  }

  /** True once the first full list is in the cache. */
  get synced(): boolean {
    return this.#synced;
  }

  /** Why the resource could not be listed (403, 404), until a list succeeds. */
  get unavailable(): string | undefined {
    return this.#unavailable;
  }

  /** The last resourceVersion seen (list, event or bookmark). */
  get resourceVersion(): string {
    return this.#rv;
  }

  get size(): number {
    return this.#store.size;
  }

  get(key: string): JsonObject | undefined {
    return this.#store.get(key);
  }

  values(): IterableIterator<JsonObject> {
    return this.#store.values();
  }

  start(): void {
    this.#running ??= this.#loop();
  }

  /** Resolves after the first full list (never, if stopped before). */
  waitForSync(): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((resolve) => this.#syncWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#running;
  }

  async #loop(): Promise<void> {
    const signal = this.#abort.signal;
    let needList = true;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.#relist(signal);
          needList = false;
        }
        if (signal.aborted) break;
        const started = this.#opts.clock.now();
        const events = await this.#watch(signal);
        if (signal.aborted) break;
        const quick = this.#opts.clock.now() - started < (this.#opts.minWatchMs ?? 1000);
        if (events === 0 && quick) throw new Error("watch closed immediately");
        // The server's watch timeout: resume from where we are.
        this.#opts.onRestart?.("dropped");
        this.#backoff.reset();
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof RelistNeeded || statusOf(err) === 410) {
          // Expired version: relist at once, as client-go does; but a server that answers 410 to
          // every fresh list's version would make that a hot loop, so repeats back off.
          needList = true;
          this.#opts.onRestart?.("expired", errorText(err));
          if (this.#relistsInARow++ === 0) continue;
          await sleep(this.#opts.clock, this.#backoff.next(), signal);
          continue;
        }
        this.#opts.onRestart?.("error", errorText(err));
        const status = statusOf(err);
        if (!this.#synced && (status === 403 || status === 404)) {
          // Forbidden or not served: an empty cache now (the audit runs on what it can read and
          // says what it could not), the real contents once a retry succeeds.
          this.#unavailable = errorText(err);
          this.#markSynced();
        }
        const retryAfter = retryAfterOf(err);
        const delay = Math.max(this.#backoff.next(), retryAfter !== undefined ? retryAfter * 1000 : 0);
        await sleep(this.#opts.clock, delay, signal);
      }
    }
  }

  async #relist(signal: AbortSignal): Promise<void> {
    const fresh = new Map<string, JsonObject>();
    let rv = "";
    for await (const page of this.#opts.source.list(this.resource, { signal })) {
      for (const item of page.items) {
        const p = this.#opts.project(item);
        fresh.set(objectKey(p), p);
      }
      rv = page.resourceVersion;
      if (signal.aborted) return;
    }
    const report = this.#synced;
    // Diff against what we had: after a 410 the watch missed some changes, deletes included.
    for (const [key, obj] of fresh) {
      const old = this.#store.get(key);
      this.#store.set(key, obj);
      if (!report) continue;
      if (!old) this.#emit({ type: "add", resource: this.resource, key, object: obj });
      else if (!sameProjection(old, obj))
        this.#emit({ type: "update", resource: this.resource, key, object: obj, old });
    }
    for (const [key, old] of this.#store) {
      if (fresh.has(key)) continue;
      this.#store.delete(key);
      if (report) this.#emit({ type: "delete", resource: this.resource, key, object: old });
    }
    this.#rv = rv;
    this.#unavailable = undefined;
    this.#markSynced();
  }

  #markSynced(): void {
    if (this.#synced) return;
    this.#synced = true;
    for (const w of this.#syncWaiters.splice(0)) w();
  }

  /** Consumes one watch stream; returns the number of events seen. */
  async #watch(signal: AbortSignal): Promise<number> {
    let n = 0;
    const stream = this.#opts.source.watch(this.resource, { resourceVersion: this.#rv, signal });
    for await (const ev of stream) {
      if (signal.aborted) break;
      n++;
      if (ev.type === "ERROR") {
        const code = typeof ev.object.code === "number" ? ev.object.code : 500;
        const message = str(ev.object.message) ?? `watch error ${code}`;
        if (code === 410) throw new RelistNeeded(message);
        throw new ApiStatusError(code, message);
      }
      const rv = resourceVersionOf(ev.object);
      if (ev.type === "BOOKMARK") {
        if (rv) this.#rv = rv;
        this.#relistsInARow = 0;
        continue;
      }
      const obj = this.#opts.project(ev.object);
      const key = objectKey(obj);
      const old = this.#store.get(key);
      if (ev.type === "DELETED") {
        if (old) {
          this.#store.delete(key);
          this.#emit({ type: "delete", resource: this.resource, key, object: old });
        }
      } else {
        this.#store.set(key, obj);
        if (!old) this.#emit({ type: "add", resource: this.resource, key, object: obj });
        else if (!sameProjection(old, obj))
          this.#emit({ type: "update", resource: this.resource, key, object: obj, old });
      }
      if (rv) this.#rv = rv;
      // A stream that delivers events is healthy again.
      this.#backoff.reset();
      this.#relistsInARow = 0;
    }
    return n;
  }

  #emit(c: Change): void {
    this.#opts.onChange?.(c);
  }
}
