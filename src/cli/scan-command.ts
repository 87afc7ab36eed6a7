/**
 * The `scan` command: audit the cluster of the current kube context (or --context / --kubeconfig).
 * It is also the kubectl plugin: installed as `kubectl-runtime_audit` (npm's second bin name) it runs
 * as `kubectl runtime-audit …`, where no subcommand means `scan`
 * (https://kubernetes.io/docs/tasks/extend-kubectl/kubectl-plugins/).
 * Exit codes as for `files`: 0 pass, 1 the gate failed, 2 the audit could not run or could not read
 * everything (missing permissions are listed in the coverage section).
 */
import { basename } from "node:path";
import { type Command, Option } from "commander";
import { type NodeEntry, parseAsOf } from "../core/node.js";
import type { Policy } from "../core/policy.js";
import type { Coverage, ImageReport } from "../core/report.js";
import { makeTarget, type Target, TargetError, type TargetText } from "../core/target.js";
import type { Finding, Severity } from "../core/types.js";
import type { Logger } from "../log/logger.js";
import type { ClusterFacts, ClusterScanOptions, ClusterScanResult } from "../scan/cluster.js";
import type { CredentialStore, ImageCheckResult } from "../scan/images.js";
import { identity, podNamespace, REPORT_APIS } from "./controller-command.js";
import { collect, type ProgramState, UsageError } from "./program.js";

/** What a command hands to the shared output step (program.ts `emit`). */
export interface EmitInput {
  findings: Finding[];
  coverage: Coverage;
  images?: ImageReport[];
  /** Cluster mode: the report's nodes[]. */
  nodes?: NodeEntry[];
  inputErrors: boolean;
}

/** The parts of the shared option handling in program.ts that `scan` reuses. */
/** What `scan` needs from the prepared options (program.ts's Prepared). */
interface PreparedScan {
  target: Target;
  targetText: TargetText;
  ignore: Set<string>;
  log: Logger;
  gateOpts: { failOn: Severity | "none" };
  policy?: Policy;
}

export interface ScanHooks<C, G, P extends PreparedScan, R> {
  addCommonOptions(cmd: Command): Command;
  addRegistryOptions(cmd: Command): Command;
  prepare(opts: C): P;
  registrySettings(opts: G): Promise<R & { credentials: CredentialStore }>;
  progressWriter(opts: C): ((text: string) => void) | undefined;
  /** Rule failures and unverified images of the image check, as files and image report them. */
  reportImageChecks(p: P, images: ImageCheckResult, coverage: Coverage): void;
  emit(state: ProgramState, p: P, opts: C, r: EmitInput): void;
}

interface ScanFlags {
  namespace: string[];
  allNamespaces?: boolean;
  selector?: string;
  context?: string;
  kubeconfig?: string;
  images: boolean;
  secrets: boolean;
  targetK8s?: string;
  targetRuntime?: string;
  platform?: string;
  publish?: boolean;
  reportApi: (typeof REPORT_APIS)[number];
  asOf?: string;
  kubeletConfig?: boolean;
}

/**
 * `--publish`: the scan's findings written as the controller writes them (src/controller/cluster.ts):
 * only what changed, one Event per finding at or above --fail-on. The audit ran, so the exit code
 * is 0 whatever it found; write failures (RBAC not granted yet) are logged, and the next run
 * retries them.
 */
async function publish(
  state: ProgramState,
  p: PreparedScan,
  opts: ScanFlags,
  findings: readonly Finding[],
  target: Target,
  version: string | undefined,
  images: readonly ImageReport[] | undefined,
  coverage: Coverage,
): Promise<void> {
  const { ClusterSetupError, publishFindings } = await import("../controller/cluster.js");
  const ns = podNamespace();
  try {
    const out = await publishFindings(
      {
        ...(opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {}),
        ...(opts.context ? { context: opts.context } : {}),
        images: opts.images,
        failOn: p.gateOpts.failOn,
        reportApi: opts.reportApi,
        identity: identity(),
        log: p.log,
        ...(ns ? { namespace: ns } : {}),
        ignore: p.ignore,
        ...(version ? { version } : {}),
      },
      findings,
      target,
      images,
      coverage,
    );
    for (const e of out.errors) p.log.error(`publishing: ${e}`);
    p.log.info(
      `published to ${out.api}: ${out.writes} report write(s), ${out.events} event write(s)${out.errors.length ? `, ${out.errors.length} failed` : ""}`,
    );
  } catch (e) {
    if (e instanceof ClusterSetupError) throw new UsageError(e.message);
    throw e;
  }
  if (state.exitCode === 1) state.exitCode = 0;
}

/** The minor after the newest kubelet: what a cluster upgrade moves to next. */
export function nextMinor(newest: string | undefined): string | undefined {
  const m = newest ? /^(\d+)\.(\d+)$/.exec(newest) : null;
  return m ? `${m[1]}.${Number(m[2]) + 1}` : undefined;
}

