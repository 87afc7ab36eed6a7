import { describe, expect, it } from "vitest";
import { dockerLogConfig } from "../../../../src/rules/workload/logconfig.js";
import { brief, findings, TPL } from "./helpers.js";

describe("W007 docker-log-dependency", () => {
  it("fires on fluent-bit `Parser docker`; the /var/lib/docker/containers mount next to /var/log is low", () => {
    const f = findings("W007", "fire-fluent-bit-parser-docker.yaml");
    expect(f.map(brief)).toEqual([
      { severity: "high", name: "fluent-bit-config", path: ["data", "input-kubernetes.conf"] },
      {
        // The shipper tails /var/log/containers; the Docker directory is only where the symlinks resolve.
        severity: "low",
        container: "fluent-bit",
        name: "fluent-bit",
        path: [...TPL, "volumes", 1, "hostPath", "path"],
      },
    ]);
    expect(f[0]?.evidence?.shipper).toBe("fluent-bit");
    expect(f[0]?.remediation).toContain("multiline.parser docker, cri");
  });

  it("fires on fluentd json parsing, both <parse> and the old `format json`", () => {
    const f = findings("W007", "fire-fluentd-json.yaml");
    expect(f.map((x) => x.path)).toEqual([
      ["data", "containers.conf"],
      ["data", "legacy.conf"],
    ]);
    expect(f.every((x) => x.severity === "high" && x.evidence?.shipper === "fluentd")).toBe(true);
  });

  it("fires on filebeat's docker input and container input on Docker's directory", () => {
    const f = findings("W007", "fire-filebeat-docker-input.yaml");
    expect(f.map((x) => x.path)).toEqual([
      ["data", "kubernetes.yml"],
      ["data", "filebeat.yml"],
    ]);
  });

  it("fires on promtail's docker stage without cri", () => {
    expect(findings("W007", "fire-promtail-docker-stage.yaml").map(brief)).toEqual([
      { severity: "high", name: "promtail", path: ["data", "promtail.yaml"] },
    ]);
  });

  it("fires on the fluentd-kubernetes-daemonset image left on its json default", () => {
    const f = findings("W007", "fire-fluentd-daemonset-default.yaml");
    expect(f.map(brief)).toEqual([
      { severity: "high", container: "fluentd", name: "fluentd", path: [...TPL, "containers", 0, "image"] },
    ]);
    expect(f[0]?.remediation).toContain("FLUENT_CONTAINER_TAIL_PARSER_TYPE=cri");
  });

  it("still fires when only a conf.d below /fluentd/etc is mounted (the image's fluent.conf stays)", () => {
    expect(findings("W007", "fire-fluentd-daemonset-confd.yaml").map(brief)).toEqual([
      {
        severity: "high",
        container: "fluentd",
        name: "fluentd-extra",
        path: [...TPL, "containers", 0, "image"],
      },
    ]);
  });

  it("fires on filebeat filestream with the container parser pinned to docker, not on the auto default", () => {
    expect(findings("W007", "fire-filebeat-filestream-docker.yaml").map((f) => f.evidence?.shipper)).toEqual([
      "filebeat",
    ]);
    expect(findings("W007", "quiet-filebeat-filestream-auto.yaml")).toEqual([]);
  });

  it("is info when every target is cri-dockerd (Docker keeps writing json-file logs)", () => {
    const f = findings("W007", "fire-fluent-bit-parser-docker.yaml", { runtimes: "cri-dockerd" });
    expect(f.map((x) => x.severity)).toEqual(["info", "info"]);
  });

  it("stays quiet on upstream CRI-aware configs (helm chart defaults, cri parsers, both stages)", () => {
    expect(findings("W007", "quiet-upstream-cri-aware.yaml")).toEqual([]);
  });

  it("stays quiet on JSON parsing of application log files and the daemonset image set to cri", () => {
    expect(findings("W007", "quiet-json-app-logs.yaml")).toEqual([]);
  });

  describe("dockerLogConfig", () => {
    it("treats a multiline.parser docker without cri as Docker-only", () => {
      const text =
        "[INPUT]\n    Name tail\n    Path /var/log/containers/*.log\n    multiline.parser docker\n";
      expect(dockerLogConfig(text).map((f) => f.shipper)).toEqual(["fluent-bit"]);
    });

    it("reads fluent-bit YAML inputs", () => {
      const bad =
        "pipeline:\n  inputs:\n    - name: tail\n      path: /var/log/containers/*.log\n      parser: docker\n";
      const good = bad.replace("parser: docker", "multiline.parser: docker, cri");
      expect(dockerLogConfig(bad)).toHaveLength(1);
      expect(dockerLogConfig(good)).toEqual([]);
    });

    it("finds fluentd sources nested in a <label>", () => {
      const text =
        "<label @CONTAINERS>\n  <source>\n    @type tail\n    path /var/log/pods/*/*/*.log\n" +
        "    <parse>\n      @type json\n    </parse>\n  </source>\n</label>\n";
      expect(dockerLogConfig(text).map((f) => f.shipper)).toEqual(["fluentd"]);
    });

    it("ignores a commented-out docker parser", () => {
      const text = "[INPUT]\n    Name tail\n    Path /var/log/containers/*.log\n    # Parser docker\n";
      expect(dockerLogConfig(text)).toEqual([]);
    });

    it("judges each promtail pipeline on its own", () => {
      const text =
        "scrape_configs:\n- job_name: a\n  pipeline_stages:\n  - cri: {}\n- job_name: b\n  pipeline_stages:\n  - docker: {}\n";
      expect(dockerLogConfig(text).map((f) => f.shipper)).toEqual(["promtail"]);
    });

    it("judges each Grafana Alloy loki.process block on its own: stage.docker without stage.cri", () => {
      const alloy = (stages: string, label = "pods") =>
        `loki.process "${label}" {\n  ${stages}\n  forward_to = [loki.write.default.receiver]\n}\n`;
      expect(dockerLogConfig(alloy("stage.docker {}"))).toEqual([
        {
          shipper: "alloy",
          detail: 'loki.process "pods" uses stage.docker and no stage.cri',
          fix: expect.stringContaining("stage.cri {}"),
        },
      ]);
      // Nested in stage.match, the docker stage still parses the selected streams as Docker JSON.
      expect(
        dockerLogConfig(alloy('stage.match {\n    selector = "{app=\\"x\\"}"\n    stage.docker { }\n  }')),
      ).toHaveLength(1);
      expect(dockerLogConfig(alloy("stage.cri {}"))).toEqual([]);
      expect(dockerLogConfig(alloy("stage.docker {}\n  stage.cri {}"))).toEqual([]);
      // One block with cri does not excuse another without it.
      const two = alloy("stage.cri {}", "a") + alloy("stage.docker {}", "b");
      expect(dockerLogConfig(two).map((f) => f.detail)).toEqual([
        'loki.process "b" uses stage.docker and no stage.cri',
      ]);
    });

    it("ignores Alloy stage.docker in comments, strings and other components", () => {
      const commented =
        'loki.process "p" {\n  // stage.docker {}\n  /* stage.docker {} */\n  stage.json {\n    expressions = { x = "stage.docker {}" }\n  }\n}\n';
      expect(dockerLogConfig(commented)).toEqual([]);
      expect(
        dockerLogConfig('otelcol.receiver.filelog "x" {\n  include = ["/var/log/pods/*/*/*.log"]\n}\n'),
      ).toEqual([]);
    });

    it("reads the OpenTelemetry Collector's container operator: Docker-only when format pins docker", () => {
      const otel = (format: string) =>
        "receivers:\n  filelog:\n    include: [/var/log/pods/*/*/*.log]\n    operators:\n" +
        `      - id: container-parser\n${format}        type: container\n      - type: recombine\n        combine_field: body\n` +
        "service:\n  pipelines:\n    logs:\n      receivers: [filelog]\n";
      expect(dockerLogConfig(otel("        format: docker\n"))).toEqual([
        {
          shipper: "otel-collector",
          detail: "filelog container operator pinned to format: docker",
          fix: expect.stringContaining("format"),
        },
      ]);
      // Auto-detection (no format) and the CRI formats read containerd/CRI-O lines.
      expect(dockerLogConfig(otel(""))).toEqual([]);
      expect(dockerLogConfig(otel("        format: containerd\n"))).toEqual([]);
      expect(dockerLogConfig(otel('        format: "crio"\n'))).toEqual([]);
      // Not a collector config: a filebeat-looking list item alone does not count.
      expect(dockerLogConfig("- type: container\n  format: docker\n")).toEqual([]);
    });

    it("requires a filebeat config before reading `type: docker`", () => {
      expect(dockerLogConfig("- type: docker\n  name: my-ci-executor\n")).toEqual([]);
    });
  });
});

