import { EventEmitter } from "node:events";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { addControllerCommand, type ControllerSetup } from "../../../src/cli/controller-command.js";
import { main } from "../../../src/cli/main.js";
import { UsageError } from "../../../src/cli/program.js";
import type { ControllerHandle } from "../../../src/controller/index.js";
import type { AuditRequest, JsonObject } from "../../../src/controller/ports.js";
import { FakeApi, FakeClock, MemoryLeaseStore, MemoryReportStore } from "./fakes.js";
import { fakeAudit, silentLog, testPlanner } from "./support.js";

function program(hooks: Parameters<typeof addControllerCommand>[2]) {
  const state = { exitCode: -1 };
  const p = new Command().exitOverride();
  addControllerCommand(p, state, hooks);
  return { p, state };
}

const argv = (...args: string[]) => ["node", "kube-runtime-audit", "controller", ...args];
const noServers = ["--metrics-bind-address", "0", "--health-probe-bind-address", "0"];

describe("controller command", () => {
  it("refuses bad flags with a message naming the flag", async () => {
    const never = async () => {
      throw new Error("must not get this far");
    };
    const cases: [string[], RegExp][] = [
      [["--fail-on", "severe", ...noServers], /--fail-on must be one of/],
      [["--metrics-bind-address", "8080"], /--metrics-bind-address must be HOST:PORT/],
      [["--target-k8s", "banana", ...noServers], /banana/],
    ];
    for (const [args, msg] of cases) {
      const { p } = program({ depsFactory: never });
      await expect(p.parseAsync(argv(...args))).rejects.toThrow(msg);
    }
    const saved = process.env.POD_NAMESPACE;
    delete process.env.POD_NAMESPACE;
    try {
      const { p } = program({ depsFactory: never });
      await expect(p.parseAsync(argv("--leader-elect", ...noServers))).rejects.toThrow(
        /--leader-elect needs --leader-elect-namespace/,
      );
    } finally {
      if (saved !== undefined) process.env.POD_NAMESPACE = saved;
    }
  });

  it("without cluster ports in this build it stops with exit 2 and says so, instead of pretending to run", async () => {
    const code = await main(argv(...noServers, "-q"));
    expect(code).toBe(2);
    const { p } = program({});
    await expect(p.parseAsync(argv(...noServers))).rejects.toBeInstanceOf(UsageError);
  });

  it("runs with the factory's ports, stops on SIGTERM, releases the Lease and exits 0", async () => {
    const api = new FakeApi();
    const leases = new MemoryLeaseStore();
    const reports = new MemoryReportStore();
    const clock = new FakeClock();
    const calls: AuditRequest[] = [];
    const signals = new EventEmitter();
    let setup: ControllerSetup | undefined;
    let handle: ControllerHandle | undefined;
    const { p, state } = program({
      signals,
      onStarted: (h) => {
        handle = h;
      },
      depsFactory: async (s) => {
        setup = s;
        return {
          source: api,
          reports,
          leases,
          audit: fakeAudit(calls),
          planner: testPlanner,
          log: silentLog,
          clock,
        };
      },
    });
    const running = p.parseAsync(
      argv(
        "--leader-elect",
        "--leader-elect-namespace",
        "audit",
        "--lease-name",
        "kra",
        "--health-probe-bind-address",
        "127.0.0.1:0",
        "--metrics-bind-address",
        "0",
        "--report-api",
        "openreports",
        "--no-images",
        "--fail-on",
        "medium",
        "-q",
      ),
    );
    for (let i = 0; i < 100 && !handle; i++) await new Promise((r) => setTimeout(r, 5));
    if (!handle) throw new Error("controller did not start");
    expect(setup).toMatchObject({ reportApi: "openreports", images: false, failOn: "medium" });
    expect(setup?.identity).toMatch(/_[0-9a-f-]{36}$/);
    await handle.ready;
    await clock.advance(100);
    expect(handle.isLeader()).toBe(true);
    expect((await fetch(`${handle.healthUrl}/readyz`)).status).toBe(200);
    signals.emit("SIGTERM");
    await running;
    expect(state.exitCode).toBe(0);
    expect((leases.spec("audit", "kra") as JsonObject).holderIdentity).toBe("");
    await expect(fetch(`${handle.healthUrl}/healthz`)).rejects.toThrow();
  });
});
