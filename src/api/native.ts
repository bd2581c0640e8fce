// vpcflow's native HTTP API: JSON bodies shaped as AWS's own requests and responses
// (/v1/ec2/<Action>, /v1/logs/<Operation>, /v1/metrics/GetMetricStatistics) plus vpcflow's own
// actions (/v1/vpcflow/<Action>).

import { Hono, type Context } from 'hono';
import { stream } from 'hono/streaming';
import type { ControlPlane } from '../control/index.ts';
import { parseFilterPattern, type LogStore } from '../destinations/logstore/index.ts';
import { parseMetricStatisticsRequest, type MetricFilterStore } from '../metrics/index.ts';
import type { AccountStore } from './aws/index.ts';
import { NETWORK_ACTIONS } from './aws/ec2-network.ts';
import { ec2JsonInput } from './aws/ec2-json-input.ts';
import { UploadReplayGuard, authenticateNative, type NativeAuthResult, type NativeCaller, type OperatorKey } from './native-auth.ts';
import { describeValue, errorMessage } from '../platform/errors.ts';
import type { BucketRegistry } from '../destinations/archive/buckets.ts';
import { mountBucketRoutes } from './buckets-routes.ts';
import { mountImportRoute } from './import-route.ts';
import { ConsoleSessions, authenticateSession, mountConsoleSessionRoutes } from './console-sessions.ts';
import { mountConsoleAssets } from './console-assets.ts';
import { mountRejectedRoute } from './rejected-route.ts';
import { mountArchiveRoutes } from './archive-routes.ts';
import { mountTrafficRoutes } from './traffic-route.ts';
import { TrafficQueries } from '../store/traffic-queries.ts';
import type { Database, SqlScope } from '../store/index.ts';
import type { ObjectStore } from '../platform/object-store.ts';
import type { Counter, Telemetry } from '../platform/telemetry.ts';
import { mountMetricsRoute } from './metrics-route.ts';

export interface ApiDeps {
  control: ControlPlane;
  logStore: LogStore;
  /** Metric filters of log groups and the metrics they publish. */
  metrics: MetricFilterStore;
  accounts?: AccountStore;
  /** Archive bucket owners and policies (/v1/s3/*). */
  buckets?: BucketRegistry;
  /** Requests must be signed (SigV4) with this key or an account's key; see native-auth.ts. */
  operator: OperatorKey;
  /** Anonymous mode: unsigned requests act as the operator. */
  anonymous?: boolean;
  /** Largest JSON body accepted (bytes). */
  maxJsonBytes?: number;
  log?: (line: string) => void;
  /** The web console's built files; absent: no console is served. */
  consoleDir?: string;
  /** Console sessions (cookie + CSRF token); one is made when absent. */
  sessions?: ConsoleSessions;
  /** The store, for the console's read routes (rejected records, traffic, archive listing). */
  db?: Database;
  /** The archive's object store, for browsing and downloading archive files. */
  archiveStore?: ObjectStore;
  /** Scratch folder for reading archive files (Parquet previews). */
  tempDir?: string;
  /** vpcflow's own metrics: GET /metrics for the token's holder, and every request counted. */
  telemetry?: { registry: Telemetry; token: string; requests: Counter };
}

/** An error with an AWS-style code and HTTP status; anything else is a 500 InternalFailure. */
interface CodedError {
  code: string;
  message: string;
  httpStatus?: number;
  details?: unknown;
}

