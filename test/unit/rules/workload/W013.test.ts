import { describe, expect, it } from "vitest";
import { brief, findings, TPL } from "./helpers.js";

describe("W013 known-docker-agent", () => {
  it("matches agents by image repository across registries, with the vendor note", () => {
    const f = findings("W013", "fire-known-agents.yaml");
    expect(f.map(brief)).toEqual([
      {
        severity: "medium",
        container: "agent",
        name: "monitoring-agent",
        path: [...TPL, "containers", 0, "image"],
      },
      {
        severity: "medium",
        container: "process-agent",
        name: "monitoring-agent",
        path: [...TPL, "containers", 1, "image"],
      },
      { severity: "medium", container: "falco", name: "falco", path: [...TPL, "containers", 0, "image"] },
      {
        severity: "medium",
        container: "twistlock-defender",
        name: "twistlock-defender-ds",
        path: [...TPL, "containers", 0, "image"],
      },
      {
        severity: "high",
        container: "kubectl-flame",
        name: "profile-checkout",
        path: [...TPL, "containers", 0, "image"],
      },
    ]);
    expect(f.map((x) => x.evidence?.agent)).toEqual([
      "datadog-agent",
      "datadog-agent",
      "falco",
      "prisma-defender",
      "kubectl-flame",
    ]);
    expect(f[0]?.remediation).toContain("7.27");
    expect(f[3]?.remediation).toContain("--cri");
  });

  it("is high for the SignalFx docker-container-stats monitor, medium for the agent itself", () => {
    expect(findings("W013", "fire-signalfx-monitor.yaml").map(brief)).toEqual([
      { severity: "high", name: "signalfx-agent", path: ["data", "agent.yaml"] },
      {
        severity: "medium",
        container: "signalfx-agent",
        name: "signalfx-agent",
        path: [...TPL, "containers", 0, "image"],
      },
    ]);
  });

  it("is info when staying on cri-dockerd", () => {
    expect(
      new Set(findings("W013", "fire-known-agents.yaml", { runtimes: "cri-dockerd" }).map((x) => x.severity)),
    ).toEqual(new Set(["info"]));
  });

  it("ignores agent names in metadata and the vendors' other images", () => {
    expect(findings("W013", "quiet-names-only.yaml")).toEqual([]);
  });
});

describe("W013 agent versions and configuration", () => {
  it("stays quiet on agents at a CRI-capable version or configured for containerd/CRI-O", () => {
    expect(findings("W013", "quiet-supported-versions.yaml")).toEqual([]);
  });

  it("fires on a Docker configuration, an old release, an unknown version and cAdvisor's docker_only", () => {
    const f = findings("W013", "fire-versions-and-configs.yaml");
    expect(f.map((x) => [x.subject.container, x.severity, x.evidence?.agent])).toEqual([
      ["dd-docker", "medium", "datadog-agent"],
      ["newrelic", "medium", "newrelic-infrastructure"],
      ["falco-digest", "medium", "falco"],
      ["cadvisor", "high", "cadvisor"],
    ]);
    expect(f.map((x) => x.message.slice(x.message.indexOf("containerd/CRI-O") + 16))).toEqual([
      ": it is configured for Docker (DD_CRI_SOCKET_PATH=/var/run/docker.sock).",
      ": 1.20.5 is older than 1.42.0, the first release that needs no steps.",
      ": its version is not in the tag; releases before 0.41.0 need the steps.",
      ": it runs with -docker_only.",
    ]);
    expect(f[1]?.remediation).toContain("https://docs.newrelic.com/");
  });
});
