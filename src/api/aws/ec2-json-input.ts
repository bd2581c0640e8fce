// EC2 action input given as JSON (the native API's /v1/ec2/<Action>): checked against the same
// input shapes the Query endpoint reads, so a handler gets what parseEc2Query would give it — known
// members only, of their declared types — and anything else is refused in EC2's terms.

import { AwsProtocolError } from './errors.ts';
import type { Ec2ActionSpec, InShape } from './ec2-shapes.ts';

/** The most members a JSON list may hold (Query lists are bounded by their index width too). */
const MAX_LIST = 1000;

export function ec2JsonInput(action: string, spec: Ec2ActionSpec, body: Record<string, unknown>): Record<string, unknown> {
  const input = readShape(spec.input, body, '') as Record<string, unknown>;
  for (const name of spec.required) {
    if (input[name] === undefined) throw new AwsProtocolError('MissingParameter', `The request must contain the parameter ${name} (action ${action})`);
  }
  return input;
}

function readShape(shape: InShape, value: unknown, path: string): unknown {
  const where = path || 'the request';
  switch (shape.type) {
    case 'string':
      if (typeof value !== 'string') throw invalid(where, value, 'a string');
      return value;
    case 'integer':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw invalid(where, value, 'an integer');
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw invalid(where, value, 'true or false');
      return value;
    case 'list': {
      if (!Array.isArray(value)) throw invalid(where, value, 'a list');
      if (value.length > MAX_LIST) throw new AwsProtocolError('InvalidParameterValue', `The parameter ${where} has ${value.length} members; at most ${MAX_LIST} are accepted`);
      return value.map((v, i) => readShape(shape.member, v, `${where}[${i}]`));
    }
    case 'structure': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(where, value, 'an object');
      const out: Record<string, unknown> = {};
      const members = new Map(Object.entries(shape.members));
      for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
        // The native API's own member (the operator's account) rides along in every body.
        if (path === '' && name === 'Account') continue;
        const member = members.get(name);
        if (!member) throw new AwsProtocolError('UnknownParameter', `The parameter ${path ? `${path}.` : ''}${name.slice(0, 100)} is not recognized`);
        if (v === null || v === undefined) continue;
        out[name] = readShape(member.shape, v, path ? `${path}.${name}` : name);
      }
      return out;
    }
  }
}

function invalid(where: string, value: unknown, expected: string): AwsProtocolError {
  const got = Array.isArray(value) ? 'a list' : value === null ? 'null' : typeof value === 'object' ? 'an object' : typeof value;
  return new AwsProtocolError('InvalidParameterValue', `Value for parameter ${where} is invalid: expected ${expected}, got ${got}.`);
}
