/**
 * Where each kind keeps its pods, as data: a row per (API group, kinds) says where the pod units are
 * (a pod template, an Argo template, a Tekton task spec...), and inside each unit where the containers,
 * volumes, metadata and pod-level fields are. `src/core/workload.ts` reads objects through this table;
 * adding a kind is adding a row. Objects of kinds not listed here are walked for any mapping that holds
 * a `containers` list with images (see `genericUnits` in workload.ts), so a kind missing from the table
 * is still audited, and named in the report's coverage.
 *
 * Paths are lists of keys. `*` matches every element of a list or every value of a mapping. A path
 * whose first key is `/` starts at the object root instead of the unit.
 */

/** A path pattern: keys, `*` for every element/value, a leading `/` for "from the object root". */
export type Pattern = readonly string[];

/** What a container list is called in its kind; the name a container without `name` gets. */
export type ContainerGroup =
  | "containers"
  | "initContainers"
  | "ephemeralContainers"
  | "sidecars"
  | "steps"
  | "container"
  | "script"
  | "driver"
  | "executor";

export interface ContainerSlot {
  /** Relative to the unit; ends with `*` for a list, or names a single container. */
  at: Pattern;
  group: ContainerGroup;
  /** Name of a single container that has no `name` (Argo calls its main container "main"). */
  defaultName?: string;
  /** Where the image comes from when the container has none (Spark: spec.image). */
  defaultImage?: Pattern;
  /** Volume mounts every container of the slot gets, relative to the unit (Argo containerSet.volumeMounts). */
  sharedMounts?: Pattern;
  /**
   * A container-shaped mapping every container of the slot is merged over (Tekton `stepTemplate`, Argo
   * `templateDefaults.container`): the container's own fields win, `env` merges by name and `volumeMounts`
   * by mountPath, as the strategic merge patch both projects use does.
   */
  template?: Pattern;
  /**
   * Containers every pod of the unit gets (Argo `templateDefaults.initContainers`/`sidecars`, merged by
   * name): a container of the unit of the same name in the same list is merged over the default one, as
   * a Container strategic merge patch does. They never make a unit a pod by themselves (a `dag` template
   * gets none).
   */
  fromDefaults?: boolean;
}

export interface PodLayout {
  /** The pod units, from the object root. Each match is one pod (or one pod template). */
  units: readonly Pattern[];
  containers: readonly ContainerSlot[];
  /**
   * Volume lists (ending with `*`), relative to the unit or from the root. One from the root (an Argo
   * workflow's spec.volumes) goes into a unit's pod only when a container of the unit mounts it.
   */
  volumes: readonly Pattern[];
  /**
   * Volume lists from the root that go into every pod of the object, mounted or not (Tekton's pod
   * templates: pkg/pod/pod.go appends podTemplate.Volumes to the task's,
   * https://github.com/tektoncd/pipeline/blob/main/pkg/pod/pod.go). The kubelet sets up every volume of
   * a pod, so an unmounted hostPath must still exist on the node.
   */
  podVolumes?: readonly Pattern[];
  /**
   * Volumes every pod of the unit gets, merged by name under the unit's own volume of that name (Argo
   * `templateDefaults.volumes`); relative to the unit or from the root.
   */
  volumeDefaults?: Pattern;
  /** The unit's metadata (labels, annotations), relative to the unit. */
  metadata?: Pattern;
  /**
   * Metadata the pod inherits (Argo `spec.podMetadata`, `spec.templateDefaults.metadata`), earliest first;
   * the unit's own metadata wins.
   */
  inheritedMetadata?: readonly Pattern[];
  /**
   * Pod spec patches written as a JSON or YAML string (Argo `podSpecPatch`), applied in order after the
   * pod is built: their containers merge by name into the pod's (or are added), their volumes are added.
   */
  patches?: readonly Pattern[];
  /** Where pod-level fields (hostNetwork, runtimeClassName, securityContext...) are read; later wins. */
  podFields: readonly Pattern[];
  /**
   * The unit's PodSpec, relative to the unit, for layouts that have one: a unit whose spec is a mapping is
   * a pod even with no containers (a Deployment being written). Units of other layouts count only when
   * they hold a container (an Argo `dag` template is not a pod).
   */
  spec?: Pattern;
}

export interface PodLayoutRow {
  /** API group ("" for the core group). */
  group: string;
  kinds: readonly string[];
  layout: PodLayout;
  /** Where the field layout is documented. */
  source: string;
  /** For the README table: where the containers are, in words. */
  where: string;
}