export function addScanCommand<C, G, P extends PreparedScan, R>(
  program: Command,
  state: ProgramState,
  hooks: ScanHooks<C, G, P, R>,
): Command {
  const cmd = hooks.addRegistryOptions(
    hooks.addCommonOptions(
      program
        .command("scan")
        .description(
          "audit the cluster of the current kube context: workloads (once, on their top owner) and the images they use",
        ),
    ),
  );
  cmd
    .option("-n, --namespace <ns>", "only these namespaces (repeatable, comma-separated)", collect, [])
    .option("-A, --all-namespaces", "every namespace (the default)")
    .option("-l, --selector <selector>", "only pods and workloads with these labels, e.g. app=web,tier!=db")
    .option("--context <name>", "the kubeconfig context to use (default: the current context)")
    .option(
      "--kubeconfig <file>",
      "the kubeconfig file (default: KUBECONFIG, then ~/.kube/config, then in-cluster)",
    )
    .option("--no-images", "do not check the images the workloads use")
    .option(
      "--publish",
      "also write the results to the cluster (PolicyReports, Events; the in-cluster CronJob); exit 0 unless the audit could not run",
    )
    .addOption(
      new Option(
        "--report-api <api>",
        "with --publish: report objects to write (auto: openreports.io when served, else wgpolicyk8s.io, else a ConfigMap summary)",
      )
        .choices([...REPORT_APIS])
        .default("auto"),
    )
    .option(
      "--as-of <YYYY-MM-DD>",
      "judge end-of-life dates as of this day (default: today), for a reproducible report",
    )
    .option(
      "--kubelet-config",
      "also read each kubelet's configz through the API server (needs get nodes/proxy; an unreadable kubelet is skipped)",
    )
    .option(
      "--no-secrets",
      "read no Secret (pull secrets, env and configs in Secrets): for users without get on secrets",
    )
    .exitOverride()
    .action(async (opts: C & G & ScanFlags) => {
      const p = hooks.prepare(opts);
      const node = nodeOptions(opts, p);
      const registry = opts.images ? await hooks.registrySettings(opts) : undefined;
      const progress = hooks.progressWriter(opts);
      // The target as the flags, else the config file, set it (as for `files`); what neither sets
      // comes from the cluster: the minor after the newest kubelet, the nodes' platforms.
      const given = p.targetText;
      const resolveTarget = (facts: ClusterFacts): Target => {
        if (given.k8s !== undefined && given.platforms !== undefined) return p.target;
        const t: TargetText = { ...given };
        const k8s = given.k8s ?? nextMinor(facts.newestKubelet);
        if (k8s) t.k8s = k8s;
        const platforms = given.platforms ?? (facts.platforms.length ? facts.platforms.join(",") : undefined);
        if (platforms) t.platforms = platforms;
        try {
          return makeTarget(t);
        } catch (e) {
          if (e instanceof TargetError) throw new UsageError(e.message);
          throw e;
        }
      };
      // Loaded on use: @kubernetes/client-node takes seconds to import, which `files` must not pay.
      const { ClusterScanError, scanCluster } = await import("../scan/cluster.js");
      let result: ClusterScanResult;
      try {
        result = await scanCluster({
          ...(opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {}),
          ...(opts.context ? { context: opts.context } : {}),
          ...(opts.namespace.length > 0 && !opts.allNamespaces ? { namespaces: opts.namespace } : {}),
          ...(opts.selector ? { labelSelector: opts.selector } : {}),
          target: resolveTarget,
          ignore: p.ignore,
          collectImages: opts.images,
          node,
          platformsFromNodes: given.platforms === undefined,
          readSecrets: opts.secrets,
          ...(p.policy ? { policy: p.policy } : {}),
          onIssue: (i) => p.log.warn(`${i.source}: ${i.reason}`),
          ...(progress ? { onProgress: progress } : {}),
        });
      } catch (e) {
        if (e instanceof ClusterScanError) throw new UsageError(e.message);
        throw e;
      }
      // The target may have been made from the cluster's facts: report what was judged.
      p.target = result.target;
      let images: ImageCheckResult | undefined;
      if (registry) {
        const { checkImages } = await import("../scan/images.js");
        images = await checkImages(result.images, {
          ...registry,
          target: result.target,
          ignore: p.ignore,
          ...(p.policy ? { policy: p.policy } : {}),
          // Each use is tried with its pods' pull secrets first, then these (result.images' access).
          ...(progress ? { onProgress: (d, t) => progress(`images ${d}/${t}`) } : {}),
        });
        result.coverage.images = { checked: images.checked, unknown: images.unknown };
        hooks.reportImageChecks(p, images, result.coverage);
        result.settleImageIgnores(images.images);
      }
      progress?.("");
      const findings = images ? [...result.findings, ...images.findings] : result.findings;
      hooks.emit(state, p, opts, {
        findings,
        coverage: result.coverage,
        nodes: result.nodeEntries,
        ...(images ? { images: images.images } : {}),
        inputErrors: result.coverage.errors.length > 0,
      });
      if (opts.publish)
        await publish(
          state,
          p,
          opts,
          findings,
          result.target,
          program.version(),
          images?.images,
          result.coverage,
        );
    });
  return cmd;
}

/** The node audit's options from the flags: a bad --as-of is a usage error (exit 2). */
function nodeOptions(flags: ScanFlags, p: { policy?: Policy }): NonNullable<ClusterScanOptions["node"]> {
  const node: NonNullable<ClusterScanOptions["node"]> = {};
  if (p.policy) node.policy = p.policy;
  if (flags.kubeletConfig) node.kubeletConfig = true;
  if (flags.asOf !== undefined) {
    try {
      node.asOf = parseAsOf(flags.asOf);
    } catch (e) {
      if (e instanceof TargetError) throw new UsageError(e.message);
      throw e;
    }
  }
  return node;
}

/**
 * Run as the kubectl plugin (`kubectl-runtime_audit`), arguments that name no subcommand mean `scan`:
 * `kubectl runtime-audit -n prod` is `scan -n prod`. `--help`/`--version` keep their meaning.
 */
export function pluginArgv(argv: readonly string[], commands: readonly string[]): string[] {
  const bin = basename(argv[1] ?? "");
  if (!/^kubectl-runtime_audit(\.[cm]?js)?$/.test(bin)) return [...argv];
  const first = argv[2];
  if (first !== undefined && [...commands, "help", "--help", "-h", "--version"].includes(first))
    return [...argv];
  return [...argv.slice(0, 2), "scan", ...argv.slice(2)];
}
