import { describe, expect, it } from "vitest";
import { brief, findings, TPL } from "./helpers.js";

describe("W002 dockershim-socket-mount", () => {
  it("fires critical whatever the target, the socket is gone since 1.24", () => {
    for (const runtimes of ["containerd@2.3", "cri-dockerd", "cri-o@1.34"]) {
      const f = findings("W002", "fire-cni-dockershim.yaml", { runtimes });
      expect(f.map(brief)).toEqual([
        {
          severity: "critical",
          container: "aws-node",
          name: "aws-node",
          path: [...TPL, "volumes", 1, "hostPath", "path"],
        },
      ]);
    }
  });

  it("does not fire on the Docker Engine socket", () => {
    expect(findings("W002", "quiet-docker-sock.yaml")).toEqual([]);
  });
});
