/**
 * Host paths that CI runners mount into the job pods they create, read from the runner's own configuration
 * (kept in a ConfigMap or Secret; the job pods themselves never appear in manifests). Read line by line
 * (rules do not parse TOML or YAML); never throws.
 * - GitLab Runner's Kubernetes executor: `[[runners.kubernetes.volumes.host_path]]` tables with `name`,
 *   `mount_path` and `host_path`, which "defaults to the same path as `mount_path`"
 *   (https://docs.gitlab.com/runner/executors/kubernetes/#configure-volume-types); exposing
 *   /var/run/docker.sock this way is how builds use the node's Docker (same page, "Exposed /var/run/docker.sock").
 *   Its `[[runners.kubernetes.services]]` too: each becomes a job-pod container named `svc-<n>`, privileged
 *   when `[runners.kubernetes] privileged = true` (same page, "Container names" and "privileged").
 * - Jenkins' Kubernetes plugin pod templates in Configuration as Code (the jenkins chart's JCasC ConfigMap):
 *   `volumes: - hostPathVolume: {hostPath, mountPath}` (https://github.com/jenkinsci/kubernetes-plugin#pod-and-container-template-configuration).
 *   Their `containers` too (name, image, command, args, privileged), for the Docker daemons they run.
 */
import { yamlItems } from "./logconfig.js";

export type RunnerKind = "GitLab Runner" | "Jenkins Kubernetes plugin";

export interface RunnerHostPath {
  runner: RunnerKind;
  /** The volume's `name`, or "" when not given. */
  name: string;
  /** `host_path`, or `mount_path` when host_path is not given. */
  hostPath: string;
}

const HOST_PATH_TABLE = /^\[\[\s*runners\.kubernetes\.volumes\.host_path\s*\]\]$/;

