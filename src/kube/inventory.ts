/**
 * What the audit reads from a cluster, in one call: nodes, namespaces, service accounts, pods, every
 * workload kind the `files` command audits (custom ones when discovery finds their CRDs), and the
 * kubelet's `CgroupV1` Warning events. Secrets and ConfigMaps are never listed: `getNamed` reads the
 * ones pods name, by name (https://kubernetes.io/docs/concepts/security/rbac-good-practices/#listing-secrets).
 *
 * A 403 never stops the inventory: a cluster-wide list that is refused is retried per namespace,
 * and whatever stays refused is returned in `forbidden` for the coverage section.
 */
import type { JsonObject } from "../core/workload.js";
import type { ClusterClient, Discovery, ServedResource } from "./client.js";
import { KubeError, type Permission } from "./errors.js";
import { BUILTIN_WORKLOADS, CORE_READS, CUSTOM_WORKLOADS, type GroupKind } from "./resources.js";

export interface InventoryOptions<P, W> {
  /** `-n`: only these namespaces; undefined = all (`-A`). */
  namespaces?: readonly string[];
  /** `-l`: applies to pods and workloads. */
  labelSelector?: string;
  /** Keeps what the caller needs of a pod (after the common trim); undefined drops it. */
  mapPod?: (pod: JsonObject) => P | undefined;
  mapWorkload?: (obj: JsonObject) => W | undefined;
  /** Extra workload kinds to list when served (default: BUILTIN_WORKLOADS + CUSTOM_WORKLOADS). */
  workloadKinds?: readonly GroupKind[];
  /** Called after each list, for a progress line. */
  onList?: (what: string, count: number) => void;
}

export interface Inventory<P, W> {
  discovery: Discovery;
  nodes: JsonObject[];
  /** Namespace names read (all, or the ones asked for that exist); undefined when namespaces are forbidden. */
  namespaces?: string[];
  serviceAccounts: JsonObject[];
  pods: P[];
  workloads: W[];
  /** Warning events with reason CgroupV1 (the kubelet emits them at startup on cgroup v1 hosts). */
  cgroupV1Events: JsonObject[];
  /** The workload kinds that were listed (served), and those the cluster does not serve. */
  listedKinds: ServedResource[];
  notServed: GroupKind[];
  /** What could not be read: each a missing permission. */
  forbidden: Permission[];
}

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

/**
 * Drops what no rule reads and what weighs most: managedFields, the last-applied annotation (a
 * second copy of the object), status (kept for nodes, minus the image list), so 50,000 pods fit.
 */
export function trimObject(o: JsonObject): JsonObject {
  const md = o.metadata;
  if (md && typeof md === "object" && !Array.isArray(md)) {
    delete md.managedFields;
    const ann = md.annotations;
    if (ann && typeof ann === "object" && !Array.isArray(ann) && LAST_APPLIED in ann)
      delete ann[LAST_APPLIED];
  }
  if (o.kind === "Node") {
    const st = o.status;
    if (st && typeof st === "object" && !Array.isArray(st)) delete st.images;
  } else if (o.kind === "Pod") {
    const st = o.status;
    const phase = st && typeof st === "object" && !Array.isArray(st) ? st.phase : undefined;
    o.status = phase === undefined ? {} : { phase };
  } else delete o.status;
  return o;
}

function requireServed(d: Discovery, gk: GroupKind): ServedResource {
  const r = d.find(gk);
  if (!r)
    throw new KubeError(
      "http",
      `the cluster does not serve ${gk.group ? `${gk.kind}.${gk.group}` : gk.kind}`,
    );
  return r;
}