/** A PodTemplateSpec ({metadata, spec: PodSpec}) at the unit. */
const POD_TEMPLATE: Omit<PodLayout, "units"> = {
  containers: [
    { at: ["spec", "initContainers", "*"], group: "initContainers" },
    { at: ["spec", "containers", "*"], group: "containers" },
    { at: ["spec", "ephemeralContainers", "*"], group: "ephemeralContainers" },
  ],
  volumes: [["spec", "volumes", "*"]],
  metadata: ["metadata"],
  podFields: [["spec"]],
  spec: ["spec"],
};

const templateAt = (...units: Pattern[]): PodLayout => ({ ...POD_TEMPLATE, units });

/**
 * Argo Workflows: every template of a workflow spec is a pod of its own. `templateDefaults` is merged
 * into each template (https://argo-workflows.readthedocs.io/en/latest/template-defaults/): its container
 * or script under the template's, its volumes, pod fields and metadata under the template's; the pod
 * gets `spec.podMetadata` under the template's metadata, and the workflow's, the defaults' and the
 * template's `podSpecPatch` (https://argo-workflows.readthedocs.io/en/latest/fields/#template).
 */
function argo(spec: Pattern): PodLayout {
  const defaults: Pattern = ["/", ...spec, "templateDefaults"];
  return {
    units: [[...spec, "templates", "*"]],
    containers: [
      { at: ["initContainers", "*"], group: "initContainers" },
      { at: ["container"], group: "container", defaultName: "main", template: [...defaults, "container"] },
      { at: ["script"], group: "script", defaultName: "main", template: [...defaults, "script"] },
      {
        at: ["containerSet", "containers", "*"],
        group: "containers",
        sharedMounts: ["containerSet", "volumeMounts", "*"],
      },
      { at: ["sidecars", "*"], group: "sidecars" },
      { at: [...defaults, "initContainers", "*"], group: "initContainers", fromDefaults: true },
      { at: [...defaults, "sidecars", "*"], group: "sidecars", fromDefaults: true },
    ],
    volumes: [
      ["/", ...spec, "volumes", "*"],
      ["volumes", "*"],
    ],
    volumeDefaults: [...defaults, "volumes", "*"],
    metadata: ["metadata"],
    inheritedMetadata: [
      ["/", ...spec, "podMetadata"],
      [...defaults, "metadata"],
    ],
    patches: [["/", ...spec, "podSpecPatch"], [...defaults, "podSpecPatch"], ["podSpecPatch"]],
    podFields: [["/", ...spec], defaults, []],
  };
}

/**
 * Tekton: a task spec runs as one pod, its steps and sidecars as containers. `stepTemplate` is not a
 * container: Tekton merges it into every step (https://tekton.dev/docs/pipelines/tasks/#specifying-a-step-template).
 */
const TEKTON_TASK: Omit<PodLayout, "units"> = {
  containers: [
    { at: ["steps", "*"], group: "steps", template: ["stepTemplate"] },
    { at: ["sidecars", "*"], group: "sidecars" },
  ],
  volumes: [["volumes", "*"]],
  podFields: [],
};

/** Tekton pod templates (TaskRun spec.podTemplate, PipelineRun spec.taskRunTemplate.podTemplate) add volumes and pod fields. */
function tekton(units: Pattern[], podTemplates: Pattern[]): PodLayout {
  return {
    ...TEKTON_TASK,
    units,
    podVolumes: podTemplates.map((p) => ["/", ...p, "volumes", "*"]),
    podFields: podTemplates.map((p) => ["/", ...p]),
  };
}

/** Spark operator: the driver and executor specs are containers of their own pods, sharing spec.volumes. */
function spark(role: "driver" | "executor"): PodLayout {
  return {
    units: [["spec", role]],
    containers: [
      { at: ["initContainers", "*"], group: "initContainers" },
      { at: [], group: role, defaultName: role, defaultImage: ["/", "spec", "image"] },
      { at: ["sidecars", "*"], group: "sidecars" },
    ],
    volumes: [["/", "spec", "volumes", "*"]],
    podFields: [["/", "spec"], []],
  };
}

const KUBEFLOW_REPLICAS = (field: string): Pattern => ["spec", field, "*", "template"];

/**
 * The table. Built-in kinds first (the core group, apps, batch, extensions), then custom resources.
 * Sources are the projects' API references.
 */
