#!/usr/bin/env node
// Entry point for both `kube-runtime-audit` and the kubectl plugin `kubectl-runtime_audit`.
import { main } from "../dist/cli/main.js";

process.exitCode = await main(process.argv);
