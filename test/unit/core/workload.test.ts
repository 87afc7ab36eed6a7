import { describe, expect, it } from "vitest";
import { EnvStore, expandVars } from "../../../src/core/env.js";
import { POD_LAYOUTS } from "../../../src/core/pod-layouts.js";
import { containerFieldPath, toK8sObject, toWorkloads } from "../../../src/core/workload.js";

describe("toWorkloads", () => {
  it("keeps every argv element at its source index", () => {
    const raw = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p" },
      spec: {
        containers: [
          {
            name: "c",
            command: ["sh", null, 3, "-c"],
            args: ["", "docker ps"],
            livenessProbe: { exec: { command: [{}, "docker", "ps"] } },
          },
        ],
      },
    };
    const w = toWorkloads(toK8sObject(raw as never, {}))[0];
    const c = w?.template.containers[0];
    expect(c?.command).toEqual(["sh", "", "3", "-c"]);
    expect(c?.args).toEqual(["", "docker ps"]);
    expect(c?.execHooks[0]?.command).toEqual(["", "docker", "ps"]);
  });
});

const obj = (raw: Record<string, unknown>) => toK8sObject(raw as never, {});
const paths = (raw: Record<string, unknown>) =>
  toWorkloads(obj(raw)).flatMap((w) => w.template.containers.map((c) => c.path.join(".")));

