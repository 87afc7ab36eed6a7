import { describe, expect, it } from "vitest";
import { TtlCache } from "../../../src/controller/ttl-cache.js";
import { FakeClock } from "./fakes.js";

const DIGEST = "sha256:0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a";

describe("TtlCache", () => {
  it("serves an entry until its TTL passes, then computes again", async () => {
    const clock = new FakeClock();
    const cache = new TtlCache<string>({ clock, ttlMs: 60_000, maxEntries: 10 });
    let computed = 0;
    const compute = async () => `verdict ${++computed}`;
    expect(await cache.getOrCompute(DIGEST, compute)).toBe("verdict 1");
    await clock.advance(59_999);
    expect(await cache.getOrCompute(DIGEST, compute)).toBe("verdict 1");
    await clock.advance(1);
    expect(await cache.getOrCompute(DIGEST, compute)).toBe("verdict 2");
    expect(cache.stats()).toEqual({ hits: 1, misses: 2, size: 1 });
  });

  it("shares one computation between concurrent lookups and does not cache failures", async () => {
    const clock = new FakeClock();
    const cache = new TtlCache<number>({ clock, ttlMs: 1000, maxEntries: 10 });
    let calls = 0;
    let release!: (v: number) => void;
    const slow = () => {
      calls++;
      return new Promise<number>((r) => (release = r));
    };
    const a = cache.getOrCompute("k", slow);
    const b = cache.getOrCompute("k", slow);
    release(7);
    expect(await Promise.all([a, b])).toEqual([7, 7]);
    expect(calls).toBe(1);
    await expect(cache.getOrCompute("bad", async () => Promise.reject(new Error("401")))).rejects.toThrow(
      "401",
    );
    expect(await cache.getOrCompute("bad", async () => 1)).toBe(1);
  });

  it("evicts the least recently used entry beyond its bound", () => {
    const clock = new FakeClock();
    const cache = new TtlCache<number>({ clock, ttlMs: 1000, maxEntries: 2 });
    cache.set("a", 1);
    cache.set("b", 2);
    expect(cache.get("a")).toBe(1);
    cache.set("c", 3);
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")).toBe(1);
    expect(cache.size).toBe(2);
  });
});
