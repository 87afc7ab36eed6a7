/**
 * The commander program: `files` (CI gate) and `image` (image explainer). Both print the report on
 * stdout in the chosen format and logs on stderr.
 */
import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import { buildReport, type GateOptions, gate } from "../core/report.js";
import { makeTarget, type Target, TargetError } from "../core/target.js";
import { isSeverity } from "../core/types.js";
import { createLogger, type LogFormat, type Logger } from "../log/logger.js";
import { OUTPUT_FORMATS, type OutputFormat, reporters } from "../reporters/index.js";
import { allRuleMeta } from "../scan/catalogue.js";
import { scanFiles } from "../scan/files.js";

export class UsageError extends Error {}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      version?: string;
    };
    return pkg.version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
}

interface CommonOptions {
  output: string;
  targetK8s?: string;
  targetRuntime?: string;
  platform?: string;
  failOn: string;
  failOnUnknown?: boolean;
  ignore: string[];
  color: boolean;
  quiet?: boolean;
  logFormat: string;
}

const collect = (value: string, previous: string[]) => [
  ...previous,
  ...value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean),
];

function addCommonOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option("-o, --output <format>", "output format").choices([...OUTPUT_FORMATS]).default("table"),
    )
    .option("--target-k8s <version>", "Kubernetes version you are moving to (default: 1.37)")
    .option(
      "--target-runtime <list>",
      "runtimes to judge against, e.g. containerd@2.1,cri-o@1.34 or cri-dockerd (default: containerd@2.3,cri-o@1.37)",
    )
    .option("--platform <list>", "platforms images must run on (default: linux/amd64,linux/arm64)")
    .option(
      "--fail-on <severity>",
      "exit 1 when a finding is at or above: critical|high|medium|low|info|none",
      "high",
    )
    .option("--fail-on-unknown", "exit 1 when an image could not be verified")
    .option("--ignore <rules>", "rule ids or slugs to suppress (repeatable, comma-separated)", collect, [])
    .option("--no-color", "never colour the table (NO_COLOR is honoured too)")
    .option("-q, --quiet", "no warnings or progress on stderr (errors are still printed)")
    .addOption(
      new Option("--log-format <format>", "stderr log format").choices(["text", "json"]).default("text"),
    );
}

export interface ProgramState {
  exitCode: number;
}

interface Prepared {
  target: Target;
  gateOpts: GateOptions;
  format: OutputFormat;
  log: Logger;
  ignore: Set<string>;
}

function prepare(opts: CommonOptions): Prepared {
  let target: Target;
  try {
    const t: { k8s?: string; runtimes?: string; platforms?: string } = {};
    if (opts.targetK8s !== undefined) t.k8s = opts.targetK8s;
    if (opts.targetRuntime !== undefined) t.runtimes = opts.targetRuntime;
    if (opts.platform !== undefined) t.platforms = opts.platform;
    target = makeTarget(t);
  } catch (err) {
    if (err instanceof TargetError) throw new UsageError(err.message);
    throw err;
  }
  const failOn = opts.failOn.toLowerCase();
  if (failOn !== "none" && !isSeverity(failOn)) {
    throw new UsageError(
      `--fail-on must be one of critical, high, medium, low, info, none (got "${opts.failOn}")`,
    );
  }
  const gateOpts: GateOptions = {
    failOn: failOn === "none" ? "none" : failOn,
    failOnUnknown: opts.failOnUnknown === true,
  };
  const log = createLogger({
    format: opts.logFormat as LogFormat,
    level: opts.quiet ? "error" : "info",
    name: "kube-runtime-audit",
  });
  return { target, gateOpts, format: opts.output as OutputFormat, log, ignore: new Set(opts.ignore) };
}

function useColor(opts: CommonOptions): boolean {
  if (!opts.color) return false;
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== "") return false;
  return process.stdout.isTTY === true;
}

function generatedAt(): string {
  // Reproducible builds convention (https://reproducible-builds.org/specs/source-date-epoch/).
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch && /^\d+$/.test(epoch)) return new Date(Number(epoch) * 1000).toISOString();
  return new Date().toISOString();
}

export function buildProgram(state: ProgramState): Command {
  const program = new Command();
  program
    .name("kube-runtime-audit")
    .description(
      "Finds what breaks before a Kubernetes container runtime change: Docker Engine dependencies in workloads,\n" +
        "and images containerd or CRI-O will refuse.",
    )
    .version(version(), "--version")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });

  const files = addCommonOptions(
    program
      .command("files")
      .description("audit manifest files, directories (recursive) or - for stdin; the CI gate")
      .argument("<paths...>", "files, directories, or - for stdin"),
  );
  files.exitOverride().action(async (paths: string[], opts: CommonOptions) => {
    const p = prepare(opts);
    const progress = process.stderr.isTTY === true && !opts.quiet && opts.logFormat === "text";
    let lastProgress = 0;
    const result = await scanFiles(paths, {
      target: p.target,
      ignore: p.ignore,
      stdin: process.stdin,
      onIssue: (sev, i) => {
        const where = `${i.source}${i.line ? `:${i.line}${i.column ? `:${i.column}` : ""}` : ""}`;
        if (sev === "error") p.log.error(`${where}: ${i.reason}`);
        else p.log.warn(`${where}: ${i.reason}`);
      },
      onProgress: progress
        ? (pr) => {
            const now = Date.now();
            if (now - lastProgress < 200) return;
            lastProgress = now;
            process.stderr.write(`\r${pr.files} files, ${pr.documents} documents…`);
          }
        : undefined,
    });
    if (progress && lastProgress > 0) process.stderr.write("\r\x1b[K");
    const report = buildReport({
      target: p.target,
      findings: result.findings,
      coverage: result.coverage,
      generatedAt: generatedAt(),
      version: version(),
    });
    process.stdout.write(
      reporters[p.format](report, {
        rules: allRuleMeta(),
        color: useColor(opts),
        width: Math.max(80, process.stdout.columns ?? 80),
        ...(p.gateOpts.failOn === "none" ? {} : { failOn: p.gateOpts.failOn }),
      }),
    );
    const gated = gate(report, p.gateOpts);
    state.exitCode = result.coverage.errors.length > 0 ? 2 : gated;
  });

  return program;
}
