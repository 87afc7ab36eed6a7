/**
 * Log shippers (W006 severity, W007). Matched on image repository path components: a row matches when
 * the repository path ends with one of `repositories`, compared component by component.
 *
 * Why they matter: Docker writes json-file logs under /var/lib/docker/containers; containerd and CRI-O
 * write the CRI text format (`<RFC3339Nano> stdout|stderr F|P <msg>`) under /var/log/pods, so a shipper
 * configured for Docker reads nothing or floods "pattern not matched"
 * (https://github.com/aws-samples/amazon-cloudwatch-container-insights/issues/116,
 * https://github.com/fluent/fluent-bit-kubernetes-logging/issues/88).
 */

export interface LogShipperRow {
  id: string;
  repositories: readonly string[];
  /** The CRI-capable setting to move to. */
  criFix: string;
  source: string;
}

export const LOG_SHIPPERS: readonly LogShipperRow[] = [
  {
    id: "fluent-bit",
    repositories: ["fluent-bit", "aws-for-fluent-bit", "fluent-bit-plugin-loki"],
    criFix: "multiline.parser docker, cri (Fluent Bit >= 1.8) on the tail input",
    source: "https://docs.fluentbit.io/manual/administration/configuring-fluent-bit/multiline-parsing",
  },
  {
    id: "fluentd",
    repositories: ["fluentd", "fluentd-kubernetes-daemonset", "fluentd-hec", "fluentd-elasticsearch"],
    criFix: "a cri <parse> section (fluent-plugin-parser-cri) or FLUENT_CONTAINER_TAIL_PARSER_TYPE=cri",
    source: "https://github.com/fluent/fluentd-kubernetes-daemonset#use-cri-parser-for-containerdcri-o-logs",
  },
  {
    id: "filebeat",
    repositories: ["filebeat", "filebeat-oss", "elastic-agent"],
    criFix: "the container input (or filestream with the container parser) on /var/log/containers/*.log",
    source: "https://www.elastic.co/guide/en/beats/filebeat/7.5/filebeat-input-container.html",
  },
  {
    id: "promtail",
    repositories: ["promtail"],
    criFix: "a cri: {} pipeline stage (or Grafana Alloy with stage.cri)",
    source: "https://grafana.com/docs/loki/latest/send-data/promtail/stages/cri/",
  },
  {
    id: "logstash",
    repositories: ["logstash", "logstash-oss"],
    criFix: "a CRI-format grok/dissect pattern on /var/log/containers/*.log",
    source: "https://github.com/fluent/fluent-bit-kubernetes-logging/issues/88",
  },
  {
    id: "grafana-alloy",
    repositories: ["grafana/alloy", "grafana/agent"],
    criFix: "loki.source.file/kubernetes with loki.process { stage.cri {} }",
    source: "https://grafana.com/docs/alloy/latest/reference/components/loki/loki.process/",
  },
  {
    id: "vector",
    repositories: ["timberio/vector", "vectordotdev/vector"],
    criFix: "the kubernetes_logs source (it detects Docker and CRI formats)",
    source: "https://vector.dev/docs/reference/configuration/sources/kubernetes_logs/",
  },
];

/**
 * Images whose built-in configuration parses container logs as Docker JSON unless told otherwise (W007).
 * The default only applies while the image's own config file is the one the agent loads: a config file
 * chosen by env or flag, or a volume mounted over the file, replaces it (and is judged on its own).
 */
export interface BuiltInLogConfigRow {
  id: string;
  /** Repository path suffix, compared by component. */
  repository: string;
  /** Env that picks the parser; unset, or set to `dockerValue`, the image parses Docker JSON only. */
  parserEnv: string;
  /** The value of `parserEnv` that means Docker JSON (the default when unset). */
  dockerValue: string;
  /** Directory the entrypoint resolves the config file in, and the file it loads by default. */
  configDir: string;
  defaultConfig: string;
  /** Env naming the config file relative to `configDir`. */
  configEnv: string;
  /** Env whose words are appended to the agent's command line (a config flag there replaces the file). */
  optsEnv: string;
  /** Agent flags that name the config file. */
  configFlags: readonly string[];
  source: string;
}

/**
 * fluentd-kubernetes-daemonset: `@type "#{ENV['FLUENT_CONTAINER_TAIL_PARSER_TYPE'] || 'json'}"`
 * (templates/conf/tail_container_parse.conf.erb; the env exists from v1.12.0-*-1.1), and the entrypoint
 * runs `fluentd -c /fluentd/etc/${FLUENTD_CONF} ... ${FLUENTD_OPT}` with FLUENTD_CONF=fluent.conf in the
 * image (templates/entrypoint.sh.erb, templates/Dockerfile.erb).
 */
export const FLUENTD_DAEMONSET_IMAGE: BuiltInLogConfigRow = {
  id: "fluentd-kubernetes-daemonset",
  repository: "fluent/fluentd-kubernetes-daemonset",
  parserEnv: "FLUENT_CONTAINER_TAIL_PARSER_TYPE",
  dockerValue: "json",
  configDir: "/fluentd/etc",
  defaultConfig: "fluent.conf",
  configEnv: "FLUENTD_CONF",
  optsEnv: "FLUENTD_OPT",
  configFlags: ["-c", "--config"],
  source: "https://github.com/fluent/fluentd-kubernetes-daemonset#use-cri-parser-for-containerdcri-o-logs",
};
