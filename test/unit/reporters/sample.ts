/**
 * Realistic AuditReports for the reporter tests, built through the core's own buildReport so they have
 * the shape the scanners produce: a files-mode report with every kind of content, a cluster-mode report
 * (no files, uids, a node), and a clean one.
 */
import { type AuditReport, buildReport, type ImageReport } from "../../../src/core/report.js";
import { docsUrl } from "../../../src/core/rule.js";
import { makeTarget } from "../../../src/core/target.js";
import type { Finding, RuleMeta, Severity, Subject } from "../../../src/core/types.js";

export const GENERATED_AT = "2026-11-02T09:30:00.000Z";
export const VERSION = "0.1.0";

export const RULES: readonly RuleMeta[] = [
  {
    id: "W001",
    slug: "docker-socket-mount",
    title: "Workload mounts the Docker Engine socket",
    category: "workload",
    description:
      "A hostPath volume exposes /var/run/docker.sock. Nodes running containerd or CRI-O have no Docker " +
      "Engine, so the path is missing or a dangling file and the agent that talks to it fails.",
    remediation: "Switch the agent to the CRI socket (crictl, containerd or CRI-O API) or remove the mount.",
    defaultSeverity: "critical",
  },
  {
    id: "W004",
    slug: "docker-log-path",
    title: "Log shipper reads Docker json-file logs",
    category: "workload",
    description:
      "The workload reads /var/lib/docker/containers. CRI runtimes write CRI-format logs under /var/log/pods.",
    remediation: "Read /var/log/pods/*/*/*.log with a CRI log parser instead.",
    defaultSeverity: "high",
  },
  {
    id: "W006",
    slug: "seccomp-annotation",
    title: "Deprecated seccomp annotation",
    category: "workload",
    description: "seccomp.security.alpha.kubernetes.io annotations are ignored since Kubernetes 1.27.",
    remediation: "Use securityContext.seccompProfile.",
    defaultSeverity: "medium",
  },
  {
    id: "N002",
    slug: "cgroup-v1-node",
    title: "Node runs cgroup v1",
    category: "node",
    description: "The kubelet refuses to start on cgroup v1 hosts from Kubernetes 1.35.",
    remediation: "Boot the node with cgroup v2 (systemd.unified_cgroup_hierarchy=1).",
    defaultSeverity: "high",
  },
  {
    id: "I001",
    slug: "schema1-manifest",
    title: "Image uses a Docker schema 1 manifest",
    category: "image",
    description: "containerd 2.0 removed support for pulling Docker schema 1 images.",
    remediation: "Rebuild and push the image with a current builder (OCI or Docker schema 2).",
    defaultSeverity: "critical",
  },
  {
    id: "I004",
    slug: "platform-missing",
    title: "Image has no manifest for a target platform",
    category: "image",
    description: "The image index lists no entry for a platform the nodes run.",
    remediation: "Publish the image for every node platform.",
    defaultSeverity: "high",
  },
  {
    id: "I007",
    slug: "zstd-layers",
    title: "Image has zstd-compressed layers",
    category: "image",
    description: "zstd layers need containerd 1.7 or CRI-O 1.26 and later.",
    remediation: "Publish gzip layers too, or upgrade the runtime first.",
    defaultSeverity: "low",
  },
];

function rule(id: string): RuleMeta {
  const r = RULES.find((x) => x.id === id);
  if (!r) throw new Error(`no sample rule ${id}`);
  return r;
}

function finding(
  id: string,
  severity: Severity,
  subject: Subject,
  origin: Finding["origin"],
  message: string,
  extra: Partial<Finding> = {},
): Finding {
  const r = rule(id);
  return {
    ruleId: r.id,
    slug: r.slug,
    severity,
    subject,
    origin,
    message,
    remediation: r.remediation,
    docs: docsUrl(r.id),
    ...extra,
  };
}