export const POD_LAYOUTS: readonly PodLayoutRow[] = [
  {
    group: "",
    kinds: ["Pod"],
    layout: templateAt([]),
    source: "https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/",
    where: "spec.containers, spec.initContainers, spec.ephemeralContainers; spec.volumes",
  },
  {
    group: "",
    kinds: ["PodTemplate"],
    layout: templateAt(["template"]),
    source: "https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-template-v1/",
    where: "template.spec",
  },
  {
    group: "",
    kinds: ["ReplicationController"],
    layout: templateAt(["spec", "template"]),
    source:
      "https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/replication-controller-v1/",
    where: "spec.template.spec",
  },
  {
    group: "apps",
    kinds: ["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"],
    layout: templateAt(["spec", "template"]),
    source: "https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/deployment-v1/",
    where: "spec.template.spec",
  },
  {
    group: "extensions",
    kinds: ["Deployment", "ReplicaSet", "DaemonSet"],
    layout: templateAt(["spec", "template"]),
    source: "https://kubernetes.io/docs/reference/using-api/deprecation-guide/#v1-16",
    where: "spec.template.spec",
  },
  {
    group: "batch",
    kinds: ["Job"],
    layout: templateAt(["spec", "template"]),
    source: "https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/job-v1/",
    where: "spec.template.spec",
  },
  {
    group: "batch",
    kinds: ["CronJob"],
    layout: templateAt(["spec", "jobTemplate", "spec", "template"]),
    source: "https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/cron-job-v1/",
    where: "spec.jobTemplate.spec.template.spec",
  },
  {
    group: "argoproj.io",
    kinds: ["Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate"],
    layout: argo(["spec"]),
    source:
      "https://argo-workflows.readthedocs.io/en/latest/fields/#template (containerSet: #containersettemplate)",
    where:
      "each of spec.templates[]: container, script, containerSet.containers[], initContainers[], sidecars[]; " +
      "the template's volumes, and those of spec.volumes its containers mount that the template does not name; spec.templateDefaults merged into each template (initContainers and sidecars by name), " +
      "spec.podMetadata into its pod's metadata, and the podSpecPatch of the workflow, the defaults and the template applied",
  },
  {
    group: "argoproj.io",
    kinds: ["CronWorkflow"],
    layout: argo(["spec", "workflowSpec"]),
    source: "https://argo-workflows.readthedocs.io/en/latest/fields/#cronworkflowspec",
    where: "as Workflow, under spec.workflowSpec",
  },
  {
    group: "argoproj.io",
    kinds: ["Rollout"],
    layout: templateAt(["spec", "template"]),
    source: "https://argo-rollouts.readthedocs.io/en/stable/features/specification/",
    where:
      "spec.template.spec (a Rollout with spec.workloadRef has none: the Deployment it names is audited itself)",
  },
  {
    group: "tekton.dev",
    kinds: ["Task", "ClusterTask"],
    layout: tekton([["spec"]], []),
    source: "https://tekton.dev/docs/pipelines/tasks/",
    where: "spec.steps[] (each merged over spec.stepTemplate), spec.sidecars[]; spec.volumes",
  },
  {
    group: "tekton.dev",
    kinds: ["TaskRun"],
    layout: tekton([["spec", "taskSpec"]], [["spec", "podTemplate"]]),
    source: "https://tekton.dev/docs/pipelines/taskruns/",
    where: "spec.taskSpec (as Task); pod fields and every volume (mounted or not) also from spec.podTemplate",
  },
  {
    group: "tekton.dev",
    kinds: ["Pipeline"],
    layout: tekton(
      [
        ["spec", "tasks", "*", "taskSpec"],
        ["spec", "finally", "*", "taskSpec"],
      ],
      [],
    ),
    source: "https://tekton.dev/docs/pipelines/pipelines/#embedding-a-task-in-a-pipeline",
    where: "the embedded taskSpec of spec.tasks[] and spec.finally[] (as Task)",
  },
  {
    group: "tekton.dev",
    kinds: ["PipelineRun"],
    layout: tekton(
      [
        ["spec", "pipelineSpec", "tasks", "*", "taskSpec"],
        ["spec", "pipelineSpec", "finally", "*", "taskSpec"],
      ],
      [
        ["spec", "taskRunTemplate", "podTemplate"],
        ["spec", "podTemplate"],
      ],
    ),
    source: "https://tekton.dev/docs/pipelines/pipelineruns/",
    where:
      "the embedded taskSpec of spec.pipelineSpec.tasks[] and finally[]; pod fields and every volume (mounted or not) also from " +
      "spec.taskRunTemplate.podTemplate (v1) or spec.podTemplate (v1beta1)",
  },
  {
    group: "keda.sh",
    kinds: ["ScaledJob"],
    layout: templateAt(["spec", "jobTargetRef", "template"]),
    source: "https://keda.sh/docs/latest/reference/scaledjob-spec/",
    where: "spec.jobTargetRef.template.spec",
  },
  {
    group: "serving.knative.dev",
    kinds: ["Service", "Configuration"],
    layout: templateAt(["spec", "template"]),
    source:
      "https://knative.dev/docs/serving/reference/serving-api/#serving.knative.dev/v1.RevisionTemplateSpec",
    where: "spec.template.spec (a RevisionSpec: the pod spec fields inline)",
  },
  {
    group: "serving.knative.dev",
    kinds: ["Revision"],
    layout: templateAt([]),
    source: "https://knative.dev/docs/serving/reference/serving-api/#serving.knative.dev/v1.RevisionSpec",
    where: "spec.containers, spec.volumes",
  },
  {
    group: "apps.openshift.io",
    kinds: ["DeploymentConfig"],
    layout: templateAt(["spec", "template"]),
    source:
      "https://docs.redhat.com/en/documentation/openshift_container_platform/4.14/html/workloads_apis/deploymentconfig-apps-openshift-io-v1",
    where: "spec.template.spec",
  },
  {
    group: "kubeflow.org",
    kinds: ["PyTorchJob", "TFJob", "MPIJob", "XGBoostJob", "PaddleJob", "JAXJob", "MXJob"],
    layout: templateAt(
      KUBEFLOW_REPLICAS("pytorchReplicaSpecs"),
      KUBEFLOW_REPLICAS("tfReplicaSpecs"),
      KUBEFLOW_REPLICAS("mpiReplicaSpecs"),
      KUBEFLOW_REPLICAS("xgbReplicaSpecs"),
      KUBEFLOW_REPLICAS("paddleReplicaSpecs"),
      KUBEFLOW_REPLICAS("jaxReplicaSpecs"),
      KUBEFLOW_REPLICAS("mxReplicaSpecs"),
    ),
    source: "https://github.com/kubeflow/trainer/blob/release-1.9/pkg/apis/kubeflow.org/v1/common_types.go",
    where: "spec.<framework>ReplicaSpecs.<role>.template.spec (Master, Worker, PS, Launcher...)",
  },
  {
    group: "sparkoperator.k8s.io",
    kinds: ["SparkApplication"],
    layout: spark("driver"),
    source: "https://github.com/kubeflow/spark-operator/blob/master/docs/api-docs.md#sparkpodspec",
    where:
      "spec.driver and spec.executor (image defaults to spec.image), their initContainers[] and sidecars[]; spec.volumes",
  },
  {
    group: "sparkoperator.k8s.io",
    kinds: ["SparkApplication"],
    layout: spark("executor"),
    source: "https://github.com/kubeflow/spark-operator/blob/master/docs/api-docs.md#sparkpodspec",
    where: "",
  },
  {
    group: "ray.io",
    kinds: ["RayCluster"],
    layout: templateAt(["spec", "headGroupSpec", "template"], ["spec", "workerGroupSpecs", "*", "template"]),
    source: "https://docs.ray.io/en/latest/cluster/kubernetes/user-guides/config.html",
    where: "spec.headGroupSpec.template.spec, spec.workerGroupSpecs[].template.spec",
  },
  {
    group: "ray.io",
    kinds: ["RayJob"],
    layout: templateAt(
      ["spec", "rayClusterSpec", "headGroupSpec", "template"],
      ["spec", "rayClusterSpec", "workerGroupSpecs", "*", "template"],
      ["spec", "submitterPodTemplate"],
    ),
    source: "https://docs.ray.io/en/latest/cluster/kubernetes/getting-started/rayjob-quick-start.html",
    where: "as RayCluster under spec.rayClusterSpec; spec.submitterPodTemplate.spec",
  },
  {
    group: "ray.io",
    kinds: ["RayService"],
    layout: templateAt(
      ["spec", "rayClusterConfig", "headGroupSpec", "template"],
      ["spec", "rayClusterConfig", "workerGroupSpecs", "*", "template"],
    ),
    source: "https://docs.ray.io/en/latest/cluster/kubernetes/getting-started/rayservice-quick-start.html",
    where: "as RayCluster under spec.rayClusterConfig",
  },
  {
    group: "batch.volcano.sh",
    kinds: ["Job"],
    layout: templateAt(["spec", "tasks", "*", "template"]),
    source: "https://volcano.sh/en/docs/vcjob/",
    where: "spec.tasks[].template.spec",
  },
  {
    group: "jobset.x-k8s.io",
    kinds: ["JobSet"],
    layout: templateAt(["spec", "replicatedJobs", "*", "template", "spec", "template"]),
    source: "https://jobset.sigs.k8s.io/docs/reference/jobset.v1alpha2/",
    where: "spec.replicatedJobs[].template.spec.template.spec",
  },
  {
    group: "leaderworkerset.x-k8s.io",
    kinds: ["LeaderWorkerSet"],
    layout: templateAt(
      ["spec", "leaderWorkerTemplate", "leaderTemplate"],
      ["spec", "leaderWorkerTemplate", "workerTemplate"],
    ),
    source: "https://lws.sigs.k8s.io/docs/reference/leaderworkerset.v1/",
    where: "spec.leaderWorkerTemplate.leaderTemplate.spec and .workerTemplate.spec",
  },
  {
    group: "apps.kruise.io",
    kinds: ["CloneSet", "StatefulSet", "DaemonSet", "BroadcastJob"],
    layout: templateAt(["spec", "template"]),
    source: "https://openkruise.io/docs/user-manuals/cloneset",
    where: "spec.template.spec",
  },
  {
    group: "apps.kruise.io",
    kinds: ["AdvancedCronJob"],
    layout: templateAt(
      ["spec", "template", "jobTemplate", "spec", "template"],
      ["spec", "template", "broadcastJobTemplate", "spec", "template"],
    ),
    source: "https://openkruise.io/docs/user-manuals/advancedcronjob",
    where:
      "spec.template.jobTemplate.spec.template.spec or spec.template.broadcastJobTemplate.spec.template.spec",
  },
  {
    group: "actions.github.com",
    kinds: ["AutoscalingRunnerSet"],
    layout: templateAt(["spec", "template"]),
    source:
      "https://docs.github.com/en/actions/hosting-your-own-runners/managing-self-hosted-runners-with-actions-runner-controller/deploying-runner-scale-sets-with-actions-runner-controller",
    where: "spec.template.spec (the runner pod, often with a docker:dind sidecar)",
  },
  {
    group: "flink.apache.org",
    kinds: ["FlinkDeployment"],
    layout: templateAt(
      ["spec", "podTemplate"],
      ["spec", "jobManager", "podTemplate"],
      ["spec", "taskManager", "podTemplate"],
    ),
    source:
      "https://nightlies.apache.org/flink/flink-kubernetes-operator-docs-main/docs/custom-resource/pod-template/",
    where: "spec.podTemplate.spec, spec.jobManager.podTemplate.spec, spec.taskManager.podTemplate.spec",
  },
];

