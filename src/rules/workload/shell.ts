/**
 * A small POSIX-shell tokeniser and the Docker-use detector built on it (W008, and Docker signs for W004
 * and W010). We tokenise instead of substring-matching so that `echo docker`, `docker-compose`,
 * `dockerize`, `--docker-flag` and `my-docker-tool` are not mistaken for the docker CLI, while
 * `sh -c "sudo docker ps"`, `$(docker ps -q)`, `/usr/bin/docker` and `nsenter -t 1 -m -- docker ps` are.
 *
 * It is deliberately not a full shell: no variable expansion, no aliases, no functions. A construct it does
 * not understand degrades to "no finding", never to an exception.
 */
import { socketKindOf } from "../data/sockets.js";
import { basename, canonicalHostPath, namedPipe } from "./util.js";

/** One shell word and the argv element (command+args, or exec hook command) it came from. */
export interface Word {
  text: string;
  /** Index of the argv element the word came from. */
  el: number;
  /** True for the target of a redirection (`> /etc/docker/daemon.json`): not part of argv. */
  redirect?: boolean;
}

export type SimpleCommand = Word[];

const MAX_DEPTH = 8;
/** Stands in for the text of a command substitution inside a word. */
const SUBST = "\u0000";

/** Finds the index of the `)` closing a `$(` whose content starts at `start`; -1 when unbalanced. */
function matchParen(s: string, start: number): number {
  let depth = 1;
  let quote: string | undefined;
  for (let i = start; i < s.length; i++) {
    const ch = s[i];
    if (quote) {
      if (ch === "\\" && quote === '"') i++;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === "\\") i++;
    else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === "(") depth++;
    else if (ch === ")" && --depth === 0) return i;
  }
  return -1;
}

function matchBacktick(s: string, start: number): number {
  for (let i = start; i < s.length; i++) {
    if (s[i] === "\\") i++;
    else if (s[i] === "`") return i;
  }
  return -1;
}

/**
 * Splits a shell script into simple commands. Commands inside `$(...)` and backticks are returned as
 * commands of their own (after the command that contains them); their text is left out of the outer word.
 */
export function splitShell(script: string, el: number, depth = 0): SimpleCommand[] {
  const commands: SimpleCommand[] = [];
  const nested: SimpleCommand[] = [];
  let cmd: Word[] = [];
  let word = "";
  let inWord = false;
  let redirectNext = false;

  const endWord = () => {
    if (inWord) {
      const w: Word = { text: word, el };
      if (redirectNext) w.redirect = true;
      cmd.push(w);
      redirectNext = false;
    }
    word = "";
    inWord = false;
  };
  const endCommand = () => {
    endWord();
    if (cmd.length > 0) commands.push(cmd);
    cmd = [];
  };
  const substitute = (inner: string) => {
    if (depth < MAX_DEPTH) nested.push(...splitShell(inner, el, depth + 1));
    word += SUBST;
    inWord = true;
  };

  const s = script;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    if (ch === "\\") {
      const next = s[i + 1];
      i++;
      if (next === "\n" || next === undefined) continue;
      word += next;
      inWord = true;
    } else if (ch === "'") {
      const end = s.indexOf("'", i + 1);
      const stop = end < 0 ? s.length : end;
      word += s.slice(i + 1, stop);
      inWord = true;
      i = stop;
    } else if (ch === '"') {
      inWord = true;
      let j = i + 1;
      for (; j < s.length && s[j] !== '"'; j++) {
        const c = s[j] as string;
        if (c === "\\" && j + 1 < s.length && '"\\$`\n'.includes(s[j + 1] as string)) {
          if (s[j + 1] !== "\n") word += s[j + 1];
          j++;
        } else if (c === "$" && s[j + 1] === "(") {
          const close = matchParen(s, j + 2);
          if (close < 0) break;
          substitute(s.slice(j + 2, close));
          j = close;
        } else if (c === "`") {
          const close = matchBacktick(s, j + 1);
          if (close < 0) break;
          substitute(s.slice(j + 1, close));
          j = close;
        } else word += c;
      }
      i = j;
    } else if (ch === "$" && s[i + 1] === "(") {
      const close = matchParen(s, i + 2);
      const stop = close < 0 ? s.length : close;
      substitute(s.slice(i + 2, stop));
      i = stop;
    } else if (ch === "$" && s[i + 1] === "{") {
      const close = s.indexOf("}", i + 2);
      const stop = close < 0 ? s.length : close;
      word += s.slice(i, stop + 1);
      inWord = true;
      i = stop;
    } else if (ch === "`") {
      const close = matchBacktick(s, i + 1);
      const stop = close < 0 ? s.length : close;
      substitute(s.slice(i + 1, stop));
      i = stop;
    } else if (ch === "#" && !inWord) {
      const nl = s.indexOf("\n", i);
      i = nl < 0 ? s.length : nl - 1;
    } else if (ch === " " || ch === "\t" || ch === "\r") {
      endWord();
    } else if (ch === "\n" || ch === ";" || ch === "&" || ch === "|" || ch === "(" || ch === ")") {
      endCommand();
    } else if (ch === ">" || ch === "<") {
      // `2>` : a lone fd number before the operator is not a word of the command.
      if (inWord && /^\d+$/.test(word)) {
        word = "";
        inWord = false;
      }
      endWord();
      while (s[i + 1] === ">" || s[i + 1] === "<" || s[i + 1] === "&" || s[i + 1] === "|") i++;
      redirectNext = true;
    } else {
      word += ch;
      inWord = true;
    }
  }
  endCommand();
  return [...commands, ...nested];
}

