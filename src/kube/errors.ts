/**
 * Errors of the cluster client. Each has a one-line message meant for users (no stack, no
 * credentials: messages name the server, context, verb and resource, never headers or tokens).
 */

export type KubeErrorCode =
  /** The kubeconfig could not be loaded or names no usable context. */
  | "config"
  /** No answer from the server: connection refused, DNS, TLS, timeout. */
  | "unreachable"
  /** 401: the credentials were refused. */
  | "unauthorized"
  /** 403 on a request; `permission` names what is missing. */
  | "forbidden"
  /** 410: the resourceVersion a watch or list asked for is compacted away; list again. */
  | "expired"
  /** 409 on a write: the object exists (create) or changed since it was read (update). */
  | "conflict"
  /** Any other HTTP failure that retries did not cure. */
  | "http";

/** What a 403 says is missing, in RBAC terms (for coverage entries and the Helm chart's Role). */
export interface Permission {
  verb: string;
  /** Plural resource, with its group when not core: "deployments.apps". */
  resource: string;
  namespace?: string;
}

export class KubeError extends Error {
  override readonly name = "KubeError";
  readonly code: KubeErrorCode;
  readonly status?: number;
  readonly permission?: Permission;

  constructor(
    code: KubeErrorCode,
    message: string,
    extra: { status?: number; permission?: Permission } = {},
  ) {
    super(message);
    this.code = code;
    if (extra.status !== undefined) this.status = extra.status;
    if (extra.permission) this.permission = extra.permission;
  }

  /** True for the failures that stop a whole scan (exit 2): nothing can be read at all. */
  get fatal(): boolean {
    return this.code === "config" || this.code === "unreachable" || this.code === "unauthorized";
  }
}

export function isKubeError(e: unknown): e is KubeError {
  return e instanceof KubeError;
}

/** "pods", "deployments.apps": the spelling kubectl and RBAC messages use. */
export function resourceName(group: string, resource: string): string {
  return group ? `${resource}.${group}` : resource;
}

export function describePermission(p: Permission): string {
  return `${p.verb} ${p.resource}${p.namespace ? ` in namespace ${p.namespace}` : " (cluster-wide)"}`;
}
