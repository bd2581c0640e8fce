// One network-document fuzz case, run inside a CaseWorker (lib.ts): planApply on the document (as
// JSON text, so `__proto__` and friends arrive as own keys, as a YAML or JSON parser gives them),
// against no network or against examples/network.yaml's. Checked:
// - it returns a plan or throws ValidationError with problems, each with a path, an AWS-style code and
//   a message; nothing else is thrown;
// - an accepted document is idempotent (planned again against its own model: no change), and its model
//   survives modelToDocument → JSON → compileNetwork unchanged without asking for a fresh id.
import { deepStrictEqual } from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ValidationError, compileNetwork, planApply, type NetworkModel } from '../../src/model/index.ts';
import { modelToDocument } from '../../src/model/to-document.ts';
import type { IdGenerator } from '../../src/model/ids.ts';

export interface PlanCase {
  /** The document as JSON text. */
  doc: string;
  againstExample: boolean;
}

export interface PlanVerdict {
  accepted: boolean;
  /** Problem codes and paths of a refusal (compared with the server's answer). */
  problems: { path: string; code: string }[];
  changes: number;
  violations: string[];
}

const EXAMPLE: NetworkModel = compileNetwork(parseYaml(readFileSync(new URL('../../examples/network.yaml', import.meta.url), 'utf8')));
const MAX_VIOLATIONS = 8;

const noFreshIds: IdGenerator = (kind) => {
  throw new Error(`a fresh ${kind} id was requested`);
};

function clip(s: string, n = 600): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

export function run(c: PlanCase): PlanVerdict {
  const v: string[] = [];
  const bad = (what: string) => v.length < MAX_VIOLATIONS && v.push(what);
  const doc = JSON.parse(c.doc) as unknown;
  const current = c.againstExample ? EXAMPLE : undefined;
  let plan;
  try {
    plan = planApply(current, doc);
  } catch (e) {
    if (!(e instanceof ValidationError)) {
      bad(`planApply threw ${e instanceof Error ? `${e.constructor.name}: ${clip(e.stack ?? e.message, 1500)}` : String(e)}, not a ValidationError`);
      return { accepted: false, problems: [], changes: 0, violations: v };
    }
    if (e.problems.length === 0) bad('ValidationError without problems');
    if (e.code !== 'InvalidNetworkDocument' || e.httpStatus !== 400) bad(`ValidationError code ${e.code} / HTTP ${e.httpStatus}`);
    for (const p of e.problems.slice(0, 200)) {
      if (typeof p.path !== 'string') bad(`problem without a path: ${JSON.stringify(p)}`);
      if (typeof p.code !== 'string' || !/^[A-Z][A-Za-z0-9.]+$/.test(p.code)) bad(`problem code ${JSON.stringify(p.code)}: ${p.message}`);
      if (typeof p.message !== 'string' || p.message.length < 8) bad(`problem without a message at ${p.path}`);
    }
    if (!e.message.startsWith(`the network document has ${e.problems.length} problem`)) bad(`message does not count the problems: ${clip(e.message)}`);
    return { accepted: false, problems: e.problems.map((p) => ({ path: p.path, code: p.code })), changes: 0, violations: v };
  }
  try {
    const again = planApply(plan.model, doc);
    if (again.changes.length) bad(`not idempotent: planned again against its own model it changes ${clip(JSON.stringify(again.changes.slice(0, 5)))}`);
  } catch (e) {
    bad(`planned again against its own model it throws ${clip(e instanceof Error ? e.message : String(e))}`);
  }
  try {
    const json = JSON.parse(JSON.stringify(modelToDocument(plan.model))) as unknown;
    deepStrictEqual(compileNetwork(json, undefined, noFreshIds), plan.model);
  } catch (e) {
    bad(`modelToDocument round trip: ${clip(e instanceof Error ? e.message : String(e), 1000)}`);
  }
  return { accepted: true, problems: [], changes: plan.changes.length, violations: v };
}
