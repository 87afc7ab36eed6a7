/** Rules must never throw on malformed input (the engine would turn a throw into an "internal error" finding). */
import { describe, expect, it } from "vitest";
import { auditObject } from "../../../../src/core/rule.js";
import { makeTarget } from "../../../../src/core/target.js";
import { type JsonObject, toK8sObject } from "../../../../src/core/workload.js";
import { workloadRules } from "../../../../src/rules/workload/index.js";

const ctx = { target: makeTarget({}) };

function audit(raw: JsonObject) {
  return auditObject(toK8sObject(raw, { file: "x.yaml" }), workloadRules, ctx, { ignore: new Set() })
    .findings;
}

const weird: JsonObject[] = [
  { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { containers: "nope", volumes: { a: 1 } } },
  {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p", annotations: { "seccomp.security.alpha.kubernetes.io/pod": "" } },
    spec: {
      runtimeClassName: 42,
      containers: [
        null,
        {
          name: "c",
          image: 7,
          command: ["sh", "-c", 'docker ps "$(', 3, null],
          args: { a: 1 },
          env: [{ name: "DOCKER_HOST" }, { name: "DOCKER_HOST", value: "tcp://" }, "x"],
          volumeMounts: [{ name: "v", mountPath: "", subPath: "../../docker.sock" }, { name: 1 }],
          resources: { limits: ["nvidia.com/gpu"], requests: { "nvidia.com/gpu": { n: 1 } } },
          livenessProbe: { exec: { command: "docker info" } },
          lifecycle: { preStop: { exec: { command: ["bash", "-c"] } } },
        },
      ],
      volumes: [
        { name: "v", hostPath: { path: "" } },
        { name: "w", hostPath: { path: 5 } },
        { hostPath: null },
      ],
    },
  },
  {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "cm" },
    data: { a: 1, b: null, c: "<source>\n</x>\n</y>" },
  },
  { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm" }, data: ["x"] },
];

describe("workload rules on malformed objects", () => {
  it("never produce internal errors", () => {
    for (const raw of weird) {
      const f = audit(raw);
      expect(
        f.filter((x) => x.message.startsWith("internal error")),
        JSON.stringify(raw),
      ).toEqual([]);
    }
  });

  it("survive pathological shell input quickly", () => {
    const script = `${"$(".repeat(200)}docker ps${")".repeat(200)} ${"'".repeat(3001)} ${"`".repeat(501)}`;
    const start = Date.now();
    const f = audit({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p" },
      spec: { containers: [{ name: "c", image: "alpine", command: ["sh", "-c", script] }] },
    });
    expect(f.filter((x) => x.message.startsWith("internal error"))).toEqual([]);
    expect(Date.now() - start).toBeLessThan(2000);
  });
});
