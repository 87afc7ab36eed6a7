/**
 * Kubeconfig loading as kubectl does it
 * (https://kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/):
 *  1. `--kubeconfig FILE`: that file only, and it must exist;
 *  2. else `KUBECONFIG`: a `:`-separated list (`;` on Windows), merged. Missing or empty files are
 *     skipped; the first file to define a cluster, user or context name wins, and the first file that
 *     sets `current-context` wins. client-node's own `loadFromDefault` differs (a later file's
 *     current-context wins and a repeated name throws), so the merge is done here;
 *  3. else `~/.kube/config`;
 *  4. else the in-cluster service account (`KUBERNETES_SERVICE_HOST` + the mounted token).
 * `--context` replaces the current context. client-node parses each file and does the auth: token,
 * client certificates, exec plugins, auth providers, the in-cluster token file.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { type Cluster, type Context, KubeConfig, type User } from "./client-node.js";
import { KubeError } from "./errors.js";

export interface KubeConfigOptions {
  /** `--kubeconfig`. */
  kubeconfig?: string;
  /** `--context`. */
  context?: string;
  /** Defaults to process.env (KUBECONFIG, HOME, KUBERNETES_SERVICE_HOST/PORT). */
  env?: Record<string, string | undefined>;
  /** Where the in-cluster token, CA and namespace live; tests point it elsewhere. */
  serviceAccountDir?: string;
}

export interface LoadedKubeConfig {
  /** client-node's config, reduced to what was merged; used for auth only. */
  kc: KubeConfig;
  context: string;
  cluster: Cluster;
  user: User;
  /** The context's namespace, else "default". */
  namespace: string;
  /** Where it came from: the file list, or "in-cluster". */
  source: string;
}

const SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

function readFileConfig(file: string): KubeConfig | undefined {
  let text: string;
  try {
    if (!statSync(file).isFile()) return undefined;
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  if (text.trim() === "") return undefined;
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(file);
  } catch (e) {
    throw new KubeError("config", `cannot load kubeconfig ${file}: ${firstLine(e)}`);
  }
  return kc;
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0] ?? "";
}

/** kubectl's merge: first definition of each name wins, first current-context wins. */
function merge(configs: KubeConfig[]): KubeConfig {
  const clusters = new Map<string, Cluster>();
  const users = new Map<string, User>();
  const contexts = new Map<string, Context>();
  let current = "";
  for (const c of configs) {
    for (const x of c.clusters ?? []) if (!clusters.has(x.name)) clusters.set(x.name, x);
    for (const x of c.users ?? []) if (!users.has(x.name)) users.set(x.name, x);
    for (const x of c.contexts ?? []) if (!contexts.has(x.name)) contexts.set(x.name, x);
    if (!current && c.currentContext) current = c.currentContext;
  }
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [...clusters.values()],
    users: [...users.values()],
    contexts: [...contexts.values()],
    currentContext: current,
  });
  return kc;
}

export function loadKubeConfig(opts: KubeConfigOptions = {}): LoadedKubeConfig {
  const env = opts.env ?? process.env;
  let kc: KubeConfig | undefined;
  let source: string;
  if (opts.kubeconfig) {
    if (!existsSync(opts.kubeconfig))
      throw new KubeError("config", `kubeconfig ${opts.kubeconfig} does not exist`);
    kc = readFileConfig(opts.kubeconfig) ?? merge([]);
    source = opts.kubeconfig;
  } else if (env.KUBECONFIG) {
    const files = env.KUBECONFIG.split(delimiter).filter((f) => f !== "");
    kc = merge(files.map(readFileConfig).filter((c): c is KubeConfig => c !== undefined));
    source = files.join(delimiter);
  } else {
    const home = env.HOME ?? homedir();
    const file = join(home, ".kube", "config");
    kc = readFileConfig(file);
    source = file;
    if (!kc) {
      const saDir = opts.serviceAccountDir ?? SA_DIR;
      if (env.KUBERNETES_SERVICE_HOST && existsSync(join(saDir, "token"))) {
        kc = inCluster(env, saDir);
        source = "in-cluster";
      }
    }
  }
  if (!kc || (kc.contexts ?? []).length === 0) {
    throw new KubeError(
      "config",
      `no kubeconfig context found (looked at ${source}); set --kubeconfig, KUBECONFIG or run in a pod with a service account`,
    );
  }
  const name = opts.context ?? kc.currentContext;
  if (!name) throw new KubeError("config", `no current context in ${source}; pass --context`);
  const ctx = kc.getContextObject(name);
  if (!ctx) throw new KubeError("config", `context "${name}" does not exist in ${source}`);
  kc.setCurrentContext(name);
  const cluster = kc.getCluster(ctx.cluster);
  if (!cluster)
    throw new KubeError("config", `context "${name}" names cluster "${ctx.cluster}", which is not defined`);
  const user = kc.getUser(ctx.user) ?? { name: ctx.user };
  return { kc, context: name, cluster, user, namespace: ctx.namespace || "default", source };
}

/**
 * The in-cluster config, as client-go's rest.InClusterConfig builds it: https to
 * KUBERNETES_SERVICE_HOST:PORT, the mounted CA, and the token file re-read on use (it is rotated).
 */
function inCluster(env: Record<string, string | undefined>, dir: string): KubeConfig {
  const host = env.KUBERNETES_SERVICE_HOST ?? "";
  const port = env.KUBERNETES_SERVICE_PORT ?? "443";
  const h = host.includes(":") ? `[${host}]` : host;
  let namespace: string | undefined;
  try {
    namespace = readFileSync(join(dir, "namespace"), "utf8").trim() || undefined;
  } catch {
    namespace = undefined;
  }
  const kc = new KubeConfig();
  const ctx: Context = namespace
    ? { name: "in-cluster", cluster: "in-cluster", user: "in-cluster", namespace }
    : { name: "in-cluster", cluster: "in-cluster", user: "in-cluster" };
  kc.loadFromOptions({
    clusters: [
      {
        name: "in-cluster",
        server: `https://${h}:${port}`,
        caFile: join(dir, "ca.crt"),
        skipTLSVerify: false,
      },
    ],
    users: [
      { name: "in-cluster", authProvider: { name: "tokenFile", config: { tokenFile: join(dir, "token") } } },
    ],
    contexts: [ctx],
    currentContext: "in-cluster",
  });
  return kc;
}