/** The API group of an apiVersion: "apps/v1" -> "apps", "v1" -> "". */
export function apiGroup(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}

/**
 * Groups served by Kubernetes itself have no dot (the core group, apps, batch...); a custom resource's
 * group must contain one (https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#create-a-customresourcedefinition).
 * Objects of built-in groups are not walked for containers: their layouts are known.
 */
export function isBuiltInGroup(group: string): boolean {
  return !group.includes(".");
}

const BY_KIND = new Map<string, PodLayout[]>();
/** Built-in kinds by kind alone, for objects written without apiVersion. */
const BUILT_IN_BY_KIND = new Map<string, PodLayout[]>();
for (const row of POD_LAYOUTS) {
  for (const kind of row.kinds) {
    for (const [map, key] of [
      [BY_KIND, `${row.group}/${kind}`],
      ...(isBuiltInGroup(row.group) && row.group !== "extensions" ? [[BUILT_IN_BY_KIND, kind] as const] : []),
    ] as const) {
      const list = map.get(key) ?? [];
      list.push(row.layout);
      map.set(key, list);
    }
  }
}

/** apiVersion -> kind -> layouts, filled on first use (a few dozen apiVersions in any input). */
const byVersion = new Map<string, Map<string, readonly PodLayout[] | undefined>>();

/** Layouts for a kind; an object without apiVersion is taken as the built-in kind of that name. */
export function layoutsFor(apiVersion: string, kind: string): readonly PodLayout[] | undefined {
  let kinds = byVersion.get(apiVersion);
  if (!kinds) {
    kinds = new Map();
    // Bounded: an input with thousands of made-up apiVersions only loses the cache.
    if (byVersion.size < 1000) byVersion.set(apiVersion, kinds);
  }
  if (kinds.has(kind)) return kinds.get(kind);
  const found =
    apiVersion === "" ? BUILT_IN_BY_KIND.get(kind) : BY_KIND.get(`${apiGroup(apiVersion)}/${kind}`);
  if (kinds.size < 1000) kinds.set(kind, found);
  return found;
}
