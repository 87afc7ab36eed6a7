/**
 * The one logging module (docs/ARCHITECTURE.md: libraries are silent; the CLI and the controller decide).
 * Logs go to stderr, never stdout, which carries results. `text` is for people at a terminal and CI
 * logs; `json` (pino) is for log pipelines and the in-cluster modes.
 */
import { pino } from "pino";

export type LogFormat = "text" | "json";
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export function createLogger(opts: {
  format: LogFormat;
  level: LogLevel;
  name: string;
  write?: (line: string) => void;
}): Logger {
  if (opts.format === "json") {
    const p = pino(
      { name: opts.name, level: opts.level, base: { name: opts.name } },
      opts.write ? { write: opts.write } : pino.destination({ dest: 2, sync: true }),
    );
    return {
      debug: (m, f) => p.debug(f ?? {}, m),
      info: (m, f) => p.info(f ?? {}, m),
      warn: (m, f) => p.warn(f ?? {}, m),
      error: (m, f) => p.error(f ?? {}, m),
    };
  }
  const write = opts.write ?? ((line: string) => process.stderr.write(line));
  const min = RANK[opts.level];
  const emit = (level: Exclude<LogLevel, "silent">, msg: string) => {
    if (RANK[level] < min) return;
    const prefix = level === "info" || level === "debug" ? "" : `${level === "warn" ? "warning" : level}: `;
    write(`${opts.name}: ${prefix}${msg}\n`);
  };
  return {
    debug: (m) => emit("debug", m),
    info: (m) => emit("info", m),
    warn: (m) => emit("warn", m),
    error: (m) => emit("error", m),
  };
}
