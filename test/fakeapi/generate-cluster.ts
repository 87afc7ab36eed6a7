/**
 * Generates a synthetic cluster for the fake API server: namespaces, nodes, and Deployments each with
 * its current ReplicaSet and pods, shaped like what a real API server returns for them (uids,
 * ownerReferences with `controller: true`, the `pod-template-hash` label, managedFields, a pod status
 * with conditions and container statuses). Used by bench/cluster.ts at 50,000 pods and by tests with
 * small counts. Deterministic: the same options give the same objects (uids included), so owner
 * references resolve and runs compare.
 *
 * Object shapes follow https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/ and the
 * owner chain the Deployment controller writes
 * (https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#pod-template-hash-label).
 */

type Obj = Record<string, unknown>;

export interface GenerateOptions {
  namespaces: number;
  deployments: number;
  /** Pods per Deployment (its ReplicaSet's replicas). */
  podsPerDeployment: number;
  nodes: number;
  /**
   * One Deployment in this many mounts the Docker socket (a finding per such Deployment), so the
   * scan's report is not empty; 0 = none. Default 50.
   */
  dockerSocketEvery?: number;
  /** Fixed creation time (ISO) for every object; default 2026-01-01T00:00:00Z. */
  created?: string;
}

export interface GeneratedCounts {
  namespaces: number;
  nodes: number;
  serviceAccounts: number;
  deployments: number;
  replicaSets: number;
  pods: number;
  /** Deployments whose template mounts /var/run/docker.sock. */
  dockerSocketDeployments: number;
}

/** A uuid-shaped, deterministic uid: the kind's tag and the index, so owner references can be made up front. */
export function syntheticUid(tag: number, index: number): string {
  const hex = (n: number, w: number) => n.toString(16).padStart(w, "0");
  return `${hex(tag, 8)}-0000-4000-8000-${hex(index, 12)}`;
}

const TAG = { namespace: 1, node: 2, serviceAccount: 3, deployment: 4, replicaSet: 5, pod: 6 } as const;

/**
 * The node mix of a fleet in the middle of a runtime migration: mostly containerd 2.x and 1.7, some
 * CRI-O, a few cri-dockerd nodes. Each entry: runtime, kubelet, share in percent.
 */
const NODE_MIX: readonly { runtime: string; kubelet: string; share: number; arch: string }[] = [
  { runtime: "containerd://2.2.1", kubelet: "v1.34.2", share: 45, arch: "amd64" },
  { runtime: "containerd://2.2.1", kubelet: "v1.34.2", share: 10, arch: "arm64" },
  { runtime: "containerd://1.7.28", kubelet: "v1.33.5", share: 25, arch: "amd64" },
  { runtime: "cri-o://1.34.2", kubelet: "v1.34.2", share: 15, arch: "amd64" },
  { runtime: "docker://28.5.1", kubelet: "v1.33.5", share: 5, arch: "amd64" },
];

function nodeShape(i: number): { runtime: string; kubelet: string; arch: string } {
  let p = i % 100;
  for (const m of NODE_MIX) {
    if (p < m.share) return m;
    p -= m.share;
  }
  return NODE_MIX[0] as (typeof NODE_MIX)[number];
}

function managedFields(manager: string, time: string, fields: Obj): Obj[] {
  return [
    {
      manager,
      operation: "Update",
      apiVersion: "v1",
      time,
      fieldsType: "FieldsV1",
      fieldsV1: fields,
    },
  ];
}

/** 10-hex-digit hash, as the Deployment controller's pod-template-hash looks. */
function templateHash(i: number): string {
  return ((i * 2654435761) >>> 0).toString(36).padStart(7, "x").slice(0, 10);
}

