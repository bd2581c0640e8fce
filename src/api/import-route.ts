// POST /v1/vpcflow/Import: the request body is a flow log file AWS wrote (S3 text or gzip text,
// Parquet, a CloudWatch Logs export), streamed; the query names it and says where it goes:
// name, logGroupName, logFormat (for a header-less custom format), force, account (see native.ts).

import type { Context, Hono } from 'hono';
import type { ControlPlane } from '../control/index.ts';
import { VpcflowError } from '../platform/errors.ts';

export interface ImportRouteDeps {
  readonly control: ControlPlane;
  /** The upload's body as the auth layer verified it (each chunk after its signature checked). */
  readonly body: (c: Context) => ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | null | undefined;
  /** The account the request acts for (an account key's own; the operator's named one). */
  readonly account: (c: Context) => string | undefined;
}

/** Query parameters longer than this are refused (a log format of all 54 fields is under 1 KiB). */
const MAX_PARAM = 4096;

function param(c: Context, name: string): string | undefined {
  const v = c.req.query(name);
  if (v !== undefined && v.length > MAX_PARAM) throw new VpcflowError('InvalidParameterValue', `${name} is ${v.length} characters long; at most ${MAX_PARAM}`);
  return v;
}

export function mountImportRoute(app: Hono, deps: ImportRouteDeps): void {
  app.post('/v1/vpcflow/Import', async (c) => {
    const logGroupName = param(c, 'logGroupName');
    if (logGroupName === undefined || logGroupName === '') {
      throw new VpcflowError('MissingParameter', 'The request must contain the parameter logGroupName (the log group the records go to)');
    }
    const force = param(c, 'force');
    if (force !== undefined && force !== 'true' && force !== 'false') throw new VpcflowError('InvalidParameterValue', `force must be true or false, got '${force}'`);
    const logFormat = param(c, 'logFormat');
    const body = deps.body(c);
    if (!body) throw new VpcflowError('MissingParameter', 'the request body must be the flow log file');
    const account = deps.account(c);
    return c.json(await deps.control.importFlowLogs(body, {
      name: param(c, 'name') || 'upload', logGroupName, force: force === 'true',
      ...(logFormat !== undefined && logFormat !== '' ? { logFormat } : {}),
      ...(account !== undefined ? { account } : {}),
    }));
  });
}
