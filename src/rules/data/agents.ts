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
}

const K8S_TELEMETRY =
  "https://kubernetes.io/docs/tasks/administer-cluster/migrating-from-dockershim/migrating-telemetry-and-security-agents/";

export const KNOWN_AGENTS: readonly AgentRow[] = [
  {
    id: "datadog-agent",
    vendor: "Datadog",
    product: "Datadog Agent",
    repositories: ["datadog/agent", "datadoghq/agent", "datadog/docker-dd-agent", "datadog/dogstatsd"],
    severity: "medium",
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
];

/** A SignalFx monitor that reads Docker only; its presence makes W013 high (anchors.md 3.1 #13). */
export const SIGNALFX_DOCKER_MONITOR = {
  type: "docker-container-stats",
  source: K8S_TELEMETRY,
} as const;
