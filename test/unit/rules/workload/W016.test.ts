import { describe, expect, it } from "vitest";
import { brief, findings, TPL } from "./helpers.js";

describe("W016 crio-socket-mount", () => {
  it("fires high when some target nodes will not run CRI-O", () => {
    const f = findings("W016", "fire-crio-sock.yaml");
    expect(f.map(brief)).toEqual([
      {
        severity: "high",
        container: "scanner",
        name: "runtime-scanner",
        path: [...TPL, "volumes", 0, "hostPath", "path"],
      },
    ]);
  });

  it("is medium when every target is CRI-O", () => {
    expect(
      findings("W016", "fire-crio-sock.yaml", { runtimes: "cri-o@1.34" }).map((x) => x.severity),
    ).toEqual(["medium"]);
  });

  it("does not fire on /etc/crio or the containerd socket", () => {
    expect(findings("W016", "quiet-crio-config.yaml")).toEqual([]);
  });
});
