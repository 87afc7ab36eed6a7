// In-memory stand-ins for the controller's ports, faithful to the API server's semantics where the
// controller depends on them: one resourceVersion counter across resources, watch from a version,
// 410 once history is compacted, bookmarks, paged lists, 409 on stale updates and duplicate creates.
import type { Clock, TimerId } from "../../../src/controller/clock.js";
import {
  ApiStatusError,
  type EventSink,
  type JsonObject,
  type LeaseStore,
  type ListPage,
  type ObjectRef,
  type ObjectSource,
  type ReportStore,
  type ResourceSpec,
  type WatchEvent,
} from "../../../src/controller/ports.js";

/** Lets pending promise chains and async generators run. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

export class FakeClock implements Clock {
  #now: number;
  #timers: Timer[] = [];
  #next = 1;
  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  setTimeout(fn: () => void, ms: number): TimerId {
    const t = { id: this.#next++, at: this.#now + Math.max(0, ms), fn };
    this.#timers.push(t);
    return t.id;
  }
  clearTimeout(id: TimerId): void {
    this.#timers = this.#timers.filter((t) => t.id !== id);
  }
  get pending(): number {
    return this.#timers.length;
  }
  /** Moves time forward, firing due timers in order and letting async work settle after each. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    await settle();
    for (;;) {
      this.#timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const t = this.#timers[0];
      if (!t || t.at > end) break;
      this.#timers.shift();
      this.#now = t.at;
      t.fn();
      await settle();
    }
    this.#now = end;
    await settle();
  }
}

const key = (o: JsonObject) => {
  const md = o.metadata as JsonObject;
  return md.namespace ? `${md.namespace as string}/${md.name as string}` : (md.name as string);
};

const resKey = (r: ResourceSpec) => `${r.group}/${r.resource}`;

interface Watcher {
  res: string;
  push: (e: WatchEvent | null) => void;
}

/** An API server for list + watch: objects per resource and a shared event history. */
export class FakeApi implements ObjectSource {
  rv = 100;
  objects = new Map<string, Map<string, JsonObject>>();
  history: { rv: number; res: string; event: WatchEvent }[] = [];
  /** History before this version is compacted: watching from older versions gets 410. */
  compactedBefore = 0;
  watchers = new Set<Watcher>();
  pageSize = 2;
  lists = 0;
  watches: string[] = [];
  /** Errors thrown by the next watch/list calls (one per call). */
  failWatch: Error[] = [];
  failList: Error[] = [];

