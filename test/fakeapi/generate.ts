/**
 * Generated clusters for the benchmark and the scale tests: `namespaces` × Deployments, each with its
 * ReplicaSet and pods, and nodes. Objects carry what a real API server returns (managedFields,
 * status, the last-applied annotation) so the client's trimming is measured, not skipped.
 */

type Obj = Record<string, unknown>;

export interface GenerateOptions {
  namespaces: number;
  deploymentsPerNamespace: number;
  podsPerDeployment: number;
  nodes: number;
}

const uid = (kind: string, i: number) => `00000000-0000-4000-${kind}-${i.toString(16).padStart(12, "0")}`;

function container(name: string, image: string, docker: boolean): Obj {
  const c: Obj = {
    name,
    image,
    ports: [{ containerPort: 8080, protocol: "TCP" }],
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } },
    env: [
      { name: "LOG_LEVEL", value: "info" },
      { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    ],
    terminationMessagePath: "/dev/termination-log",
    terminationMessagePolicy: "File",
    imagePullPolicy: "IfNotPresent",
  };
  if (docker) c.volumeMounts = [{ name: "sock", mountPath: "/var/run/docker.sock" }];
  return c;
}

function podSpec(app: string, docker: boolean): Obj {
  const spec: Obj = {
    containers: [container(app, `registry.example.com/team/${app}:1.${docker ? 0 : 1}`, docker)],
    restartPolicy: "Always",
    terminationGracePeriodSeconds: 30,
    dnsPolicy: "ClusterFirst",
    serviceAccountName: "default",
    securityContext: {},
    schedulerName: "default-scheduler",
  };
  if (docker) spec.volumes = [{ name: "sock", hostPath: { path: "/var/run/docker.sock", type: "" } }];
  return spec;
}

const MANAGED = [
  {
    manager: "kube-controller-manager",
    operation: "Update",
    apiVersion: "v1",
    time: "2026-01-01T00:00:00Z",
    fieldsType: "FieldsV1",
    fieldsV1: {
      "f:metadata": { "f:labels": { ".": {}, "f:app": {} }, "f:ownerReferences": {} },
      "f:spec": { "f:containers": {} },
    },
  },
];

/** Yields every object; the caller adds them to a FakeApiServer. */
export function* generateCluster(o: GenerateOptions): Generator<Obj> {
  for (let n = 0; n < o.nodes; n++) {
    const name = `node-${String(n).padStart(4, "0")}`;
    yield {
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name,
        uid: uid("0001", n),
        labels: {
          "kubernetes.io/os": "linux",
          "kubernetes.io/arch": n % 4 === 0 ? "arm64" : "amd64",
          "kubernetes.io/hostname": name,
        },
      },
      status: {
        nodeInfo: {
          kubeletVersion: n % 10 === 0 ? "v1.23.17" : "v1.33.2",
          containerRuntimeVersion: n % 10 === 0 ? "docker://20.10.24" : "containerd://1.7.27",
          operatingSystem: "linux",
          architecture: n % 4 === 0 ? "arm64" : "amd64",
          osImage: "Ubuntu 22.04.4 LTS",
          kernelVersion: "5.15.0-1",
        },
        conditions: [{ type: "Ready", status: "True" }],
        addresses: [{ type: "InternalIP", address: `10.0.${n >> 8}.${n & 255}` }],
        images: Array.from({ length: 20 }, (_, i) => ({
          names: [`registry.example.com/img-${i}@sha256:${"0".repeat(64)}`],
          sizeBytes: 1e8,
        })),
      },
    };
  }
  let d = 0;
  let p = 0;
  for (let ns = 0; ns < o.namespaces; ns++) {
    const namespace = `ns-${String(ns).padStart(3, "0")}`;
    yield { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace, uid: uid("0002", ns) } };
    yield { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace } };
    for (let k = 0; k < o.deploymentsPerNamespace; k++, d++) {
      const app = `app-${k}`;
      const docker = d % 50 === 0;
      const template = { metadata: { labels: { app } }, spec: podSpec(app, docker) };
      const deployUid = uid("0003", d);
      const rsUid = uid("0004", d);
      const rsName = `${app}-5d8f7c9b${(d % 100).toString().padStart(2, "0")}`;
      yield {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: {
          name: app,
          namespace,
          uid: deployUid,
          labels: { app },
          annotations: {
            "kubectl.kubernetes.io/last-applied-configuration": JSON.stringify({ spec: { template } }),
          },
          managedFields: MANAGED,
        },
        spec: { replicas: o.podsPerDeployment, selector: { matchLabels: { app } }, template },
        status: { replicas: o.podsPerDeployment, readyReplicas: o.podsPerDeployment },
      };
      yield {
        apiVersion: "apps/v1",
        kind: "ReplicaSet",
        metadata: {
          name: rsName,
          namespace,
          uid: rsUid,
          labels: { app },
          ownerReferences: [
            {
              apiVersion: "apps/v1",
              kind: "Deployment",
              name: app,
              uid: deployUid,
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
          managedFields: MANAGED,
        },
        spec: { replicas: o.podsPerDeployment, selector: { matchLabels: { app } }, template },
        status: { replicas: o.podsPerDeployment },
      };
      for (let i = 0; i < o.podsPerDeployment; i++, p++) {
        yield {
          apiVersion: "v1",
          kind: "Pod",
          metadata: {
            name: `${rsName}-${i.toString(36).padStart(5, "x")}`,
            namespace,
            uid: uid("0005", p),
            labels: { app, "pod-template-hash": "5d8f7c9b" },
            ownerReferences: [
              {
                apiVersion: "apps/v1",
                kind: "ReplicaSet",
                name: rsName,
                uid: rsUid,
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
            managedFields: MANAGED,
          },
          spec: {
            ...podSpec(app, docker),
            nodeName: `node-${String(p % Math.max(1, o.nodes)).padStart(4, "0")}`,
          },
          status: {
            phase: "Running",
            podIP: `10.1.${(p >> 8) & 255}.${p & 255}`,
            conditions: [
              { type: "Ready", status: "True", lastTransitionTime: "2026-01-01T00:00:00Z" },
              { type: "PodScheduled", status: "True", lastTransitionTime: "2026-01-01T00:00:00Z" },
            ],
            containerStatuses: [
              {
                name: app,
                ready: true,
                restartCount: 0,
                image: `registry.example.com/team/${app}:1`,
                imageID: `registry.example.com/team/${app}@sha256:${"a".repeat(64)}`,
                containerID: `containerd://${"b".repeat(64)}`,
                state: { running: { startedAt: "2026-01-01T00:00:00Z" } },
              },
            ],
          },
        };
      }
    }
  }
}
