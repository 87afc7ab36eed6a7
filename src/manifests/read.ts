/**
 * Enumerates and reads the inputs of `files`: files, directories (recursive) and stdin ("-").
 * Yields one file at a time so memory stays flat in the number of files.
 */
import { closeSync, type Dirent, fstatSync, openSync, readFileSync } from "node:fs";
import { type lstat, readdir, realpath, stat } from "node:fs/promises";
import { extname, join } from "node:path";
import type { Readable } from "node:stream";

export const MANIFEST_EXTENSIONS = new Set([".yaml", ".yml", ".json"]);

/** A larger file is refused rather than read (it would not be a manifest a human wrote). */
export const DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024;

export type InputFile =
  | { path: string; json: boolean; text: string }
  | { path: string; error: string }
  | { path: string; skipped: string };

export interface ReadOptions {
  stdin?: Readable;
  maxFileBytes?: number;
}

/** `dir` as the user wrote it, then the relative path: "./manifests" + "a.yaml" -> "./manifests/a.yaml". */
function under(dir: string, name: string): string {
  return dir.endsWith("/") ? `${dir}${name}` : `${dir}/${name}`;
}

type WalkEntry = { fs: string; display: string } | { display: string; error: string };

/** Walks a directory; an unreadable subdirectory or a broken link is an entry of its own, never the end. */
async function* walk(dir: string, display: string, seen: Set<string>): AsyncGenerator<WalkEntry> {
  let real: string;
  try {
    real = await realpath(dir);
  } catch (err) {
    yield { display, error: fsError(err) };
    return;
  }
  if (seen.has(real)) return; // symlink loop
  seen.add(real);
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    yield { display, error: fsError(err) };
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith(".")) continue; // .git, editor state
    const fsPath = join(dir, e.name);
    const disp = under(display, e.name);
    const manifest = MANIFEST_EXTENSIONS.has(extname(e.name).toLowerCase());
    let isDir = e.isDirectory();
    let isFile = e.isFile();
    if (e.isSymbolicLink()) {
      const st = await stat(fsPath).catch(() => undefined);
      if (!st) {
        if (manifest) yield { display: disp, error: "broken symbolic link" };
        continue;
      }
      isDir = st.isDirectory();
      isFile = st.isFile();
    }
    if (isDir) yield* walk(fsPath, disp, seen);
    else if (isFile && manifest) yield { fs: fsPath, display: disp };
  }
}

async function readStream(stream: Readable, max: number): Promise<Buffer | "too-large"> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += b.length;
    if (size > max) return "too-large";
    parts.push(b);
  }
  return Buffer.concat(parts);
}

const decoder = new TextDecoder("utf-8", { fatal: true });

function decode(path: string, buf: Buffer, json: boolean): InputFile {
  if (buf.length === 0) return { path, skipped: "empty file" };
  // A NUL byte never occurs in YAML or JSON text; it marks an image, archive or other binary.
  if (buf.subarray(0, 64 * 1024).includes(0)) return { path, error: "binary file, not YAML or JSON" };
  let text: string;
  try {
    text = decoder.decode(buf);
  } catch {
    return { path, error: "not valid UTF-8 text" };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === "") return { path, skipped: "empty file" };
  return { path, json, text };
}

function fsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT") return "no such file or directory";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "EISDIR") return "is a directory";
  return err instanceof Error ? err.message : String(err);
}

/**
 * Reads one file synchronously: the CLI reads one file at a time anyway, and the promise-based API
 * costs more than the read itself for typical manifest files (bench/files measured ~10%).
 */
function readOne(fsPath: string, display: string, max: number): InputFile {
  let fd: number | undefined;
  try {
    fd = openSync(fsPath, "r");
    const size = fstatSync(fd).size;
    if (size > max) return { path: display, error: `file is ${size} bytes, over the ${max}-byte limit` };
    const buf = readFileSync(fd);
    return decode(display, buf, extname(fsPath).toLowerCase() === ".json");
  } catch (err) {
    return { path: display, error: fsError(err) };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Yields every input file in order: named files as given (any extension), directories walked in
 * name order (.yaml/.yml/.json only, dot-entries skipped), "-" read from stdin once.
 */
export async function* readInputs(
  paths: readonly string[],
  opts: ReadOptions = {},
): AsyncGenerator<InputFile> {
  const max = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  let stdinUsed = false;
  for (const p of paths) {
    if (p === "-") {
      if (stdinUsed || !opts.stdin) {
        yield { path: "-", error: stdinUsed ? "stdin given twice" : "no stdin" };
        continue;
      }
      stdinUsed = true;
      const buf = await readStream(opts.stdin, max).catch((err: unknown) => fsError(err));
      if (typeof buf === "string")
        yield { path: "-", error: buf === "too-large" ? `stdin is over the ${max}-byte limit` : buf };
      else yield decode("-", buf, false);
      continue;
    }
    let st: Awaited<ReturnType<typeof lstat>>;
    try {
      st = await stat(p);
    } catch (err) {
      yield { path: p, error: fsError(err) };
      continue;
    }
    if (st.isDirectory()) {
      let any = false;
      try {
        for await (const f of walk(p, p, new Set())) {
          any = true;
          yield "error" in f ? { path: f.display, error: f.error } : readOne(f.fs, f.display, max);
        }
      } catch (err) {
        yield { path: p, error: fsError(err) };
        continue;
      }
      if (!any) yield { path: p, skipped: "directory has no .yaml, .yml or .json files" };
    } else {
      yield readOne(p, p, max);
    }
  }
}
