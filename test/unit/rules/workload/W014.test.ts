import { describe, expect, it } from "vitest";
import { localLooking } from "../../../../src/rules/workload/W014.js";
import { brief, findings, TPL } from "./helpers.js";

describe("W014 local-only-image", () => {
  it("is critical for imagePullPolicy: Never when leaving Docker, info when staying", () => {
    expect(findings("W014", "fire-never.yaml").map(brief)).toEqual([
      {
        severity: "critical",
        container: "myapp",
        name: "myapp",
        path: [...TPL, "containers", 0, "imagePullPolicy"],
      },
    ]);
    expect(findings("W014", "fire-never.yaml", { runtimes: "cri-dockerd" })[0]?.severity).toBe("info");
  });

  it("hints at image IDs, localhost/ and dev tags on unqualified names", () => {
    expect(findings("W014", "fire-local-hints.yaml").map(brief)).toEqual([
      {
        severity: "medium",
        container: "migrate",
        name: "local-images",
        path: ["spec", "initContainers", 0, "image"],
      },
      {
        severity: "medium",
        container: "api",
        name: "local-images",
        path: ["spec", "containers", 0, "image"],
      },
      {
        severity: "low",
        container: "worker",
        name: "local-images",
        path: ["spec", "containers", 1, "image"],
      },
      {
        severity: "medium",
        container: "web",
        name: "local-images",
        path: ["spec", "containers", 2, "image"],
      },
    ]);
  });

  it("never fires on ordinary registry references", () => {
    expect(findings("W014", "quiet-registry-images.yaml")).toEqual([]);
    for (const ref of [
      "nginx:1.25",
      "bitnami/redis",
      "docker.io/library/busybox",
      "python:3.13-rc",
      "golang:1.23",
    ]) {
      expect(localLooking(ref)).toBeUndefined();
    }
  });
});

describe("W014 official images with channel tags", () => {
  it("does not take debian:testing or ubuntu:devel for local builds, but still flags myapp:dev", () => {
    expect(localLooking("debian:testing")).toBeUndefined();
    expect(localLooking("ubuntu:devel")).toBeUndefined();
    expect(localLooking("myapp:dev")?.strong).toBe(false);
  });
});
