/** The in-cluster controller: what src/cli's `controller` command and the integration use. */
export {
  type MetricsSink,
  metricsObserver,
  type ReportPlannerParts,
  reportOf,
  reportPlanner,
} from "./adapters.js";
export { Backoff, type Clock, systemClock } from "./clock.js";
export { DEFAULT_EVENT_RATE } from "./defaults.js";
export { EventRecorder, eventName, findingKey, TokenBucket } from "./events.js";
export { type HttpEndpoint, parseBindAddress, serveRoutes } from "./health.js";
export { type Change, Informer } from "./informer.js";
export { LEASE_DEFAULTS, LeaderElector, microTime } from "./leader.js";
export * from "./ports.js";
export {
  MAX_ANNOTATION_VALUE,
  projectEvent,
  projectMetadataOnly,
  projectNode,
  projectPod,
  projectWorkload,
  TEMPLATE_OWNER_KINDS,
  TEMPLATE_PARENT_KINDS,
} from "./projection.js";
export { Publisher } from "./publisher.js";
export {
  type ControllerDeps,
  type ControllerHandle,
  type ControllerLog,
  type ControllerOptions,
  DEFAULT_RESOURCES,
  runController,
  type WatchedResource,
} from "./run.js";
export { parseSubjectKey, type SubjectRef, subjectKey, topOwner } from "./subjects.js";
export { TtlCache } from "./ttl-cache.js";
