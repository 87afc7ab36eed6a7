/** The cluster access layer (the only home of @kubernetes/client-node); see client.ts for the API. */
export {
  ClusterClient,
  type ClusterClientOptions,
  Discovery,
  type ListOptions,
  type ListResult,
  parseRetryAfter,
  type ServedResource,
  type WatchEvent,
  type WatchOptions,
} from "./client.js";
export { type KubeConfigOptions, type LoadedKubeConfig, loadKubeConfig } from "./config.js";
export {
  describePermission,
  isKubeError,
  KubeError,
  type KubeErrorCode,
  type Permission,
  resourceName,
} from "./errors.js";
export {
  getNamed,
  getOwnerMetadata,
  type Inventory,
  type InventoryOptions,
  type NamedRef,
  type OwnerLookup,
  readInventory,
  trimObject,
} from "./inventory.js";
export {
  apiVersionOf,
  BUILTIN_WORKLOADS,
  CORE_READS,
  CUSTOM_WORKLOADS,
  type GroupKind,
  parseApiVersion,
  type ResourceRef,
  resourcePath,
} from "./resources.js";
export { KubeObjectSource, type SourceEvent, type SourcePage, type WatchedRef } from "./watch.js";
export {
  KubeWriter,
  type ObjectKey,
  REPORT_GROUPS,
  type ServedReportApi,
  servedReportApi,
} from "./writer.js";
