// The data plane's record of every kernel object it created, by AWS id, kept in a JSON file that
// the caller names. It is written before an object is created and after it is ready, so a restart
// can adopt or remove exactly its own objects, and never touches objects it did not record.

import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { StateFileError } from './errors.ts';
import { checkPrefix, type RecordedNames } from './names.ts';

export const STATE_VERSION = 1;

/** 'creating': recorded, maybe partly created (a crash may have left it half-made); 'ready': complete. */
export type ObjectStatus = 'creating' | 'ready';

export interface RecordedVpc {
  readonly id: string;
  readonly namespace: string;
  status: ObjectStatus;
  /** Digest of the ruleset last applied (undefined: none applied yet). */
  rulesetDigest?: string;
  nflogGroup?: number;
}

export interface RecordedInstance {
  readonly id: string;
  readonly vpcId: string;
  readonly namespace: string;
  status: ObjectStatus;
}

export interface RecordedInterface {
  readonly id: string;
  readonly vpcId: string;
  readonly instanceId: string;
  readonly vpcNamespace: string;
  readonly instanceNamespace: string;
  readonly vpcLink: string;
  readonly instanceLink: string;
  /** Everything the interface was built from: a different spec means delete and rebuild. */
  readonly spec: string;
  /** Policy routing rules added in the instance namespace (removed with the interface). */
  readonly rules: readonly { readonly from: string; readonly table: number; readonly priority: number }[];
  status: ObjectStatus;
}

export interface DataplaneState {
  version: typeof STATE_VERSION;
  prefix: string;
  vpcs: Record<string, RecordedVpc>;
  instances: Record<string, RecordedInstance>;
  interfaces: Record<string, RecordedInterface>;
}

export const emptyState = (prefix: string): DataplaneState => ({ version: STATE_VERSION, prefix: checkPrefix(prefix), vpcs: {}, instances: {}, interfaces: {} });

/** Reads the state file; undefined when it does not exist. Throws StateFileError when unreadable. */
export function readState(path: string): DataplaneState | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StateFileError(path, `cannot read: ${(e as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new StateFileError(path, `not JSON: ${(e as Error).message}`);
  }
  const s = value as Partial<DataplaneState> | null;
  if (typeof s !== 'object' || s === null || s.version !== STATE_VERSION || typeof s.prefix !== 'string') {
    throw new StateFileError(path, `not a vpcflow data plane state file (version ${STATE_VERSION})`);
  }
  for (const key of ['vpcs', 'instances', 'interfaces'] as const) {
    if (typeof s[key] !== 'object' || s[key] === null) throw new StateFileError(path, `missing "${key}"`);
  }
  try {
    checkPrefix(s.prefix);
  } catch {
    throw new StateFileError(path, `invalid prefix ${JSON.stringify(s.prefix)}`);
  }
  return s as DataplaneState;
}

/** Writes the whole state atomically (temporary file + rename), readable by the owner only. */
export function writeState(path: string, state: DataplaneState): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}

export function removeState(path: string): void {
  rmSync(path, { force: true });
}

/** The names the state recorded, for planNames to keep. */
export function recordedNames(state: DataplaneState): RecordedNames {
  return {
    vpcNamespaces: Object.fromEntries(Object.values(state.vpcs).map((v) => [v.id, v.namespace])),
    instanceNamespaces: Object.fromEntries(Object.values(state.instances).map((i) => [i.id, i.namespace])),
    vpcLinks: Object.fromEntries(Object.values(state.interfaces).map((n) => [n.id, n.vpcLink])),
  };
}
