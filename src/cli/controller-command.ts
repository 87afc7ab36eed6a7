/**
 * The `controller` command: the in-cluster controller (README "Controller"). Flags follow
 * controller-runtime's conventions (https://book.kubebuilder.io/reference/metrics and the manager's
 * `--metrics-bind-address`, `--health-probe-bind-address`, `--leader-elect`), plus `scan`'s flags for
 * what is audited. SIGTERM and SIGINT stop it: watches end, the Lease is released, the servers
 * close, and the process exits 0 (within 15 s, well inside the kubelet's default 30 s grace period,
 * https://kubernetes.io/docs/concepts/containers/container-lifecycle-hooks/#hook-handler-execution).
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { type Command, Option } from "commander";
import type { ControllerSetup, ReportApiChoice } from "../controller/cluster.js";
// src/controller loads on use (`await import`), so the other commands do not pay for its import;
// its defaults module imports nothing.
import { DEFAULT_EVENT_RATE } from "../controller/defaults.js";
import type { ControllerDeps, ControllerHandle, ControllerOptions } from "../controller/index.js";
import { parseAsOf } from "../core/node.js";
import { normalizeRuleRef } from "../core/policy.js";
import { makeTarget, type Target, TargetError } from "../core/target.js";
import { isSeverity, type Severity } from "../core/types.js";
import { createLogger, type LogFormat } from "../log/logger.js";
import { checkRuntimeSupported } from "../rules/image/index.js";
import { allRuleMeta } from "../scan/catalogue.js";
import type { ProgramState, RegistryCliOptions } from "./program.js";
import { addRegistryOptions, collect, readConfig, registrySettings, UsageError } from "./program.js";

// Kept here rather than imported from src/controller/cluster.ts, which loads the Kubernetes client.
export const REPORT_APIS: readonly ReportApiChoice[] = ["auto", "wgpolicyk8s", "openreports"];
export type { ControllerSetup, ReportApiChoice };

/** Builds the ports (on src/kube) and the audit (the cluster scan's engine) for runController. */
export type ControllerDepsFactory = (setup: ControllerSetup) => Promise<ControllerDeps>;

/** src/controller/cluster.ts, loaded on use: @kubernetes/client-node takes seconds to import. */
const clusterDeps: ControllerDepsFactory = async (setup) => {
  const { ClusterSetupError, controllerDeps } = await import("../controller/cluster.js");
  try {
    return await controllerDeps(setup);
  } catch (e) {
    if (e instanceof ClusterSetupError) throw new UsageError(`controller: ${e.message}`);
    throw e;
  }
};

export interface ControllerCommandHooks {
  depsFactory?: ControllerDepsFactory;
  /** Where SIGTERM/SIGINT come from (tests pass an EventEmitter). */
  signals?: { once(event: "SIGTERM" | "SIGINT", fn: () => void): unknown };
  /** Called if stop() has not finished 15 s after the signal (default: process.exit(0)). */
  forceExit?: () => void;
  /** Receives the running handle (tests). */
  onStarted?: (handle: ControllerHandle) => void;
}

interface ControllerFlags extends RegistryCliOptions {
  kubeconfig?: string;
  context?: string;
  targetK8s?: string;
  targetRuntime?: string;
  platform?: string;
  images: boolean;
  imageCacheTtl: string;
  failOn?: string;
  config?: string;
  ignore: string[];
  asOf?: string;
  kubeletConfig?: boolean;
  secrets: boolean;
  eventQps: string;
  eventBurst: string;
  reportApi: ReportApiChoice;
  metricsBindAddress: string;
  healthProbeBindAddress: string;
  leaderElect?: boolean;
  leaderElectNamespace?: string;
  leaseName: string;
  logFormat: string;
  quiet?: boolean;
}

/** The service account's namespace, as a pod sees it. */
const SA_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

