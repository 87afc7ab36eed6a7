/**
 * Use case: audit manifest files (the CI gate). Streams file by file, document by document; only
 * findings, counters and the distinct image references are kept, so memory stays flat in the number
 * of files. Exact positions are computed only for documents that have findings.
 *
 * Env and mounted files from ConfigMaps and Secrets: every ConfigMap and Secret of the input is recorded
 * (EnvStore) as it streams by, and a document is audited against those seen so far. A document that asks
 * for one not seen yet (a workload written before its ConfigMap) is audited again after the last input,
 * when every ConfigMap and Secret has been seen, and only that audit counts. So a workload reads the
 * definition written before it, or else the last one in the input (two definitions of one ConfigMap are
 * two environments' overlays more often than a mistake).
 */
import type { Readable } from "node:stream";
import { type EnvSources, EnvStore } from "../core/env.js";
import { apiGroup } from "../core/pod-layouts.js";
import type { Policy } from "../core/policy.js";
import type { Coverage, CoverageIssue, ImageReport } from "../core/report.js";
import { emptyCoverage } from "../core/report.js";
import { auditObject, type ObjectAudit, type RuleContext, type WorkloadRule } from "../core/rule.js";
import type { Target } from "../core/target.js";
import type { DocPath, Finding } from "../core/types.js";
import {
  containerFieldPath,
  expandList,
  isObject,
  type JsonObject,
  type K8sObject,
  toK8sObject,
} from "../core/workload.js";
import { parseEmbedded, parseFile } from "../manifests/parse.js";
import { FileEvents, locatePaths, type Position, positionKey } from "../manifests/positions.js";
import { readInputs } from "../manifests/read.js";
import { type DocumentChunk, splitDocuments } from "../manifests/split.js";
import { findHelmLeftover } from "../manifests/templates.js";
import { workloadRules } from "../rules/workload/index.js";
import { ScanChecks } from "./checks.js";
import type { ImageUse, ImageUses } from "./images.js";

/** Usages kept per image: enough to point at the workloads, bounded for 20,000-workload inputs. */
const MAX_USES_PER_IMAGE = 20;

export interface FilesScanOptions {
  target: Target;
  ignore: ReadonlySet<string>;
  stdin?: Readable;
  maxFileBytes?: number;
  /** Severities, `off` rules and exemptions from the config file. */
  policy?: Policy;
  /** A named input without Kubernetes objects is accepted (otherwise it is a coverage error). */
  allowEmpty?: boolean;
  rules?: readonly WorkloadRule[];
  /** Called as soon as an input fails or is skipped, so the CLI can log it while the scan goes on. */
  onIssue?: (severity: "error" | "warning", issue: CoverageIssue) => void;
  onProgress?: (p: { files: number; documents: number }) => void;
  /**
   * Collect the distinct image references with where they are used, the `image:` field of each one's
   * first use located (for --check-images); off, `images` stays empty.
   */
  collectImages?: boolean;
}

export interface FilesScanResult {
  findings: Finding[];
  coverage: Coverage;
  /** Distinct image references as written, with where they are used (with `collectImages`). */
  images: Map<string, ImageUses>;
  /** Call with the checked images: warns about ignore annotations for image rules that suppressed nothing. */
  settleImageIgnores: (images: readonly ImageReport[]) => void;
}

