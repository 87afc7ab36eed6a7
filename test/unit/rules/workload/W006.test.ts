import { describe, expect, it } from "vitest";
import { auditFixture, brief, findings, TPL } from "./helpers.js";

describe("W006 docker-data-dir-mount", () => {
  it("is medium for a monitor (cAdvisor) mounting /var/lib/docker", () => {
    expect(findings("W006", "fire-cadvisor.yaml").map(brief)).toEqual([
      {
        severity: "medium",
        container: "cadvisor",
        name: "cadvisor",
        path: [...TPL, "volumes", 2, "hostPath", "path"],
      },
    ]);
  });

  it("is high for a log shipper, even with a trailing slash", () => {
    const f = findings("W006", "fire-log-shipper.yaml");
    expect(f.map(brief)).toEqual([
      {
        severity: "high",
        container: "fluent-bit",
        name: "fluent-bit",
        path: [...TPL, "volumes", 1, "hostPath", "path"],
      },
    ]);
    expect(f[0]?.message).toContain("log shipper");
  });

  it("fires on /etc/docker, info when staying on Docker", () => {
    expect(findings("W006", "fire-etc-docker.yaml").map(brief)).toEqual([
      {
        severity: "medium",
        container: "write-config",
        name: "registry-mirror-config",
        path: [...TPL, "volumes", 0, "hostPath", "path"],
      },
    ]);
    expect(findings("W006", "fire-etc-docker.yaml", { runtimes: "cri-dockerd" })[0]?.severity).toBe("info");
  });

  it("ignores prefix lookalikes and leaves /var/lib/docker/containers to W007", () => {
    const all = auditFixture("W006", "quiet-lookalike-dirs.yaml");
    expect(all.filter((f) => f.ruleId === "W006")).toEqual([]);
    expect(all.filter((f) => f.ruleId === "W007").map((f) => f.path)).toEqual([
      ["spec", "volumes", 2, "hostPath", "path"],
    ]);
  });
});
