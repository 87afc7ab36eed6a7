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
import type { Clock } from "./clock.js";
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
  onError?: (message: string) => void;
}

interface Seen {
  namespace: string;
  name: string;
  count: number;
  refreshedAt: number;
}

export class EventRecorder {
  readonly #seen = new Map<string, Seen>();
  readonly #o: EventRecorderOptions;

  constructor(opts: EventRecorderOptions) {
    this.#o = opts;
  }

  /**
   * Records Events for the findings of freshly audited subjects. `resolve` gives the involved
   * object's reference (apiVersion, uid) from the cache.
   */
  async record(
    findings: readonly Finding[],
    resolve: (s: SubjectRef) => SubjectRef | undefined,
  ): Promise<number> {
    if (this.#o.minSeverity === "none") return 0;
    const min = severityRank(this.#o.minSeverity);
    const now = this.#o.clock.now();
    let writes = 0;
    for (const f of findings) {
      if (f.suppressed || severityRank(f.severity) < min || !f.subject.namespace) continue;
      const key = findingKey(f);
      const seen = this.#seen.get(key);
      try {
        if (seen) {
          if (now - seen.refreshedAt < (this.#o.refreshMs ?? 600_000)) continue;
          await this.#refresh(seen, f, now);
          writes++;
          continue;
        }
        const involved = resolve({
          kind: f.subject.kind,
          namespace: f.subject.namespace,
          name: f.subject.name,
        });
        if (!involved) continue;
        await this.#create(key, f, involved, now);
        writes++;
      } catch (err) {
        this.#o.onError?.(
          `event for ${f.ruleId} on ${f.subject.kind} ${f.subject.namespace}/${f.subject.name}: ${errorText(err)}`,
        );
      }
    }
    return writes;
  }

  /** Forgets findings that are gone, so a finding that comes back is announced again. */
  forget(keep: (key: string) => boolean): void {
    for (const k of this.#seen.keys()) if (!keep(k)) this.#seen.delete(k);
  }

  async #create(key: string, f: Finding, involved: SubjectRef, now: number): Promise<void> {
    const namespace = f.subject.namespace as string;
    const name = eventName(f.subject.name, key);
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
      this.#seen.set(key, { namespace, name, count: 1, refreshedAt: now });
    } catch (err) {
      if (statusOf(err) !== 409) throw err;
      // Written by an earlier run or another leader: refresh it instead, counting on from its count.
      const existing = await this.#o.sink.get(namespace, name);
      const count = typeof existing?.count === "number" ? existing.count : 1;
      const seen: Seen = { namespace, name, count, refreshedAt: now };
      this.#seen.set(key, seen);
      await this.#refresh(seen, f, now);
    }
  }

  async #refresh(seen: Seen, f: Finding, now: number): Promise<void> {
    seen.count++;
    seen.refreshedAt = now;
    const ts = eventTime(now);
    try {
      await this.#o.sink.patch(seen.namespace, seen.name, {
        count: seen.count,
        lastTimestamp: ts,
        message: eventMessage(f),
      });
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
