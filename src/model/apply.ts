// Declarative apply: a network document plus the current model give the new model and the list of
// changes between them. Applying the same document twice changes nothing; ids absent from the
// document are matched to existing resources or generated, and returned in the model.

import { diffModels, type Change } from './diff.ts';
import { DocReader } from './doc-reader.ts';
import { readDocument } from './document.ts';
import { ValidationError } from './errors.ts';
import { assignIds } from './assign-ids.ts';
import { defaultIdGenerator, type IdGenerator } from './ids.ts';
import type { NetworkModel } from './network.ts';
import { buildModel } from './validate.ts';

export interface ApplyPlan {
  readonly model: NetworkModel;
  readonly changes: readonly Change[];
}

/**
 * Validates `doc` (a parsed YAML/JSON value) and builds its model, reusing `current`'s ids for
 * resources that match. Throws ValidationError listing every problem when the document is refused.
 */
export function compileNetwork(doc: unknown, current?: NetworkModel, idGenerator: IdGenerator = defaultIdGenerator): NetworkModel {
  const reader = new DocReader();
  const draft = readDocument(doc, reader);
  assignIds(draft, current, idGenerator);
  const model = buildModel(draft, reader);
  if (!model || reader.problems.length > 0) throw new ValidationError(reader.problems);
  return model;
}

export function planApply(current: NetworkModel | undefined, doc: unknown, idGenerator: IdGenerator = defaultIdGenerator): ApplyPlan {
  const model = compileNetwork(doc, current, idGenerator);
  return { model, changes: diffModels(current, model) };
}

/**
 * The account a document declares (under `account` or an accepted alias), read without validating
 * the rest, so that the caller can find the current model to apply against.
 */
export function accountOfDocument(doc: unknown): string | undefined {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  const d = doc as Record<string, unknown>;
  for (const key of ['account', 'Account', 'AccountId', 'OwnerId']) if (typeof d[key] === 'string') return d[key] as string;
  return undefined;
}
