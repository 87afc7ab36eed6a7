import { describe, expect, it } from "vitest";
import { brief, findings, TPL } from "./helpers.js";

describe("W005 containerd-socket-mount", () => {
  it("fires high against containerd 2.x, including a k3s socket reached by subPath", () => {
    const f = findings("W005", "fire-containerd-clients.yaml", { runtimes: "containerd@2.1" });
    expect(f.map(brief)).toEqual([
      {
        severity: "high",
        container: "inspector",
        name: "runtime-inspector",
        path: [...TPL, "volumes", 0, "hostPath", "path"],
      },
      {
        severity: "high",
        container: "inspector",
        name: "k3s-inspector",
        path: ["spec", "containers", 0, "volumeMounts", 0, "subPath"],
      },
    ]);
    expect(f[1]?.evidence?.normalized).toBe("/run/k3s/containerd/containerd.sock");
  });

  it("is medium when the target stays on containerd 1.7, high when a CRI-O pool has no such socket", () => {
    expect(
      findings("W005", "fire-containerd-clients.yaml", { runtimes: "containerd@1.7" }).map((x) => x.severity),
    ).toEqual(["medium", "medium"]);
    expect(
      findings("W005", "fire-containerd-clients.yaml", { runtimes: "cri-o@1.34" }).map((x) => x.severity),
    ).toEqual(["high", "high"]);
  });

  it("ignores containerd's state dir and the ttrpc socket", () => {
    expect(findings("W005", "quiet-containerd-state.yaml")).toEqual([]);
  });
});
