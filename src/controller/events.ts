/**
 * Kubernetes Events on offending workloads, one per finding. Core v1 Events
 * (https://kubernetes.io/docs/reference/generated/kubernetes-api/v1.35/#event-v1-core) are what
 * `kubectl get events` and `kubectl describe` show, with `count` and `lastTimestamp`.
 *
 * Deduplicated as client-go's event correlator does
 * (https://github.com/kubernetes/client-go/blob/master/tools/record/events_cache.go): a finding seen
 * again refreshes its Event with a patch of `count` and `lastTimestamp` instead of a new Event. The
 * Event's name is derived from the finding, so a restarted or newly elected replica finds the same
 * Event (409 on create) and refreshes it rather than adding a duplicate. Refreshes are spaced by
 * `refreshMs` so a busy workload does not turn every re-audit into a write.
 */
import { createHash } from "node:crypto";
import { type Finding, type Severity, severityRank } from "../core/types.js";
import type { JsonObject } from "../core/workload.js";
import { type Clock, sleep } from "./clock.js";
import { type EventSink, errorText, statusOf } from "./ports.js";
import type { SubjectRef } from "./subjects.js";

export const EVENT_SOURCE = "kube-runtime-audit";

/** Identity of a finding across audits: rule, subject, container, image, runtime. */
export function findingKey(f: Finding): string {
  const s = f.subject;
  return [
    f.ruleId,
    s.kind,
    s.namespace ?? "",
    s.name,
    s.container ?? "",
    s.image ?? "",
    f.runtime ?? "",
  ].join("|");
}

/** "docker-socket-mount" -> "DockerSocketMount": Event reasons are UpperCamelCase words. */
export function reasonOf(slug: string): string {
  return slug
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]?.toUpperCase() + w.slice(1))
    .join("");
}

/** `<object name>.<16 hex of the finding key>`: a valid, stable DNS subdomain name. */
export function eventName(objectName: string, key: string): string {
  const hash = createHash("sha256").update(key).digest("hex").slice(0, 16);
  return `${objectName.slice(0, 253 - 17)}.${hash}`;
}

export interface EventRecorderOptions {
  sink: EventSink;
  clock: Clock;
  /** `reportingInstance`: this replica's identity. */
  instance: string;
  /** Findings below this severity get no Event; "none" turns Events off. */
  minSeverity: Severity | "none";
  refreshMs?: number;
  /**
   * Event API calls per second, with a burst (default: no bound). Writes beyond it wait in a queue
   * (one entry per finding, the latest wins), so a first sync with thousands of findings spreads
   * its Events over time instead of sending them at once.
   */
  rate?: { perSecond: number; burst: number };
  onError?: (message: string) => void;
}

interface Seen {
  namespace: string;
  name: string;
  count: number;
  refreshedAt: number;
}

/**
 * A token bucket (as client-go's flowcontrol rate limiter): `burst` calls at once, then one every
 * 1/perSecond seconds. `take` waits on the injected clock.
 */
export class TokenBucket {
  #tokens: number;
  #at: number;

  constructor(
    private readonly clock: Clock,
    private readonly perSecond: number,
    private readonly burst: number,
  ) {
    this.#tokens = burst;
    this.#at = clock.now();
  }

