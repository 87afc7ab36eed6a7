/**
 * Telemetry and security agents that the Kubernetes documentation lists as needing vendor steps when the
 * node runtime leaves Docker (W013). Matched on image repository path components only (never on pod
 * names or free text): a row matches when the image's repository path ends with one of `repositories`,
 * compared component by component.
 *
 * Primary source for the vendor list and the notes:
 * https://kubernetes.io/docs/tasks/administer-cluster/migrating-from-dockershim/migrating-telemetry-and-security-agents/
 * That page gives no minimum agent versions; version notes below come from the vendor sources cited per row.
 */
import type { Severity } from "../../core/types.js";

export interface AgentRow {
  id: string;
  vendor: string;
  product: string;
  /** Repository path suffixes compared by component: "datadog/agent" matches docker.io/datadog/agent. */
  repositories: readonly string[];
  /** Severity when the target leaves Docker (info otherwise). */
  severity: Severity;
  /** What the vendor says to do, in our words. */
  note: string;
  source: string;
  /**
   * The first release that works on containerd/CRI-O with no vendor step, read from the image tag (a
   * major-only or floating tag means the newest of its line). Without it, every version needs the steps.
   */
  supportedFrom?: { version: string; source: string };
  /** Env variables that name the runtime endpoint the agent uses: a containerd/CRI-O value settles it. */
  socketEnv?: readonly string[];
  /** Command-line flags that name the runtime endpoint (`--cri /run/containerd/containerd.sock`). */
  socketFlags?: readonly string[];
  /** Flags that restrict the agent to Docker; when given, the agent needs steps whatever its version. */
  dockerOnlyFlags?: readonly string[];
  /** The agent reads containerd/CRI-O by default and needs steps only when a `dockerOnlyFlags` flag is set. */
  onlyWhenDockerOnly?: boolean;
  /** The agent is generated per runtime: a pod that mounts a containerd/CRI-O socket and no Docker one is settled. */
  settledByCriSocketMount?: boolean;
}

const K8S_TELEMETRY =
  "https://kubernetes.io/docs/tasks/administer-cluster/migrating-from-dockershim/migrating-telemetry-and-security-agents/";