describe("W007 configs read the way the agent reads them", () => {
  it("is low for Docker's log directory mounted next to the kubelet's, high when it is the only input", () => {
    expect(findings("W007", "fire-docker-dir-mounts.yaml").map(brief)).toEqual([
      {
        severity: "low",
        container: "fluent-bit",
        name: "fluent-bit",
        path: [...TPL, "volumes", 2, "hostPath", "path"],
      },
      {
        severity: "high",
        container: "shipper",
        name: "docker-logs-only",
        path: [...TPL, "volumes", 0, "hostPath", "path"],
      },
    ]);
  });

  it("follows a parser chosen by the container's env or by @SET in the same ConfigMap", () => {
    const f = findings("W007", "fire-parser-from-variables.yaml");
    expect(f.map(brief)).toEqual([
      {
        severity: "high",
        container: "fluent-bit",
        name: "fb-docker",
        path: [...TPL, "containers", 0, "env", 1, "value"],
      },
      { severity: "high", name: "fb-set-parser", path: ["data", "input.conf"] },
    ]);
    expect(f[0]?.message).toBe(
      'container "fluent-bit" reads ConfigMap "fb-env-parser" key "input.conf" (fluent-bit) with LOG_PARSER=docker: ' +
        "[INPUT] tail input on /var/log/containers/*.log parses with Parser docker and no cri parser. " +
        "containerd and CRI-O write CRI-format lines, which this parser cannot read.",
    );
    // The ConfigMap on its own says nothing about the parser: no finding on it.
    expect(f.some((x) => x.subject.name === "fb-env-parser")).toBe(false);
  });

  it("reads log configs kept in Secrets, stringData as text and data as base64", () => {
    const f = findings("W007", "fire-config-in-secret.yaml");
    expect(f.map((x) => [x.subject.kind, x.subject.name, x.path, x.evidence?.shipper])).toEqual([
      ["Secret", "filebeat-config", ["stringData", "filebeat.yml"], "filebeat"],
      ["Secret", "fluent-bit-config", ["data", "input.conf"], "fluent-bit"],
    ]);
    expect(f[1]?.message).toContain('Secret key "input.conf" (fluent-bit)');
  });

  it("judges an agent by the config it loads: FLUENTD_CONF, -c/--config, FLUENTD_OPT replace the image's default", () => {
    expect(findings("W007", "quiet-fluentd-own-config.yaml")).toEqual([]);
  });

  it("expands $-brace variables with or without defaults and fluentd's #{ENV[...]} only as far as it knows", () => {
    const fluentd =
      "<source>\n  @type tail\n  path /var/log/containers/*.log\n  <parse>\n    @type \"#{ENV['PARSER'] || 'json'}\"\n  </parse>\n</source>\n";
    // Alone, the default is not applied: the pod that mounts the ConfigMap may set PARSER.
    expect(dockerLogConfig(fluentd, { lookup: () => undefined, complete: false })).toEqual([]);
    expect(dockerLogConfig(fluentd, { lookup: () => undefined, complete: true })).toHaveLength(1);
    expect(
      dockerLogConfig(fluentd, { lookup: (n) => (n === "PARSER" ? "cri" : undefined), complete: true }),
    ).toEqual([]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: promtail's own ${VAR:-default} syntax, not a JS template.
    const promtail = "scrape_configs:\n- job_name: k\n  pipeline_stages:\n  - ${STAGE:-docker}: {}\n";
    expect(dockerLogConfig(promtail, { lookup: () => undefined, complete: true })).toHaveLength(1);
    expect(dockerLogConfig(promtail, { lookup: () => "cri", complete: true })).toEqual([]);
  });
});
