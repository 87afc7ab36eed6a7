import { describe, expect, it } from "vitest";
import { auditFixture, brief, findings, TPL } from "./helpers.js";

describe("W001 docker-socket-mount", () => {
  it("fires critical on a full-path docker.sock mount when the target leaves Docker", () => {
    const f = findings("W001", "fire-datadog-style-agent.yaml");
    expect(f.map(brief)).toEqual([
      {
        severity: "critical",
        container: "agent",
        name: "node-agent",
        path: [...TPL, "volumes", 2, "hostPath", "path"],
      },
    ]);
    expect(f[0]?.slug).toBe("docker-socket-mount");
    expect(f[0]?.message).toContain("/var/run/docker.sock");
    expect(f[0]?.evidence?.normalized).toBe("/run/docker.sock");
  });

  it("is info when every target runtime is cri-dockerd", () => {
    const f = findings("W001", "fire-datadog-style-agent.yaml", { runtimes: "cri-dockerd" });
    expect(f.map((x) => x.severity)).toEqual(["info"]);
    // One non-Docker runtime among the targets is enough to break it.
    const mixed = findings("W001", "fire-datadog-style-agent.yaml", {
      runtimes: "cri-dockerd,containerd@2.1",
    });
    expect(mixed.map((x) => x.severity)).toEqual(["critical"]);
  });

  it("normalises //, trailing /, . and .. segments, /run vs /var/run, and rootless paths", () => {
    const f = findings("W001", "fire-odd-spellings.yaml");
    expect(f.map((x) => x.subject.name)).toEqual([
      "spelling-double-slash",
      "spelling-dots",
      "spelling-run",
      "spelling-rootless",
    ]);
    expect(f.every((x) => x.severity === "critical")).toBe(true);
    expect(f.map((x) => x.evidence?.normalized)).toEqual([
      "/run/docker.sock",
      "/run/docker.sock",
      "/run/docker.sock",
      "/run/user/1000/docker.sock",
    ]);
  });

  it("points at the subPath when a hostPath directory's subPath reaches the socket", () => {
    const f = findings("W001", "fire-subpath-of-var-run.yaml");
    expect(f.map(brief)).toEqual([
      {
        severity: "critical",
        container: "cleaner",
        name: "image-cleaner",
        path: [...TPL, "containers", 0, "volumeMounts", 0, "subPath"],
      },
    ]);
    expect(f[0]?.evidence?.subPath).toBe("docker.sock");
  });

  it("names the container of a CI agent pod", () => {
    const f = findings("W001", "fire-jenkins-agent.yaml");
    expect(f.map(brief)).toEqual([
      {
        severity: "critical",
        container: "docker",
        name: "jenkins-agent-7xk2p",
        path: ["spec", "volumes", 0, "hostPath", "path"],
      },
    ]);
  });

  it("ignores the word docker in names, labels, comments, docker.io images and emptyDir mounts", () => {
    expect(findings("W001", "quiet-text-only.yaml")).toEqual([]);
  });

  it("leaves cri-dockerd.sock, dockershim.sock and docker.sock.raw to other rules", () => {
    expect(findings("W001", "quiet-other-sockets.yaml")).toEqual([]);
  });
});

describe("W001/W005/W016 on agents that mount every runtime's socket", () => {
  it("is low for the Docker mount of a multi-runtime agent, critical when the container is a Docker client", () => {
    const f = auditFixture("W001", "fire-multi-runtime-agent.yaml").filter((x) =>
      ["W001", "W005", "W016"].includes(x.ruleId),
    );
    expect(f.map((x) => [x.ruleId, x.subject.name, x.severity])).toEqual([
      ["W001", "falco", "low"],
      ["W005", "falco", "low"],
      ["W016", "falco", "low"],
      ["W001", "both-sockets-docker-client", "critical"],
      ["W005", "both-sockets-docker-client", "high"],
      ["W016", "both-sockets-docker-client", "high"],
    ]);
    expect(f[0]?.message).toContain(
      "The container mounting it also mounts the containerd and CRI-O sockets and runs no Docker client",
    );
    expect(f[1]?.message).toContain('Container "falco" runs Falco (docker.io/falcosecurity/falco:0.44.1)');
  });

  it("keeps the Docker mount critical when the agent lacks the socket of one target runtime", () => {
    // Target CRI-O only: Falco mounts CRI-O's socket, so low; a containerd-only agent would not be.
    const f = auditFixture("W001", "fire-multi-runtime-agent.yaml", { runtimes: "cri-o@1.37" });
    expect(f.filter((x) => x.ruleId === "W001").map((x) => x.severity)).toEqual(["low", "critical"]);
  });
});

describe("socket rules on CI runner configuration", () => {
  it("reads GitLab Runner host_path volumes for the job pods it will create", () => {
    const f = auditFixture("W001", "fire-gitlab-runner-config.yaml");
    expect(f.map((x) => [x.ruleId, x.severity, x.subject.kind, x.subject.name, x.path])).toEqual([
      ["W001", "critical", "ConfigMap", "gitlab-runner", ["data", "config.template.toml"]],
      ["W016", "high", "Secret", "runner-crio", ["stringData", "config.toml"]],
    ]);
    expect(f[0]?.message).toBe(
      'ConfigMap key "config.template.toml" (GitLab Runner config): the job pods it creates mount the Docker ' +
        'Engine socket /var/run/docker.sock (volume "docker") from the node. The target runtimes ' +
        "(containerd@2.3, cri-o@1.37) run no Docker daemon on the node: calls to this socket fail once the node is migrated.",
    );
  });
});

describe("socket rules on Jenkins Kubernetes-plugin pod templates", () => {
  it("reads hostPathVolume entries of the JCasC config, block and flow style", () => {
    const f = auditFixture("W001", "fire-jenkins-casc-config.yaml");
    expect(f.map((x) => [x.ruleId, x.severity, x.path, x.evidence?.hostPath])).toEqual([
      ["W001", "critical", ["data", "jcasc-default-config.yaml"], "/var/run/docker.sock"],
      ["W002", "critical", ["data", "jcasc-default-config.yaml"], "/var/run/dockershim.sock"],
    ]);
    expect(f[0]?.message).toContain('key "jcasc-default-config.yaml" (Jenkins Kubernetes plugin config)');
  });
});
