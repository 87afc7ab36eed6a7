/** The node rules, ordered by id. Explicit on purpose: adding a rule is a reviewed change here. */
import type { NodeRule } from "../../core/node.js";
import { N001 } from "./N001.js";
import { N002 } from "./N002.js";
import { N003 } from "./N003.js";
import { N004 } from "./N004.js";
import { N005 } from "./N005.js";
import { N006 } from "./N006.js";
import { N007 } from "./N007.js";
import { N008 } from "./N008.js";
import { N009 } from "./N009.js";

export const nodeRules: readonly NodeRule[] = [N001, N002, N003, N004, N005, N006, N007, N008, N009];