export function createApi(deps: ApiDeps): Hono {
  const app = new Hono();
  // First, so that its request counter wraps every route mounted after it.
  if (deps.telemetry) mountMetricsRoute(app, { telemetry: deps.telemetry.registry, token: deps.telemetry.token, requests: deps.telemetry.requests });
  const maxJson = deps.maxJsonBytes ?? 5 * 1024 * 1024;
  const { control, logStore } = deps;

  app.onError((err, c) => {
    const e = err as Partial<CodedError> & Error;
    if (typeof e.code === 'string' && !e.code.startsWith('ERR_')) {
      const status = (e.httpStatus ?? 400) as 400;
      return c.json({ __type: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) }, status);
    }
    deps.log?.(`internal error on ${c.req.method} ${c.req.path}: ${err.stack ?? errorMessage(err)}`);
    return c.json({ __type: 'InternalFailure', message: `internal error: ${errorMessage(err)}` }, 500);
  });
  app.notFound((c) => c.json({ __type: 'UnknownOperationException', message: `no such operation: ${c.req.method} ${c.req.path}` }, 404));

  // Who calls, per request, and the body the signature check already read (or an upload's verified body).
  const callers = new WeakMap<Request, NativeAuthResult>();
  const uploads = new UploadReplayGuard();
  const accounts = deps.accounts;
  const sessions = deps.sessions ?? new ConsoleSessions();
  // Sign-in and the session check authenticate themselves (with a key's secret, or the cookie alone).
  const selfAuthenticated = new Set(['/v1/health', '/v1/console/SignIn', '/v1/console/Session']);
  app.use('/v1/*', async (c, next) => {
    if (selfAuthenticated.has(c.req.path)) return next();
    // A signed request is judged by its signature; an unsigned one with a session cookie by the session.
    if (c.req.header('authorization') === undefined) {
      const session = authenticateSession(c, sessions);
      if (session) {
        callers.set(c.req.raw, { caller: session.caller, bodyText: undefined });
        return next();
      }
    }
    callers.set(c.req.raw, await authenticateNative(c, {
      operator: deps.operator, anonymous: deps.anonymous ?? false, maxBodyBytes: maxJson, uploads,
      ...(accounts ? { lookup: (id: string) => accounts.lookup(id), onVerified: (id: string) => accounts.recordUse(id) } : {}),
    }));
    return next();
  });
  const callerOf = (c: Context): NativeCaller => {
    const known = callers.get(c.req.raw);
    if (!known) throw coded('InternalFailure', 'request was not authenticated', 500);
    return known.caller;
  };
  const operatorOnly = (c: Context, what: string): void => {
    if (callerOf(c).kind !== 'operator') throw coded('AccessDenied', `${what} needs the operator key (DATA_DIR/keys/operator.json on the server's host); account keys act only within their account`, 403);
  };

  const json = async (c: Context): Promise<Record<string, unknown>> => {
    const length = Number(c.req.header('content-length') ?? 0);
    if (length > maxJson) throw coded('RequestEntityTooLarge', `request body of ${length} bytes exceeds the limit of ${maxJson}`, 413);
    const text = callers.get(c.req.raw)?.bodyText ?? await c.req.text();
    if (text.length > maxJson) throw coded('RequestEntityTooLarge', `request body exceeds the limit of ${maxJson} bytes`, 413);
    if (!text.trim()) return {};
    try {
      const v = JSON.parse(text);
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch (e) {
      throw coded('SerializationException', `the request body is not valid JSON: ${errorMessage(e)}`);
    }
    throw coded('SerializationException', 'the request body must be a JSON object');
  };
  /** The account a request acts for: an account key's own; for the operator, the one named (if any). */
  const account = (c: Context, body?: Record<string, unknown>): string | undefined => {
    const named = (c.req.query('account') ?? (typeof body?.Account === 'string' ? body.Account : undefined)) || undefined;
    const caller = callerOf(c);
    if (caller.kind === 'operator') return named;
    if (named !== undefined && named !== caller.accountId) throw coded('AccessDenied', `this access key belongs to account ${caller.accountId}; it cannot act for account ${named}`, 403);
    return caller.accountId;
  };

  app.get('/v1/health', (c) => c.json({ status: 'ok' }));
  mountConsoleSessionRoutes(app, {
    sessions, operator: deps.operator, body: json, ...(deps.log ? { log: deps.log } : {}),
    ...(accounts ? { lookup: (id: string) => accounts.lookup(id) } : {}),
  });
  if (deps.consoleDir !== undefined) mountConsoleAssets(app, deps.consoleDir, deps.log);
  // The scope of a read (SQL, traffic, rejected, archive): an account key's own account; the operator's every account, or the one it names.
  const scopeOf = (c: Context, b: Record<string, unknown>): SqlScope => {
    const a = account(c, b);
    return a === undefined ? { kind: 'operator' } : { kind: 'account', accountId: a };
  };
  if (deps.db) {
    mountRejectedRoute(app, { db: deps.db, network: (a) => control.networkOf(a).model, body: json, scope: scopeOf });
    mountTrafficRoutes(app, { traffic: new TrafficQueries(deps.db), body: json, scope: scopeOf });
  }
  if (deps.db && deps.archiveStore) {
    mountArchiveRoutes(app, { db: deps.db, store: deps.archiveStore, body: json, scope: scopeOf, ...(deps.tempDir ? { tempDir: deps.tempDir } : {}) });
  }
  if (deps.buckets) mountBucketRoutes(app, { registry: deps.buckets, body: json, account: (c, b) => control.accountFor(account(c, b)) });

  app.post('/v1/vpcflow/Apply', async (c) => {
    const b = await json(c);
    if (typeof b.Document !== 'string') throw coded('MissingParameter', 'The request must contain the parameter Document (the network document text)');
    const caller = callerOf(c);
    for (const flag of ['Prune', 'DryRun'] as const) {
      if (b[flag] !== undefined && typeof b[flag] !== 'boolean') throw coded('InvalidParameterValue', `${flag} must be true or false`);
    }
    return c.json(await control.apply(b.Document, typeof b.SourceName === 'string' ? b.SourceName : 'document', {
      ...(caller.kind === 'account' ? { asAccount: caller.accountId } : {}), prune: b.Prune === true, dryRun: b.DryRun === true,
    }));
  });
  app.post('/v1/vpcflow/DescribeNetwork', async (c) => c.json(await control.describeNetwork(account(c, await json(c)))));
  app.post('/v1/vpcflow/Ingest', async (c) => {
    // A signed upload reaches the control plane only through its verified body: each chunk after its signature checked.
    const body = callers.get(c.req.raw)?.upload ?? c.req.raw.body;
    if (!body) throw coded('MissingParameter', 'the request body must be the capture file');
    const force = c.req.query('force');
    if (force !== undefined && force !== 'true' && force !== 'false') throw coded('InvalidParameterValue', 'force must be true or false');
    return c.json(await control.ingest(body, { name: c.req.query('name') ?? 'upload', account: account(c), force: force === 'true' }));
  });
  mountImportRoute(app, { control, body: (c) => callers.get(c.req.raw)?.upload ?? c.req.raw.body, account: (c) => account(c) });
  app.post('/v1/vpcflow/ExecArgs', async (c) => {
    operatorOnly(c, 'running a command in an instance');
    const b = await json(c);
    if (typeof b.InstanceId !== 'string' || !b.InstanceId) throw coded('MissingParameter', 'The request must contain the parameter InstanceId');
    if (!Array.isArray(b.Command) || b.Command.length === 0 || b.Command.some((x) => typeof x !== 'string')) throw coded('MissingParameter', 'The request must contain the parameter Command (a non-empty list of strings)');
    return c.json(await control.execArgs(b.InstanceId, b.Command as string[]));
  });
  app.post('/v1/vpcflow/Down', async (c) => {
    operatorOnly(c, 'removing the realized network');
    await json(c);
    return c.json(await control.down());
  });
  app.post('/v1/vpcflow/CreateAccessKey', async (c) => {
    operatorOnly(c, 'creating access keys');
    const b = await json(c);
    if (!deps.accounts) throw coded('UnsupportedOperation', 'this server has no account store');
    if (typeof b.AccountId !== 'string' || !/^\d{12}$/.test(b.AccountId)) throw coded('InvalidParameterValue', `AccountId must be 12 digits, got ${describeValue(b.AccountId ?? null)}`);
    const key = await deps.accounts.createAccessKey(b.AccountId);
    return c.json({ AccessKey: { AccountId: key.accountId, AccessKeyId: key.accessKeyId, SecretAccessKey: key.secretAccessKey } });
  });
  app.post('/v1/vpcflow/ListAccounts', async (c) => {
    operatorOnly(c, 'listing accounts and their access keys');
    await json(c);
    if (!deps.accounts) throw coded('UnsupportedOperation', 'this server has no account store');
    const byAccount = new Map<string, { AccessKeyId: string; CreatedAt: number; LastUsedAt: number | null }[]>();
    for (const k of await deps.accounts.list()) {
      let keys = byAccount.get(k.accountId);
      if (!keys) byAccount.set(k.accountId, (keys = []));
      keys.push({ AccessKeyId: k.accessKeyId, CreatedAt: k.createdAt, LastUsedAt: k.lastUsedAt });
    }
    // Accounts with a network but no key yet are accounts too (the operator applied their document).
    const withNetwork = new Set(control.networkAccounts());
    for (const a of withNetwork) if (!byAccount.has(a)) byAccount.set(a, []);
    return c.json({ Accounts: [...byAccount].sort(([a], [b]) => a.localeCompare(b)).map(([AccountId, Keys]) => ({ AccountId, Keys, HasNetwork: withNetwork.has(AccountId) })) });
  });
  app.post('/v1/vpcflow/DeleteAccessKey', async (c) => {
    operatorOnly(c, 'deleting access keys');
    const b = await json(c);
    if (!deps.accounts) throw coded('UnsupportedOperation', 'this server has no account store');
    if (typeof b.AccessKeyId !== 'string' || !b.AccessKeyId) throw coded('MissingParameter', 'The request must contain the parameter AccessKeyId (a string)');
    if (b.AccessKeyId === deps.operator.accessKeyId) {
      throw coded('InvalidParameterValue', `${b.AccessKeyId} is the operator key, not an account's key; to replace it, stop the server and delete DATA_DIR/keys/operator.json`);
    }
    if (!(await deps.accounts.delete(b.AccessKeyId))) throw coded('NoSuchEntity', `The Access Key with id ${b.AccessKeyId} cannot be found.`, 404);
    sessions.endKey(b.AccessKeyId);
    return c.json({ AccessKeyId: b.AccessKeyId, Deleted: true });
  });
  app.post('/v1/vpcflow/Query', async (c) => {
    // SQL runs sandboxed (store/sql-sandbox.ts) over a snapshot of the scope's records: an account
    // key's scope is its own account; the operator's every account, or the one it names.
    const b = await json(c);
    if (typeof b.Sql !== 'string' || !b.Sql.trim()) throw coded('MissingParameter', 'The request must contain the parameter Sql');
    return c.json(await control.query(b.Sql, scopeOf(c, b)));
  });

  // Maps, not objects: a name from the URL must never find an inherited member (`constructor`, `valueOf`).
  const ec2 = new Map<string, (acct: string | undefined, b: Record<string, unknown>) => Promise<unknown>>([
    ['CreateFlowLogs', (a, b) => control.createFlowLogs(a, b)],
    ['DescribeFlowLogs', (a, b) => control.describeFlowLogs(a, b)],
    ['DeleteFlowLogs', (a, b) => control.deleteFlowLogs(a, b)],
  ]);
  // The EC2 Describe* actions of the network, answered in EC2's JSON member names (what the console lists).
  for (const [name, spec] of NETWORK_ACTIONS) {
    if (name.startsWith('Describe')) ec2.set(name, async (a, b) => spec.handler(control, { accountId: await control.accountFor(a) }, ec2JsonInput(name, spec, b)));
  }
  app.post('/v1/ec2/:action', async (c) => {
    const handler = ec2.get(c.req.param('action'));
    if (!handler) throw coded('InvalidAction', `The action ${c.req.param('action')} is not valid for this web service (the native API serves ${[...ec2.keys()].join(', ')}).`);
    const b = await json(c);
    return c.json(await handler(account(c, b), b));
  });

  type LogsHandler = (acct: string, b: Record<string, unknown>) => Promise<unknown>;
  const logs = new Map<string, LogsHandler>(Object.entries({
    CreateLogGroup: async (a, b) => (await logStore.createLogGroup(a, str(b, 'logGroupName')), {}),
    DeleteLogGroup: async (a, b) => (await logStore.deleteLogGroup(a, str(b, 'logGroupName')), {}),
    PutRetentionPolicy: async (a, b) => (await logStore.putRetentionPolicy(a, str(b, 'logGroupName'), int(b, 'retentionInDays')!), {}),
    DeleteRetentionPolicy: async (a, b) => (await logStore.deleteRetentionPolicy(a, str(b, 'logGroupName')), {}),
    DescribeLogGroups: (a, b) => logStore.describeLogGroups(a, { prefix: optStr(b, 'logGroupNamePrefix'), pattern: optStr(b, 'logGroupNamePattern'), limit: int(b, 'limit', false), nextToken: optStr(b, 'nextToken') }),
    DescribeLogStreams: (a, b) => logStore.describeLogStreams(a, str(b, 'logGroupName'), { prefix: optStr(b, 'logStreamNamePrefix'), orderBy: optStr(b, 'orderBy'), descending: b.descending === true, limit: int(b, 'limit', false), nextToken: optStr(b, 'nextToken') }),
    GetLogEvents: (a, b) => logStore.getLogEvents(a, str(b, 'logGroupName'), str(b, 'logStreamName'), { startTime: int(b, 'startTime', false), endTime: int(b, 'endTime', false), startFromHead: b.startFromHead === true, limit: int(b, 'limit', false), nextToken: optStr(b, 'nextToken') }),
    FilterLogEvents: (a, b) => logStore.filterLogEvents(a, {
      logGroupName: str(b, 'logGroupName'), logStreamNames: optStrList(b, 'logStreamNames'), logStreamNamePrefix: optStr(b, 'logStreamNamePrefix'),
      startTime: int(b, 'startTime', false), endTime: int(b, 'endTime', false), filterPattern: optStr(b, 'filterPattern'), limit: int(b, 'limit', false), nextToken: optStr(b, 'nextToken'),
    }),
    PutMetricFilter: async (a, b) => (await deps.metrics.putMetricFilter(a, b), {}),
    DescribeMetricFilters: (a, b) => deps.metrics.describeMetricFilters(a, {
      logGroupName: optStr(b, 'logGroupName'), filterNamePrefix: optStr(b, 'filterNamePrefix'), metricName: optStr(b, 'metricName'),
      metricNamespace: optStr(b, 'metricNamespace'), limit: int(b, 'limit', false), nextToken: optStr(b, 'nextToken'),
    }),
    DeleteMetricFilter: async (a, b) => (await deps.metrics.deleteMetricFilter(a, str(b, 'logGroupName'), str(b, 'filterName')), {}),
    TestMetricFilter: async (_a, b) => deps.metrics.testMetricFilter(b.filterPattern, b.logEventMessages),
  } satisfies Record<string, LogsHandler>));
  app.post('/v1/logs/:op', async (c) => {
    const handler = logs.get(c.req.param('op'));
    if (!handler) throw coded('UnknownOperationException', `unknown CloudWatch Logs operation ${c.req.param('op')} (the native API serves ${[...logs.keys()].join(', ')})`);
    const b = await json(c);
    return c.json(await handler(await control.accountFor(account(c, b)), b));
  });

  // CloudWatch's GetMetricStatistics over what the caller's metric filters produced.
  app.post('/v1/metrics/GetMetricStatistics', async (c) => {
    const b = await json(c);
    const request = parseMetricStatisticsRequest(b);
    return c.json(await deps.metrics.getMetricStatistics(await control.accountFor(account(c, b)), request));
  });

  // Live tail: NDJSON events, first the stored ones since startTime, then new ones as delivered.
  app.post('/v1/vpcflow/Tail', async (c) => {
    const b = await json(c);
    const acct = await control.accountFor(account(c, b));
    const group = str(b, 'logGroupName');
    const filterPattern = optStr(b, 'filterPattern');
    const follow = b.follow === true;
    const first = await logStore.filterLogEvents(acct, { logGroupName: group, startTime: int(b, 'startTime', false), filterPattern });
    const pattern = parseFilterPattern(filterPattern ?? '');
    return stream(c, async (s) => {
      const seen = new Set<string>();
      const write = (e: { eventId: string; logStreamName: string; timestamp: number; message: string; ingestionTime: number }) =>
        s.write(JSON.stringify({ logStreamName: e.logStreamName, timestamp: e.timestamp, message: e.message, ingestionTime: e.ingestionTime, eventId: e.eventId }) + '\n');
      const queue: Promise<unknown>[] = [];
      const listener = (a: string, g: string, events: { eventId: string; logStreamName: string; timestamp: number; message: string; ingestionTime: number }[]) => {
        if (a !== acct || g !== group) return;
        for (const e of events) if (!seen.has(e.eventId) && pattern.matches(e.message)) queue.push(write(e));
      };
      if (follow) logStore.on('events', listener);
      try {
        for (const e of first.events) {
          seen.add(e.eventId);
          await write(e);
        }
        let next = first.nextToken;
        while (next) {
          const page = await logStore.filterLogEvents(acct, { logGroupName: group, startTime: int(b, 'startTime', false), filterPattern, nextToken: next });
          for (const e of page.events) {
            seen.add(e.eventId);
            await write(e);
          }
          next = page.nextToken;
        }
        if (!follow) return;
        await new Promise<void>((resolve) => s.onAbort(resolve));
      } finally {
        logStore.off('events', listener);
        await Promise.allSettled(queue);
      }
    });
  });

  return app;
}

