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
// src/controller loads on use (`await import`), so the other commands do not pay for its import.
import type { ControllerDeps, ControllerHandle, ControllerOptions } from "../controller/index.js";
import { makeTarget, type Target, TargetError } from "../core/target.js";
import { isSeverity, type Severity } from "../core/types.js";
import { createLogger, type LogFormat } from "../log/logger.js";
import type { ProgramState } from "./program.js";
import { UsageError } from "./program.js";

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

interface ControllerFlags {
  kubeconfig?: string;
  context?: string;
  targetK8s?: string;
  targetRuntime?: string;
  images: boolean;
  failOn: string;
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
    .option("--no-images", "do not check the images the workloads use")
    .option(
      "--fail-on <severity>",
      "results at or above it are `fail`, below it `warn`: critical|high|medium|low|info|none",
      "high",
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
    // The chart passes scan's registry flags to both modes. This build's controller does not check
    // images yet (README "Controller"): they are accepted so one set of chart values serves both.
    .option("--insecure-registry <host>", "(scan's flag; the controller does not check images yet)")
    .option("--cache-dir <dir>", "(scan's flag; the controller does not check images yet)")
    .option("--registry-timeout <seconds>", "(scan's flag; the controller does not check images yet)")
    .option("--registry-concurrency <n>", "(scan's flag; the controller does not check images yet)")
    .option("--kubelet-config", "(the controller does not run the node rules yet)")
    .option("-q, --quiet", "only errors on stderr")
    .addOption(
      new Option("--log-format <format>", "stderr log format").choices(["text", "json"]).default("json"),
    );

  cmd.exitOverride().action(async (flags: ControllerFlags) => {
    const failOn = flags.failOn.toLowerCase();
    if (failOn !== "none" && !isSeverity(failOn)) {
      throw new UsageError(
        `--fail-on must be one of critical, high, medium, low, info, none (got "${flags.failOn}")`,
      );
    }
    let target: Target | undefined;
    try {
      // Validates the versions now; the defaults that depend on the cluster are filled in later.
      const t: { k8s?: string; runtimes?: string } = {};
      if (flags.targetK8s !== undefined) t.k8s = flags.targetK8s;
      if (flags.targetRuntime !== undefined) t.runtimes = flags.targetRuntime;
      const made = makeTarget(t);
      if (flags.targetK8s !== undefined) target = made;
    } catch (e) {
      if (e instanceof TargetError) throw new UsageError(e.message);
      throw e;
    }
    const { parseBindAddress, runController } = await import("../controller/index.js");
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
      ...(flags.targetK8s ? { targetK8s: flags.targetK8s } : {}),
      ...(flags.targetRuntime ? { targetRuntime: flags.targetRuntime } : {}),
      ...(target ? { target } : {}),
      images: flags.images,
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
