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
import type { Container } from "../../core/workload.js";
import { FLUENTD_DAEMONSET_IMAGE } from "../data/logging.js";
import { configTexts, mountedConfigs } from "./configdata.js";
import { matchContainers, matchesOfKind, readsKubeletLogs } from "./hostpaths.js";
import { configVarNames, dockerLogConfig, fluentBitSetVars } from "./logconfig.js";
import {
  containerOf,
  describeMounters,
  dockerSeverity,
  imagePath,
  isUnder,
  lastComponent,
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
        // Shippers that tail /var/log/containers mount Docker's directory too, because on Docker nodes those
        // symlinks resolve into it (the upstream fluent-bit, fluentd, promtail and filebeat charts all do).
        // That mount is dead weight after the move, not the input: whether the parser reads CRI lines is
        // judged on the config (checkObject, or the env-driven check below).
        const readers = matchContainers(m);
        const alsoKubelet =
          readers.length > 0 && readers.every((c) => readsKubeletLogs(workload.template, c));
        hits.push({
          severity: alsoKubelet ? dockerSeverity(ctx.target, "low") : sev,
          path: hv.path,
          ...containerOf(hv),
          message:
            `hostPath volume "${hv.volume.name}" (${pathText(hv.path, workload)}) mounts ${hv.hostPath}, Docker's json-file ` +
            `log directory, ${describeMounters(hv)}. ` +
            (alsoKubelet
              ? "The same container also mounts the kubelet's log directory, whose /var/log/containers symlinks " +
                "resolve here on Docker nodes only; on containerd/CRI-O nodes this mount is empty and can go once " +
                "no node runs Docker."
              : "It does not exist on containerd/CRI-O nodes; logs are in /var/log/pods in CRI format."),
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
    const tpl = workload.template;
    for (const c of tpl.containers) {
      const hit = builtInDefault(c);
      if (hit) hits.push({ ...hit, severity: sev });
    }
    // A config that only selects Docker's parser through a variable the container sets (`Parser ${LOG_PARSER}`
    // with LOG_PARSER=docker): the ConfigMap on its own does not say, the pod reading it does.
    for (const c of tpl.containers) {
      for (const mc of mountedConfigs(tpl, c, workload.object.namespace, ctx.sources)) {
        const texts = Object.values(mc.data);
        const setVars = new Map<string, string>();
        for (const t of texts) fluentBitSetVars(t, setVars);
        const env = new Map(
          c.env.flatMap((e) => (e.value === undefined ? [] : [[e.name, e.value] as const])),
        );
        for (const [key, text] of Object.entries(mc.data)) {
          const names = configVarNames(text).filter((n) => env.has(n));
          if (names.length === 0) continue;
          const alone = new Set(
            dockerLogConfig(text, { lookup: (n) => setVars.get(n), complete: false }).map((f) => f.detail),
          );
          const withEnv = dockerLogConfig(text, {
            lookup: (n) => env.get(n) ?? setVars.get(n),
            complete: true,
          }).filter((f) => !alone.has(f.detail));
          const first = c.env.find((e) => e.name === names[0]);
          for (const f of withEnv) {
            const vars = names.map((n) => `${n}=${env.get(n)}`).join(", ");
            hits.push({
              severity: sev,
              path: first ? first.valuePath : mc.mountPath,
              container: c.name,
              message:
                `container "${c.name}" reads ${mc.kind === "configMap" ? "ConfigMap" : "Secret"} "${mc.name}" key ` +
                `"${key}" (${f.shipper}) with ${vars}: ${f.detail}. containerd and CRI-O write CRI-format lines, ` +
                "which this parser cannot read.",
              remediation: `Use ${f.fix}, or set ${names.join(", ")} to a CRI-capable parser.`,
              evidence: { shipper: f.shipper, key, [mc.kind]: mc.name, variables: vars },
            });
          }
        }
      }
    }
    return hits;
  },
  checkObject(object, ctx) {
    const texts = configTexts(object);
    if (texts.length === 0) return [];
    // fluent-bit @SET in one key (fluent-bit.conf) applies to the files it @INCLUDEs (other keys).
    const setVars = new Map<string, string>();
    for (const t of texts) fluentBitSetVars(t.text, setVars);
    const vars = setVars.size > 0 ? { lookup: (n: string) => setVars.get(n), complete: false } : undefined;
    const hits: Hit[] = [];
    for (const { key, text, path } of texts) {
      for (const f of dockerLogConfig(text, vars)) {
        hits.push({
          severity: dockerSeverity(ctx.target, "high"),
          path,
          message:
            `${object.kind} key "${key}" (${f.shipper}): ${f.detail}. containerd and CRI-O write CRI-format lines, ` +
            "which this parser cannot read.",
          remediation: `Use ${f.fix}.`,
          evidence: { shipper: f.shipper, key },
        });
      }
    }
    return hits;
  },
};

const FLUENTD_IMAGE_NAME = lastComponent(FLUENTD_DAEMONSET_IMAGE.repository);

/** Where a container's agent takes its configuration from, for an image with a built-in log config. */
function builtInDefault(c: Container): Omit<Hit, "severity"> | undefined {
  const row = FLUENTD_DAEMONSET_IMAGE;
  // The repository's components are written in the image as they are compared: a substring test first.
  if (!c.image.includes(FLUENTD_IMAGE_NAME) || !repoEndsWith(parseImage(c.image), row.repository))
    return undefined;
  const byName = (n: string) => c.env.find((e) => e.name === n);
  const env = byName(row.parserEnv);
  if (env && (env.value === undefined || env.value.trim().toLowerCase() !== row.dockerValue))
    return undefined;
  // The image's default applies only while its own config file is the one loaded. A config file named by
  // env (an unresolved value counts as "not ours to guess"), by a flag on the command line or in the
  // options env, or a volume mounted over the file or a directory above it, replaces it; that config is
  // then judged on its own (its ConfigMap, through checkObject).
  const confEnv = byName(row.configEnv);
  if (confEnv && confEnv.value === undefined) return undefined;
  const file = normalizePath(`${row.configDir}/${confEnv?.value ?? row.defaultConfig}`);
  if (file !== normalizePath(`${row.configDir}/${row.defaultConfig}`)) return undefined;
  const opts = byName(row.optsEnv)?.value?.split(/\s+/) ?? [];
  const words = [...c.command, ...c.args, ...opts];
  if (words.some((w) => row.configFlags.some((f) => w === f || w.startsWith(`${f}=`)))) return undefined;
  // A mount of conf.d below the directory adds to the image's config; /fluentd/etc2 is another directory.
  if (c.volumeMounts.some((m) => isUnder(file, normalizePath(m.mountPath)))) return undefined;
  return {
    path: env ? env.valuePath : imagePath(c),
    container: c.name,
    message:
      `container "${c.name}" runs ${c.image}, whose built-in config parses container logs as json unless ` +
      `${row.parserEnv} says otherwise${env ? " (it is set to json)" : " (it is not set)"}.`,
    remediation:
      `Set env ${row.parserEnv}=cri on container "${c.name}" (image v1.12.0-*-1.1 or later); ` +
      "downstream filters then see the message in `message` instead of `log`.",
    evidence: { image: c.image },
  };
}