function coded(code: string, message: string, httpStatus = 400): Error & CodedError {
  return Object.assign(new Error(message), { code, httpStatus });
}

function str(b: Record<string, unknown>, key: string): string {
  const v = b[key];
  if (v === undefined || v === null) throw coded('InvalidParameterException', `1 validation error detected: Value null at '${key}' failed to satisfy constraint: Member must not be null`);
  if (typeof v !== 'string') throw coded('SerializationException', `'${key}' must be a string, got ${typeof v}`);
  return v;
}

function optStr(b: Record<string, unknown>, key: string): string | undefined {
  return b[key] === undefined || b[key] === null ? undefined : str(b, key);
}

function optStrList(b: Record<string, unknown>, key: string): string[] | undefined {
  const v = b[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw coded('SerializationException', `'${key}' must be a list of strings`);
  return v as string[];
}

function int(b: Record<string, unknown>, key: string, required = true): number | undefined {
  const v = b[key];
  if (v === undefined || v === null) {
    if (required) throw coded('InvalidParameterException', `1 validation error detected: Value null at '${key}' failed to satisfy constraint: Member must not be null`);
    return undefined;
  }
  if (typeof v !== 'number' || !Number.isInteger(v)) throw coded('SerializationException', `'${key}' must be an integer, got ${describeValue(v)}`);
  return v;
}
