/**
 * The only place that decides the exit code (DESIGN.md §4):
 *   0  nothing at or above --fail-on
 *   1  the gate failed
 *   2  the audit could not run, or a named input could not be read or parsed (partial results are
 *      still printed, and the coverage section says what is missing)
 */
import { CommanderError } from "commander";
import { buildProgram, UsageError } from "./program.js";
import { pluginArgv } from "./scan-command.js";

export async function main(argv: readonly string[]): Promise<number> {
  const state = { exitCode: 0 };
  const program = buildProgram(state);
  try {
    const commands = program.commands.map((c) => c.name());
    await program.parseAsync(pluginArgv(argv, commands));
    return state.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors were already printed by commander.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`kube-runtime-audit: error: ${err.message}\n`);
      return 2;
    }
    // A bug, not a user error: say so plainly, with the stack for the bug report.
    process.stderr.write(
      `kube-runtime-audit: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    return 2;
  }
}
