/**
 * The commander program: `files` (CI gate) and `image` (image explainer). Both print the report on
 * stdout in the chosen format and logs on stderr.
 */
import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import { ConfigError, DEFAULT_CONFIG_FILE, type LoadedConfig, loadConfig } from "../config/config.js";
import { normalizeRuleRef, type Policy } from "../core/policy.js";
import { InvalidReferenceError, parseReference } from "../core/reference.js";
import { buildReport, type Coverage, emptyCoverage, type GateOptions, gate } from "../core/report.js";
import { makeTarget, type Target, TargetError, type TargetText } from "../core/target.js";
import { isSeverity } from "../core/types.js";
import { createLogger, type LogFormat, type Logger } from "../log/logger.js";
import { OUTPUT_FORMATS, type OutputFormat, reporters } from "../reporters/index.js";
import { checkRuntimeSupported } from "../rules/image/index.js";
import { allRuleMeta } from "../scan/catalogue.js";
import { failureIssue } from "../scan/checks.js";
import { scanFiles } from "../scan/files.js";
// The image engine, the registry client and undici under it load on use (`await import`): `scan
// --no-images` and `files` without --check-images must not pay for their import.
import type { CredentialStore, ImageCheckResult, ImageUses } from "../scan/images.js";
import { addControllerCommand } from "./controller-command.js";
import { addScanCommand, type EmitInput } from "./scan-command.js";

export class UsageError extends Error {}

let cachedVersion: string | undefined;

function version(): string {
  if (cachedVersion === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
        version?: string;
      };
      cachedVersion = pkg.version ?? "0.0.0";
    } catch {
      cachedVersion = "0.0.0";
    }
  }
  return cachedVersion;
}

interface CommonOptions {
  output: string;
  targetK8s?: string;
  targetRuntime?: string;
  platform?: string;
  failOn?: string;
  failOnUnknown?: boolean;
  config?: string;
  ignore: string[];
  color: boolean;
  quiet?: boolean;
  logFormat: string;
}

/** Commander parser for repeatable, comma-separated options. */
export const collect = (value: string, previous: string[]) => [
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
      "exit 1 when a finding is at or above: critical|high|medium|low|info|none (default: high)",
    )
    .option("--fail-on-unknown", "exit 1 when an image could not be verified")
    .option("--ignore <rules>", "rule ids or slugs to suppress (repeatable, comma-separated)", collect, [])
    .option(
      "--config <file>",
      `rule severities, exemptions and default targets (default: ${DEFAULT_CONFIG_FILE} in the working directory, when present)`,
    )
    .option("--no-color", "never colour the table (NO_COLOR is honoured too)")
    .option("-q, --quiet", "no warnings or progress on stderr (errors are still printed)")
    .addOption(
      new Option("--log-format <format>", "stderr log format").choices(["text", "json"]).default("text"),
    );
}

export interface RegistryCliOptions {
  registryConfig?: string;
  insecureRegistry: string[];
  cacheDir?: string;
  registryTimeout: string;
  registryConcurrency: string;
}

export function addRegistryOptions(cmd: Command): Command {
  return cmd
    .option(
      "--registry-config <file>",
      "Docker config.json with registry credentials (default: $DOCKER_CONFIG/config.json)",
    )
    .option(
      "--insecure-registry <host>",
      "registry reached over plain HTTP, e.g. 127.0.0.1:5000 (repeatable; credentials are never sent to it)",
      collect,
      [],
    )
    .option("--cache-dir <dir>", "cache manifests and configs by digest in this directory across runs")
    .option("--registry-timeout <seconds>", "timeout for one registry request", "15")
    .option("--registry-concurrency <n>", "concurrent requests per registry", "16");
}

export async function registrySettings(opts: RegistryCliOptions): Promise<{
  credentials: CredentialStore;
  insecureRegistries: string[];
  cacheDir?: string;
  requestTimeoutMs: number;
  concurrencyPerRegistry: number;
}> {
  const { loadRegistryCredentials, RegistryConfigError } = await import("../scan/images.js");
  let credentials: CredentialStore;
  try {
    credentials = await loadRegistryCredentials(opts.registryConfig);
  } catch (err) {
    if (err instanceof RegistryConfigError) throw new UsageError(err.message);
    throw err;
  }
  const seconds = Number(opts.registryTimeout);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new UsageError("--registry-timeout must be a positive number of seconds");
  const concurrency = Number(opts.registryConcurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
    throw new UsageError("--registry-concurrency must be a whole number from 1 to 256");
  }
  return {
    credentials,
    concurrencyPerRegistry: concurrency,
    insecureRegistries: opts.insecureRegistry,
    ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}),
    requestTimeoutMs: Math.round(seconds * 1000),
  };
}

export interface ProgramState {
  exitCode: number;
}

