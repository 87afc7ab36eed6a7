import { describe, expect, it } from "vitest";
import { deviceOf } from "../../../../src/rules/data/devices.js";
import { brief, findings, TPL } from "./helpers.js";

describe("W015 runtime-class-or-device", () => {
  it("fires once per device resource (limits first) and on runtimeClassName", () => {
    expect(findings("W015", "fire-gpu-and-runtimeclass.yaml").map(brief)).toEqual([
      {
        severity: "medium",
        container: "trainer",
        name: "train",
        path: [...TPL, "containers", 0, "resources", "limits", "nvidia.com/gpu"],
      },
      { severity: "medium", name: "sandboxed", path: ["spec", "runtimeClassName"] },
      {
        severity: "medium",
        container: "app",
        name: "sandboxed",
        path: ["spec", "containers", 0, "resources", "limits", "gpu.intel.com/i915"],
      },
    ]);
  });

  it("ignores cpu, memory, hugepages, ephemeral storage and non-device extended resources", () => {
    expect(findings("W015", "quiet-plain-resources.yaml")).toEqual([]);
    expect(deviceOf("amd.com/gpu")?.id).toBe("amd");
    expect(deviceOf("nvidia.com/mig-1g.5gb")?.id).toBe("nvidia");
    expect(deviceOf("hugepages-1Gi")).toBeUndefined();
  });
});
