/**
 * Leader election on a coordination.k8s.io/v1 Lease, with the semantics of client-go's
 * tools/leaderelection (https://github.com/kubernetes/client-go/blob/master/tools/leaderelection/leaderelection.go),
 * so replicas of this controller behave like any other Kubernetes controller's:
 * - a candidate takes the Lease when it does not exist, has no holder, or its holder has not renewed
 *   for `leaseDurationSeconds` as measured on the candidate's own clock since it last saw the record
 *   change (clock skew between nodes does not matter);
 * - the leader renews every `retryPeriod`; if no renewal succeeds within `renewDeadline` it stops
 *   leading (and may campaign again);
 * - every write carries the Lease's `resourceVersion`: of two candidates, one wins and the other gets
 *   409 Conflict;
 * - on stop a leader releases the Lease as ReleaseOnCancel does: holder cleared, duration 1 s, so a
 *   standby takes over at its next retry instead of waiting out the lease.
 * Field meanings: https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/lease-v1/
 */
import { isObject, type JsonObject, str } from "../core/workload.js";
import { type Clock, sleep } from "./clock.js";
import { errorText, type LeaseStore, statusOf } from "./ports.js";

export interface LeaderElectorOptions {
  store: LeaseStore;
  namespace: string;
  name: string;
  /** Unique per replica (the pod name, as the downward API gives it). */
  identity: string;
  clock: Clock;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  onStartedLeading?: () => void;
  onStoppedLeading?: () => void;
  /** The holder changed (including to ourselves); "" when released. */
  onNewLeader?: (identity: string) => void;
  onError?: (message: string) => void;
  random?: () => number;
}

/** client-go's defaults (LeaseDuration 15s, RenewDeadline 10s, RetryPeriod 2s), also controller-runtime's. */
export const LEASE_DEFAULTS = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

/** client-go's wait.JitterUntil factor for the acquire loop. */
const JITTER = 1.2;

interface Record {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime: string;
  renewTime: string;
  leaseTransitions: number;
}

