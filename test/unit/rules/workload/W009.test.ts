import { describe, expect, it } from "vitest";
import { auditFixture, brief, CRON_TPL, findings, TPL } from "./helpers.js";

describe("W009 docker-host-env", () => {
  it("is high for a unix socket backed by a hostPath", () => {
    expect(findings("W009", "fire-host-socket.yaml").map(brief)).toEqual([
      {
        severity: "high",
        container: "controller",
        name: "ci-controller",
        path: [...TPL, "containers", 0, "env", 1, "value"],
      },
    ]);
  });

  it("is info for a DinD sidecar on 127.0.0.1", () => {
    const f = findings("W009", "fire-dind-sidecar.yaml");
    expect(f.map(brief)).toEqual([
      {
        severity: "info",
        container: "build",
        name: "runner-xyz-project-7-concurrent-1",
        path: ["spec", "containers", 0, "env", 0, "value"],
      },
    ]);
  });

  it("is high for localhost on the host network without a DinD container: that is the node's dockerd", () => {
    expect(findings("W009", "fire-hostnetwork-localhost.yaml").map(brief)).toEqual([
      {
        severity: "high",
        container: "agent",
        name: "host-agent",
        path: [...TPL, "containers", 0, "env", 0, "value"],
      },
    ]);
  });

  it("is medium for a remote daemon and for a value from a Secret (path at the env entry)", () => {
    expect(findings("W009", "fire-remote-and-secret.yaml").map(brief)).toEqual([
      {
        severity: "medium",
        container: "remote",
        name: "build-image",
        path: [...TPL, "containers", 0, "env", 0, "value"],
      },
      {
        severity: "medium",
        container: "from-secret",
        name: "build-image",
        path: [...TPL, "containers", 1, "env", 0],
      },
    ]);
  });

  it("is info for a host socket when staying on cri-dockerd", () => {
    expect(findings("W009", "fire-host-socket.yaml", { runtimes: "cri-dockerd" })[0]?.severity).toBe("info");
  });

  it("ignores DOCKER_REGISTRY, DOCKER_CONFIG and values that merely mention docker", () => {
    expect(findings("W009", "quiet-other-docker-env.yaml")).toEqual([]);
  });

  it("does not call a podman socket Docker Engine", () => {
    const f = findings("W009", "fire-podman-socket.yaml");
    expect(f.map((x) => x.severity)).toEqual(["high"]);
    expect(f[0]?.message).toContain("/run/podman/podman.sock");
    expect(f[0]?.message).not.toContain("only the node's Docker Engine provides");
  });
});

describe("W009 DOCKER_HOST assigned in the container's shell code", () => {
  it("reports inline and exported DOCKER_HOST like env, judged the same way", () => {
    const f = auditFixture("W008", "fire-wrappers-and-inline-host.yaml").filter((x) => x.ruleId === "W009");
    expect(
      f.map((x) => [x.subject.name, x.severity, x.subject.container, x.path, x.evidence?.value]),
    ).toEqual([
      [
        "runner-job-inline-host",
        "info",
        "build",
        ["spec", "containers", 0, "command", 2],
        "tcp://localhost:2375",
      ],
      [
        "node-image-gc",
        "high",
        "gc",
        [...CRON_TPL, "containers", 0, "args", 0],
        "unix:///var/run/docker.sock",
      ],
    ]);
    expect(f[1]?.message).toBe(
      'container "gc" sets DOCKER_HOST=unix:///var/run/docker.sock in its args ' +
        "(spec.jobTemplate.spec.template.spec.containers[0].args[0]): it points at /var/run/docker.sock, " +
        'a socket on the node (hostPath volume "run").',
    );
  });
});
