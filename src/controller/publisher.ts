/**
 * Applies the planner's writes and remembers what exists. On becoming leader it reads the report
 * objects already in the cluster (adopts them), so a restart or a leader change updates those
 * objects instead of creating duplicates, and writes nothing when their content is already right.
 */
import type { Coverage, ImageReport } from "../core/report.js";
import type { Finding } from "../core/types.js";
import { isObject, type JsonObject, str } from "../core/workload.js";
import {
  errorText,
  type ObjectRef,
  type ReportPlanner,
  type ReportStore,
  statusOf,
  type WriteOp,
} from "./ports.js";

export function refOf(obj: JsonObject): ObjectRef {
  const md = isObject(obj.metadata) ? obj.metadata : {};
  const ref: ObjectRef = {
    apiVersion: str(obj.apiVersion) ?? "",
    kind: str(obj.kind) ?? "",
    name: str(md.name) ?? "",
  };
  const ns = str(md.namespace);
  if (ns) ref.namespace = ns;
  return ref;
}

export function refKey(r: ObjectRef): string {
  return `${r.apiVersion}|${r.kind}|${r.namespace ?? ""}|${r.name}`;
}

export function refText(r: ObjectRef): string {
  return `${r.kind} ${r.namespace ? `${r.namespace}/` : ""}${r.name}`;
}

export interface PublishResult {
  writes: number;
  /** Writes that failed (403, 5xx, conflicts): the caller retries the whole publish later. */
  errors: string[];
}

export class Publisher {
  readonly #existing = new Map<string, JsonObject>();
  #adopted = false;

  constructor(
    private readonly store: ReportStore,
    private readonly planner: ReportPlanner,
  ) {}

  get adopted(): boolean {
    return this.#adopted;
  }

  /** Forgets what it knew (on losing leadership: another replica may write meanwhile). */
  reset(): void {
    this.#existing.clear();
    this.#adopted = false;
  }

  /** Reads the report objects that exist now. */
  async adopt(): Promise<void> {
    this.#existing.clear();
    for (const k of this.planner.managedKinds()) {
      const items = await this.store.list(
        k.apiVersion,
        k.kind,
        k.labelSelector ? { labelSelector: k.labelSelector } : {},
      );
      for (const o of items) this.#existing.set(refKey(refOf(o)), o);
    }
    this.#adopted = true;
  }

  existing(): JsonObject[] {
    return [...this.#existing.values()];
  }

  /** Plans and applies; every write is attempted, failures are collected. */
  async publish(
    findings: readonly Finding[],
    now: Date,
    images?: readonly ImageReport[],
    coverage?: Coverage,
  ): Promise<PublishResult> {
    if (!this.#adopted) await this.adopt();
    const desired = this.planner.desired(findings, now, images, coverage);
    const ops = this.planner.plan(this.existing(), desired);
    const result: PublishResult = { writes: 0, errors: [] };
    for (const op of ops) {
      if (op.op === "none") continue;
      try {
        await this.#apply(op);
        result.writes++;
      } catch (err) {
        const ref = refOf(op.object);
        result.errors.push(`${op.op} ${refText(ref)}: ${errorText(err)}`);
        // Our view of that object is stale (409, or it was created/deleted behind our back):
        // read it again so the retry plans against the truth.
        const status = statusOf(err);
        if (status === 409 || status === 404) await this.#refresh(ref);
      }
    }
    return result;
  }

  async #refresh(ref: ObjectRef): Promise<void> {
    try {
      const cur = await this.store.get(ref);
      if (cur) this.#existing.set(refKey(ref), cur);
      else this.#existing.delete(refKey(ref));
    } catch {
      // Next publish re-adopts everything.
      this.#adopted = false;
    }
  }

  async #apply(op: WriteOp): Promise<void> {
    const key = refKey(refOf(op.object));
    if (op.op === "delete") {
      await this.store.delete(refOf(op.object));
      this.#existing.delete(key);
      return;
    }
    if (op.op === "create") {
      const created = await this.store.create(op.object);
      this.#existing.set(key, created);
      return;
    }
    // An update must carry the version we read, whatever the planner copied over.
    const prev = this.#existing.get(key);
    const prevRv = prev && isObject(prev.metadata) ? str(prev.metadata.resourceVersion) : undefined;
    const obj = op.object;
    const md = isObject(obj.metadata) ? { ...obj.metadata } : {};
    if (prevRv && !str(md.resourceVersion)) md.resourceVersion = prevRv;
    const updated = await this.store.update({ ...obj, metadata: md });
    this.#existing.set(key, updated);
  }
}
