import { describe, expect, it } from "vitest";
import { brief, CRON_TPL, findings, TPL } from "./helpers.js";

describe("W008 docker-cli-in-command", () => {
  it("finds daemon.json and systemctl restart docker inside nsenter -- sh -c (high: acts on the node)", () => {
    const f = findings("W008", "fire-node-config.yaml");
    expect(f.map(brief)).toEqual([
      {
        severity: "high",
        container: "configure",
        name: "docker-mirror-setup",
        path: [...TPL, "initContainers", 0, "command", 11],
      },
    ]);
    expect(f[0]?.evidence?.commands).toContain("systemctl restart docker.service");
    expect(f[0]?.evidence?.commands).toContain("> /etc/docker/daemon.json");
  });

  it("finds sudo -E /usr/bin/docker inside bash -lc args, high with the socket mounted", () => {
    const f = findings("W008", "fire-prune-cronjob.yaml");
    expect(f.map(brief)).toEqual([
      {
        severity: "high",
        container: "prune",
        name: "docker-prune",
        path: [...CRON_TPL, "containers", 0, "args", 0],
      },
    ]);
    expect(f[0]?.evidence?.commands).toBe("/usr/bin/docker system prune -af --filter until=168h");
  });

  it("finds docker in exec probes and inside $(...) in hooks, medium without a socket", () => {
    const f = findings("W008", "fire-probe-and-hook.yaml");
    expect(f.map(brief)).toEqual([
      {
        severity: "medium",
        container: "watchdog",
        name: "legacy-watchdog",
        path: [...TPL, "containers", 0, "livenessProbe", "exec", "command", 0],
      },
      {
        severity: "medium",
        container: "watchdog",
        name: "legacy-watchdog",
        path: [...TPL, "containers", 0, "lifecycle", "preStop", "exec", "command", 2],
      },
    ]);
  });

  it("is info for a CLI talking to the pod's own DinD daemon", () => {
    const f = findings("W008", "fire-dind-client.yaml");
    expect(f.map(brief)).toEqual([
      {
        severity: "info",
        container: "build",
        name: "runner-abc123-project-42-concurrent-0",
        path: ["spec", "containers", 0, "command", 2],
      },
    ]);
  });

  it("is info when every target is cri-dockerd", () => {
    expect(findings("W008", "fire-prune-cronjob.yaml", { runtimes: "cri-dockerd" })[0]?.severity).toBe(
      "info",
    );
  });

  it("never fires on docker-compose, dockerize, echo docker, --docker-flag, my-docker-tool, command -v docker", () => {
    expect(findings("W008", "quiet-lookalikes.yaml")).toEqual([]);
  });

  it("is medium when the only runtime directory mounted is containerd's (no Docker socket there)", () => {
    const f = findings("W008", "fire-containerd-dir-docker-cli.yaml");
    expect(f.map((x) => [x.severity, x.subject.container])).toEqual([["medium", "tools"]]);
  });
});

describe("W008 through command wrappers and inline DOCKER_HOST", () => {
  it("judges a CLI by the endpoint its script gives it, and sees docker behind flock/su/timeout/nice/watch/sudo", () => {
    const f = findings("W008", "fire-wrappers-and-inline-host.yaml");
    expect(f.map((x) => [x.subject.name, x.severity, x.subject.container, x.path])).toEqual([
      // The pod mounts the node's socket for its helper, but the build script talks to the dind service.
      ["runner-job-inline-host", "info", "build", ["spec", "containers", 0, "command", 2]],
      ["node-image-gc", "high", "gc", [...CRON_TPL, "containers", 0, "args", 0]],
      // Exec form: the finding points at the docker element itself.
      ["docker-watch", "medium", "watch", [...TPL, "containers", 0, "args", 3]],
      ["docker-watch", "medium", "watch", [...TPL, "containers", 0, "livenessProbe", "exec", "command", 2]],
    ]);
    expect(f[0]?.message).toContain(
      "It connects to localhost:2375, 127.0.0.1:2375 (DOCKER_HOST), the pod's own",
    );
    expect(f[1]?.message).toContain('"docker system prune -af"');
  });
});
