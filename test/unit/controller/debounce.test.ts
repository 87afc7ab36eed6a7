import { describe, expect, it } from "vitest";
import { Debouncer } from "../../../src/controller/debounce.js";
import { FakeClock } from "./fakes.js";

function setup(run?: (keys: ReadonlySet<string>) => Promise<void>) {
  const clock = new FakeClock();
  const batches: { at: number; keys: string[] }[] = [];
  const t0 = clock.now();
  const d = new Debouncer({
    clock,
    waitMs: 500,
    maxWaitMs: 2000,
    run:
      run ??
      (async (keys) => {
        batches.push({ at: clock.now() - t0, keys: [...keys].sort() });
      }),
  });
  return { clock, d, batches, t0 };
}

describe("Debouncer", () => {
  it("runs one batch 500 ms after the last mark, with every key marked meanwhile once", async () => {
    const { clock, d, batches } = setup();
    d.mark("a");
    await clock.advance(300);
    d.mark("b");
    d.mark("a");
    await clock.advance(499);
    expect(batches).toEqual([]);
    await clock.advance(1);
    expect(batches).toEqual([{ at: 800, keys: ["a", "b"] }]);
  });

  it("never holds a change longer than the max wait under a steady trickle", async () => {
    const { clock, d, batches } = setup();
    for (let i = 0; i < 10; i++) {
      d.mark(`k${i}`);
      await clock.advance(400);
    }
    expect(batches[0]?.at).toBe(2000);
    expect(batches[0]?.keys).toHaveLength(5);
    expect(batches[1]?.at).toBe(4000);
  });

  it("does not overlap batches: marks during a run form the next batch", async () => {
    let release!: () => void;
    const runs: string[][] = [];
    const { clock, d } = setup(async (keys) => {
      runs.push([...keys]);
      if (runs.length === 1) await new Promise<void>((r) => (release = r));
    });
    d.mark("a");
    await clock.advance(500);
    expect(runs).toEqual([["a"]]);
    d.mark("b");
    await clock.advance(5000);
    expect(runs).toEqual([["a"]]);
    release();
    await clock.advance(500);
    expect(runs).toEqual([["a"], ["b"]]);
    await d.idle();
  });

  it("marks a failed batch's keys again for the next one", async () => {
    let fail = true;
    const runs: string[][] = [];
    const errors: unknown[] = [];
    const clock = new FakeClock();
    const d = new Debouncer({
      clock,
      waitMs: 500,
      maxWaitMs: 2000,
      onError: (e) => errors.push(e),
      run: async (keys) => {
        runs.push([...keys]);
        if (fail) {
          fail = false;
          throw new Error("engine busy");
        }
      },
    });
    d.mark("a");
    await clock.advance(500);
    await clock.advance(500);
    expect(runs).toEqual([["a"], ["a"]]);
    expect(errors).toHaveLength(1);
  });

  it("does nothing after stop", async () => {
    const { clock, d, batches } = setup();
    d.mark("a");
    await d.stop();
    d.mark("b");
    await clock.advance(10_000);
    expect(batches).toEqual([]);
    expect(clock.pending).toBe(0);
  });
});
