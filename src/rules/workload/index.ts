/** The workload rules, ordered by id. Explicit on purpose: adding a rule is a reviewed change here. */
import type { WorkloadRule } from "../../core/rule.js";
import { W001 } from "./W001.js";
import { W002 } from "./W002.js";
import { W003 } from "./W003.js";
import { W004 } from "./W004.js";
import { W005 } from "./W005.js";
import { W006 } from "./W006.js";
import { W007 } from "./W007.js";
import { W008 } from "./W008.js";
import { W009 } from "./W009.js";
import { W010 } from "./W010.js";
import { W012 } from "./W012.js";
import { W013 } from "./W013.js";
import { W014 } from "./W014.js";
import { W015 } from "./W015.js";
import { W016 } from "./W016.js";

export const workloadRules: readonly WorkloadRule[] = [
  W001,
  W002,
  W003,
  W004,
  W005,
  W006,
  W007,
  W008,
  W009,
  W010,
  W012,
  W013,
  W014,
  W015,
  W016,
];