export const KNOWN_AGENTS: readonly AgentRow[] = [
  {
    id: "datadog-agent",
    vendor: "Datadog",
    product: "Datadog Agent",
    repositories: [
      "datadog/agent",
      "datadoghq/agent",
      "registry.datadoghq.com/agent",
      "datadog/docker-dd-agent",
      "datadog/dogstatsd",
    ],
    severity: "medium",
    // The Datadog chart's default image since 2024 (registry.datadoghq.com/agent).
    supportedFrom: {
      version: "7.27.0",
      source: "https://docs.datadoghq.com/agent/guide/docker-deprecation/",
    },
    socketEnv: ["DD_CRI_SOCKET_PATH", "DOCKER_HOST"],
    note:
      "Agent 7.27 and later detect containerd/CRI-O on their own; older agents need DD_CRI_SOCKET_PATH (Helm: " +
      "datadog.criSocketPath) pointing at the new runtime socket, that socket mounted, and every Docker socket " +
      "reference removed. Dashboards on docker.* metrics move to containerd.*/cri.* metrics.",
    source: "https://docs.datadoghq.com/agent/guide/docker-deprecation/",
  },
  {
    id: "dynatrace-oneagent",
    vendor: "Dynatrace",
    product: "Dynatrace OneAgent",
    repositories: ["dynatrace/oneagent", "dynatrace/dynatrace-oneagent", "linux/oneagent"],
    severity: "medium",
    note:
      "Listed by the Kubernetes documentation as needing migration; follow Dynatrace's instructions for " +
      "containerd/CRI-O support and redeploy OneAgent (the Dynatrace operator manages this for you).",
    source: K8S_TELEMETRY,
  },
  {
    id: "falco",
    vendor: "Falco (CNCF)",
    product: "Falco",
    repositories: [
      "falcosecurity/falco",
      "falcosecurity/falco-no-driver",
      "falcosecurity/falco-distroless",
      "sysdig/falco",
    ],
    severity: "medium",
    // 0.41.0 moved container metadata to the container plugin, whose default engines include containerd and
    // CRI (/run/containerd/containerd.sock, /run/crio/crio.sock, k3s, Bottlerocket): CHANGELOG.md v0.41.0 and
    // https://github.com/falcosecurity/plugins/blob/main/plugins/container/README.md.
    supportedFrom: {
      version: "0.41.0",
      source: "https://github.com/falcosecurity/falco/blob/master/CHANGELOG.md",
    },
    socketFlags: ["--cri"],
    note:
      "Falco supports any CRI runtime: mount the containerd or CRI-O socket instead of docker.sock (Falco <= 0.38: " +
      "--cri <socket>; 0.39/0.40: container_engines in falco.yaml; >= 0.41: the container plugin's engines, Helm " +
      "collectors.containerEngine).",
    source: "https://github.com/falcosecurity/falco/blob/master/CHANGELOG.md",
  },
  {
    id: "prisma-defender",
    vendor: "Palo Alto Networks",
    product: "Prisma Cloud (Twistlock) Defender",
    repositories: ["twistlock/defender"],
    severity: "medium",
    settledByCriSocketMount: true,
    note:
      "The Defender DaemonSet cannot be patched in place: generate it again from the Console for the new " +
      "runtime (containerRuntime containerd or crio; twistcli --cri) and redeploy.",
    source: "https://pan.dev/compute/api/post-defenders-daemonset-yaml/",
  },
  {
    id: "signalfx-agent",
    vendor: "Splunk",
    product: "SignalFx Smart Agent",
    repositories: ["signalfx/signalfx-agent"],
    severity: "medium",
    note:
      "Remove the docker-container-stats monitor from the agent configuration; it only reads Docker. The " +
      "Smart Agent is retired in favour of the Splunk OpenTelemetry Collector.",
    source: K8S_TELEMETRY,
  },
  {
    id: "kubectl-flame",
    vendor: "Yahoo",
    product: "kubectl-flame",
    repositories: ["kubectl-flame"],
    severity: "high",
    note:
      "The Kubernetes documentation marks kubectl-flame as not supporting runtimes other than dockershim; " +
      "profile with a runtime-neutral tool instead (for example an in-process profiler or a CRI-aware one).",
    source: K8S_TELEMETRY,
  },
  {
    id: "newrelic-infrastructure",
    vendor: "New Relic",
    product: "New Relic infrastructure agent",
    repositories: ["newrelic/infrastructure"],
    severity: "medium",
    supportedFrom: {
      version: "1.42.0",
      source:
        "https://docs.newrelic.com/docs/infrastructure/install-infrastructure-agent/linux-installation/container-infrastructure-monitoring/",
    },
    note:
      "The infrastructure agent reads containerd from 1.42 (and prefers it when both sockets exist); upgrade " +
      "it before the nodes move. The Kubernetes integration (nri-kubernetes) reads the kubelet and is not affected.",
    source:
      "https://docs.newrelic.com/docs/infrastructure/install-infrastructure-agent/linux-installation/container-infrastructure-monitoring/",
  },
  {
    id: "cadvisor",
    vendor: "Google",
    product: "cAdvisor",
    repositories: ["cadvisor/cadvisor", "google/cadvisor", "google_containers/cadvisor"],
    severity: "high",
    // cAdvisor reads containerd (--containerd, default /run/containerd/containerd.sock) and CRI-O out of the box;
    // --docker_only "only report docker containers in addition to root stats" (lib/container/raw/factory.go).
    onlyWhenDockerOnly: true,
    dockerOnlyFlags: ["--docker_only", "-docker_only"],
    note:
      "Remove --docker_only: with it cAdvisor reports Docker containers only, which is none once the nodes run " +
      "containerd or CRI-O; without it, it reads containerd (--containerd) and CRI-O on its own.",
    source: "https://github.com/google/cadvisor/blob/master/container/raw/factory.go",
  },
];

/** A SignalFx monitor that reads Docker only; its presence makes W013 high (anchors.md 3.1 #13). */
export const SIGNALFX_DOCKER_MONITOR = {
  type: "docker-container-stats",
  source: K8S_TELEMETRY,
} as const;
