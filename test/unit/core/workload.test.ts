import { describe, expect, it } from "vitest";
import { toK8sObject, toWorkloads } from "../../../src/core/workload.js";

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
