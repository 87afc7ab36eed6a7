// Workloads that are not pod templates: findings from Argo, Tekton, KEDA, Knative, Rollouts and unknown
// CRDs point at the real field (file:line:col), through the files scan as the CLI runs it.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeTarget } from "../../../src/core/target.js";
import type { Finding } from "../../../src/core/types.js";
import { scanFiles } from "../../../src/scan/files.js";

const DIR = join(import.meta.dirname, "../../fixtures/crds");

async function scan(file: string) {
  const r = await scanFiles([join(DIR, file)], { target: makeTarget({}), ignore: new Set() });
  const rows = r.findings.map(
    (f) =>
      `${f.ruleId} ${f.subject.kind}/${f.subject.name} ${f.subject.container ?? "-"} ${f.origin.line}:${f.origin.column}`,
  );
  return { rows, coverage: r.coverage, findings: r.findings };
}

describe("files: Argo Workflows", () => {
  it("audits each template as a pod and points at the template's container and the workflow volume", async () => {
    const { rows, coverage } = await scan("argo.yaml");
    expect(rows).toEqual(
      expect.arrayContaining([
        // spec.volumes[0].hostPath.path (workflow level), mounted by the build template's container
        "W001 Workflow/build- main 13:9",
        // templates[1].container.command[0]: docker build
        "W008 Workflow/build- main 28:19",
        // templates[2].sidecars[0]: docker:dind
        "W010 Workflow/build- dind 40:11",
        // CronWorkflow: spec.workflowSpec.templates[0].containerSet.containers[0].env[0].value
        "W009 CronWorkflow/nightly-prune prune 63:19",
        // CronWorkflow: the template-level volume, mounted through containerSet.volumeMounts
        "W001 CronWorkflow/nightly-prune prune 67:15",
      ]),
    );
    // build, test (container + sidecar) and the CronWorkflow's template; the dag template is not a pod.
    expect(coverage.workloads).toBe(3);
    expect(coverage.containers).toBe(4);
    expect(coverage.genericKinds).toBeUndefined();
  });

  it("adds a workflow-level volume only to the templates that mount it", async () => {
    const { rows } = await scan("argo.yaml");
    expect(rows.filter((r) => r.startsWith("W001 Workflow/"))).toHaveLength(1);
  });
});

