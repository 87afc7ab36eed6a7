/** A counting semaphore: at most `limit` holders; waiters are served in arrival order. */
export class Semaphore {
  #active = 0;
  readonly #waiters: (() => void)[] = [];
  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError(`concurrency limit must be >= 1, got ${limit}`);
  }

  async acquire(): Promise<() => void> {
    if (this.#active >= this.limit) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    else this.#active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiters.shift();
      // Hand the slot straight to the next waiter (the count stays the same).
      if (next) next();
      else this.#active--;
    };
  }

  get active(): number {
    return this.#active;
  }
}

/** One semaphore per key (registry host), created on demand. */
export class KeyedSemaphores {
  readonly #map = new Map<string, Semaphore>();
  constructor(readonly limit: number) {}
  get(key: string): Semaphore {
    let s = this.#map.get(key);
    if (!s) {
      s = new Semaphore(this.limit);
      this.#map.set(key, s);
    }
    return s;
  }
}
