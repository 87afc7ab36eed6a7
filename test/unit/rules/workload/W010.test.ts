import { describe, expect, it } from "vitest";
import { brief, findings, TPL } from "./helpers.js";

describe("W010 docker-in-docker", () => {
  it("is low for a privileged docker:*-dind service container", () => {
    expect(findings("W010", "fire-gitlab-dind.yaml").map(brief)).toEqual([
      { severity: "low", container: "svc-0", name: "runner-dind", path: ["spec", "containers", 1, "image"] },
    ]);
  });

  it("is info for dockerd as the command and for a */dind image, unprivileged", () => {
    expect(findings("W010", "fire-dockerd-command.yaml").map(brief)).toEqual([
      {
        severity: "info",
        container: "dockerd",
        name: "build-daemon",
        path: [...TPL, "containers", 0, "command", 0],
      },
      {
        severity: "info",
        container: "legacy",
        name: "build-daemon",
        path: [...TPL, "containers", 1, "image"],
      },
    ]);
  });

  it("does not depend on the target runtime", () => {
    expect(findings("W010", "fire-gitlab-dind.yaml", { runtimes: "cri-dockerd" })[0]?.severity).toBe("low");
  });

  it("reads Jenkins Kubernetes-plugin pod templates in a JCasC ConfigMap: low when privileged", () => {
    expect(
      findings("W010", "fire-jenkins-casc-dind.yaml").map((f) => [
        f.severity,
        f.subject.kind,
        f.evidence,
        f.path,
      ]),
    ).toEqual([
      [
        "low",
        "ConfigMap",
        {
          image: "docker:dind",
          privileged: "true",
          container: "dind",
          key: "jcasc-default-config.yaml",
          runner: "Jenkins Kubernetes plugin",
        },
        ["data", "jcasc-default-config.yaml"],
      ],
      [
        "info",
        "ConfigMap",
        {
          image: "registry.example.com/ci/builder:2.1",
          privileged: "false",
          container: "daemon",
          key: "jcasc-default-config.yaml",
          runner: "Jenkins Kubernetes plugin",
        },
        ["data", "jcasc-default-config.yaml"],
      ],
    ]);
  });

  it("reads GitLab Runner job services in the runner's config.toml: low when the runner is privileged", () => {
    expect(
      findings("W010", "fire-gitlab-runner-config-dind.yaml").map((f) => [
        f.severity,
        f.evidence?.image,
        f.evidence?.container,
      ]),
    ).toEqual([
      ["low", "docker:27-dind", "svc-1"],
      ["info", "registry.example.com/ci/builder:2.1", "svc-0"],
    ]);
  });

  it("ignores the CLI-only image and docker.io-hosted images", () => {
    expect(findings("W010", "quiet-cli-images.yaml")).toEqual([]);
  });
});