export async function readInventory<P = JsonObject, W = JsonObject>(
  client: ClusterClient,
  opts: InventoryOptions<P, W> = {},
): Promise<Inventory<P, W>> {
  const discovery = await client.discover();
  const forbidden: Permission[] = [];
  const onList = opts.onList;

  /** Lists one resource: cluster-wide, or per namespace when asked or when cluster-wide is refused. */
  async function listScoped<T>(
    ref: ServedResource,
    map: (o: JsonObject) => T | undefined,
    q: { labelSelector?: string; fieldSelector?: string; clusterWide?: boolean },
    namespaces: readonly string[] | undefined,
  ): Promise<T[]> {
    const base: { labelSelector?: string; fieldSelector?: string } = {};
    if (q.labelSelector) base.labelSelector = q.labelSelector;
    if (q.fieldSelector) base.fieldSelector = q.fieldSelector;
    const mapped = (o: JsonObject) => map(trimObject(o));
    const perNamespace = async (nss: readonly string[], fallback?: Permission) => {
      const refused: Permission[] = [];
      const parts = await Promise.all(
        nss.map(async (namespace) => {
          try {
            return (await client.list(ref, { ...base, namespace, map: mapped })).items;
          } catch (e) {
            if (e instanceof KubeError && e.code === "forbidden" && e.permission) {
              refused.push(e.permission);
              return [];
            }
            throw e;
          }
        }),
      );
      // Refused everywhere after a refused cluster-wide list: one entry says it.
      if (fallback && refused.length === nss.length) forbidden.push(fallback);
      else forbidden.push(...refused.sort((a, b) => (a.namespace ?? "").localeCompare(b.namespace ?? "")));
      return parts.flat();
    };
    let items: T[];
    if (ref.namespaced && namespaces !== undefined && !q.clusterWide) items = await perNamespace(namespaces);
    else {
      try {
        items = (await client.list(ref, { ...base, map: mapped })).items;
      } catch (e) {
        if (!(e instanceof KubeError && e.code === "forbidden" && e.permission)) throw e;
        if (ref.namespaced && nsNames !== undefined && !q.clusterWide)
          items = await perNamespace(nsNames, e.permission);
        else {
          forbidden.push(e.permission);
          items = [];
        }
      }
    }
    onList?.(ref.resource, items.length);
    return items;
  }

  // Namespaces first: a refused cluster-wide list falls back to one list per namespace.
  let nsNames: string[] | undefined;
  const nsRef = requireServed(discovery, CORE_READS.namespaces);
  // With -n the namespaces are named: no need to list them (a namespace-scoped user cannot).
  if (opts.namespaces) nsNames = [...opts.namespaces];
  else nsNames = await listNamespaceNames(client, nsRef, forbidden);
  const scope = opts.namespaces ? nsNames : undefined;

  const kinds = opts.workloadKinds ?? [...BUILTIN_WORKLOADS, ...CUSTOM_WORKLOADS];
  const listedKinds: ServedResource[] = [];
  const notServed: GroupKind[] = [];
  for (const gk of kinds) {
    const r = discovery.find(gk);
    if (r?.verbs.includes("list")) listedKinds.push(r);
    else notServed.push(gk);
  }
  const id = <T>(o: JsonObject) => o as unknown as T;
  const sel = opts.labelSelector ? { labelSelector: opts.labelSelector } : {};

  const [nodes, serviceAccounts, pods, workloadLists, cgroupV1Events] = await Promise.all([
    listScoped(requireServed(discovery, CORE_READS.nodes), (o) => o, {}, undefined),
    listScoped(
      requireServed(discovery, CORE_READS.serviceAccounts),
      (o) =>
        ({
          apiVersion: o.apiVersion,
          kind: o.kind,
          metadata: o.metadata ?? {},
          imagePullSecrets: o.imagePullSecrets ?? [],
        }) as JsonObject,
      {},
      scope,
    ),
    listScoped(requireServed(discovery, CORE_READS.pods), opts.mapPod ?? id<P>, sel, scope),
    Promise.all(listedKinds.map((r) => listScoped(r, opts.mapWorkload ?? id<W>, sel, scope))),
    listScoped(
      requireServed(discovery, CORE_READS.events),
      (o) => o,
      { fieldSelector: "reason=CgroupV1", clusterWide: true },
      undefined,
    ),
  ]);
  const inv: Inventory<P, W> = {
    discovery,
    nodes,
    serviceAccounts,
    pods,
    workloads: workloadLists.flat(),
    cgroupV1Events,
    listedKinds,
    notServed,
    forbidden,
  };
  if (nsNames) inv.namespaces = nsNames;
  return inv;
}

/** Every namespace name; on 403, the context's namespace (and the refusal is recorded). */
async function listNamespaceNames(
  client: ClusterClient,
  ref: ServedResource,
  forbidden: Permission[],
): Promise<string[]> {
  try {
    const r = await client.list(ref, {
      map: (o) => {
        const md = o.metadata as { name?: unknown } | undefined;
        return typeof md?.name === "string" ? md.name : undefined;
      },
    });
    return r.items;
  } catch (e) {
    if (!(e instanceof KubeError && e.code === "forbidden" && e.permission)) throw e;
    forbidden.push(e.permission);
    return [client.config.namespace];
  }
}

export interface NamedRef {
  namespace: string;
  name: string;
}

/**
 * Reads Secrets or ConfigMaps by name, each once (never a list or a watch). Missing ones are absent
 * from the map; refused ones add to `forbidden`. Keys are "namespace/name".
 */
export async function getNamed(
  client: ClusterClient,
  discovery: Discovery,
  kind: "Secret" | "ConfigMap",
  refs: Iterable<NamedRef>,
  forbidden: Permission[],
): Promise<Map<string, JsonObject>> {
  const ref = requireServed(discovery, kind === "Secret" ? CORE_READS.secrets : CORE_READS.configMaps);
  const wanted = new Map<string, NamedRef>();
  for (const r of refs) wanted.set(`${r.namespace}/${r.name}`, r);
  const out = new Map<string, JsonObject>();
  await Promise.all(
    [...wanted].map(async ([key, r]) => {
      try {
        const o = await client.get(ref, r.name, { namespace: r.namespace });
        if (o) out.set(key, o);
      } catch (e) {
        if (e instanceof KubeError && e.code === "forbidden" && e.permission) {
          forbidden.push({ ...e.permission, resource: `${e.permission.resource}/${r.name}` });
        } else throw e;
      }
    }),
  );
  return out;
}

export type OwnerLookup =
  | { status: "found"; metadata: JsonObject }
  | { status: "not-served" }
  | { status: "not-found" }
  | { status: "forbidden"; permission: Permission };

/** The metadata of an owner object of any kind the API serves (a metadata-only get). */
export async function getOwnerMetadata(
  client: ClusterClient,
  discovery: Discovery,
  owner: { apiVersion: string; kind: string; name: string },
  namespace: string | undefined,
): Promise<OwnerLookup> {
  const ref = discovery.forApiVersion(owner.apiVersion, owner.kind);
  if (!ref) return { status: "not-served" };
  try {
    const o = await client.get(ref, owner.name, {
      ...(ref.namespaced && namespace ? { namespace } : {}),
      metadataOnly: true,
    });
    if (!o || typeof o.metadata !== "object" || o.metadata === null || Array.isArray(o.metadata))
      return { status: "not-found" };
    return { status: "found", metadata: o.metadata };
  } catch (e) {
    if (e instanceof KubeError && e.code === "forbidden" && e.permission)
      return { status: "forbidden", permission: e.permission };
    throw e;
  }
}