/** RFC 3339 with microseconds, as the Lease's MicroTime fields are serialised. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

function recordOf(lease: JsonObject): Record {
  const spec = isObject(lease.spec) ? lease.spec : {};
  return {
    holderIdentity: str(spec.holderIdentity) ?? "",
    leaseDurationSeconds: typeof spec.leaseDurationSeconds === "number" ? spec.leaseDurationSeconds : 0,
    acquireTime: str(spec.acquireTime) ?? "",
    renewTime: str(spec.renewTime) ?? "",
    leaseTransitions: typeof spec.leaseTransitions === "number" ? spec.leaseTransitions : 0,
  };
}

class Timeout extends Error {}

export class LeaderElector {
  readonly #o: LeaderElectorOptions & typeof LEASE_DEFAULTS;
  readonly #abort = new AbortController();
  /** The Lease as last read or written (its resourceVersion is what the next update sends). */
  #lease: JsonObject | undefined;
  #observed: Record | undefined;
  #observedRaw = "";
  #observedTime = 0;
  #reported = "";
  #leading = false;
  #running: Promise<void> | undefined;

  constructor(opts: LeaderElectorOptions) {
    this.#o = { ...LEASE_DEFAULTS, ...opts };
    const { leaseDurationMs: d, renewDeadlineMs: r, retryPeriodMs: p } = this.#o;
    // The same validation as client-go's NewLeaderElector: otherwise two leaders can overlap.
    if (!(d > r && r > JITTER * p && p > 0)) {
      throw new Error("leader election: need leaseDuration > renewDeadline > 1.2 * retryPeriod > 0");
    }
  }

  /** True while this replica holds the Lease. */
  get isLeader(): boolean {
    return this.#leading;
  }

  /** The holder as last observed ("" if none). */
  get leader(): string {
    return this.#observed?.holderIdentity ?? "";
  }

  run(): void {
    this.#running ??= this.#loop();
  }

  /** Stops campaigning or leading; a leader releases the Lease first. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#running;
  }

  async #loop(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      // Acquire: retry with jitter until we hold the Lease.
      while (!signal.aborted) {
        if (await this.#attempt(this.#o.renewDeadlineMs)) break;
        const jittered = this.#o.retryPeriodMs * (1 + JITTER * (this.#o.random ?? Math.random)());
        await sleep(this.#o.clock, jittered, signal);
      }
      if (signal.aborted) break;
      this.#leading = true;
      this.#o.onStartedLeading?.();
      // Renew every retryPeriod; give up when no renewal succeeds within renewDeadline.
      while (!signal.aborted) {
        await sleep(this.#o.clock, this.#o.retryPeriodMs, signal);
        if (signal.aborted) break;
        if (!(await this.#renew(signal))) {
          this.#leading = false;
          this.#o.onError?.(
            `lost the lease ${this.#o.namespace}/${this.#o.name}: no renewal within the deadline`,
          );
          this.#o.onStoppedLeading?.();
          break;
        }
      }
    }
    if (this.#leading) {
      await this.#release();
      this.#leading = false;
      this.#o.onStoppedLeading?.();
    }
  }

  async #renew(signal: AbortSignal): Promise<boolean> {
    const deadline = this.#o.clock.now() + this.#o.renewDeadlineMs;
    for (;;) {
      const left = deadline - this.#o.clock.now();
      if (left <= 0) return false;
      if (await this.#attempt(left)) return true;
      if (signal.aborted) return true; // stopping: the release follows
      if (this.#o.clock.now() + this.#o.retryPeriodMs >= deadline) return false;
      await sleep(this.#o.clock, this.#o.retryPeriodMs, signal);
    }
  }

  /** One tryAcquireOrRenew bounded by `timeoutMs`; errors are a failed attempt. */
  async #attempt(timeoutMs: number): Promise<boolean> {
    let timer: unknown;
    // A request that answers after its attempt timed out must not change what we believe.
    const attempt = { abandoned: false };
    const timeout = new Promise<never>((_, reject) => {
      timer = this.#o.clock.setTimeout(() => {
        attempt.abandoned = true;
        reject(new Timeout("lease request timed out"));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.#tryAcquireOrRenew(attempt), timeout]);
    } catch (err) {
      this.#o.onError?.(`lease ${this.#o.namespace}/${this.#o.name}: ${errorText(err)}`);
      return false;
    } finally {
      this.#o.clock.clearTimeout(timer);
      this.#maybeReportTransition();
    }
  }

  #setObserved(r: Record, lease: JsonObject): void {
    this.#observed = r;
    this.#observedRaw = JSON.stringify(r);
    this.#observedTime = this.#o.clock.now();
    this.#lease = lease;
  }

  #holdsObserved(): boolean {
    return this.#observed?.holderIdentity === this.#o.identity;
  }

  #leaseValid(now: number): boolean {
    if (!this.#observed) return false;
    return this.#observedTime + this.#observed.leaseDurationSeconds * 1000 > now;
  }

  #desired(now: number): Record {
    const t = microTime(now);
    return {
      holderIdentity: this.#o.identity,
      leaseDurationSeconds: Math.floor(this.#o.leaseDurationMs / 1000),
      acquireTime: t,
      renewTime: t,
      leaseTransitions: 0,
    };
  }

  #leaseObject(r: Record, base: JsonObject | undefined): JsonObject {
    const md = base && isObject(base.metadata) ? { ...base.metadata } : {};
    md.name = this.#o.name;
    md.namespace = this.#o.namespace;
    return {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: md,
      spec: { ...(base && isObject(base.spec) ? base.spec : {}), ...r },
    };
  }

  async #tryAcquireOrRenew(attempt: { abandoned: boolean }): Promise<boolean> {
    const observe = (r: Record, lease: JsonObject) => {
      if (!attempt.abandoned) this.#setObserved(r, lease);
    };
    const now = this.#o.clock.now();
    const want = this.#desired(now);
    const { store } = this.#o;

    // Fast path: the leader updates optimistically with the version it last wrote.
    if (this.#holdsObserved() && this.#leaseValid(now) && this.#observed && this.#lease) {
      want.acquireTime = this.#observed.acquireTime;
      want.leaseTransitions = this.#observed.leaseTransitions;
      try {
        const written = await store.update(this.#leaseObject(want, this.#lease));
        observe(want, written);
        return true;
      } catch (err) {
        this.#o.onError?.(`lease renewal conflicted, rereading: ${errorText(err)}`);
      }
    }

    const current = await store.get(this.#o.namespace, this.#o.name);
    if (!current) {
      try {
        const created = await store.create(this.#leaseObject(want, undefined));
        observe(want, created);
        return true;
      } catch (err) {
        // 409: another candidate created it first; we will read it next time.
        if (statusOf(err) !== 409) throw err;
        return false;
      }
    }

    const old = recordOf(current);
    if (attempt.abandoned) return false;
    if (JSON.stringify(old) !== this.#observedRaw) this.#setObserved(old, current);
    else this.#lease = current;
    if (old.holderIdentity !== "" && this.#leaseValid(now) && !this.#holdsObserved()) return false;

    if (this.#holdsObserved()) {
      want.acquireTime = old.acquireTime;
      want.leaseTransitions = old.leaseTransitions;
    } else {
      want.leaseTransitions = old.leaseTransitions + 1;
    }
    try {
      const written = await store.update(this.#leaseObject(want, current));
      observe(want, written);
      return true;
    } catch (err) {
      if (statusOf(err) === 409) return false;
      throw err;
    }
  }

  async #release(): Promise<void> {
    if (!this.#holdsObserved() || !this.#lease || !this.#observed) return;
    const now = microTime(this.#o.clock.now());
    const released: Record = {
      holderIdentity: "",
      leaseDurationSeconds: 1,
      acquireTime: now,
      renewTime: now,
      leaseTransitions: this.#observed.leaseTransitions,
    };
    try {
      const written = await this.#o.store.update(this.#leaseObject(released, this.#lease));
      this.#setObserved(released, written);
    } catch (err) {
      this.#o.onError?.(`could not release lease ${this.#o.namespace}/${this.#o.name}: ${errorText(err)}`);
    }
    this.#maybeReportTransition();
  }

  #maybeReportTransition(): void {
    const holder = this.#observed?.holderIdentity ?? "";
    if (holder === this.#reported) return;
    this.#reported = holder;
    this.#o.onNewLeader?.(holder);
  }
}