function tomlString(v: string): string | undefined {
  const m = /^"((?:[^"\\]|\\.)*)"|^'([^']*)'/.exec(v.trim());
  if (!m) return undefined;
  return m[2] ?? (m[1] ?? "").replace(/\\(["\\])/g, "$1");
}

/** The host_path volumes of a GitLab Runner config.toml; [] for any other text. */
export function gitlabRunnerHostPaths(text: string): RunnerHostPath[] {
  if (!text.includes("runners.kubernetes.volumes.host_path")) return [];
  const out: RunnerHostPath[] = [];
  let cur: { name?: string; host?: string; mount?: string } | undefined;
  const flush = () => {
    const p = cur?.host ?? cur?.mount;
    if (cur && p) out.push({ runner: "GitLab Runner", name: cur.name ?? "", hostPath: p });
    cur = undefined;
  };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\s+#.*$/, "").trim();
    if (line.startsWith("[")) {
      // Sub-tables of the volume ([runners.kubernetes.volumes.host_path.x]) would keep it open; none exist.
      flush();
      if (HOST_PATH_TABLE.test(line)) cur = {};
      continue;
    }
    if (!cur) continue;
    const kv = /^([A-Za-z_]+)\s*=\s*(.*)$/.exec(line);
    if (!kv) continue;
    const value = tomlString(kv[2] ?? "");
    if (value === undefined) continue;
    if (kv[1] === "name") cur.name = value;
    else if (kv[1] === "host_path") cur.host = value;
    else if (kv[1] === "mount_path") cur.mount = value;
  }
  flush();
  return out;
}

function yamlScalar(v: string): string {
  const t = v.trim();
  if ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'"))) return t.slice(1, -1);
  return t;
}

/** The `hostPathVolume` entries of Jenkins Kubernetes-plugin pod templates (JCasC YAML); [] for other text. */
export function jenkinsHostPaths(text: string): RunnerHostPath[] {
  if (!text.includes("hostPathVolume")) return [];
  const out: RunnerHostPath[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const flow = /hostPathVolume:\s*\{([^}]*)\}/.exec(line);
    if (flow) {
      const host = /hostPath:\s*("[^"]*"|'[^']*'|[^,\s}]+)/.exec(flow[1] ?? "");
      if (host)
        out.push({ runner: "Jenkins Kubernetes plugin", name: "", hostPath: yamlScalar(host[1] ?? "") });
      continue;
    }
    const head = /^(\s*)(?:-\s+)?hostPathVolume:\s*(#.*)?$/.exec(line);
    if (!head) continue;
    const indent = (head[1] ?? "").length;
    for (let j = i + 1; j < lines.length; j++) {
      const l = lines[j] ?? "";
      if (l.trim() === "" || l.trim().startsWith("#")) continue;
      if (l.length - l.trimStart().length <= indent) break;
      const kv = /^\s*hostPath:\s*(.+?)\s*(#.*)?$/.exec(l);
      if (kv) {
        out.push({ runner: "Jenkins Kubernetes plugin", name: "", hostPath: yamlScalar(kv[1] ?? "") });
        break;
      }
    }
  }
  return out;
}

/** A container of a CI runner's pod template: what the job pods will run. */
export interface RunnerContainer {
  runner: RunnerKind;
  name: string;
  image: string;
  /** `command` then `args`, split on whitespace as the plugin splits them into the container's argv. */
  argv: string[];
  privileged: boolean;
}

/** A TOML array of strings (`["dockerd", "--tls=false"]`), or a single string as one element. */
function tomlStrings(v: string): string[] {
  const t = v.trim();
  if (!t.startsWith("[")) {
    const one = tomlString(t);
    return one === undefined ? [] : [one];
  }
  const out: string[] = [];
  for (const m of t.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'/g))
    out.push(m[2] ?? (m[1] ?? "").replace(/\\(["\\])/g, "$1"));
  return out;
}

/**
 * The service containers of GitLab Runner's Kubernetes executor (`[[runners.kubernetes.services]]` with
 * `name` = the image, `entrypoint`, `command`), per `[[runners]]`; [] for any other text.
 */
export function gitlabRunnerServices(text: string): RunnerContainer[] {
  if (!text.includes("runners.kubernetes.services")) return [];
  const out: RunnerContainer[] = [];
  let runner: { privileged: boolean; services: { image: string; argv: string[] }[] } | undefined;
  let table = "";
  const flush = () => {
    runner?.services.forEach((svc, i) => {
      if (svc.image)
        out.push({
          runner: "GitLab Runner",
          name: `svc-${i}`,
          privileged: runner?.privileged ?? false,
          ...svc,
        });
    });
  };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\s+#.*$/, "").trim();
    const head = /^\[\[?\s*([A-Za-z0-9_.-]+)\s*\]\]?$/.exec(line);
    if (head) {
      table = head[1] ?? "";
      if (table === "runners") {
        flush();
        runner = { privileged: false, services: [] };
      } else if (table === "runners.kubernetes.services") runner?.services.push({ image: "", argv: [] });
      continue;
    }
    const kv = /^([A-Za-z_]+)\s*=\s*(.*)$/.exec(line);
    if (!kv || !runner) continue;
    const [, key = "", value = ""] = kv;
    if (table === "runners.kubernetes" && key === "privileged") runner.privileged = value.trim() === "true";
    const svc = table === "runners.kubernetes.services" ? runner.services.at(-1) : undefined;
    if (!svc) continue;
    if (key === "name") svc.image = tomlString(value) ?? "";
    // The entrypoint runs with the command as its arguments, as in a pod's command and args.
    else if (key === "entrypoint") svc.argv = [...tomlStrings(value), ...svc.argv];
    else if (key === "command") svc.argv = [...svc.argv, ...tomlStrings(value)];
  }
  flush();
  return out;
}

/**
 * The containers of Jenkins Kubernetes-plugin pod templates (JCasC `clouds: - kubernetes: templates:
 * - containers:`); [] for text that has no `templates:` key. Container templates carry `name` and `image`
 * at their top level, which no other list item of a JCasC file does.
 */
export function jenkinsContainers(text: string): RunnerContainer[] {
  if (!/^\s*templates\s*:/m.test(text) || !text.includes("containers:")) return [];
  const out: RunnerContainer[] = [];
  for (const it of yamlItems(text)) {
    const image = yamlScalar(it.keys.get("image") ?? "");
    const name = it.keys.get("name");
    if (!image || name === undefined) continue;
    const words = (k: string) =>
      yamlScalar(it.keys.get(k) ?? "")
        .split(/\s+/)
        .filter((w) => w !== "");
    out.push({
      runner: "Jenkins Kubernetes plugin",
      name: yamlScalar(name),
      image,
      argv: [...words("command"), ...words("args")],
      privileged: yamlScalar(it.keys.get("privileged") ?? "").toLowerCase() === "true",
    });
  }
  return out;
}

/** Every container a CI runner config adds to the pods it creates. */
export function runnerContainers(text: string): RunnerContainer[] {
  return [...gitlabRunnerServices(text), ...jenkinsContainers(text)];
}

/** Every CI runner host_path volume in one config text. */
export function runnerHostPaths(text: string): RunnerHostPath[] {
  return [...gitlabRunnerHostPaths(text), ...jenkinsHostPaths(text)];
}
