import { afterEach, describe, expect, it } from "vitest";
import { LeaderElector, microTime } from "../../../src/controller/leader.js";
import type { JsonObject } from "../../../src/controller/ports.js";
import { FakeClock, MemoryLeaseStore, settle } from "./fakes.js";

const NS = "runtime-audit";
const NAME = "kube-runtime-audit";

let electors: LeaderElector[] = [];
afterEach(async () => {
  for (const e of electors) await e.stop();
  electors = [];
});

function elector(store: MemoryLeaseStore, clock: FakeClock, identity: string, log: string[]) {
  const e = new LeaderElector({
    store,
    clock,
    namespace: NS,
    name: NAME,
    identity,
    // No jitter: retries happen exactly every 2 s, so the test can count them.
    random: () => 0,
    onStartedLeading: () => log.push(`${identity} started`),
    onStoppedLeading: () => log.push(`${identity} stopped`),
  });
  electors.push(e);
  return e;
}

describe("LeaderElector", () => {
  it("elects exactly one of two candidates and writes a client-go shaped Lease", async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore();
    const log: string[] = [];
    const a = elector(store, clock, "pod-a", log);
    const b = elector(store, clock, "pod-b", log);
    a.run();
    b.run();
    await clock.advance(10_000);
    expect([a.isLeader, b.isLeader].filter(Boolean)).toHaveLength(1);
    expect(a.isLeader).toBe(true);
    expect(b.leader).toBe("pod-a");
    expect(log).toEqual(["pod-a started"]);
    const spec = store.spec(NS, NAME) as JsonObject;
    expect(spec.holderIdentity).toBe("pod-a");
    expect(spec.leaseDurationSeconds).toBe(15);
    expect(spec.leaseTransitions).toBe(0);
    // Acquired at t0 and renewed every 2 s since: acquireTime stays, renewTime moves.
    expect(spec.acquireTime).toBe(microTime(Date.UTC(2026, 0, 1)));
    expect(spec.renewTime).toBe(microTime(Date.UTC(2026, 0, 1) + 10_000));
    expect(spec.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it("a standby takes over within the lease duration once the leader stops renewing", async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore();
    const log: string[] = [];
    const a = elector(store, clock, "pod-a", log);
    a.run();
    await clock.advance(100);
    expect(a.isLeader).toBe(true);
    const b = elector(store, clock, "pod-b", log);
    b.run();
    await clock.advance(4000);
    expect(b.isLeader).toBe(false);

    // pod-a's node is partitioned: its writes fail, the Lease stays as it last renewed it.
    const frozenAt = clock.now();
    const realUpdate = store.update.bind(store);
    store.update = async (lease) => {
      if ((lease.spec as JsonObject).holderIdentity === "pod-a") throw new Error("connection refused");
      return realUpdate(lease);
    };
    await clock.advance(16_000 + 2_000);
    expect(b.isLeader).toBe(true);
    const spec = store.spec(NS, NAME) as JsonObject;
    expect(spec.holderIdentity).toBe("pod-b");
    expect(spec.leaseTransitions).toBe(1);
    // b saw the record last change at most one retry after a's last renewal and waited 15 s after that.
    const takenAt = Date.parse(spec.acquireTime as string);
    expect(takenAt - frozenAt).toBeGreaterThanOrEqual(15_000);
    expect(takenAt - frozenAt).toBeLessThanOrEqual(15_000 + 2 * 2_000);
    // a could not renew within its 10 s deadline and stopped leading before b took over.
    expect(a.isLeader).toBe(false);
    expect(log).toEqual(["pod-a started", "pod-a stopped", "pod-b started"]);
  });

  it("releases the Lease on stop, so the standby takes over at its next retry", async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore();
    const log: string[] = [];
    const a = elector(store, clock, "pod-a", log);
    a.run();
    await clock.advance(100);
    const b = elector(store, clock, "pod-b", log);
    b.run();
    await clock.advance(3000);
    await a.stop();
    const released = store.spec(NS, NAME) as JsonObject;
    expect(released.holderIdentity).toBe("");
    expect(released.leaseDurationSeconds).toBe(1);
    expect(a.isLeader).toBe(false);
    await clock.advance(2100);
    expect(b.isLeader).toBe(true);
    expect((store.spec(NS, NAME) as JsonObject).leaseTransitions).toBe(1);
  });

  it("loses a write race with 409 and does not lead", async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore();
    await store.create({
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: NAME, namespace: NS },
      spec: {
        holderIdentity: "old",
        leaseDurationSeconds: 15,
        renewTime: microTime(clock.now()),
        acquireTime: microTime(clock.now()),
        leaseTransitions: 4,
      },
    });
    const log: string[] = [];
    const a = elector(store, clock, "pod-a", log);
    // Right before pod-a's takeover write lands, another candidate takes the Lease.
    const realUpdate = store.update.bind(store);
    let raced = false;
    store.update = async (lease) => {
      if (!raced) {
        raced = true;
        const cur = (await store.get(NS, NAME)) as JsonObject;
        (cur.spec as JsonObject).holderIdentity = "pod-c";
        (cur.spec as JsonObject).renewTime = microTime(clock.now());
        await realUpdate(cur);
      }
      return realUpdate(lease);
    };
    a.run();
    await clock.advance(16_000);
    expect(raced).toBe(true);
    expect(a.isLeader).toBe(false);
    expect((store.spec(NS, NAME) as JsonObject).holderIdentity).toBe("pod-c");
    expect(log).toEqual([]);
    // pod-c never renews: 15 s after pod-a saw that record, pod-a takes over.
    await clock.advance(18_000);
    expect(a.isLeader).toBe(true);
    expect((store.spec(NS, NAME) as JsonObject).leaseTransitions).toBe(5);
  });

  it("does not take a lease whose holder keeps renewing, however long it waits", async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore();
    const log: string[] = [];
    const a = elector(store, clock, "pod-a", log);
    a.run();
    await settle();
    const b = elector(store, clock, "pod-b", log);
    b.run();
    await clock.advance(120_000);
    expect(a.isLeader).toBe(true);
    expect(b.isLeader).toBe(false);
    expect(store.updates).toBeGreaterThan(50);
  });

  it("stops leading when renewals hang past the renew deadline", async () => {
    const clock = new FakeClock();
    const store = new MemoryLeaseStore();
    const log: string[] = [];
    const a = elector(store, clock, "pod-a", log);
    a.run();
    await clock.advance(100);
    expect(a.isLeader).toBe(true);
    const realUpdate = store.update.bind(store);
    const hung: (() => void)[] = [];
    store.update = (lease) =>
      new Promise((resolve, reject) => hung.push(() => realUpdate(lease).then(resolve, reject)));
    await clock.advance(2000 + 10_000);
    expect(a.isLeader).toBe(false);
    expect(log).toEqual(["pod-a started", "pod-a stopped"]);
    // The API server answers again: with nobody else holding the Lease, pod-a leads again.
    store.update = realUpdate;
    for (const h of hung.splice(0)) h();
    await clock.advance(12_000);
    expect(a.isLeader).toBe(true);
  });

  it("refuses timings that allow two leaders", () => {
    expect(
      () =>
        new LeaderElector({
          store: new MemoryLeaseStore(),
          clock: new FakeClock(),
          namespace: NS,
          name: NAME,
          identity: "x",
          leaseDurationMs: 10_000,
          renewDeadlineMs: 10_000,
        }),
    ).toThrow(/leaseDuration > renewDeadline/);
  });
});