export type DockerUseKind =
  | "docker-cli" // the docker client
  | "dockerd" // the daemon started as a process
  | "service" // systemctl/service/init script acting on docker
  | "signal" // pkill/killall of dockerd
  | "daemon-json" // /etc/docker/daemon.json read or written
  | "socket-arg"; // a docker.sock path passed as an argument

const DOCKER_RE = /docker/i;

export interface DockerUse {
  kind: DockerUseKind;
  /** The argv element the use is in. */
  el: number;
  /** The words of the simple command, for messages. */
  text: string;
  /** True when reached through nsenter or chroot, i.e. acting on the node itself. */
  host: boolean;
  /**
   * The Docker endpoint the command was given in the script itself: `DOCKER_HOST=… docker ps`,
   * `export DOCKER_HOST=…` earlier in the script, or `docker -H …`/`--host …`. Undefined when the script
   * does not say (the container's env, if any, applies).
   */
  endpoint?: string;
}

/** A `NAME=value` assignment in a shell command (`DOCKER_HOST=x cmd`, `export DOCKER_HOST=x`). */
export interface Assignment {
  name: string;
  value: string;
  /** The argv element it is in. */
  el: number;
}

/** Variables assigned so far in one script: exports and plain assignments carry to later commands. */
interface Scope {
  vars: Map<string, string>;
  assignments: Assignment[];
}

const KEYWORDS = new Set([
  "if",
  "then",
  "else",
  "elif",
  "do",
  "while",
  "until",
  "!",
  "{",
  "}",
  "time",
  "fi",
  "done",
]);
const SHELLS = new Set(["sh", "bash", "ash", "dash", "zsh", "ksh", "mksh"]);
const SERVICE_VERBS = new Set([
  "start",
  "stop",
  "restart",
  "reload",
  "try-restart",
  "reload-or-restart",
  "try-reload-or-restart",
  "force-reload",
  "kill",
  "enable",
  "disable",
  "mask",
  "unmask",
  "status",
  "is-active",
]);

/** Options (of the wrappers we unwrap) that take the next word as their value. */
const OPTS_WITH_VALUE: Record<string, ReadonlySet<string>> = {
  sudo: new Set(["-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T", "--user", "--group", "--chdir"]),
  env: new Set(["-u", "-C", "-S", "--unset", "--chdir", "--split-string"]),
  timeout: new Set(["-s", "-k", "--signal", "--kill-after"]),
  nsenter: new Set(["-t", "-S", "-G", "--target", "--setuid", "--setgid"]),
  chroot: new Set([]),
  xargs: new Set([
    "-I",
    "-n",
    "-P",
    "-L",
    "-d",
    "-s",
    "-E",
    "-a",
    "--max-args",
    "--max-procs",
    "--delimiter",
  ]),
  exec: new Set(["-a"]),
  doas: new Set(["-u", "-C"]),
  // procps watch: -n/--interval SECONDS, -q/--equexit CYCLES (https://man7.org/linux/man-pages/man1/watch.1.html).
  watch: new Set(["-n", "--interval", "-q", "--equexit"]),
  // util-linux su/runuser: the command is the value of -c/--command
  // (https://man7.org/linux/man-pages/man1/su.1.html).
  su: new Set([
    "-s",
    "--shell",
    "-g",
    "--group",
    "-G",
    "--supp-group",
    "-w",
    "--whitelist-environment",
    "-u",
    "--user",
  ]),
  // util-linux flock: flock [options] FILE COMMAND... or flock [options] FILE -c COMMAND
  // (https://man7.org/linux/man-pages/man1/flock.1.html).
  flock: new Set(["-w", "--wait", "--timeout", "-E", "--conflict-exit-code"]),
  nice: new Set(["-n", "--adjustment"]),
  ionice: new Set(["-c", "-n", "-p"]),
  stdbuf: new Set(["-i", "-o", "-e"]),
  systemctl: new Set([
    "-H",
    "-M",
    "-p",
    "-t",
    "-s",
    "-n",
    "--host",
    "--machine",
    "--property",
    "--type",
    "--signal",
    "--lines",
  ]),
  shell: new Set(["-o", "+o", "-O", "+O", "--rcfile", "--init-file"]),
  pkill: new Set(["-s", "-u", "-U", "-g", "-G", "-P", "-t", "--signal"]),
  killall: new Set(["-s", "-u", "--signal", "--user"]),
};

