/**
 * Time as a dependency: every wait in the controller (debounce, backoff, lease renewal) goes
 * through a Clock, so tests drive it with a fake one instead of sleeping.
 */

export type TimerId = unknown;

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerId;
  clearTimeout(id: TimerId): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // A pending retry or debounce must not keep the process alive after stop().
    t.unref();
    return t;
  },
  clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
};

/** Resolves after `ms`, or as soon as `signal` aborts (callers check the signal afterwards). */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      clock.clearTimeout(id);
      resolve();
    };
    const id = clock.setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Exponential backoff with jitter, as client-go's wait.Backoff: base * factor^n, capped, plus up to
 * `jitter` of itself (https://pkg.go.dev/k8s.io/apimachinery/pkg/util/wait#Backoff).
 */
export class Backoff {
  #attempt = 0;
  constructor(
    private readonly opts: { baseMs: number; maxMs: number; factor?: number; jitter?: number } = {
      baseMs: 800,
      maxMs: 30_000,
    },
    private readonly random: () => number = Math.random,
  ) {}

  /** The next delay; grows with each call until reset(). */
  next(): number {
    const factor = this.opts.factor ?? 2;
    const base = Math.min(this.opts.maxMs, this.opts.baseMs * factor ** this.#attempt);
    this.#attempt++;
    const jitter = this.opts.jitter ?? 0.1;
    return Math.round(Math.min(this.opts.maxMs, base + base * jitter * this.random()));
  }

  reset(): void {
    this.#attempt = 0;
  }

  get attempts(): number {
    return this.#attempt;
  }
}
