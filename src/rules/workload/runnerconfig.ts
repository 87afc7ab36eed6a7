/**
 * Host paths that CI runners mount into the job pods they create, read from the runner's own configuration
 * (kept in a ConfigMap or Secret; the job pods themselves never appear in manifests). GitLab Runner's
 * Kubernetes executor: `[[runners.kubernetes.volumes.host_path]]` tables with `name`, `mount_path` and
 * `host_path`, which "defaults to the same path as `mount_path`"
 * (https://docs.gitlab.com/runner/executors/kubernetes/#configure-volume-types); exposing
 * /var/run/docker.sock this way is the documented way to use the node's Docker from builds
 * (same page, "Exposed /var/run/docker.sock"). Read line by line (rules do not parse TOML); never throws.
 */

export interface RunnerHostPath {
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
    if (cur && p) out.push({ name: cur.name ?? "", hostPath: p });
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
