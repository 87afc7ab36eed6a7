/**
 * Collects dirty keys and runs one batch after things go quiet: `waitMs` after the last mark, but
 * never later than `maxWaitMs` after the first mark of the batch (so a steady trickle of changes
 * still gets published). Batches never overlap: marks that arrive while one runs form the next.
 */
import type { Clock, TimerId } from "./clock.js";

export interface DebouncerOptions {
  clock: Clock;
  waitMs: number;
  maxWaitMs: number;
  run: (keys: ReadonlySet<string>) => Promise<void>;
  /** A failed batch is logged here; its keys are marked again for the next one. */
  onError?: (err: unknown) => void;
}

export class Debouncer {
  #pending = new Set<string>();
  #firstMark: number | undefined;
  #timer: TimerId | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  #idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: DebouncerOptions) {}

  mark(key: string): void {
    if (this.#stopped) return;
    this.#pending.add(key);
    this.#firstMark ??= this.opts.clock.now();
    if (!this.#running) this.#schedule();
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Resolves when nothing is pending or running. */
  idle(): Promise<void> {
    if (!this.#running && this.#pending.size === 0) return Promise.resolve();
    return new Promise((r) => this.#idleWaiters.push(r));
  }

  /** Runs the pending batch now (and waits for it). */
  async flush(): Promise<void> {
    if (this.#running) await this.#running;
    if (this.#pending.size > 0) await this.#fire();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) this.opts.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  #schedule(): void {
    if (this.#timer !== undefined) this.opts.clock.clearTimeout(this.#timer);
    const now = this.opts.clock.now();
    const deadline = (this.#firstMark ?? now) + this.opts.maxWaitMs;
    const delay = Math.max(0, Math.min(this.opts.waitMs, deadline - now));
    this.#timer = this.opts.clock.setTimeout(() => {
      this.#timer = undefined;
      void this.#fire();
    }, delay);
  }

  async #fire(): Promise<void> {
    if (this.#stopped || this.#running) return;
    if (this.#timer !== undefined) this.opts.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending;
    this.#pending = new Set();
    this.#firstMark = undefined;
    const run = (async () => {
      try {
        await this.opts.run(batch);
      } catch (err) {
        this.opts.onError?.(err);
        if (!this.#stopped) for (const k of batch) this.#pending.add(k);
        this.#firstMark ??= this.opts.clock.now();
      }
    })();
    this.#running = run;
    await run;
    this.#running = undefined;
    if (this.#pending.size > 0 && !this.#stopped) this.#schedule();
    else for (const w of this.#idleWaiters.splice(0)) w();
  }
}
