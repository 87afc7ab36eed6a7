// Env resolved against the ConfigMaps and Secrets of the same input (even defined after the workload),
// and Helm leftovers in valid YAML as input errors, through the files scan.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeTarget } from "../../../src/core/target.js";
import { scanFiles } from "../../../src/scan/files.js";

const DIR = join(import.meta.dirname, "../../fixtures/crds");
const scan = (file: string) => scanFiles([join(DIR, file)], { target: makeTarget({}), ignore: new Set() });

describe("files: env from ConfigMaps and Secrets", () => {
  it("resolves secretKeyRef (base64 data) and configMapKeyRef defined later in the input", async () => {
    const r = await scan("env.yaml");
    const w009 = r.findings.find((f) => f.ruleId === "W009");
    // DOCKER_HOST comes from the Secret: unix:///var/run/docker.sock is the node's Docker.
    expect(w009?.severity).toBe("high");
    expect(w009?.origin.line).toBe(23);
    // The Secret's value is never written to the report.
    expect(JSON.stringify(w009)).not.toContain("unix:///var/run/docker.sock");
    expect(w009?.message).toContain("<from Secret agent-secret>");
  });

  it("expands subPathExpr from a variable resolved from a ConfigMap", async () => {
    const r = await scan("env.yaml");
    const w007 = r.findings.find((f) => f.ruleId === "W007");
    expect(w007?.evidence?.subPath).toBe("var/lib/docker/containers");
    // volumeMounts[0].subPathExpr
    expect(w007?.origin.line).toBe(35);
  });
});

describe("files: which definition of a ConfigMap a workload reads", () => {
  const cm = (host: string) =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: docker, namespace: ci}\ndata:\n  host: ${JSON.stringify(host)}\n`;
  const job = (name: string) =>
    "apiVersion: batch/v1\nkind: Job\n" +
    `metadata: {name: ${name}, namespace: ci}\n` +
    "spec:\n  template:\n    spec:\n      containers:\n        - name: c\n          image: registry.example.com/ci/c:1\n" +
    "          env:\n            - name: DOCKER_HOST\n              valueFrom: {configMapKeyRef: {name: docker, key: host}}\n";
  const w009 = async (docs: string[]) => {
    const dir = mkdtempSync(join(tmpdir(), "kra-env-order-"));
    try {
      writeFileSync(join(dir, "all.yaml"), docs.join("---\n"));
      const r = await scanFiles([dir], { target: makeTarget({}), ignore: new Set() });
      return Object.fromEntries(
        r.findings.filter((f) => f.ruleId === "W009").map((f) => [f.subject.name, f.severity]),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it("reads the definition written before it, else the last one in the input", async () => {
    // The node's Docker socket is high; a remote daemon is not the node's Docker (low or none).
    const local = "unix:///var/run/docker.sock";
    const remote = "tcp://docker.ci.example.com:2376";
    const got = await w009([job("before-both"), cm(local), job("between"), cm(remote), job("after-both")]);
    expect(got.between).toBe("high");
    // Before any definition: audited after the input, against the last one (remote).
    expect(got["before-both"]).not.toBe("high");
    expect(got["after-both"]).not.toBe("high");
    const flipped = await w009([job("before-both"), cm(remote), job("between"), cm(local)]);
    expect(flipped["before-both"]).toBe("high");
    expect(flipped.between).not.toBe("high");
  });
});

describe("files: mounted ConfigMaps read with the container's env", () => {
  it("reads a log config whose ConfigMap comes in a later file than the DaemonSet mounting it", async () => {
    const r = await scanFiles([join(DIR, "mounted-config-later")], {
      target: makeTarget({}),
      ignore: new Set(),
    });
    const onDaemonSet = r.findings.filter((f) => f.ruleId === "W007" && f.subject.kind === "DaemonSet");
    expect(onDaemonSet).toHaveLength(1);
    expect(onDaemonSet[0]?.evidence?.variables).toBe("LOG_PARSER=docker");
    // env[0].value of the DaemonSet's container, in the first file
    expect(onDaemonSet[0]?.origin).toMatchObject({ line: 15 });
    expect(onDaemonSet[0]?.origin.file).toMatch(/a-daemonset\.yaml$/);
  });
});

describe("files: unrendered Helm templates in valid YAML", () => {
  it("is an input error at the template's line; the other documents are audited", async () => {
    const r = await scan("template-leftover.yaml");
    expect(r.coverage.errors).toHaveLength(1);
    expect(r.coverage.errors[0]).toMatchObject({ line: 12 });
    expect(r.coverage.errors[0]?.reason).toMatch(/unrendered Helm template .*helm template/);
    expect(r.coverage.objects).toBe(1);
  });

  it("leaves {{ }} meant for other programs alone (ConfigMap data, docker --format, Argo parameters)", async () => {
    const r = await scan("template-legit.yaml");
    expect(r.coverage.errors).toEqual([]);
    expect(r.coverage.workloads).toBe(2);
  });
});