describe("files: Argo templateDefaults, podSpecPatch and podMetadata", () => {
  it("merges templateDefaults.container into container templates, pointing at the defaults' lines", async () => {
    const { rows } = await scan("argo-defaults.yaml");
    expect(rows.filter((r) => r.includes("defaults main"))).toEqual(
      expect.arrayContaining([
        // templateDefaults.container.env[0].value reaches the build template's container
        "W009 WorkflowTemplate/defaults main 16:11",
        // spec.volumes[0] is mounted through templateDefaults.container.volumeMounts[0]
        "W001 WorkflowTemplate/defaults main 23:9",
      ]),
    );
    // The script template gets no container defaults (templateDefaults.container is for container templates).
    expect(rows.filter((r) => r.startsWith("W009 WorkflowTemplate"))).toEqual([
      "W009 WorkflowTemplate/defaults main 16:11",
    ]);
  });

  it("audits what a podSpecPatch adds: a hostPath volume and a mount merged into the main container", async () => {
    const { findings } = await scan("argo-defaults.yaml");
    const patched = findings.filter((f) => f.path?.includes("podSpecPatch"));
    expect(
      patched.map((f) => `${f.ruleId} ${f.subject.container} ${f.origin.line} ${f.path?.join(".")}`),
    ).toEqual(["W001 main 30 spec.templates.1.podSpecPatch.volumes.0.hostPath.path"]);
    // A workflow-level JSON patch sets hostNetwork for every template's pod: localhost:2375 is the node's Docker.
    const quiet = findings.filter((f) => f.subject.name === "quiet" && f.ruleId === "W009");
    expect(quiet.map((f) => f.message)).toEqual([expect.stringContaining("hostNetwork")]);
  });

  it("gives every pod template the templateDefaults sidecars, merged by name, and none to a dag", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kra-defaults-"));
    const file = join(dir, "wf.yaml");
    writeFileSync(
      file,
      [
        "apiVersion: argoproj.io/v1alpha1",
        "kind: WorkflowTemplate",
        "metadata: {name: dind-defaults}",
        "spec:",
        "  templateDefaults:",
        "    sidecars:",
        "      - name: dind",
        "        image: docker:27-dind",
        "  templates:",
        "    - name: flow",
        "      dag: {tasks: [{name: a, template: build}, {name: b, template: own}]}",
        "    - name: build",
        "      container: {image: alpine:3.20}",
        "    - name: own",
        "      container: {image: alpine:3.20}",
        "      sidecars:",
        "        - name: dind",
        "          image: registry.example.com/buildkit:1",
        "",
      ].join("\n"),
    );
    const r = await scanFiles([file], { target: makeTarget({}), ignore: new Set() });
    // build and own are pods; the dag template is not. build gets the defaults' dind sidecar (W010 at
    // its image line); own has its own sidecar named dind, merged over the default: its image wins.
    expect(r.coverage.workloads).toBe(2);
    expect(r.coverage.containers).toBe(4);
    const dind = r.findings.filter((f) => f.ruleId === "W010");
    expect(dind.map((f) => `${f.subject.container} ${f.origin.line} ${f.path?.join(".")}`)).toEqual([
      "dind 8 spec.templateDefaults.sidecars.0.image",
    ]);
  });

  it("warns about a podSpecPatch it cannot read instead of passing what it adds unsaid", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kra-patch-"));
    const file = join(dir, "wf.yaml");
    // A YAML patch with an unquoted Argo expression in flow context does not parse; the valid one does.
    writeFileSync(
      file,
      [
        "apiVersion: argoproj.io/v1alpha1",
        "kind: Workflow",
        "metadata: {name: patched}",
        "spec:",
        "  entrypoint: main",
        "  templates:",
        "    - name: main",
        "      container: {image: alpine:3.20}",
        "      podSpecPatch: '{volumes: [{name: s, hostPath: {path: {{inputs.parameters.sock}}}}]'",
        "    - name: ok",
        "      container: {image: alpine:3.20}",
        "      podSpecPatch: '{\"hostNetwork\": true}'",
        "",
      ].join("\n"),
    );
    const r = await scanFiles([file], { target: makeTarget({}), ignore: new Set() });
    const warnings = r.coverage.warnings ?? [];
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ source: file, line: 1 });
    expect(warnings[0]?.reason).toMatch(
      /^Workflow\/patched: spec\.templates\.0\.podSpecPatch could not be read \(.+\); what it adds to the pod was not audited$/,
    );
  });

  it("applies spec.podMetadata annotations to every template's pod: seccomp and ignore", async () => {
    const { findings } = await scan("argo-defaults.yaml");
    const seccomp = findings.filter((f) => f.ruleId === "W012");
    // Once per template pod, each at the podMetadata annotation.
    expect(seccomp.map((f) => `${f.origin.line}:${f.origin.column} ${f.path?.join(".")}`)).toEqual([
      "11:7 spec.podMetadata.annotations.seccomp.security.alpha.kubernetes.io/pod",
      "11:7 spec.podMetadata.annotations.seccomp.security.alpha.kubernetes.io/pod",
    ]);
    const w009 = findings.filter((f) => f.subject.name === "quiet" && f.ruleId === "W009");
    expect(w009).toHaveLength(1);
    expect(w009[0]?.suppressed).toBe(true);
  });
});

describe("files: Tekton", () => {
  it("audits steps (merged over the stepTemplate) and sidecars of a Task, and embedded task specs", async () => {
    const { rows, coverage } = await scan("tekton.yaml");
    expect(rows).toEqual(
      expect.arrayContaining([
        // stepTemplate.env[0].value, as the build step sees it
        "W009 Task/docker-build build 12:9",
        "W001 Task/docker-build build 27:9",
        // finally[0].taskSpec.steps[0] mounts a volume of spec.taskRunTemplate.podTemplate
        "W001 PipelineRun/release-run prune 55:13",
      ]),
    );
    // The stepTemplate is no container of its own: 2 + 1 + 1 steps and sidecars, 3 steps of template-only.
    expect(coverage.workloads).toBe(4);
    expect(coverage.containers).toBe(7);
    expect(rows.filter((r) => r.includes(" stepTemplate "))).toEqual([]);
  });

  it("reports a stepTemplate entry once, naming every step that gets it; a step's own value wins", async () => {
    const { findings } = await scan("tekton.yaml");
    const t = findings.filter((f) => f.subject.name === "template-only");
    // stepTemplate.env[0].value reaches build and push: one finding at its line, naming both steps.
    // The scan step sets its own DOCKER_HOST (a dind service), reported at its own line.
    expect(
      t
        .filter((f) => f.ruleId === "W009")
        .map((f) => `${f.subject.container} ${f.origin.line} ${f.evidence?.containers ?? "-"}`),
    ).toEqual(["build 70 build, push", "scan 82 -"]);
    // The socket volume both steps mount through stepTemplate.volumeMounts.
    expect(t.filter((f) => f.ruleId === "W001").map((f) => f.origin.line)).toEqual([86]);
  });
});

