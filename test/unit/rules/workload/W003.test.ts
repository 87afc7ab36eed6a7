import { describe, expect, it } from "vitest";
import { brief, CRON_TPL, findings } from "./helpers.js";

describe("W003 cri-dockerd-socket-mount", () => {
  it("fires high when leaving Docker, on a CronJob's template path", () => {
    const f = findings("W003", "fire-cri-dockerd.yaml");
    expect(f.map(brief)).toEqual([
      {
        severity: "high",
        container: "crictl",
        name: "crictl-prune",
        path: [...CRON_TPL, "volumes", 0, "hostPath", "path"],
      },
    ]);
  });

  it("is info when staying on cri-dockerd", () => {
    expect(
      findings("W003", "fire-cri-dockerd.yaml", { runtimes: "cri-dockerd" }).map((x) => x.severity),
    ).toEqual(["info"]);
  });

  it("does not fire on the containerd socket", () => {
    expect(findings("W003", "quiet-containerd.yaml")).toEqual([]);
  });
});