describe("pod layout table", () => {
  it("every row cites a source", () => {
    for (const row of POD_LAYOUTS) expect(row.source).toMatch(/^https:\/\//);
  });

  it("Kubeflow PyTorchJob: one pod per replica role", () => {
    const c = { name: "pytorch", image: "pytorch/pytorch:2.3.0" };
    const p = paths({
      apiVersion: "kubeflow.org/v1",
      kind: "PyTorchJob",
      spec: {
        pytorchReplicaSpecs: {
          Master: { replicas: 1, template: { spec: { containers: [c] } } },
          Worker: { replicas: 2, template: { spec: { containers: [c] } } },
        },
      },
    });
    expect(p).toEqual([
      "spec.pytorchReplicaSpecs.Master.template.spec.containers.0",
      "spec.pytorchReplicaSpecs.Worker.template.spec.containers.0",
    ]);
  });

  it("Spark: driver and executor are containers, the image defaults to spec.image", () => {
    const ws = toWorkloads(
      obj({
        apiVersion: "sparkoperator.k8s.io/v1beta2",
        kind: "SparkApplication",
        spec: {
          image: "spark:3.5.1",
          volumes: [{ name: "d", hostPath: { path: "/var/run/docker.sock" } }],
          driver: { volumeMounts: [{ name: "d", mountPath: "/d" }] },
          executor: { image: "spark:3.5.1-exec", sidecars: [{ name: "s", image: "busybox" }] },
        },
      }),
    );
    expect(
      ws.map((w) => w.template.containers.map((c) => `${c.name}=${c.image}@${c.path.join(".")}`)),
    ).toEqual([
      ["driver=spark:3.5.1@spec.driver"],
      ["executor=spark:3.5.1-exec@spec.executor", "s=busybox@spec.executor.sidecars.0"],
    ]);
    // The shared volume goes only to the pod that mounts it.
    expect(ws.map((w) => w.template.volumes.map((v) => v.path.join(".")))).toEqual([["spec.volumes.0"], []]);
  });

  it("Spark: an image from spec.image is reported at spec.image", () => {
    const ws = toWorkloads(
      obj({
        apiVersion: "sparkoperator.k8s.io/v1beta2",
        kind: "SparkApplication",
        spec: { image: "spark:3.5.1", driver: {}, executor: { image: "spark:exec" } },
      }),
    );
    const [driver, executor] = ws.map((w) => w.template.containers[0]);
    expect(driver && containerFieldPath(driver, ["image"]).join(".")).toBe("spec.image");
    expect(executor && containerFieldPath(executor, ["image"]).join(".")).toBe("spec.executor.image");
  });

  it("a built-in kind keeps its template; a ConfigMap is not walked", () => {
    expect(
      paths({ kind: "Deployment", spec: { template: { spec: { containers: [{ image: "a" }] } } } }),
    ).toEqual(["spec.template.spec.containers.0"]);
    expect(paths({ apiVersion: "v1", kind: "ConfigMap", data: { containers: "x" } })).toEqual([]);
  });

  it("an unknown CRD is walked; images are required to call a list containers", () => {
    const ws = toWorkloads(
      obj({
        apiVersion: "x.example.com/v1",
        kind: "Thing",
        spec: { a: [{ containers: [{ name: "c", image: "i" }] }], b: { containers: ["no image"] } },
      }),
    );
    expect(ws.map((w) => [w.generic, w.unitPath.join(".")])).toEqual([[true, "spec.a.0"]]);
  });
});

describe("container env as the kubelet builds it", () => {
  const store = new EnvStore();
  store.add(
    obj({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm" }, data: { HOST: "h", A: "1" } }),
  );
  store.add(
    obj({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "s", namespace: "ns" },
      data: { TOKEN: btoa("t0") },
      stringData: { TOKEN: "t1" },
    }),
  );
  const container = (c: Record<string, unknown>) =>
    toWorkloads(
      obj({ apiVersion: "v1", kind: "Pod", metadata: { namespace: "ns" }, spec: { containers: [c] } }),
      store,
    )[0]?.template.containers[0];

  it("envFrom with a prefix, then env (a later definition wins), stringData over data", () => {
    const c = container({
      image: "i",
      envFrom: [{ configMapRef: { name: "cm" }, prefix: "P_" }, { secretRef: { name: "s" } }],
      env: [{ name: "P_A", value: "2" }],
    });
    expect(c?.env.map((e) => `${e.name}=${e.value}@${e.path.join(".")}`)).toEqual([
      "P_HOST=h@spec.containers.0.envFrom.0",
      "TOKEN=t1@spec.containers.0.envFrom.1",
      "P_A=2@spec.containers.0.env.0",
    ]);
  });

  it("$(VAR) in env values, command, args and subPathExpr; unknown references stay", () => {
    const c = container({
      image: "i",
      env: [
        { name: "D", valueFrom: { configMapKeyRef: { name: "cm", key: "HOST" } } },
        { name: "E", value: "$(D)-$(NOPE)" },
      ],
      command: ["run", "$(E)", "$$(E)", "$(docker ps -q)"],
      volumeMounts: [{ name: "v", mountPath: "/m", subPathExpr: "logs/$(D)" }],
    });
    expect(c?.env.find((e) => e.name === "E")?.value).toBe("h-$(NOPE)");
    expect(c?.command).toEqual(["run", "h-$(NOPE)", "$(E)", "$(docker ps -q)"]);
    expect(c?.volumeMounts[0]).toMatchObject({ subPath: "logs/h", subPathField: "subPathExpr" });
  });

  it("expandVars follows third_party/forked/golang/expansion/expand.go", () => {
    const m = (n: string) => (n === "A" ? "x" : undefined);
    expect(expandVars("$(A)", m)).toBe("x");
    expect(expandVars("$$(A)", m)).toBe("$(A)");
    expect(expandVars("$$", m)).toBe("$");
    expect(expandVars("$(A", m)).toBe("$(A");
    expect(expandVars("$HOME $", m)).toBe("$HOME $");
    expect(expandVars("$(B)", m)).toBe("$(B)");
  });
});

describe("containerFieldPath", () => {
  // templateDefaults.container, the template's container, then the template's podSpecPatch: each writes
  // one key of securityContext, and each key is found where it is written.
  const argo = {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Workflow",
    metadata: { name: "w" },
    spec: {
      templateDefaults: { container: { securityContext: { privileged: true }, command: ["dockerd"] } },
      templates: [
        {
          name: "t",
          container: { image: "alpine", securityContext: { runAsUser: 0 }, env: [{ name: "A", value: "1" }] },
          podSpecPatch: JSON.stringify({
            containers: [{ name: "main", securityContext: { seccompProfile: { type: "Unconfined" } } }],
          }),
        },
      ],
    },
  };

  it("follows each field to the layer that writes it, through mappings merged from several layers", () => {
    const c = toWorkloads(obj(argo), undefined, JSON.parse)[0]?.template.containers[0];
    if (!c) throw new Error("no container");
    const at = (...rel: (string | number)[]) => containerFieldPath(c, rel).join(".");
    expect(c.privileged).toBe(true);
    expect(c.seccompProfileType).toBe("Unconfined");
    expect(at("securityContext", "privileged")).toBe(
      "spec.templateDefaults.container.securityContext.privileged",
    );
    expect(at("securityContext", "runAsUser")).toBe("spec.templates.0.container.securityContext.runAsUser");
    expect(at("securityContext", "seccompProfile", "type")).toBe(
      "spec.templates.0.podSpecPatch.containers.0.securityContext.seccompProfile.type",
    );
    expect(at("command", 0)).toBe("spec.templateDefaults.container.command.0");
    expect(at("image")).toBe("spec.templates.0.container.image");
    expect(at("env", 0, "value")).toBe("spec.templates.0.container.env.0.value");
    // A field no layer writes is given at the container's own place.
    expect(at("securityContext", "capabilities")).toBe(
      "spec.templates.0.container.securityContext.capabilities",
    );
  });

  it("finds a key of another layer inside a mapping merged with the container's own", () => {
    // Only `resources` mixes layers: every other field of the step is its own.
    const c = toWorkloads(
      obj({
        apiVersion: "tekton.dev/v1",
        kind: "Task",
        spec: {
          stepTemplate: { resources: { limits: { "nvidia.com/gpu": "1" } } },
          steps: [{ name: "s", image: "x", resources: { requests: { cpu: "1" } } }],
        },
      }),
    )[0]?.template.containers[0];
    if (!c) throw new Error("no container");
    expect(containerFieldPath(c, ["resources", "limits", "nvidia.com/gpu"]).join(".")).toBe(
      "spec.stepTemplate.resources.limits.nvidia.com/gpu",
    );
    expect(containerFieldPath(c, ["resources", "requests", "cpu"]).join(".")).toBe(
      "spec.steps.0.resources.requests.cpu",
    );
  });

  it("keeps a container's own env entry at its own index when a patch replaces an earlier one", () => {
    const raw = {
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Workflow",
      spec: {
        templates: [
          {
            name: "t",
            container: {
              image: "alpine",
              env: [
                { name: "A", value: "1" },
                { name: "DOCKER_HOST", value: "tcp://d:2375" },
              ],
            },
            podSpecPatch: JSON.stringify({
              containers: [{ name: "main", env: [{ name: "A", value: "2" }] }],
            }),
          },
        ],
      },
    };
    const env = toWorkloads(obj(raw), undefined, JSON.parse)[0]?.template.containers[0]?.env ?? [];
    expect(env.map((e) => `${e.name}=${e.value} ${e.path.join(".")}`)).toEqual([
      "DOCKER_HOST=tcp://d:2375 spec.templates.0.container.env.1",
      "A=2 spec.templates.0.podSpecPatch.containers.0.env.0",
    ]);
  });

  it("gives an Argo template's pod its own volume, not the workflow volume of the same name", () => {
    // Argo looks a mount's volume up in the template's volumes first (addVolumeReferences).
    const raw = {
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Workflow",
      spec: {
        volumes: [
          { name: "data", hostPath: { path: "/var/run/docker.sock" } },
          { name: "sock", hostPath: { path: "/var/run/docker.sock" } },
        ],
        templates: [
          {
            name: "own",
            volumes: [{ name: "data", emptyDir: {} }],
            container: { image: "alpine", volumeMounts: [{ name: "data", mountPath: "/d" }] },
          },
          {
            name: "shared",
            container: {
              image: "alpine",
              volumeMounts: [
                { name: "data", mountPath: "/d" },
                { name: "sock", mountPath: "/s" },
              ],
            },
          },
        ],
      },
    };
    const vols = toWorkloads(obj(raw)).map((w) =>
      w.template.volumes.map((v) => `${v.name} ${v.hostPath?.path ?? "-"} ${v.path.join(".")}`),
    );
    expect(vols).toEqual([
      ["data - spec.templates.0.volumes.0"],
      ["data /var/run/docker.sock spec.volumes.0", "sock /var/run/docker.sock spec.volumes.1"],
    ]);
  });

  it("puts every volume of a Tekton TaskRun's podTemplate into its pod, mounted or not", () => {
    // Tekton appends podTemplate.Volumes to the task's (pkg/pod/pod.go); the kubelet sets up each one.
    const raw = {
      apiVersion: "tekton.dev/v1",
      kind: "TaskRun",
      spec: {
        taskSpec: { steps: [{ name: "build", image: "alpine" }], volumes: [{ name: "work", emptyDir: {} }] },
        podTemplate: {
          volumes: [{ name: "sock", hostPath: { path: "/var/run/docker.sock", type: "Socket" } }],
        },
      },
    };
    const vols = toWorkloads(obj(raw))[0]?.template.volumes.map((v) => `${v.name} ${v.path.join(".")}`);
    expect(vols).toEqual(["work spec.taskSpec.volumes.0", "sock spec.podTemplate.volumes.0"]);
  });

  it("is the container's path plus the field for a container with no other layer", () => {
    const c = toWorkloads(
      obj({ apiVersion: "v1", kind: "Pod", spec: { containers: [{ name: "c", image: "x" }] } }),
    )[0]?.template.containers[0];
    expect(c && containerFieldPath(c, ["securityContext", "privileged"])).toEqual([
      "spec",
      "containers",
      0,
      "securityContext",
      "privileged",
    ]);
  });
});