describe("files: fields a container inherits from another layer", () => {
  const row = (f: Finding) =>
    `${f.ruleId} ${f.subject.container} ${f.origin.line} ${f.path?.join(".")} ${f.evidence?.containers ?? "-"}`;

  it("points at the stepTemplate line that writes an image, pull policy or device request, once for all steps", async () => {
    const { findings } = await scan("inherited-fields.yaml");
    expect(findings.filter((f) => f.subject.name === "template-fields").map(row)).toEqual([
      "W010 build 9 spec.stepTemplate.image build, push",
      "W014 build 10 spec.stepTemplate.imagePullPolicy build, push",
      "W015 build 15 spec.stepTemplate.resources.limits.nvidia.com/gpu build, push",
    ]);
    // The build step's own securityContext merges with the stepTemplate's: it still runs privileged.
    const dind = findings.find((f) => f.subject.name === "template-fields" && f.ruleId === "W010");
    expect(dind?.evidence?.privileged).toBe("true");
  });

  it("points at templateDefaults.container's args, and at a template's own env entry behind inherited ones", async () => {
    const { findings } = await scan("inherited-fields.yaml");
    expect(findings.filter((f) => f.subject.name === "default-fields").map(row)).toEqual([
      "W008 main 35 spec.templateDefaults.container.args.0 -",
      "W009 main 45 spec.templates.0.container.env.0.value -",
    ]);
  });

  it("points at the podSpecPatch that replaces a container's image", async () => {
    const { findings } = await scan("inherited-fields.yaml");
    expect(findings.filter((f) => f.subject.name === "patched-image").map(row)).toEqual([
      "W010 main 58 spec.templates.0.podSpecPatch.containers.0.image -",
    ]);
  });

  it("merges a template's sidecar over the templateDefaults one of its name, as Argo does", async () => {
    const { findings, coverage } = await scan("inherited-fields.yaml");
    // One dind sidecar: the template's image over the default's privileged mode and socket mount, so the
    // socket volume of templateDefaults is in the pod (before, the template's sidecar replaced the default).
    expect(findings.filter((f) => f.subject.name === "merged-sidecar").map(row)).toEqual([
      "W001 dind 82 spec.templateDefaults.volumes.0.hostPath.path -",
      "W009 dind 91 spec.templates.0.sidecars.0.env.0.value -",
    ]);
    // 2 steps, 1 + 1 + 1 (the merged dind sidecar counts once) + 2 + 1 template containers.
    expect(coverage.containers).toBe(9);
  });

  it("merges a templateDefaults volume under a template's volume of its name, as Argo does", async () => {
    const { findings } = await scan("inherited-fields.yaml");
    // The elsewhere template's own sock volume moves the default off the Docker socket: no finding. The
    // typed template's only adds a type: the socket path is the default's, reported at its line.
    expect(findings.filter((f) => f.subject.name === "merged-volume").map(row)).toEqual([
      "W001 main 104 spec.templateDefaults.volumes.0.hostPath.path -",
    ]);
  });

  it("merges a podSpecPatch volume over the pod's volume of its name", async () => {
    const { findings } = await scan("inherited-fields.yaml");
    // The patch adds a type to the template's socket volume: the path is still the template's.
    expect(findings.filter((f) => f.subject.name === "patched-volume").map(row)).toEqual([
      "W001 main 137 spec.templates.0.volumes.0.hostPath.path -",
    ]);
  });
});

describe("files: KEDA, Knative, Argo Rollouts", () => {
  it("finds the pod templates under their own paths", async () => {
    const { rows, coverage } = await scan("serving.yaml");
    expect(rows).toEqual([
      "W001 ScaledJob/queue-worker worker 19:15",
      "W009 Service/hello containers[0] 37:15",
      "W009 Rollout/web web 53:15",
    ]);
    // The Rollout with workloadRef has no pod of its own.
    expect(coverage.workloads).toBe(3);
  });

  it("reads hostNetwork: yes as true (YAML 1.1, as Kubernetes does)", async () => {
    const { findings } = await scan("serving.yaml");
    const rollout = findings.find((f) => f.subject.name === "web");
    expect(rollout?.severity).toBe("high");
    expect(rollout?.message).toContain("hostNetwork");
  });
});

describe("files: custom resources outside the table", () => {
  it("walks the object for container lists and names the kind in the coverage", async () => {
    const { rows, coverage } = await scan("generic.yaml");
    expect(rows).toEqual(["W001 BuildRunner/ci-runner runner 22:15"]);
    expect(coverage.genericKinds).toEqual(["BuildRunner.runners.example.com"]);
    // The PrometheusRule has no containers, and its {{ $labels }} annotation is not a Helm leftover.
    expect(coverage.errors).toEqual([]);
    expect(coverage.workloads).toBe(1);
  });
});
