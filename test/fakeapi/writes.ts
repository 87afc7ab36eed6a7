/**
 * The fake API server's writes, on when the server is `writable`: what `scan --publish` and the
 * controller send, answered as kube-apiserver does
 * (https://kubernetes.io/docs/reference/using-api/api-concepts/):
 *  - POST creates (201); an existing name is 409 AlreadyExists; `generateName` gets a suffix;
 *  - PUT replaces (200); a `metadata.resourceVersion` other than the stored one is 409 Conflict
 *    ("the object has been modified; please apply your changes to the latest version and try
 *    again"); a missing object is 404;
 *  - PATCH takes `application/merge-patch+json` (RFC 7386) only (415 otherwise);
 *  - DELETE answers the object (200) or 404;
 * every success bumps the resourceVersion and is seen by watchers (through FakeApiServer.add /
 * remove). Faults and RBAC denials are checked by the server before it gets here.
 */
import { randomBytes } from "node:crypto";
import { groupVersion, type ResourceDef } from "./resources.js";
import { type FakeApiServer, status } from "./server.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

export interface WriteRequest {
  rd: ResourceDef;
  namespace?: string;
  name?: string;
  method: string;
  contentType: string;
  body: string;
  /** Sends the answer; returns true so each branch can `return reply(…)`. */
  reply: (code: number, body: Obj) => true;
}

/** RFC 7386: objects merge recursively, null deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return patch;
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function what(rd: ResourceDef): string {
  return rd.group ? `${rd.resource}.${rd.group}` : rd.resource;
}

function notFound(rd: ResourceDef, name: string): Obj {
  const details: Obj = { name, kind: rd.resource };
  if (rd.group) details.group = rd.group;
  return status(404, "NotFound", `${what(rd)} "${name}" not found`, details);
}

export function handleWrite(server: FakeApiServer, r: WriteRequest): true {
  const { rd, reply } = r;
  const typed = (o: Obj): Obj => ({ apiVersion: groupVersion(rd), kind: rd.kind, ...o });
  let body: unknown;
  if (r.method !== "DELETE" || r.body.trim() !== "") {
    try {
      body = JSON.parse(r.body);
    } catch {
      return reply(400, status(400, "BadRequest", "the request body is not JSON"));
    }
  }
  const md = isObj(body) && isObj(body.metadata) ? body.metadata : {};

  if (r.method === "POST") {
    if (r.name !== undefined)
      return reply(405, status(405, "MethodNotAllowed", "POST goes to the collection"));
    if (!isObj(body)) return reply(400, status(400, "BadRequest", "the body is not an object"));
    let name = typeof md.name === "string" ? md.name : undefined;
    if (!name && typeof md.generateName === "string")
      name = md.generateName + randomBytes(3).toString("hex").slice(0, 5);
    if (!name) return reply(422, status(422, "Invalid", `${rd.kind} "": metadata.name: Required value`));
    if (rd.namespaced && typeof md.namespace === "string" && md.namespace !== r.namespace)
      return reply(
        400,
        status(
          400,
          "BadRequest",
          "the namespace of the provided object does not match the namespace sent on the request",
        ),
      );
    if (server.stored(rd, r.namespace, name))
      return reply(
        409,
        status(409, "AlreadyExists", `${what(rd)} "${name}" already exists`, { name, kind: rd.resource }),
      );
    const meta: Obj = { ...md, name };
    delete meta.resourceVersion;
    delete meta.uid;
    if (rd.namespaced) meta.namespace = r.namespace ?? "default";
    const stored = server.add({ ...body, apiVersion: groupVersion(rd), kind: rd.kind, metadata: meta });
    return reply(201, typed(stored));
  }

  if (r.name === undefined)
    return reply(405, status(405, "MethodNotAllowed", `${r.method} needs an object name`));
  const current = server.stored(rd, r.namespace, r.name);
  if (!current) return reply(404, notFound(rd, r.name));
  const curMd = isObj(current.metadata) ? current.metadata : {};
  const conflict = () =>
    reply(
      409,
      status(
        409,
        "Conflict",
        `Operation cannot be fulfilled on ${what(rd)} "${r.name}": the object has been modified; please apply your changes to the latest version and try again`,
        { name: r.name, kind: rd.resource },
      ),
    );

  if (r.method === "DELETE") {
    server.remove(groupVersion(rd), rd.kind, r.name, r.namespace);
    return reply(200, typed(current));
  }

  if (r.method === "PUT") {
    if (!isObj(body)) return reply(400, status(400, "BadRequest", "the body is not an object"));
    if (typeof md.resourceVersion === "string" && md.resourceVersion !== curMd.resourceVersion)
      return conflict();
    const meta: Obj = { ...md, name: r.name, uid: curMd.uid, creationTimestamp: curMd.creationTimestamp };
    if (rd.namespaced) meta.namespace = r.namespace;
    return reply(
      200,
      typed(server.add({ ...body, apiVersion: groupVersion(rd), kind: rd.kind, metadata: meta })),
    );
  }

  if (r.method === "PATCH") {
    if (!r.contentType.startsWith("application/merge-patch+json"))
      return reply(
        415,
        status(
          415,
          "UnsupportedMediaType",
          `the fake API server takes merge patches only, not ${r.contentType}`,
        ),
      );
    if (typeof md.resourceVersion === "string" && md.resourceVersion !== curMd.resourceVersion)
      return conflict();
    const merged = mergePatch(current, body) as Obj;
    const meta: Obj = isObj(merged.metadata) ? { ...merged.metadata } : {};
    meta.name = r.name;
    meta.uid = curMd.uid;
    if (rd.namespaced) meta.namespace = r.namespace;
    return reply(
      200,
      typed(server.add({ ...merged, apiVersion: groupVersion(rd), kind: rd.kind, metadata: meta })),
    );
  }
  return reply(405, status(405, "MethodNotAllowed", `${r.method} is not supported`));
}
