/**
 * The controller's object source on the cluster client: paged lists and watch streams
 * (https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes).
 * Typed structurally after src/controller/ports.ts (`ObjectSource`), which src/kube may not import:
 * the controller wires it in. Failures are KubeErrors carrying `status` (403, 404, 410, 429…),
 * which is what the controller's informer reads to decide between relist, backoff and "unavailable".
 */
import type { JsonObject } from "../core/workload.js";
import type { ClusterClient } from "./client.js";
import { KubeError } from "./errors.js";
import type { ResourceRef } from "./resources.js";

export interface WatchedRef extends ResourceRef {
  fieldSelector?: string;
  labelSelector?: string;
}

export interface SourcePage {
  items: JsonObject[];
  resourceVersion: string;
}

export interface SourceEvent {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK";
  object: JsonObject;
}

/** Lists and watches through one ClusterClient (its auth, retries and request bound). */
export class KubeObjectSource {
  readonly #client: ClusterClient;
  /** Watches end server-side after this long, so a silently dead connection is noticed (client-go: 5–10 min). */
  readonly #timeoutSeconds: number;

  constructor(client: ClusterClient, opts: { watchTimeoutSeconds?: number } = {}) {
    this.#client = client;
    this.#timeoutSeconds = opts.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 300);
  }

  /**
   * The list, handed on page by page as the client reads it (`limit` 500 + `continue`), so the
   * caller can project each page and let the raw objects go: at 50,000 pods holding the whole raw
   * list first would double the controller's peak memory. The pages carry no resourceVersion; a
   * last, empty page carries the list's. When the client had to restart the list (an expired
   * continue token), items of the abandoned attempt were already handed on: that is reported as a
   * 410 ("expired") so the caller lists again from scratch.
   */
  async *list(resource: WatchedRef, opts: { signal: AbortSignal }): AsyncGenerator<SourcePage> {
    if (opts.signal.aborted) return;
    const pageSize = 500;
    const queue: JsonObject[][] = [];
    let batch: JsonObject[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    let failure: unknown;
    let rv = "";
    void this.#client
      .list(resource, {
        ...(resource.fieldSelector ? { fieldSelector: resource.fieldSelector } : {}),
        ...(resource.labelSelector ? { labelSelector: resource.labelSelector } : {}),
        map: (item) => {
          batch.push(item);
          if (batch.length >= pageSize) {
            queue.push(batch);
            batch = [];
            wake?.();
          }
          return undefined;
        },
      })
      .then(
        (r) => {
          rv = r.resourceVersion;
          if (r.restarts > 0)
            failure = new KubeError("expired", `list ${resource.resource}: restarted after a 410`, {
              status: 410,
            });
        },
        (e: unknown) => {
          failure = e;
        },
      )
      .finally(() => {
        if (batch.length > 0) queue.push(batch);
        batch = [];
        done = true;
        wake?.();
      });
    for (;;) {
      for (let page = queue.shift(); page; page = queue.shift()) yield { items: page, resourceVersion: "" };
      if (done) break;
      await new Promise<void>((r) => {
        wake = r;
      });
      wake = undefined;
    }
    if (failure !== undefined) throw failure;
    yield { items: [], resourceVersion: rv };
  }

  /** One watch from `resourceVersion` with bookmarks; ends when the server or the signal ends it. */
  watch(
    resource: WatchedRef,
    opts: { resourceVersion: string; signal: AbortSignal },
  ): AsyncIterable<SourceEvent> {
    return this.#client.watch(resource, {
      resourceVersion: opts.resourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds: this.#timeoutSeconds,
      signal: opts.signal,
      ...(resource.fieldSelector ? { fieldSelector: resource.fieldSelector } : {}),
      ...(resource.labelSelector ? { labelSelector: resource.labelSelector } : {}),
    });
  }
}