export function podNamespace(): string | undefined {
  const env = process.env.POD_NAMESPACE;
  if (env) return env;
  try {
    return readFileSync(SA_NAMESPACE, "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

/** controller-runtime's default leader identity: hostname + "_" + a UUID (unique per process). */
export function identity(): string {
  return `${process.env.POD_NAME || hostname()}_${randomUUID()}`;
}

export function addControllerCommand(
  program: Command,
  state: ProgramState,
  hooks: ControllerCommandHooks = {},
) {
  const cmd = program
    .command("controller")
    .description(
      "run in the cluster: watch workloads and nodes, re-audit what changes, publish PolicyReports and Events",
    )
    .option(
      "--kubeconfig <file>",
      "the kubeconfig file (default: KUBECONFIG, then ~/.kube/config, then in-cluster)",
    )
    .option("--context <name>", "the kubeconfig context to use (default: the current context)")
    .option(
      "--target-k8s <version>",
      "Kubernetes version you are moving to (default: the minor after the newest kubelet)",
    )
    .option("--target-runtime <list>", "runtimes to judge against, e.g. containerd@2.1,cri-o@1.34")
    .option(
      "--platform <list>",
      "platforms images must run on (default: those of the nodes each workload can be placed on)",
    )
    .option("--no-images", "do not check the images the workloads use")
    .option(
      "--image-cache-ttl <duration>",
      "how long a fetched image is trusted before it is fetched again, e.g. 30m, 6h, 1d",
      "6h",
    )
    .option(
      "--fail-on <severity>",
      "results at or above it are `fail`, below it `warn`, and get an Event: critical|high|medium|low|info|none (default: high)",
    )
    .option("--ignore <rules>", "rule ids or slugs to suppress (repeatable, comma-separated)", collect, [])
    .option(
      "--config <file>",
      "rule severities, exemptions and default targets, as for scan (default: .kube-runtime-audit.yaml in the working directory, when present)",
    )
    .option("--as-of <YYYY-MM-DD>", "judge end-of-life dates as of this day (default: today)")
    .option(
      "--kubelet-config",
      "also read each kubelet's configz through the API server (needs get nodes/proxy; an unreadable kubelet is logged and skipped)",
    )
    .addOption(
      new Option(
        "--report-api <api>",
        "report objects to write (auto: openreports.io when served, else wgpolicyk8s.io)",
      )
        .choices([...REPORT_APIS])
        .default("auto"),
    )
    .option("--metrics-bind-address <addr>", "serve /metrics on HOST:PORT (0 disables)", ":8080")
    .option(
      "--health-probe-bind-address <addr>",
      "serve /healthz and /readyz on HOST:PORT (0 disables)",
      ":8081",
    )
    .option("--leader-elect", "elect a leader through a Lease: only the leader writes reports and Events")
    .option("--leader-elect-namespace <ns>", "namespace of the Lease (default: the pod's namespace)")
    .option("--lease-name <name>", "name of the Lease", "kube-runtime-audit")
    .option(
      "--event-qps <n>",
      "Event API calls per second (Events beyond it wait in a queue, one per finding)",
      String(DEFAULT_EVENT_RATE.perSecond),
    )
    .option("--event-burst <n>", "Event API calls allowed at once", String(DEFAULT_EVENT_RATE.burst))
    .option("--no-secrets", "read no Secret: images are tried with the run's own credentials only")
    .option("-q, --quiet", "only errors on stderr")
    .addOption(
      new Option("--log-format <format>", "stderr log format").choices(["text", "json"]).default("json"),
    );

  // scan's registry flags, with the same meaning (src/cli/program.ts).
  addRegistryOptions(cmd);

  cmd.exitOverride().action(async (flags: ControllerFlags) => {
    // The config file as `scan` reads it: policy, and defaults a flag overrides.
    const config = readConfig({ ...(flags.config ? { config: flags.config } : {}) });
    const d = config.defaults;
    const targetK8s = flags.targetK8s ?? d.targetK8s;
    const targetRuntime = flags.targetRuntime ?? d.targetRuntimes;
    const platform = flags.platform ?? d.platforms;
    const failOnText = flags.failOn ?? d.failOn ?? "high";
    const failOn = failOnText.toLowerCase();
    if (failOn !== "none" && !isSeverity(failOn)) {
      throw new UsageError(
        `--fail-on must be one of critical, high, medium, low, info, none (got "${failOnText}")`,
      );
    }
    let target: Target | undefined;
    try {
      // Validates the versions now; the defaults that depend on the cluster are filled in later.
      const t: { k8s?: string; runtimes?: string; platforms?: string } = {};
      if (targetK8s !== undefined) t.k8s = targetK8s;
      if (targetRuntime !== undefined) t.runtimes = targetRuntime;
      if (platform !== undefined) t.platforms = platform;
      const made = makeTarget(t);
      for (const rt of made.runtimes) {
        const problem = checkRuntimeSupported(rt);
        if (problem) throw new UsageError(`--target-runtime: ${problem}`);
      }
      if (targetK8s !== undefined && platform !== undefined) target = made;
    } catch (e) {
      if (e instanceof TargetError) throw new UsageError(e.message);
      throw e;
    }
    const { parseBindAddress, runController } = await import("../controller/index.js");
    const known = new Set(allRuleMeta().flatMap((r) => [r.id, r.slug]));
    const ignore = new Set(flags.ignore.map(normalizeRuleRef));
    for (const rule of ignore)
      if (!known.has(rule))
        throw new UsageError(`--ignore: unknown rule "${rule}" (use a rule id such as W001 or a slug)`);
    let asOf: Date | undefined;
    if (flags.asOf !== undefined) {
      try {
        asOf = parseAsOf(flags.asOf);
      } catch (e) {
        if (e instanceof TargetError) throw new UsageError(e.message);
        throw e;
      }
    }
    const imageCacheTtlMs = parseDuration(flags.imageCacheTtl, "--image-cache-ttl");
    const perSecond = Number(flags.eventQps);
    const burst = Number(flags.eventBurst);
    if (!Number.isFinite(perSecond) || perSecond <= 0)
      throw new UsageError(`--event-qps must be a positive number (got "${flags.eventQps}")`);
    if (!Number.isInteger(burst) || burst < 1)
      throw new UsageError(`--event-burst must be a whole number of at least 1 (got "${flags.eventBurst}")`);
    const registry = flags.images ? await registrySettings(flags) : undefined;
    try {
      parseBindAddress(flags.metricsBindAddress, "--metrics-bind-address");
      parseBindAddress(flags.healthProbeBindAddress, "--health-probe-bind-address");
    } catch (e) {
      throw new UsageError(e instanceof Error ? e.message : String(e));
    }
    let leaseNamespace: string | undefined;
    if (flags.leaderElect) {
      leaseNamespace = flags.leaderElectNamespace ?? podNamespace();
      if (!leaseNamespace) {
        throw new UsageError("--leader-elect needs --leader-elect-namespace when not running in a pod");
      }
    }
    const log = createLogger({
      format: flags.logFormat as LogFormat,
      level: flags.quiet ? "error" : "info",
      name: "kube-runtime-audit",
    });
    const id = identity();
    const deps = await (hooks.depsFactory ?? clusterDeps)({
      ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
      ...(flags.context ? { context: flags.context } : {}),
      ...(targetK8s ? { targetK8s } : {}),
      ...(targetRuntime ? { targetRuntime } : {}),
      ...(platform ? { platform } : {}),
      ...(target ? { target } : {}),
      images: flags.images,
      ...(registry ? { registry } : {}),
      ignore,
      policy: config.policy,
      ...(asOf ? { asOf } : {}),
      ...(flags.kubeletConfig ? { kubeletConfig: true } : {}),
      ...(flags.secrets ? {} : { readSecrets: false }),
      failOn: failOn as Severity | "none",
      reportApi: flags.reportApi,
      identity: id,
      log,
      ...(podNamespace() ? { namespace: podNamespace() as string } : {}),
      version: program.version() ?? "0.0.0",
    });
    const opts: ControllerOptions = {
      identity: id,
      metricsBindAddress: flags.metricsBindAddress,
      healthProbeBindAddress: flags.healthProbeBindAddress,
      eventMinSeverity: failOn as Severity | "none",
      imageCacheTtlMs,
      eventRate: { perSecond, burst },
      ...(leaseNamespace ? { leaderElection: { namespace: leaseNamespace, name: flags.leaseName } } : {}),
    };
    let handle: ControllerHandle;
    try {
      handle = await runController(opts, deps);
    } catch (e) {
      // A port already in use, typically.
      throw new UsageError(`controller: ${e instanceof Error ? e.message : String(e)}`);
    }
    log.info(
      `controller running${handle.healthUrl ? `; probes on ${handle.healthUrl}` : ""}${handle.metricsUrl ? `; metrics on ${handle.metricsUrl}` : ""}`,
    );
    hooks.onStarted?.(handle);
    const signals = hooks.signals ?? process;
    await new Promise<void>((resolve) => {
      const onSignal = () => {
        log.info("signal received: stopping");
        const force = setTimeout(() => {
          log.error("stop did not finish within 15 s; exiting");
          (hooks.forceExit ?? (() => process.exit(0)))();
          resolve();
        }, 15_000);
        force.unref();
        void handle.stop().finally(() => {
          clearTimeout(force);
          resolve();
        });
      };
      signals.once("SIGTERM", onSignal);
      signals.once("SIGINT", onSignal);
    });
    state.exitCode = 0;
  });
  return cmd;
}

/** "90s", "30m", "6h", "1d" (or a number of seconds) in milliseconds; a bad value is a usage error. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
  const ms = m ? Number(m[1]) * unit[(m[2] ?? "s") as keyof typeof unit] : Number.NaN;
  if (!Number.isFinite(ms) || ms <= 0)
    throw new UsageError(`${flag} must be a positive duration such as 30m, 6h or 1d (got "${text}")`);
  return ms;
}