/** Files mode: findings of every severity, a suppressed one, images (incl. unknown), skipped and errors. */
export function filesReport(): AuditReport {
  const target = makeTarget({ k8s: "1.37", runtimes: "containerd@2.3,cri-o@1.37" });
  const agent: Subject = {
    kind: "DaemonSet",
    namespace: "monitoring",
    name: "datadog-agent",
    container: "agent",
  };
  const schema1 = finding(
    "I001",
    "critical",
    {
      kind: "Deployment",
      namespace: "legacy",
      name: "billing",
      container: "app",
      image: "registry.example.com/legacy/billing:2014",
    },
    { file: "deploy/legacy/billing.yaml", line: 31, column: 18 },
    "The image registry.example.com/legacy/billing:2014 is a signed Docker schema 1 manifest; containerd 2.x refuses to pull it.",
    { runtime: "containerd@2.3", platform: "linux/amd64" },
  );
  const arm = finding(
    "I004",
    "high",
    {
      kind: "Deployment",
      namespace: "legacy",
      name: "billing",
      container: "app",
      image: "registry.example.com/legacy/billing:2014",
    },
    { file: "deploy/legacy/billing.yaml", line: 31, column: 18 },
    "No linux/arm64 manifest: the schema 1 image only exists for amd64.",
    { runtime: "cri-o@1.37", platform: "linux/arm64" },
  );
  const findings: Finding[] = [
    finding(
      "W001",
      "critical",
      agent,
      { file: "deploy/monitoring/datadog.yaml", line: 88, column: 13 },
      'hostPath volume "dockersocket" mounts /var/run/docker.sock into container "agent"; containerd and CRI-O nodes have no Docker Engine socket, so the agent\'s container collector will fail to connect after the migration.',
      { evidence: { path: "/var/run/docker.sock", volume: "dockersocket" } },
    ),
    finding(
      "W004",
      "high",
      { kind: "DaemonSet", namespace: "logging", name: "fluent-bit", container: "fluent-bit" },
      { file: "deploy/logging/fluent bit.yaml", line: 40, column: 11 },
      "Reads /var/lib/docker/containers/*/*.log with the `docker` parser | json; CRI runtimes write <timestamp> <stream> <flags> <log> lines under /var/log/pods & the parser will drop every line.",
    ),
    finding(
      "W006",
      "medium",
      { kind: "Deployment", namespace: "web", name: "frontend" },
      { file: "deploy/web/frontend.yaml", line: 12, column: 7 },
      "Annotation seccomp.security.alpha.kubernetes.io/pod is ignored by the kubelet; the pod runs Unconfined.",
    ),
    finding(
      "W006",
      "medium",
      { kind: "CronJob", namespace: "web", name: "cache-warmer" },
      { file: "deploy/web/cron.yaml", line: 9, column: 9 },
      "Annotation seccomp.security.alpha.kubernetes.io/pod is ignored by the kubelet.",
      { suppressed: true },
    ),
    finding(
      "I007",
      "info",
      {
        kind: "Deployment",
        namespace: "web",
        name: "frontend",
        container: "nginx",
        image: "ghcr.io/acme/frontend:3.2.0",
      },
      { file: "deploy/web/frontend.yaml", line: 24, column: 16 },
      "Layers are zstd-compressed; both target runtimes decompress zstd.",
      { runtime: "containerd@2.3", platform: "linux/amd64" },
    ),
    schema1,
    arm,
  ];
  const images: ImageReport[] = [
    {
      reference: "ghcr.io/acme/frontend:3.2.0",
      normalized: "ghcr.io/acme/frontend:3.2.0",
      digest: "sha256:5c3b6d2f1a0e9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c",
      mediaType: "application/vnd.oci.image.index.v1+json",
      verdicts: ["containerd@2.3", "cri-o@1.37"].flatMap((runtime) =>
        ["linux/amd64", "linux/arm64"].map((platform) => ({
          runtime,
          platform,
          verdict: "compatible" as const,
          findings: [],
        })),
      ),
      usedBy: [
        {
          kind: "Deployment",
          namespace: "web",
          name: "frontend",
          container: "nginx",
          file: "deploy/web/frontend.yaml",
          line: 24,
        },
      ],
    },
    {
      reference: "registry.example.com/legacy/billing:2014",
      normalized: "registry.example.com/legacy/billing:2014",
      digest: "sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
      mediaType: "application/vnd.docker.distribution.manifest.v1+prettyjws",
      verdicts: [
        { runtime: "containerd@2.3", platform: "linux/amd64", verdict: "incompatible", findings: [schema1] },
        { runtime: "containerd@2.3", platform: "linux/arm64", verdict: "incompatible", findings: [schema1] },
        {
          runtime: "cri-o@1.37",
          platform: "linux/amd64",
          verdict: "warning",
          findings: [],
          reason: "schema 1 is deprecated; CRI-O still converts it",
        },
        { runtime: "cri-o@1.37", platform: "linux/arm64", verdict: "incompatible", findings: [arm] },
      ],
    },
    {
      reference:
        "private.registry.internal:5000/payments/api-gateway-with-a-long-name@sha256:9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0",
      normalized:
        "private.registry.internal:5000/payments/api-gateway-with-a-long-name@sha256:9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0",
      verdicts: ["containerd@2.3", "cri-o@1.37"].flatMap((runtime) =>
        ["linux/amd64", "linux/arm64"].map((platform) => ({
          runtime,
          platform,
          verdict: "unknown" as const,
          findings: [],
          reason:
            "registry auth failed: 401 Unauthorized (no imagePullSecret for private.registry.internal:5000)",
        })),
      ),
    },
  ];
  return buildReport({
    target,
    findings,
    images,
    generatedAt: GENERATED_AT,
    version: VERSION,
    coverage: {
      files: 6,
      documents: 14,
      objects: 13,
      workloads: 7,
      containers: 9,
      images: { checked: 3, unknown: 1 },
      skipped: [
        { source: "deploy/crds/widgets.yaml", line: 1, reason: "CustomResourceDefinition: no pod template" },
      ],
      errors: [
        {
          source: "deploy/broken.yaml",
          line: 17,
          column: 5,
          reason:
            "YAML parse error: bad indentation of a mapping entry (expected `key: value` | got a sequence)",
        },
        {
          source: "charts/unrendered/templates/deployment.yaml",
          reason:
            "looks like an unrendered Helm template ({{ .Values.image }}); render it with `helm template` first",
        },
      ],
    },
  });
}

