/**
 * Server-side printing: the `meta.k8s.io/v1` Table that `kubectl get` asks for with
 * `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`. Columns follow the API server's printers
 * (https://github.com/kubernetes/kubernetes/blob/master/pkg/printers/internalversion/printers.go);
 * priority-1 columns are the ones `-o wide` adds. Other kinds get the default Name/Age table.
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const asObj = (v: unknown): Obj => (isObj(v) ? v : {});
const asArr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export interface Column {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

const col = (name: string, priority = 0, type = "string", format = ""): Column => ({
  name,
  type,
  format,
  description: name,
  priority,
});

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration, which the printers use for AGE. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 0) return "0s";
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  if (h < 192) return h % 24 === 0 ? `${Math.floor(h / 24)}d` : `${Math.floor(h / 24)}d${h % 24}h`;
  const d = Math.floor(h / 24);
  if (d < 365 * 2) return `${d}d`;
  return `${Math.floor(d / 365)}y`;
}

function age(obj: Obj, now: number): string {
  const ts = asObj(obj.metadata).creationTimestamp;
  return typeof ts === "string" ? humanDuration(now - Date.parse(ts)) : "<unknown>";
}

const none = (v: unknown) => (typeof v === "string" && v !== "" ? v : "<none>");

function podRow(p: Obj, now: number): unknown[] {
  const spec = asObj(p.spec);
  const status = asObj(p.status);
  const statuses = asArr(status.containerStatuses).map(asObj);
  const total = asArr(spec.containers).length;
  const ready = statuses.filter((s) => s.ready === true).length;
  const restarts = statuses.reduce(
    (n, s) => n + (typeof s.restartCount === "number" ? s.restartCount : 0),
    0,
  );
  const phase = typeof status.reason === "string" ? status.reason : (status.phase ?? "Pending");
  return [
    asObj(p.metadata).name,
    `${ready}/${total}`,
    phase,
    restarts,
    age(p, now),
    none(status.podIP),
    none(spec.nodeName),
    none(status.nominatedNodeName),
    "<none>",
  ];
}

function nodeRow(n: Obj, now: number): unknown[] {
  const status = asObj(n.status);
  const info = asObj(status.nodeInfo);
  const readyCond = asArr(status.conditions)
    .map(asObj)
    .find((c) => c.type === "Ready");
  let state = readyCond?.status === "True" ? "Ready" : readyCond ? "NotReady" : "Unknown";
  if (asObj(n.spec).unschedulable === true) state += ",SchedulingDisabled";
  const labels = asObj(asObj(n.metadata).labels);
  const roles = Object.keys(labels)
    .filter((k) => k.startsWith("node-role.kubernetes.io/"))
    .map((k) => k.slice("node-role.kubernetes.io/".length))
    .sort();
  const addr = (t: string) =>
    none(
      asArr(status.addresses)
        .map(asObj)
        .find((a) => a.type === t)?.address,
    );
  return [
    asObj(n.metadata).name,
    state,
    roles.length ? roles.join(",") : "<none>",
    age(n, now),
    info.kubeletVersion ?? "",
    addr("InternalIP"),
    addr("ExternalIP"),
    info.osImage ?? "",
    info.kernelVersion ?? "",
    info.containerRuntimeVersion ?? "",
  ];
}

const PRINTERS: Record<string, { columns: Column[]; row: (o: Obj, now: number) => unknown[] }> = {
  Pod: {
    columns: [
      col("Name", 0, "string", "name"),
      col("Ready"),
      col("Status"),
      col("Restarts", 0, "string"),
      col("Age"),
      col("IP", 1),
      col("Node", 1),
      col("Nominated Node", 1),
      col("Readiness Gates", 1),
    ],
    row: podRow,
  },
  Node: {
    columns: [
      col("Name", 0, "string", "name"),
      col("Status"),
      col("Roles"),
      col("Age"),
      col("Version"),
      col("Internal-IP", 1),
      col("External-IP", 1),
      col("OS-Image", 1),
      col("Kernel-Version", 1),
      col("Container-Runtime", 1),
    ],
    row: nodeRow,
  },
};

const DEFAULT = {
  columns: [col("Name", 0, "string", "name"), col("Age")],
  row: (o: Obj, now: number) => [asObj(o.metadata).name, age(o, now)],
};

export type IncludeObject = "None" | "Object" | "PartialObjectMetadata";

/** The metadata-only view of an object (`meta.k8s.io/v1` PartialObjectMetadata). */
export function partialMetadata(o: Obj): Obj {
  return { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: o.metadata };
}

export function toTable(
  kind: string,
  items: Obj[],
  listMeta: Obj,
  include: IncludeObject,
  now = Date.now(),
): Obj {
  const p = PRINTERS[kind] ?? DEFAULT;
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: listMeta,
    columnDefinitions: p.columns,
    rows: items.map((o) => {
      const row: Obj = { cells: p.row(o, now) };
      if (include === "Object") row.object = o;
      else if (include === "PartialObjectMetadata") row.object = partialMetadata(o);
      return row;
    }),
  };
}