  #bucket(res: string): Map<string, JsonObject> {
    let b = this.objects.get(res);
    if (!b) {
      b = new Map();
      this.objects.set(res, b);
    }
    return b;
  }

  #record(res: string, type: "ADDED" | "MODIFIED" | "DELETED", obj: JsonObject): void {
    const event: WatchEvent = { type, object: obj };
    this.history.push({ rv: this.rv, res, event });
    for (const w of this.watchers) if (w.res === res) w.push(event);
  }

  apply(r: ResourceSpec, obj: JsonObject): JsonObject {
    const res = resKey(r);
    const copy = structuredClone(obj);
    copy.metadata ??= {};
    const md = copy.metadata as JsonObject;
    this.rv++;
    md.resourceVersion = String(this.rv);
    md.uid ??= `uid-${md.namespace ?? ""}-${md.name as string}`;
    const b = this.#bucket(res);
    const existed = b.has(key(copy));
    b.set(key(copy), copy);
    this.#record(res, existed ? "MODIFIED" : "ADDED", copy);
    return copy;
  }

  remove(r: ResourceSpec, namespace: string | undefined, name: string): void {
    const res = resKey(r);
    const b = this.#bucket(res);
    const k = namespace ? `${namespace}/${name}` : name;
    const obj = b.get(k);
    if (!obj) return;
    b.delete(k);
    this.rv++;
    const copy = structuredClone(obj);
    (copy.metadata as JsonObject).resourceVersion = String(this.rv);
    this.#record(res, "DELETED", copy);
  }

  /** Changes an object without a watch event reaching anyone (as if missed during a disconnect). */
  silently(fn: () => void): void {
    const saved = this.watchers;
    this.watchers = new Set();
    fn();
    this.watchers = saved;
  }

  bookmark(r: ResourceSpec): void {
    this.rv++;
    const event: WatchEvent = {
      type: "BOOKMARK",
      object: { kind: r.kind, apiVersion: "v1", metadata: { resourceVersion: String(this.rv) } },
    };
    for (const w of this.watchers) if (w.res === resKey(r)) w.push(event);
  }

  compact(): void {
    this.compactedBefore = this.rv;
    this.history = [];
  }

  /** Sends an ERROR 410 on every open watch (etcd compaction seen by a running watch). */
  expireWatches(): void {
    for (const w of this.watchers)
      w.push({
        type: "ERROR",
        object: { kind: "Status", apiVersion: "v1", status: "Failure", code: 410, reason: "Expired" },
      });
  }

  /** Closes every open watch stream, as a server timeout or a dropped connection does. */
  dropWatches(): void {
    for (const w of this.watchers) w.push(null);
  }

  async *list(r: ResourceSpec, _opts: { signal: AbortSignal }): AsyncIterable<ListPage> {
    this.lists++;
    const failure = this.failList.shift();
    if (failure) throw failure;
    const items = [...this.#bucket(resKey(r)).values()].map((o) => structuredClone(o));
    const rv = String(this.rv);
    for (let i = 0; i < Math.max(1, items.length); i += this.pageSize) {
      await Promise.resolve();
      yield { items: items.slice(i, i + this.pageSize), resourceVersion: rv };
    }
  }

  watch(r: ResourceSpec, opts: { resourceVersion: string; signal: AbortSignal }): AsyncIterable<WatchEvent> {
    const res = resKey(r);
    this.watches.push(`${res}@${opts.resourceVersion}`);
    const failure = this.failWatch.shift();
    const from = Number(opts.resourceVersion);
    const queue: (WatchEvent | null)[] = [];
    let wake: (() => void) | undefined;
    const watcher: Watcher = {
      res,
      push: (e) => {
        queue.push(e);
        wake?.();
      },
    };
    const api = this;
    return {
      async *[Symbol.asyncIterator]() {
        if (failure) throw failure;
        if (from < api.compactedBefore) {
          throw new ApiStatusError(410, `too old resource version: ${from}`);
        }
        for (const h of api.history) if (h.res === res && h.rv > from) queue.push(h.event);
        api.watchers.add(watcher);
        const onAbort = () => watcher.push(null);
        opts.signal.addEventListener("abort", onAbort, { once: true });
        try {
          for (;;) {
            while (queue.length === 0) await new Promise<void>((r) => (wake = r));
            const e = queue.shift();
            if (e === null || e === undefined) return;
            yield structuredClone(e);
          }
        } finally {
          api.watchers.delete(watcher);
          opts.signal.removeEventListener("abort", onAbort);
        }
      },
    };
  }
}

const refKey = (r: ObjectRef) => `${r.apiVersion}|${r.kind}|${r.namespace ?? ""}|${r.name}`;
const objRef = (o: JsonObject): ObjectRef => {
  const md = o.metadata as JsonObject;
  const ref: ObjectRef = {
    apiVersion: o.apiVersion as string,
    kind: o.kind as string,
    name: md.name as string,
  };
  if (typeof md.namespace === "string") ref.namespace = md.namespace;
  return ref;
};

/** Report objects with resourceVersion checks; records every write. */
export class MemoryReportStore implements ReportStore {
  objects = new Map<string, JsonObject>();
  writes: string[] = [];
  rv = 1;
  /** Status codes thrown by the next writes (one per call). */
  failWrites: number[] = [];

