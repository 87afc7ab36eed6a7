import { describe, expect, it } from "vitest";
import { auditFixture, brief, findings, TPL } from "./helpers.js";

describe("W004 runtime-socket-parent-mount", () => {
  it("fires on /var/run when the pod runs a known Docker-dependent agent", () => {
    const f = findings("W004", "fire-agent-mounts-var-run.yaml");
    expect(f.map(brief)).toEqual([
      {
        severity: "medium",
        container: "agent",
        name: "datadog-agent",
        path: [...TPL, "volumes", 1, "hostPath", "path"],
      },
    ]);
    expect(f[0]?.evidence?.signs).toContain("Datadog Agent");
  });

  it("stays quiet on /var/run for an agent version that detects containerd/CRI-O itself", () => {
    expect(findings("W004", "quiet-agent-detects-runtime.yaml")).toEqual([]);
    expect(auditFixture("W004", "quiet-agent-detects-runtime.yaml")).toEqual([]);
  });

  it("fires on / when a container runs docker through chroot", () => {
    const f = findings("W004", "fire-root-and-docker-cli.yaml");
    expect(f.map(brief)).toEqual([
      {
        severity: "medium",
        container: "debug",
        name: "node-debugger",
        path: [...TPL, "volumes", 0, "hostPath", "path"],
      },
    ]);
    expect(f[0]?.evidence?.signs).toContain("docker ps");
  });

  it("fires on /run when DOCKER_HOST points into it, and is info when staying on Docker", () => {
    const f = findings("W004", "fire-run-with-docker-host.yaml");
    expect(f.map(brief)).toEqual([
      {
        severity: "medium",
        container: "helper",
        name: "build-helper",
        path: ["spec", "volumes", 0, "hostPath", "path"],
      },
    ]);
    expect(findings("W004", "fire-run-with-docker-host.yaml", { runtimes: "cri-dockerd" })[0]?.severity).toBe(
      "info",
    );
  });

  it("stays quiet on a parent mount without other Docker signs (node-exporter)", () => {
    expect(findings("W004", "quiet-node-exporter.yaml")).toEqual([]);
  });

  it("leaves a subPath that reaches docker.sock to W001 (no double report)", () => {
    const all = auditFixture("W004", "quiet-subpath-reaches-socket.yaml");
    expect(all.filter((f) => f.ruleId === "W004")).toEqual([]);
    expect(all.filter((f) => f.ruleId === "W001").map(brief)).toEqual([
      {
        severity: "critical",
        container: "builder",
        name: "sock-via-subpath",
        path: ["spec", "containers", 0, "volumeMounts", 0, "subPath"],
      },
    ]);
  });

  it("does not count a DinD client on localhost as a Docker sign", () => {
    expect(findings("W004", "quiet-dind-sidecar-client.yaml")).toEqual([]);
  });
});