/** Cluster mode: no files, uids as origins, a node finding and a suppressed image finding. */
export function clusterReport(): AuditReport {
  const target = makeTarget({ k8s: "1.37", runtimes: "containerd@2.3" });
  return buildReport({
    target,
    generatedAt: GENERATED_AT,
    version: VERSION,
    findings: [
      finding(
        "N002",
        "high",
        { kind: "Node", name: "worker-3", node: "worker-3" },
        { uid: "1f0e9d8c-7b6a-4954-8372-6150f4e3d2c1" },
        "worker-3 runs cgroup v1 (kernel 5.4.0-204-generic, Ubuntu 20.04); the kubelet of 1.37 will not start.",
      ),
      finding(
        "W001",
        "critical",
        { kind: "DaemonSet", namespace: "kube-system", name: "node-problem-detector", container: "npd" },
        { uid: "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d" },
        "Mounts /run/docker.sock.",
        { suppressed: true },
      ),
    ],
    images: [],
    coverage: {
      files: 0,
      documents: 0,
      objects: 212,
      workloads: 48,
      containers: 61,
      images: { checked: 0, unknown: 0 },
      skipped: [],
      errors: [
        {
          source: "batch/v1 cronjobs (namespace payments)",
          reason: "forbidden: RBAC 403, cannot list cronjobs",
        },
      ],
    },
  });
}

/** Nothing found: the report must still say what was scanned. */
export function cleanReport(): AuditReport {
  return buildReport({
    target: makeTarget({}),
    generatedAt: GENERATED_AT,
    version: VERSION,
    findings: [],
    coverage: { files: 2, documents: 5, objects: 5, workloads: 3, containers: 4, skipped: [], errors: [] },
  });
}

export const SAMPLES: Record<string, () => AuditReport> = {
  files: filesReport,
  cluster: clusterReport,
  clean: cleanReport,
};
