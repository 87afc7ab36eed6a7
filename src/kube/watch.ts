/**
 * The controller's object source on the cluster client: paged lists and watch streams
 * (https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes).
 * Typed structurally after src/controller/ports.ts (`ObjectSource`), which src/kube may not import:
 * the controller wires it in. Failures are KubeErrors carrying `status` (403, 404, 410, 429…),
 * which is what the controller's informer reads to decide between relist, backoff and "unavailable".
 */
import type { JsonObject } from "../core/workload.js";
import type { ClusterClient } from "./client.js";
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
   * The whole list as one page: the client pages with `limit` + `continue` and restarts on an
   * expired continue token; the items come back with kind and apiVersion set.
   */
  async *list(resource: WatchedRef, opts: { signal: AbortSignal }): AsyncGenerator<SourcePage> {
    if (opts.signal.aborted) return;
    const r = await this.#client.list(resource, {
      ...(resource.fieldSelector ? { fieldSelector: resource.fieldSelector } : {}),
      ...(resource.labelSelector ? { labelSelector: resource.labelSelector } : {}),
    });
    yield { items: r.items, resourceVersion: r.resourceVersion };
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