/** Every object, namespaces and nodes first, then per Deployment: the Deployment, its ReplicaSet, its pods. */
export function* generateCluster(opts: GenerateOptions): Generator<Obj, GeneratedCounts> {
  const created = opts.created ?? "2026-01-01T00:00:00Z";
  const every = opts.dockerSocketEvery ?? 50;
  const counts: GeneratedCounts = {
    namespaces: 0,
    nodes: 0,
    serviceAccounts: 0,
    deployments: 0,
    replicaSets: 0,
    pods: 0,
    dockerSocketDeployments: 0,
  };
  const nsName = (i: number) => `team-${String(i).padStart(3, "0")}`;
  const nodeName = (i: number) => `node-${String(i).padStart(4, "0")}`;

  for (let i = 0; i < opts.namespaces; i++) {
    counts.namespaces++;
    yield {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        name: nsName(i),
        uid: syntheticUid(TAG.namespace, i),
        creationTimestamp: created,
        labels: { "kubernetes.io/metadata.name": nsName(i) },
      },
      spec: { finalizers: ["kubernetes"] },
      status: { phase: "Active" },
    };
    counts.serviceAccounts++;
    yield {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: {
        name: "default",
        namespace: nsName(i),
        uid: syntheticUid(TAG.serviceAccount, i),
        creationTimestamp: created,
      },
    };
  }

  for (let i = 0; i < opts.nodes; i++) {
    const shape = nodeShape(i);
    const name = nodeName(i);
    counts.nodes++;
    yield {
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name,
        uid: syntheticUid(TAG.node, i),
        creationTimestamp: created,
        labels: {
          "kubernetes.io/hostname": name,
          "kubernetes.io/os": "linux",
          "kubernetes.io/arch": shape.arch,
          "node.kubernetes.io/instance-type": "m6i.2xlarge",
          "topology.kubernetes.io/zone": `zone-${i % 3}`,
        },
        annotations: {
          "node.alpha.kubernetes.io/ttl": "0",
          "volumes.kubernetes.io/controller-managed-attach-detach": "true",
        },
      },
      spec: { podCIDR: `10.${(i >> 8) & 255}.${i & 255}.0/24`, providerID: `aws:///zone-${i % 3}/i-${i}` },
      status: {
        capacity: { cpu: "8", memory: "32507400Ki", pods: "110", "ephemeral-storage": "104845292Ki" },
        allocatable: { cpu: "7910m", memory: "31490568Ki", pods: "110", "ephemeral-storage": "95551679124" },
        conditions: [
          { type: "MemoryPressure", status: "False", reason: "KubeletHasSufficientMemory" },
          { type: "DiskPressure", status: "False", reason: "KubeletHasNoDiskPressure" },
          { type: "PIDPressure", status: "False", reason: "KubeletHasSufficientPID" },
          {
            type: "Ready",
            status: "True",
            reason: "KubeletReady",
            message: "kubelet is posting ready status",
          },
        ],
        addresses: [
          { type: "InternalIP", address: `10.0.${(i >> 8) & 255}.${i & 255}` },
          { type: "Hostname", address: name },
        ],
        nodeInfo: {
          machineID: syntheticUid(TAG.node, i).replace(/-/g, ""),
          systemUUID: syntheticUid(TAG.node, i),
          bootID: syntheticUid(TAG.node + 100, i),
          kernelVersion: "6.1.0-28-cloud-amd64",
          osImage: "Debian GNU/Linux 12 (bookworm)",
          containerRuntimeVersion: shape.runtime,
          kubeletVersion: shape.kubelet,
          kubeProxyVersion: "",
          operatingSystem: "linux",
          architecture: shape.arch,
        },
        // The scan drops this list (trimObject); real nodes carry dozens of entries.
        images: Array.from({ length: 20 }, (_, k) => ({
          names: [
            `registry.example.com/base/layer-${k}@sha256:${"0".repeat(60)}${String(k).padStart(4, "0")}`,
          ],
          sizeBytes: 10_000_000 + k,
        })),
      },
    };
  }

  let pod = 0;
  for (let d = 0; d < opts.deployments; d++) {
    const ns = nsName(d % Math.max(1, opts.namespaces));
    const app = `svc-${String(d).padStart(5, "0")}`;
    const hash = templateHash(d);
    const deployUid = syntheticUid(TAG.deployment, d);
    const rsUid = syntheticUid(TAG.replicaSet, d);
    const docker = every > 0 && d % every === every - 1;
    const image = `registry.example.com/${ns}/${app}:1.${d % 17}.${d % 5}`;
    const container: Obj = {
      name: "app",
      image,
      ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
      env: [
        { name: "APP_NAME", value: app },
        { name: "POD_NAME", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" } } },
        { name: "LOG_LEVEL", value: "info" },
      ],
      resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } },
      readinessProbe: { httpGet: { path: "/ready", port: 8080, scheme: "HTTP" }, periodSeconds: 10 },
      livenessProbe: { httpGet: { path: "/healthz", port: 8080, scheme: "HTTP" }, periodSeconds: 20 },
      volumeMounts: [
        { name: "config", mountPath: "/etc/app" },
        ...(docker ? [{ name: "docker-sock", mountPath: "/var/run/docker.sock" }] : []),
      ],
      terminationMessagePath: "/dev/termination-log",
      terminationMessagePolicy: "File",
      imagePullPolicy: "IfNotPresent",
    };
    const volumes: Obj[] = [
      { name: "config", configMap: { name: `${app}-config`, defaultMode: 420 } },
      ...(docker
        ? [{ name: "docker-sock", hostPath: { path: "/var/run/docker.sock", type: "Socket" } }]
        : []),
    ];
    const podSpec: Obj = {
      containers: [container],
      volumes,
      restartPolicy: "Always",
      terminationGracePeriodSeconds: 30,
      dnsPolicy: "ClusterFirst",
      serviceAccountName: "default",
      securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
      schedulerName: "default-scheduler",
    };
    if (docker) counts.dockerSocketDeployments++;
    const labels = { "app.kubernetes.io/name": app, "app.kubernetes.io/part-of": ns };
    counts.deployments++;
    yield {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: {
        name: app,
        namespace: ns,
        uid: deployUid,
        generation: 3,
        creationTimestamp: created,
        labels,
        annotations: { "deployment.kubernetes.io/revision": "3" },
        managedFields: managedFields("kubectl-client-side-apply", created, {
          "f:spec": { "f:replicas": {}, "f:template": { "f:spec": { "f:containers": {} } } },
        }),
      },
      spec: {
        replicas: opts.podsPerDeployment,
        selector: { matchLabels: { "app.kubernetes.io/name": app } },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } },
        revisionHistoryLimit: 10,
        template: { metadata: { labels }, spec: podSpec },
      },
      status: {
        observedGeneration: 3,
        replicas: opts.podsPerDeployment,
        readyReplicas: opts.podsPerDeployment,
        availableReplicas: opts.podsPerDeployment,
      },
    };
    const rsName = `${app}-${hash}`;
    const rsLabels = { ...labels, "pod-template-hash": hash };
    const ownerOf = (kind: string, apiVersion: string, name: string, uid: string) => [
      { apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: true },
    ];
    counts.replicaSets++;
    yield {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: {
        name: rsName,
        namespace: ns,
        uid: rsUid,
        generation: 1,
        creationTimestamp: created,
        labels: rsLabels,
        annotations: {
          "deployment.kubernetes.io/desired-replicas": String(opts.podsPerDeployment),
          "deployment.kubernetes.io/max-replicas": String(opts.podsPerDeployment + 1),
          "deployment.kubernetes.io/revision": "3",
        },
        ownerReferences: ownerOf("Deployment", "apps/v1", app, deployUid),
      },
      spec: {
        replicas: opts.podsPerDeployment,
        selector: { matchLabels: { "app.kubernetes.io/name": app, "pod-template-hash": hash } },
        template: { metadata: { labels: rsLabels }, spec: podSpec },
      },
      status: { replicas: opts.podsPerDeployment, readyReplicas: opts.podsPerDeployment },
    };
    for (let r = 0; r < opts.podsPerDeployment; r++, pod++) {
      const name = `${rsName}-${(pod * 7919).toString(36).padStart(5, "0").slice(-5)}`;
      const node = nodeName(pod % Math.max(1, opts.nodes));
      counts.pods++;
      yield {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
          name,
          generateName: `${rsName}-`,
          namespace: ns,
          uid: syntheticUid(TAG.pod, pod),
          creationTimestamp: created,
          labels: rsLabels,
          ownerReferences: ownerOf("ReplicaSet", "apps/v1", rsName, rsUid),
          managedFields: managedFields("kube-controller-manager", created, {
            "f:metadata": { "f:generateName": {}, "f:labels": {}, "f:ownerReferences": {} },
            "f:spec": { "f:containers": { 'k:{"name":"app"}': {} } },
          }),
        },
        spec: {
          ...podSpec,
          nodeName: node,
          tolerations: [
            {
              key: "node.kubernetes.io/not-ready",
              operator: "Exists",
              effect: "NoExecute",
              tolerationSeconds: 300,
            },
            {
              key: "node.kubernetes.io/unreachable",
              operator: "Exists",
              effect: "NoExecute",
              tolerationSeconds: 300,
            },
          ],
        },
        status: {
          phase: "Running",
          conditions: [
            { type: "Initialized", status: "True", lastTransitionTime: created },
            { type: "Ready", status: "True", lastTransitionTime: created },
            { type: "ContainersReady", status: "True", lastTransitionTime: created },
            { type: "PodScheduled", status: "True", lastTransitionTime: created },
          ],
          hostIP: `10.0.${(pod >> 8) & 255}.${pod & 255}`,
          podIP: `10.${(pod >> 16) & 255}.${(pod >> 8) & 255}.${pod & 255}`,
          startTime: created,
          containerStatuses: [
            {
              name: "app",
              ready: true,
              restartCount: 0,
              started: true,
              image,
              imageID: `${image.split(":")[0]}@sha256:${syntheticUid(TAG.deployment, d).replace(/-/g, "").padEnd(64, "0")}`,
              containerID: `containerd://${syntheticUid(TAG.pod, pod).replace(/-/g, "").padEnd(64, "0")}`,
              state: { running: { startedAt: created } },
            },
          ],
          qosClass: "Burstable",
        },
      };
    }
  }
  return counts;
}

/** Runs the generator into an array, with the counts. */
export function generateObjects(opts: GenerateOptions): { objects: Obj[]; counts: GeneratedCounts } {
  const objects: Obj[] = [];
  const it = generateCluster(opts);
  for (;;) {
    const r = it.next();
    if (r.done) return { objects, counts: r.value };
    objects.push(r.value);
  }
}
