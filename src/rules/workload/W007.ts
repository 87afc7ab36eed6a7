/**
 * W007 docker-log-dependency: the workload reads container logs in Docker's json-file format.
 * Docker writes `{"log":…,"stream":…,"time":…}` under /var/lib/docker/containers; containerd and CRI-O
 * write the CRI text format `<RFC3339Nano> stdout|stderr F|P <msg>` under /var/log/pods, so JSON-only
 * parsers log "pattern not matched" and ship nothing
 * (https://github.com/aws-samples/amazon-cloudwatch-container-insights/issues/116,
 * https://github.com/cri-o/cri-o/issues/897, https://github.com/kube-logging/logging-operator/issues/1216).
 *
 * Three shapes: (a) a hostPath mount of /var/lib/docker/containers; (b) a ConfigMap whose data configures
 * a JSON-only parser on container logs (checkObject); (c) the fluentd-kubernetes-daemonset image left on its
 * default json parser.
 */
import type { WorkloadRule } from "../../core/rule.js";
import type { Hit } from "../../core/types.js";
import { isObject } from "../../core/workload.js";
import { FLUENTD_DAEMONSET_IMAGE } from "../data/logging.js";
import { matchesOfKind } from "./hostpaths.js";
import { dockerLogConfig } from "./logconfig.js";
import {
  containerOf,
  describeMounters,
  dockerSeverity,
  imagePath,
  normalizePath,
  parseImage,
  pathText,
  repoEndsWith,
} from "./util.js";

export const W007: WorkloadRule = {
  id: "W007",
  slug: "docker-log-dependency",
  title: "Log collection depends on Docker's json-file logs",
  category: "workload",
  description:
    "The workload reads Docker's json-file container logs: it mounts /var/lib/docker/containers, or its " +
    "log shipper is configured with a JSON-only parser for /var/log/containers. containerd and CRI-O write " +
    "CRI-format logs under /var/log/pods, so the shipper stops shipping or floods parse errors.",
  remediation:
    "Tail /var/log/containers/*.log (mount /var/log/pods too, the symlinks point there) with a parser that " +
    "understands CRI: fluent-bit `multiline.parser docker, cri`, fluentd `@type cri`, filebeat " +
    "`type: container`, promtail `cri: {}`. Keep the Docker parser alongside while pools are mixed.",
  defaultSeverity: "high",
  check(workload, ctx) {
    const hits: Hit[] = [];
    const sev = dockerSeverity(ctx.target, "high");
    for (const m of matchesOfKind(workload.template, "docker-logs")) {
      const hv = m.volume;
      if (m.via === "volume" || !m.container || !m.mount) {
        hits.push({
          severity: sev,
          path: hv.path,
          ...containerOf(hv),
          message:
            `hostPath volume "${hv.volume.name}" (${pathText(hv.path, workload)}) mounts ${hv.hostPath}, Docker's json-file ` +
            `log directory, ${describeMounters(hv)}. It does not exist on containerd/CRI-O nodes; logs are in ` +
            "/var/log/pods in CRI format.",
          evidence: { hostPath: hv.hostPath, normalized: hv.canonical, volume: hv.volume.name },
        });
        continue;
      }
      hits.push({
        severity: sev,
        path: m.path,
        container: m.container.name,
        message:
          `container "${m.container.name}" mounts ${m.canonical} (hostPath ${hv.hostPath} + subPath ` +
          `"${m.mount.subPath}"), Docker's json-file log directory, which containerd/CRI-O nodes do not have.`,
        evidence: { hostPath: hv.hostPath, subPath: m.mount.subPath ?? "", normalized: m.canonical },
      });
    }
    for (const c of workload.template.containers) {
      if (!repoEndsWith(parseImage(c.image), FLUENTD_DAEMONSET_IMAGE.repository)) continue;
      const env = c.env.find((e) => e.name === FLUENTD_DAEMONSET_IMAGE.parserEnv);
      if (env && (env.value === undefined || env.value.trim().toLowerCase() !== "json")) continue;
      // A ConfigMap mounted over the image's config replaces the default; its content is judged on its own.
      const dir = FLUENTD_DAEMONSET_IMAGE.configDir;
      // Only a mount of the directory itself or of fluent.conf replaces the image's config; a mount
      // below it (conf.d/) adds to it, and /fluentd/etc2 is another directory.
      const replaced = c.volumeMounts.some((m) => {
        const mp = normalizePath(m.mountPath);
        return mp === dir || mp === `${dir}/fluent.conf`;
      });
      if (replaced) continue;
      hits.push({
        severity: sev,
        path: env ? [...c.path, "env", env.index, "value"] : imagePath(c),
        container: c.name,
        message:
          `container "${c.name}" runs ${c.image}, whose built-in config parses container logs as json unless ` +
          `${FLUENTD_DAEMONSET_IMAGE.parserEnv} says otherwise${env ? " (it is set to json)" : " (it is not set)"}.`,
        remediation:
          `Set env ${FLUENTD_DAEMONSET_IMAGE.parserEnv}=cri on container "${c.name}" (image v1.12.0-*-1.1 or later); ` +
          "downstream filters then see the message in `message` instead of `log`.",
        evidence: { image: c.image },
      });
    }
    return hits;
  },
  checkObject(object, ctx) {
    if (object.kind !== "ConfigMap" || !isObject(object.raw.data)) return [];
    const hits: Hit[] = [];
    for (const [key, value] of Object.entries(object.raw.data)) {
      if (typeof value !== "string") continue;
      for (const f of dockerLogConfig(value)) {
        hits.push({
          severity: dockerSeverity(ctx.target, "high"),
          path: ["data", key],
          message:
            `ConfigMap key "${key}" (${f.shipper}): ${f.detail}. containerd and CRI-O write CRI-format lines, ` +
            "which this parser cannot read.",
          remediation: `Use ${f.fix}.`,
          evidence: { shipper: f.shipper, key },
        });
      }
    }
    return hits;
  },
};