/** Skips options of a wrapper starting at `i`; returns the index of the first operand. */
function skipOptions(words: Word[], i: number, withValue: ReadonlySet<string>): number {
  while (i < words.length) {
    const t = (words[i] as Word).text;
    if (t === "--") return i + 1;
    if (!t.startsWith("-") || t === "-") return i;
    i += withValue.has(t) ? 2 : 1;
  }
  return i;
}

function cmdText(words: Word[]): string {
  const t = words.map((w) => `${w.redirect ? "> " : ""}${w.text.replaceAll(SUBST, "$(…)")}`).join(" ");
  return t.length > 120 ? `${t.slice(0, 117)}...` : t;
}

/**
 * The path in a word that may be `--flag=value`, `unix://path`, `npipe://…`, a bare POSIX path or a Windows
 * pipe/drive path, in canonical host-path form (util.ts `canonicalHostPath`).
 */
function pathValue(text: string): string | undefined {
  let v = text;
  if (v.startsWith("-")) {
    const eq = v.indexOf("=");
    if (eq < 0) return undefined;
    v = v.slice(eq + 1);
  }
  if (/\s/.test(v)) return undefined;
  if (namedPipe(v) || /^[A-Za-z]:[\\/]/.test(v)) return canonicalHostPath(v);
  v = v.replace(/^unix:\/\//, "");
  return v.startsWith("/") ? canonicalHostPath(v) : undefined;
}

/** Docker Engine's daemon.json: /etc/docker on Linux, C:\ProgramData\docker\config on Windows. */
const DAEMON_JSON = ["/etc/docker/daemon.json", "c:/programdata/docker/config/daemon.json"];

function pathUses(words: Word[], host: boolean): DockerUse[] {
  const out: DockerUse[] = [];
  for (const w of words) {
    const p = pathValue(w.text);
    if (!p) continue;
    // Also below a host root mounted into the container (/host/etc/docker/daemon.json).
    if (DAEMON_JSON.some((d) => p === d || p.endsWith(d))) {
      out.push({ kind: "daemon-json", el: w.el, text: cmdText(words), host });
    } else if (socketKindOf(p) === "docker") {
      out.push({ kind: "socket-arg", el: w.el, text: cmdText(words), host });
    }
  }
  return out;
}

const VAR_NAME = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;

/** The Docker endpoint in effect for a command: its own inline assignment, else the script's. */
function endpointOf(scope: Scope, inline: ReadonlyMap<string, string>): string | undefined {
  return inline.get("DOCKER_HOST") ?? scope.vars.get("DOCKER_HOST");
}

/** `docker -H x ps`, `docker --host=x ps`: the endpoint named on the docker command line. */
function hostFlag(words: Word[], from: number): string | undefined {
  for (let k = from; k < words.length; k++) {
    const t = (words[k] as Word).text;
    if (t === "-H" || t === "--host") return words[k + 1]?.text;
    if (t.startsWith("--host=")) return t.slice("--host=".length);
    if (/^-H./.test(t)) return t.slice(2);
    if (!t.startsWith("-")) return undefined; // the subcommand: options after it are its own
  }
  return undefined;
}

/** Analyses a script given as one word (`sh -c`, `su -c`, `watch`, `flock -c`) in a scope of its own. */
function analyseScript(script: Word, depth: number, host: boolean, outer: Scope): DockerUse[] {
  if (depth >= MAX_DEPTH) return [];
  // A child shell inherits exported variables; what it assigns stays in it but is still recorded.
  const scope: Scope = { vars: new Map(outer.vars), assignments: outer.assignments };
  const out: DockerUse[] = [];
  for (const c of splitShell(script.text, script.el)) out.push(...analyseCommand(c, depth + 1, host, scope));
  return out;
}

/** Index of the value of `-c`/`--command` (also `-lc`, `--command=`), or -1; `inline` when glued. */
function commandOption(words: Word[], from: number): { at: number; inline?: string } {
  for (let k = from; k < words.length; k++) {
    const t = (words[k] as Word).text;
    if (t === "--") return { at: -1 };
    if (t === "-c" || t === "--command") return { at: k + 1 };
    if (t.startsWith("--command=")) return { at: k, inline: t.slice("--command=".length) };
    if (/^-[A-Za-z]*c$/.test(t)) return { at: k + 1 };
  }
  return { at: -1 };
}

/** Analyses one simple command (already split into words). */
function analyseCommand(input: Word[], depth: number, host: boolean, scope: Scope): DockerUse[] {
  const out: DockerUse[] = [...pathUses(input, host)];
  const words = input.filter((w) => !w.redirect);
  const inline = new Map<string, string>();
  let i = 0;
  for (let guard = 0; guard < 64 && i < words.length; guard++) {
    const w = words[i] as Word;
    const assign = VAR_NAME.exec(w.text);
    if (assign) {
      const name = assign[1] ?? "";
      const value = assign[2] ?? "";
      scope.assignments.push({ name, value, el: w.el });
      inline.set(name, value);
      // `X=1` alone sets a shell variable for the rest of the script; `X=1 cmd` only for cmd.
      if (i === words.length - 1) for (const [k, v] of inline) scope.vars.set(k, v);
      i++;
      continue;
    }
    if (KEYWORDS.has(w.text)) {
      i++;
      continue;
    }
    const name = basename(w.text);
    switch (name) {
      case "export":
      case "declare":
      case "typeset":
      case "local":
      case "readonly": {
        for (const x of words.slice(i + 1)) {
          const m = VAR_NAME.exec(x.text);
          if (!m) continue;
          scope.assignments.push({ name: m[1] ?? "", value: m[2] ?? "", el: x.el });
          scope.vars.set(m[1] ?? "", m[2] ?? "");
        }
        return out;
      }
      case "exec":
      case "nohup":
      case "setsid":
      case "nice":
      case "ionice":
      case "stdbuf":
      case "xargs":
      case "sudo":
      case "doas":
      case "env":
      case "busybox":
        i = skipOptions(words, i + 1, OPTS_WITH_VALUE[name] ?? new Set());
        continue;
      case "command":
        // `command -v docker` only asks whether docker exists.
        if (words[i + 1]?.text === "-v" || words[i + 1]?.text === "-V") return out;
        i = skipOptions(words, i + 1, new Set());
        continue;
      case "timeout": {
        i = skipOptions(words, i + 1, OPTS_WITH_VALUE.timeout as ReadonlySet<string>) + 1; // + DURATION
        continue;
      }
      case "watch": {
        // watch runs its operands through `sh -c` joined by spaces, or directly with -x/--exec.
        const start = skipOptions(words, i + 1, OPTS_WITH_VALUE.watch as ReadonlySet<string>);
        const direct = words.slice(i + 1, start).some((x) => x.text === "-x" || x.text === "--exec");
        const first = words[start];
        if (!first) return out;
        if (direct) {
          i = start;
          continue;
        }
        const script = {
          text: words
            .slice(start)
            .map((x) => x.text)
            .join(" "),
          el: first.el,
        };
        out.push(...analyseScript(script, depth, host, scope));
        return out;
      }
      case "su":
      case "runuser": {
        // su [options] [-] [user [args]]: only -c/--command runs something we can see.
        const opt = commandOption(words, i + 1);
        const script =
          opt.inline !== undefined ? { text: opt.inline, el: (words[opt.at] as Word).el } : words[opt.at];
        if (opt.at >= 0 && script) out.push(...analyseScript(script, depth, host, scope));
        // runuser -u USER -- COMMAND runs the command directly.
        const dd = words.findIndex((x, k) => k > i && x.text === "--");
        if (name === "runuser" && opt.at < 0 && dd >= 0) {
          i = dd + 1;
          continue;
        }
        return out;
      }
      case "flock": {
        // flock [options] FILE -c COMMAND, or flock [options] FILE COMMAND [ARGS]; -c may also come first.
        const withValue = OPTS_WITH_VALUE.flock as ReadonlySet<string>;
        let script: Word | undefined;
        let file = false;
        let k = i + 1;
        while (k < words.length) {
          const t = (words[k] as Word).text;
          if (t === "-c" || t === "--command") {
            script = words[k + 1];
            k += 2;
          } else if (t.startsWith("-") && t !== "-") {
            k += withValue.has(t) ? 2 : 1;
          } else if (!file) {
            file = true;
            k++;
          } else break;
        }
        if (script) {
          out.push(...analyseScript(script, depth, host, scope));
          return out;
        }
        i = k;
        continue;
      }
      case "nsenter": {
        const dd = words.findIndex((x, k) => k > i && x.text === "--");
        i = dd >= 0 ? dd + 1 : skipOptions(words, i + 1, OPTS_WITH_VALUE.nsenter as ReadonlySet<string>);
        host = true;
        continue;
      }
      case "chroot":
        i = skipOptions(words, i + 1, new Set()) + 1; // + NEWROOT
        host = true;
        continue;
      default:
        break;
    }
    if (SHELLS.has(name)) {
      let j = i + 1;
      let hasC = false;
      const withValue = OPTS_WITH_VALUE.shell as ReadonlySet<string>;
      while (j < words.length) {
        const t = (words[j] as Word).text;
        if (t === "--") {
          j++;
          break;
        }
        if (!/^[-+]/.test(t)) break;
        if (/^-[A-Za-z]*c[A-Za-z]*$/.test(t)) hasC = true;
        j += withValue.has(t) ? 2 : 1;
      }
      const script = words[j];
      if (hasC && script) {
        // Inline assignments before the shell are exported to it.
        const child: Scope = { vars: new Map([...scope.vars, ...inline]), assignments: scope.assignments };
        out.push(...analyseScript(script, depth, host, child));
      }
      return out;
    }
    const text = cmdText(words.slice(i));
    const rest = words.slice(i + 1).map((x) => x.text);
    const use = (kind: DockerUseKind, endpoint?: string): DockerUse => {
      const u: DockerUse = { kind, el: w.el, text, host };
      if (endpoint !== undefined) u.endpoint = endpoint;
      return u;
    };
    if (name === "docker") {
      // /etc/init.d/docker restart is the SysV service script, not the client.
      if (w.text.includes("/init.d/")) out.push(use("service"));
      else out.push(use("docker-cli", hostFlag(words, i + 1) ?? endpointOf(scope, inline)));
    } else if (name === "dockerd" || name === "dockerd-entrypoint.sh" || name === "dockerd-rootless.sh") {
      out.push(use("dockerd"));
    } else if (name === "systemctl") {
      const k = skipOptions(words, i + 1, OPTS_WITH_VALUE.systemctl as ReadonlySet<string>);
      const verb = words[k]?.text ?? "";
      const units = words.slice(k + 1).map((x) => x.text);
      if (SERVICE_VERBS.has(verb) && units.some((u) => /^docker(\.service|\.socket)?$/.test(u))) {
        out.push(use("service"));
      }
    } else if (name === "service" || name === "rc-service") {
      if (rest[0] === "docker" && SERVICE_VERBS.has(rest[1] ?? "")) out.push(use("service"));
    } else if (name === "pkill" || name === "killall") {
      const k = skipOptions(words, i + 1, OPTS_WITH_VALUE[name] as ReadonlySet<string>);
      if (words.slice(k).some((x) => x.text === "dockerd")) out.push(use("signal"));
    }
    return out;
  }
  return out;
}

/** Finds Docker uses in an exec-form argv (container command+args, or an exec hook). */
export function analyseArgv(argv: readonly string[]): DockerUse[] {
  // Every use this module reports names docker, dockerd, docker.service, docker.sock, docker_engine or
  // /etc/docker: an argv without the letters "docker" has none, and most containers are skipped unparsed.
  if (!argv.some((a) => DOCKER_RE.test(a))) return [];
  const words: Word[] = argv.map((text, el) => ({ text, el }));
  const uses = analyseCommand(words, 0, false, { vars: new Map(), assignments: [] });
  const seen = new Set<string>();
  return uses.filter((u) => {
    const key = `${u.kind}:${u.el}:${u.text}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * `DOCKER_*` variables an exec-form argv assigns in its shell code (`DOCKER_HOST=… docker ps`,
 * `export DOCKER_HOST=…`, `env DOCKER_HOST=… tool`), in order. The container's `env` is not included.
 */
export function dockerAssignments(argv: readonly string[]): Assignment[] {
  if (!argv.some((a) => a.includes("DOCKER_"))) return [];
  const scope: Scope = { vars: new Map(), assignments: [] };
  analyseCommand(
    argv.map((text, el) => ({ text, el })),
    0,
    false,
    scope,
  );
  return scope.assignments.filter((a) => a.name.startsWith("DOCKER_"));
}