export async function scanFiles(inputs: readonly string[], opts: FilesScanOptions): Promise<FilesScanResult> {
  const rules = opts.rules ?? workloadRules;
  const envStore = new EnvStore();
  // Rules read the ConfigMaps/Secrets a pod mounts (log shipper configs) from the same store as env.
  const coverage = emptyCoverage();
  const findings: Finding[] = [];
  const images = new Map<string, ImageUses>();
  const genericKinds = new Set<string>();
  /** Documents that asked for a ConfigMap or Secret not seen yet: audited again after the last input. */
  const deferred: { file: string; chunk: DocumentChunk; objects: K8sObject[] }[] = [];
  const issue = (kind: "error" | "skipped" | "warning", i: CoverageIssue) => {
    if (kind === "warning") {
      coverage.warnings ??= [];
      coverage.warnings.push(i);
    } else (kind === "error" ? coverage.errors : coverage.skipped).push(i);
    opts.onIssue?.(kind === "error" ? "error" : "warning", i);
  };
  const checks = new ScanChecks(inputs, issue, {
    ...(opts.policy ? { policy: opts.policy } : {}),
    ...(opts.allowEmpty ? { allowEmpty: true } : {}),
    ...(opts.collectImages ? { checkImages: true } : {}),
  });
  const readOpts: { stdin?: Readable; maxFileBytes?: number } = {};
  if (opts.stdin) readOpts.stdin = opts.stdin;
  if (opts.maxFileBytes !== undefined) readOpts.maxFileBytes = opts.maxFileBytes;

  /**
   * Audits the objects of one document and locates its findings and first image uses: in the file's
   * events (`fileEvents`, document `doc`) when the document was parsed with its file just now, else by
   * parsing the chunk again.
   */
  const auditDocument = (
    filePath: string,
    chunk: DocumentChunk,
    objects: readonly K8sObject[],
    final: boolean,
    fileEvents?: FileEvents,
    doc?: number,
  ): "deferred" | undefined => {
    const sources = new RecordingSources(envStore);
    const ctx: RuleContext = { target: opts.target, sources };
    const audits = objects.map((obj) =>
      auditObject(obj, rules, ctx, {
        ignore: opts.ignore,
        envSources: sources,
        parseEmbedded,
        ...(opts.policy ? { policy: opts.policy } : {}),
      }),
    );
    // Nothing of this audit is kept: the one after the last input is the document's.
    if (sources.missed && !final) return "deferred";
    const docLine = chunk.startLine + 1;
    const docFindings: Finding[] = [];
    // Positions wanted in this document (findings, first image uses), resolved in one pass at the end.
    const locate: { path: DocPath; set: (line: number, column: number) => void }[] = [];
    for (const [o, obj] of objects.entries()) {
      const audit = audits[o] as ObjectAudit;
      checks.object(obj, audit);
      const exempt =
        audit.workloads.length > 0 && opts.collectImages ? checks.imageExemptions(obj) : undefined;
      for (const wl of audit.workloads) {
        coverage.workloads++;
        if (wl.generic) genericKinds.add(`${obj.kind}.${apiGroup(obj.apiVersion)}`);
        for (const c of wl.template.containers) {
          coverage.containers++;
          if (!c.image || !opts.collectImages) continue;
          let entry = images.get(c.image);
          const first = !entry;
          if (!entry) {
            // Rules the object or its pod template suppress apply to the image checks of its containers.
            entry = { uses: [], total: 0, ignore: audit.annotationIgnore };
            if (exempt) entry.exempt = exempt;
            images.set(c.image, entry);
          } else {
            // An image finding is suppressed only where every workload using the image suppresses it.
            if (entry.ignore && entry.ignore.size > 0)
              entry.ignore = new Set([...entry.ignore].filter((r) => audit.annotationIgnore.has(r)));
            for (const id of entry.exempt?.keys() ?? []) if (!exempt?.has(id)) entry.exempt?.delete(id);
          }
          entry.total++;
          if (entry.uses.length < MAX_USES_PER_IMAGE) {
            const use: ImageUse = {
              kind: obj.kind,
              name: obj.name,
              container: c.name,
              file: filePath,
              line: docLine,
            };
            if (obj.namespace) use.namespace = obj.namespace;
            if (first) {
              locate.push({
                path: [...obj.docPath, ...containerFieldPath(c, ["image"])],
                set: (line, column) => {
                  use.line = line;
                  use.column = column;
                },
              });
            }
            entry.uses.push(use);
          }
        }
      }
      for (const f of audit.findings) {
        docFindings.push(f);
        const path = f.path;
        if (path && path.length > 0) {
          locate.push({
            path,
            set: (line, column) => {
              f.origin = { ...f.origin, line, column };
            },
          });
        }
      }
    }
    if (locate.length > 0) {
      const paths = locate.map((l) => l.path);
      const pos: Map<string, Position> =
        fileEvents && doc !== undefined
          ? fileEvents.locateDocument(doc, paths)
          : locatePaths(chunk.text, chunk.startLine, paths);
      for (const l of locate) {
        const p = pos.get(positionKey(l.path));
        if (p) l.set(p.line, p.column);
      }
    }
    for (const f of docFindings) findings.push(f);
    return undefined;
  };

  for await (const file of readInputs(inputs, readOpts)) {
    checks.file(file.path, "error" in file);
    if ("error" in file) {
      issue("error", { source: file.path, reason: file.error });
      continue;
    }
    if ("skipped" in file) {
      issue("skipped", { source: file.path, reason: file.skipped });
      continue;
    }
    coverage.files++;
    const chunks = splitDocuments(file.text);
    if (chunks.length === 0)
      issue("skipped", { source: file.path, reason: "no YAML documents (only comments)" });
    const parsedFile = parseFile(file.text, chunks, file.json);
    const results = parsedFile.results;
    const fileEvents = parsedFile.events ? new FileEvents(file.text, parsedFile.events) : undefined;
    const mayTemplate = file.text.includes("{{");
    for (const [i, chunk] of chunks.entries()) {
      coverage.documents++;
      const parsed = results[i];
      if (!parsed) continue;
      if (!parsed.ok) {
        issue("error", {
          source: file.path,
          line: parsed.error.line,
          column: parsed.error.column,
          reason: parsed.error.message,
        });
        continue;
      }
      const docLine = chunk.startLine + 1;
      if (parsed.value === null || parsed.value === undefined) continue; // an empty document
      if (!isObject(parsed.value)) {
        issue("skipped", {
          source: file.path,
          line: docLine,
          reason: "document is not a mapping; not a Kubernetes object",
        });
        continue;
      }
      if (mayTemplate && chunk.text.includes("{{")) {
        const leftover = findHelmLeftover(parsed.value);
        if (leftover) {
          const pos = locatePaths(chunk.text, chunk.startLine, [leftover.path]).get(
            positionKey(leftover.path),
          );
          issue("error", {
            source: file.path,
            line: pos?.line ?? docLine,
            column: pos?.column ?? 1,
            reason: `unrendered Helm template ${JSON.stringify(clip(leftover.text))}: run \`helm template\` and audit its output; document not audited`,
          });
          continue;
        }
      }
      const objects: K8sObject[] = [];
      for (const item of expandList(parsed.value)) {
        const obj = toK8sObject(
          item.raw as JsonObject,
          { file: file.path, line: docLine, column: 1 },
          item.path,
        );
        if (!obj.kind) {
          issue("skipped", { source: file.path, line: docLine, reason: "document has no `kind`; skipped" });
          continue;
        }
        coverage.objects++;
        envStore.add(obj);
        objects.push(obj);
      }
      if (auditDocument(file.path, chunk, objects, false, fileEvents, parsed.doc) === "deferred")
        deferred.push({ file: file.path, chunk, objects });
    }
    opts.onProgress?.({ files: coverage.files, documents: coverage.documents });
  }
  for (const d of deferred) auditDocument(d.file, d.chunk, d.objects, true);
  if (genericKinds.size > 0) coverage.genericKinds = [...genericKinds].sort();
  checks.finish();
  return { findings, coverage, images, settleImageIgnores: (imgs) => checks.settleImageIgnores(imgs) };
}

/** A template for a one-line message: its first line, at most 80 characters. */
function clip(text: string): string {
  const line = text.trim().split("\n")[0] ?? "";
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

/** The input's ConfigMaps and Secrets as one document's audit sees them, noting a lookup of one not seen yet. */
class RecordingSources implements EnvSources {
  missed = false;
  constructor(private readonly store: EnvSources) {}
  lookup(kind: "configMap" | "secret", namespace: string | undefined, name: string) {
    const data = this.store.lookup(kind, namespace, name);
    if (data === undefined) this.missed = true;
    return data;
  }
}