interface Prepared {
  target: Target;
  /** The target as written, each from its flag or else the config file (`scan` fills the rest from the cluster). */
  targetText: TargetText;
  gateOpts: GateOptions;
  format: OutputFormat;
  log: Logger;
  ignore: Set<string>;
  policy: Policy;
}

export function readConfig(opts: Pick<CommonOptions, "config">): LoadedConfig {
  try {
    return loadConfig(opts.config, process.cwd(), allRuleMeta());
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

function prepare(opts: CommonOptions): Prepared {
  const config = readConfig(opts);
  const d = config.defaults;
  // A flag wins over the file; a bad value that came from the file names the file and its fields.
  const fromFile = (...fields: [flag: string | undefined, value: string | undefined, name: string][]) => {
    const names = fields
      .filter(([flag, value]) => flag === undefined && value !== undefined)
      .map((f) => f[2]);
    return names.length ? ` (set by ${config.file ?? DEFAULT_CONFIG_FILE}: ${names.join(", ")})` : "";
  };
  let target: Target;
  const t: TargetText = {};
  const k8s = opts.targetK8s ?? d.targetK8s;
  const runtimes = opts.targetRuntime ?? d.targetRuntimes;
  const platforms = opts.platform ?? d.platforms;
  if (k8s !== undefined) t.k8s = k8s;
  if (runtimes !== undefined) t.runtimes = runtimes;
  if (platforms !== undefined) t.platforms = platforms;
  try {
    target = makeTarget(t);
  } catch (err) {
    if (err instanceof TargetError) {
      const origin = fromFile(
        [opts.targetK8s, d.targetK8s, "targetK8s"],
        [opts.targetRuntime, d.targetRuntimes, "targetRuntimes"],
        [opts.platform, d.platforms, "platforms"],
      );
      throw new UsageError(`${err.message}${origin}`);
    }
    throw err;
  }
  const known = new Set(allRuleMeta().flatMap((r) => [r.id, r.slug]));
  const ignore = new Set(opts.ignore.map(normalizeRuleRef));
  for (const rule of ignore) {
    if (!known.has(rule))
      throw new UsageError(`--ignore: unknown rule "${rule}" (use a rule id such as W001 or a slug)`);
  }
  for (const rt of target.runtimes) {
    const problem = checkRuntimeSupported(rt);
    if (problem)
      throw new UsageError(
        `--target-runtime: ${problem}${fromFile([opts.targetRuntime, d.targetRuntimes, "targetRuntimes"])}`,
      );
  }
  const failOnText = opts.failOn ?? d.failOn ?? "high";
  const failOn = failOnText.toLowerCase();
  if (failOn !== "none" && !isSeverity(failOn)) {
    throw new UsageError(
      `--fail-on must be one of critical, high, medium, low, info, none (got "${failOnText}")`,
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
  if (config.file) log.debug(`config: ${config.file}`);
  return {
    target,
    targetText: t,
    gateOpts,
    format: opts.output as OutputFormat,
    log,
    ignore,
    policy: config.policy,
  };
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

  const files = addRegistryOptions(
    addCommonOptions(
      program
        .command("files")
        .description("audit manifest files, directories (recursive) or - for stdin; the CI gate")
        .argument("<paths...>", "files, directories, or - for stdin"),
    )
      .option("--check-images", "also check every image the workloads use against the target runtimes")
      .option("--allow-empty", "accept a named input with no Kubernetes objects (otherwise exit 2)")
      .option(
        "--verify-layers",
        "with --check-images: read the first bytes of each layer (HTTP Range) and probe foreign-layer URLs",
      ),
  );
  files
    .exitOverride()
    .action(
      async (
        paths: string[],
        opts: CommonOptions &
          RegistryCliOptions & { checkImages?: boolean; allowEmpty?: boolean; verifyLayers?: boolean },
      ) => {
        const p = prepare(opts);
        const registry = opts.checkImages ? await registrySettings(opts) : undefined;
        const progress = progressWriter(opts);
        const result = await scanFiles(paths, {
          target: p.target,
          ignore: p.ignore,
          policy: p.policy,
          allowEmpty: opts.allowEmpty === true,
          stdin: process.stdin,
          collectImages: opts.checkImages === true,
          onIssue: (sev, i) => {
            const where = `${i.source}${i.line ? `:${i.line}${i.column ? `:${i.column}` : ""}` : ""}`;
            if (sev === "error") p.log.error(`${where}: ${i.reason}`);
            else p.log.warn(`${where}: ${i.reason}`);
          },
          ...(progress
            ? { onProgress: (pr) => progress(`${pr.files} files, ${pr.documents} documents`) }
            : {}),
        });
        let images: ImageCheckResult | undefined;
        if (registry) {
          const { checkImages } = await import("../scan/images.js");
          images = await checkImages(result.images, {
            target: p.target,
            ignore: p.ignore,
            policy: p.policy,
            verifyLayers: opts.verifyLayers === true,
            ...registry,
            ...(progress ? { onProgress: (d, t) => progress(`images ${d}/${t}`) } : {}),
          });
          result.coverage.images = { checked: images.checked, unknown: images.unknown };
          reportImageChecks(p, images, result.coverage);
          result.settleImageIgnores(images.images);
        }
        progress?.("");
        emit(state, p, opts, {
          findings: images ? [...result.findings, ...images.findings] : result.findings,
          coverage: result.coverage,
          ...(images ? { images: images.images } : {}),
          inputErrors: result.coverage.errors.length > 0,
        });
      },
    );

  const image = addRegistryOptions(
    addCommonOptions(
      program
        .command("image")
        .description("explain whether images will pull and run on the target runtimes and platforms")
        .argument(
          "<references...>",
          "image references, e.g. nginx:1.27 or registry.example.com/app@sha256:...",
        ),
    ),
  );
  image.exitOverride().action(async (refs: string[], opts: CommonOptions & RegistryCliOptions) => {
    const p = prepare(opts);
    const registry = await registrySettings(opts);
    const progress = progressWriter(opts);
    const uses = new Map<string, ImageUses>();
    for (const r of refs) uses.set(r, { uses: [], total: 0 });
    const { checkImages } = await import("../scan/images.js");
    const images = await checkImages(uses, {
      target: p.target,
      ignore: p.ignore,
      policy: p.policy,
      withTree: true,
      verifyLayers: true,
      ...registry,
      ...(progress ? { onProgress: (d, t) => progress(`images ${d}/${t}`) } : {}),
    });
    progress?.("");
    const coverage = emptyCoverage();
    coverage.images = { checked: images.checked, unknown: images.unknown };
    // A reference the user typed that does not parse is an input error (exit 2), besides its I003 verdict.
    for (const r of refs) {
      try {
        parseReference(r);
      } catch (e) {
        coverage.errors.push({
          source: r,
          reason: e instanceof InvalidReferenceError ? e.message : `invalid image reference "${r}"`,
        });
      }
    }
    reportImageChecks(p, images, coverage);
    emit(state, p, opts, {
      findings: images.findings,
      coverage,
      images: images.images,
      inputErrors: coverage.errors.length > 0,
    });
  });

  addScanCommand(program, state, {
    addCommonOptions,
    addRegistryOptions,
    prepare,
    registrySettings,
    progressWriter,
    reportImageChecks,
    emit,
  });
  addControllerCommand(program, state);
  return program;
}

/**
 * What every command that checks images (files --check-images, image, scan) says about the check on
 * stderr and in the coverage: image rules that threw are coverage errors (exit 2), printed like input
 * errors; each image that could not be verified is one warning line (its row in the report says the
 * same; --fail-on-unknown makes it fail the gate).
 */
export function reportImageChecks(p: { log: Logger }, images: ImageCheckResult, coverage: Coverage): void {
  for (const f of images.failures) {
    const issue = failureIssue(f);
    coverage.errors.push(issue);
    p.log.error(`${issue.source}: ${issue.reason}`);
  }
  for (const img of images.images) {
    const v = img.verdicts.find((x) => x.verdict === "unknown" && x.reason);
    if (v) p.log.warn(`${img.reference} (${v.runtime}, ${v.platform}): could not verify: ${v.reason}`);
  }
}

/** A one-line progress indicator on stderr, only when stderr is a terminal. */
function progressWriter(opts: CommonOptions): ((text: string) => void) | undefined {
  if (process.stderr.isTTY !== true || opts.quiet || opts.logFormat !== "text") return undefined;
  let last = 0;
  let shown = false;
  return (text: string) => {
    if (text === "") {
      if (shown) process.stderr.write("\r\x1b[K");
      return;
    }
    const now = Date.now();
    if (now - last < 200) return;
    last = now;
    shown = true;
    process.stderr.write(`\r\x1b[K${text}…`);
  };
}

function emit(state: ProgramState, p: Prepared, opts: CommonOptions, r: EmitInput): void {
  const report = buildReport({
    target: p.target,
    findings: r.findings,
    coverage: r.coverage,
    ...(r.images ? { images: r.images } : {}),
    ...(r.nodes ? { nodes: r.nodes } : {}),
    generatedAt: generatedAt(),
    version: version(),
  });
  process.stdout.write(
    reporters[p.format](report, {
      rules: allRuleMeta(),
      color: useColor(opts),
      width: Math.max(80, process.stdout.columns ?? 80),
      failOn: p.gateOpts.failOn,
    }),
  );
  const gated = gate(report, p.gateOpts);
  state.exitCode = r.inputErrors ? 2 : gated;
}