  #fail(): void {
    const code = this.failWrites.shift();
    if (code !== undefined) throw new ApiStatusError(code, `injected ${code}`);
  }

  async list(apiVersion: string, kind: string): Promise<JsonObject[]> {
    return [...this.objects.values()]
      .filter((o) => o.apiVersion === apiVersion && o.kind === kind)
      .map((o) => structuredClone(o));
  }
  async get(ref: ObjectRef): Promise<JsonObject | undefined> {
    const o = this.objects.get(refKey(ref));
    return o ? structuredClone(o) : undefined;
  }
  async create(obj: JsonObject): Promise<JsonObject> {
    this.#fail();
    const k = refKey(objRef(obj));
    if (this.objects.has(k)) throw new ApiStatusError(409, "already exists");
    const copy = structuredClone(obj);
    (copy.metadata as JsonObject).resourceVersion = String(++this.rv);
    this.objects.set(k, copy);
    this.writes.push(`create ${k}`);
    return structuredClone(copy);
  }
  async update(obj: JsonObject): Promise<JsonObject> {
    this.#fail();
    const k = refKey(objRef(obj));
    const cur = this.objects.get(k);
    if (!cur) throw new ApiStatusError(404, "not found");
    if ((cur.metadata as JsonObject).resourceVersion !== (obj.metadata as JsonObject).resourceVersion)
      throw new ApiStatusError(409, "conflict");
    const copy = structuredClone(obj);
    (copy.metadata as JsonObject).resourceVersion = String(++this.rv);
    this.objects.set(k, copy);
    this.writes.push(`update ${k}`);
    return structuredClone(copy);
  }
  async delete(ref: ObjectRef): Promise<void> {
    this.#fail();
    const k = refKey(ref);
    if (this.objects.delete(k)) this.writes.push(`delete ${k}`);
  }
}

/** One Lease object with optimistic concurrency. */
export class MemoryLeaseStore implements LeaseStore {
  leases = new Map<string, JsonObject>();
  rv = 1;
  /** When set, every call fails (an unreachable API server). */
  down = false;
  updates = 0;

  #check(): void {
    if (this.down) throw new ApiStatusError(503, "unavailable");
  }
  async get(namespace: string, name: string): Promise<JsonObject | undefined> {
    this.#check();
    const l = this.leases.get(`${namespace}/${name}`);
    return l ? structuredClone(l) : undefined;
  }
  async create(lease: JsonObject): Promise<JsonObject> {
    this.#check();
    const md = lease.metadata as JsonObject;
    const k = `${md.namespace as string}/${md.name as string}`;
    if (this.leases.has(k)) throw new ApiStatusError(409, "already exists");
    const copy = structuredClone(lease);
    (copy.metadata as JsonObject).resourceVersion = String(++this.rv);
    this.leases.set(k, copy);
    return structuredClone(copy);
  }
  async update(lease: JsonObject): Promise<JsonObject> {
    this.#check();
    const md = lease.metadata as JsonObject;
    const k = `${md.namespace as string}/${md.name as string}`;
    const cur = this.leases.get(k);
    if (!cur) throw new ApiStatusError(404, "not found");
    if ((cur.metadata as JsonObject).resourceVersion !== md.resourceVersion)
      throw new ApiStatusError(409, "the object has been modified");
    const copy = structuredClone(lease);
    (copy.metadata as JsonObject).resourceVersion = String(++this.rv);
    this.leases.set(k, copy);
    this.updates++;
    return structuredClone(copy);
  }
  spec(namespace: string, name: string): JsonObject | undefined {
    return this.leases.get(`${namespace}/${name}`)?.spec as JsonObject | undefined;
  }
}

export class MemoryEventSink implements EventSink {
  events = new Map<string, JsonObject>();
  calls: string[] = [];
  async create(event: JsonObject): Promise<JsonObject> {
    const md = event.metadata as JsonObject;
    const k = `${md.namespace as string}/${md.name as string}`;
    this.calls.push(`create ${k}`);
    if (this.events.has(k)) throw new ApiStatusError(409, "already exists");
    this.events.set(k, structuredClone(event));
    return event;
  }
  async get(namespace: string, name: string): Promise<JsonObject | undefined> {
    const e = this.events.get(`${namespace}/${name}`);
    return e ? structuredClone(e) : undefined;
  }
  async patch(namespace: string, name: string, patch: JsonObject): Promise<JsonObject> {
    const k = `${namespace}/${name}`;
    this.calls.push(`patch ${k}`);
    const cur = this.events.get(k);
    if (!cur) throw new ApiStatusError(404, "not found");
    Object.assign(cur, structuredClone(patch));
    return cur;
  }
}