  async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#at) / 1000) * this.perSecond);
      this.#at = now;
      if (this.#tokens >= 1) {
        this.#tokens -= 1;
        return;
      }
      await sleep(this.clock, Math.ceil(((1 - this.#tokens) / this.perSecond) * 1000), signal);
      if (signal?.aborted) return;
    }
  }
}

interface Pending {
  f: Finding;
  involved?: SubjectRef;
}

export class EventRecorder {
  readonly #seen = new Map<string, Seen>();
  readonly #pending = new Map<string, Pending>();
  readonly #o: EventRecorderOptions;
  readonly #bucket: TokenBucket | undefined;
  readonly #abort = new AbortController();
  #draining: Promise<void> | undefined;
  #writes = 0;
  #prepaid = false;

  constructor(opts: EventRecorderOptions) {
    this.#o = opts;
    this.#bucket = opts.rate ? new TokenBucket(opts.clock, opts.rate.perSecond, opts.rate.burst) : undefined;
  }

  /** Event API writes (creates and patches) sent so far. */
  get writes(): number {
    return this.#writes;
  }

  /** Findings waiting for their Event write. */
  get pending(): number {
    return this.#pending.size;
  }

  /**
   * Queues Events for the findings of freshly audited subjects: a new finding gets one, a finding
   * whose Event was refreshed within `refreshMs` gets nothing. `resolve` gives the involved object's
   * reference (apiVersion, uid) from the cache. Returns how many were queued; `idle()` waits for them.
   */
  record(findings: readonly Finding[], resolve: (s: SubjectRef) => SubjectRef | undefined): number {
    if (this.#o.minSeverity === "none" || this.#abort.signal.aborted) return 0;
    const min = severityRank(this.#o.minSeverity);
    const now = this.#o.clock.now();
    let queued = 0;
    for (const f of findings) {
      if (f.suppressed || severityRank(f.severity) < min || !f.subject.namespace) continue;
      const key = findingKey(f);
      const seen = this.#seen.get(key);
      if (seen) {
        if (now - seen.refreshedAt < (this.#o.refreshMs ?? 600_000)) continue;
        this.#pending.set(key, { f });
      } else {
        const involved = resolve({
          kind: f.subject.kind,
          namespace: f.subject.namespace,
          name: f.subject.name,
        });
        if (!involved) continue;
        this.#pending.set(key, { f, involved });
      }
      queued++;
    }
    if (this.#pending.size > 0) this.#draining ??= this.#drain().finally(() => (this.#draining = undefined));
    return queued;
  }

  /** Resolves once every queued Event was written (or failed). */
  async idle(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  /** Drops what is queued (this replica stopped leading). */
  clear(): void {
    this.#pending.clear();
  }

  /** Drops the queue and stops writing; resolves when the write in flight ended. */
  async stop(): Promise<void> {
    this.#abort.abort();
    this.#pending.clear();
    await this.#draining;
  }

  /** Forgets findings that are gone, so a finding that comes back is announced again. */
  forget(keep: (key: string) => boolean): void {
    for (const k of this.#seen.keys()) if (!keep(k)) this.#seen.delete(k);
    for (const k of this.#pending.keys()) if (!keep(k)) this.#pending.delete(k);
  }

  async #drain(): Promise<void> {
    for (;;) {
      if (this.#pending.size === 0 || this.#abort.signal.aborted) return;
      // The token first, the entry after: a finding that went away while waiting is not written.
      try {
        await this.#token();
      } catch {
        return;
      }
      const next = this.#pending.entries().next();
      if (next.done) return;
      this.#prepaid = true;
      const [key, item] = next.value;
      this.#pending.delete(key);
      const f = item.f;
      try {
        const seen = this.#seen.get(key);
        if (seen) await this.#refresh(seen, f);
        else if (item.involved) await this.#create(key, f, item.involved);
      } catch (err) {
        if (this.#abort.signal.aborted) return;
        this.#o.onError?.(
          `event for ${f.ruleId} on ${f.subject.kind} ${f.subject.namespace}/${f.subject.name}: ${errorText(err)}`,
        );
      }
    }
  }

  /** One API call's token (none when unbounded); the first call of an entry was paid by #drain. */
  async #token(): Promise<void> {
    if (this.#prepaid) {
      this.#prepaid = false;
      return;
    }
    await this.#bucket?.take(this.#abort.signal);
    if (this.#abort.signal.aborted) throw new Error("stopped");
  }

  async #create(key: string, f: Finding, involved: SubjectRef): Promise<void> {
    const namespace = f.subject.namespace as string;
    const name = eventName(f.subject.name, key);
    await this.#token();
    const now = this.#o.clock.now();
    const ts = eventTime(now);
    const involvedObject: JsonObject = { kind: involved.kind, namespace, name: involved.name };
    if (involved.apiVersion) involvedObject.apiVersion = involved.apiVersion;
    if (involved.uid) involvedObject.uid = involved.uid;
    const event: JsonObject = {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name, namespace, labels: { "app.kubernetes.io/managed-by": EVENT_SOURCE } },
      involvedObject,
      reason: reasonOf(f.slug),
      message: eventMessage(f),
      type: "Warning",
      source: { component: EVENT_SOURCE },
      reportingComponent: EVENT_SOURCE,
      reportingInstance: this.#o.instance,
      action: "Audit",
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
    };
    try {
      await this.#o.sink.create(event);
      this.#writes++;
      this.#seen.set(key, { namespace, name, count: 1, refreshedAt: now });
    } catch (err) {
      if (statusOf(err) !== 409) throw err;
      // Written by an earlier run or another leader: adopt it. It is refreshed (count + 1) only when
      // its lastTimestamp is older than the refresh interval or its message changed, so a restart or
      // a leader change repeats nothing.
      await this.#token();
      const existing = await this.#o.sink.get(namespace, name);
      const count = typeof existing?.count === "number" ? existing.count : 1;
      const last = Date.parse(typeof existing?.lastTimestamp === "string" ? existing.lastTimestamp : "");
      const seen: Seen = { namespace, name, count, refreshedAt: Number.isNaN(last) ? 0 : last };
      this.#seen.set(key, seen);
      const fresh = now - seen.refreshedAt < (this.#o.refreshMs ?? 600_000);
      if (!existing || !fresh || existing.message !== eventMessage(f)) await this.#refresh(seen, f);
    }
  }

  /** The same Event seen again: count and lastTimestamp patched, as client-go's correlator does. */
  async #refresh(seen: Seen, f: Finding): Promise<void> {
    await this.#token();
    const now = this.#o.clock.now();
    seen.count++;
    seen.refreshedAt = now;
    try {
      await this.#o.sink.patch(seen.namespace, seen.name, {
        count: seen.count,
        lastTimestamp: eventTime(now),
        message: eventMessage(f),
      });
      this.#writes++;
    } catch (err) {
      // The Event expired (the API server's event TTL, 1 h by default): announce it again next time.
      if (statusOf(err) === 404) {
        this.#seen.delete(findingKey(f));
        return;
      }
      throw err;
    }
  }
}

/** metav1.Time: RFC 3339 in whole seconds. */
function eventTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function eventMessage(f: Finding): string {
  const where = f.subject.container ? `container ${f.subject.container}: ` : "";
  // The API server limits an Event message to 1 KiB
  // (https://github.com/kubernetes/kubernetes/blob/master/pkg/apis/core/validation/events.go).
  const text = `${f.ruleId} ${f.slug} (${f.severity}${f.runtime ? `, ${f.runtime}` : ""}): ${where}${f.message}`;
  return text.length > 1024 ? `${text.slice(0, 1021)}...` : text;
}
