// `POST /` as AWS serves it: one endpoint for EC2 (Query protocol, XML answers) and CloudWatch
// Logs (JSON 1.1), so the aws CLI and SDKs work with `--endpoint-url`. Each request is bounded in
// size, authenticated with SigV4 against the account store, routed by the credential scope's
// service, and run for the account that owns the access key. Requests for other AWS services (on
// any path outside /v1/) are told that service is not implemented, in its clients' error shape.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Context, Hono } from 'hono';
import type { ControlPlane } from '../../control/index.ts';
import type { LogStore } from '../../destinations/logstore/index.ts';
import type { MetricFilterStore } from '../../metrics/index.ts';
import { errorMessage } from '../../platform/errors.ts';
import type { AccountStore } from './accounts.ts';
import { AwsProtocolError, toAwsError } from './errors.ts';
import { EC2_ACTIONS, EC2_CONTENT_TYPE, ec2ErrorXml, ec2ResponseXml, parseEc2Query, runEc2Action } from './ec2-query.ts';
import { LOGS_CONTENT_TYPE, LOGS_OPERATIONS, LOGS_TARGET_PREFIX, logsErrorBody, parseLogsRequest, runLogsOperation } from './logs-json.ts';
import { awsActionOf } from '../request-labels.ts';
import { SigV4Error, authErrorFor, parseAuthorization, verifySigV4, type IncomingSignedRequest } from './sigv4.ts';
import { SERVED_SERVICES, namedService, unimplementedAnswer } from './unimplemented.ts';
import type { Ec2Caller } from './ec2-shapes.ts';

export type AwsService = 'ec2' | 'logs';

export interface AwsEndpointDeps {
  control: ControlPlane;
  logStore: LogStore;
  metrics: MetricFilterStore;
  accounts: Pick<AccountStore, 'lookup'> & Partial<Pick<AccountStore, 'recordUse'>>;
  /**
   * Anonymous mode (off unless set): requests that are unsigned, or signed with an access key the
   * store does not know, act for this account. Requests signed with a known key are still verified.
   */
  anonymousAccount?: string;
  /** Largest request body accepted, in bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /** Clock for the SigV4 skew check. */
  now?: () => number;
  log?: (line: string) => void;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

interface Answer {
  status: number;
  body: string;
}

export function mountAwsEndpoint(app: Hono, deps: AwsEndpointDeps): void {
  const maxBody = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  app.post('/', async (c) => {
    const requestId = randomUUID();
    const target = c.req.header('x-amz-target');
    const unserved = unservedAnswer(c, requestId);
    if (unserved) return unserved;
    let service: AwsService = serviceFromHeaders(target, c.req.header('content-type'));
    let answer: Answer;
    try {
      const request = await incomingRequest(c, maxBody);
      const caller = await authenticate(request, deps, service);
      service = caller.service;
      const bodyText = new TextDecoder().decode(request.body);
      noteAction(c.req.raw, service, target, request.query, bodyText);
      answer = service === 'ec2'
        ? await handleEc2(deps.control, { accountId: caller.accountId, region: caller.region }, request.query, bodyText, requestId)
        : { status: 200, body: JSON.stringify(await runLogsOperation({ logStore: deps.logStore, metrics: deps.metrics }, caller.accountId, parseLogsRequest(target, bodyText))) };
    } catch (e) {
      // A refused signature is answered in the protocol of the service it was scoped to.
      if (e instanceof SigV4Error && (e.service === 'ec2' || e.service === 'logs')) service = e.service;
      answer = errorAnswer(e, service, requestId, deps.log);
    }
    const headers: Record<string, string> = { 'content-type': service === 'ec2' ? EC2_CONTENT_TYPE : LOGS_CONTENT_TYPE, 'x-amzn-RequestId': requestId };
    return new Response(answer.body, { status: answer.status, headers });
  });
  // Every other method and path outside the native API: another AWS service's client (S3's GET /,
  // Lambda's REST paths…) gets that service's "not implemented"; anything naming no service, a 404.
  app.all('*', (c) => {
    if (c.req.path === '/v1' || c.req.path.startsWith('/v1/')) return c.notFound();
    return unservedAnswer(c, randomUUID()) ?? c.notFound();
  });
}

const SERVED_EC2 = new Set(EC2_ACTIONS);
const SERVED_LOGS = new Set(LOGS_OPERATIONS);

/** Notes the action of an authenticated request for /metrics, when it is one this endpoint serves. */
function noteAction(req: Request, service: AwsService, target: string | undefined, query: string, body: string): void {
  if (service === 'logs') {
    const op = target?.startsWith(LOGS_TARGET_PREFIX) ? target.slice(LOGS_TARGET_PREFIX.length) : undefined;
    if (op !== undefined && SERVED_LOGS.has(op)) awsActionOf.set(req, `logs:${op}`);
    return;
  }
  const action = new URLSearchParams(query).get('Action') ?? (body.length <= 65536 ? new URLSearchParams(body).get('Action') : null);
  if (action !== null && SERVED_EC2.has(action)) awsActionOf.set(req, `ec2:${action}`);
}

/** The answer for a request naming a service this endpoint does not serve, or undefined when it names ec2/logs (or nothing). */
function unservedAnswer(c: Context, requestId: string): Response | undefined {
  const target = c.req.header('x-amz-target');
  const named = namedService(c.req.header('authorization'), target);
  if (!named || SERVED_SERVICES.has(named.name)) return undefined;
  // An unsigned request whose target is CloudWatch Logs' own is the Logs protocol's to answer.
  if (named.via === 'X-Amz-Target' && target?.startsWith(LOGS_TARGET_PREFIX)) return undefined;
  const a = unimplementedAnswer(named, { path: c.req.path, contentType: c.req.header('content-type'), target }, requestId);
  return new Response(c.req.method === 'HEAD' ? null : a.body, { status: a.status, headers: a.headers });
}

/** The protocol a request looks like before (or without) its credential scope: JSON with a Logs target, else EC2's form. */
export function serviceFromHeaders(target: string | undefined, contentType: string | undefined): AwsService {
  if (target?.startsWith(LOGS_TARGET_PREFIX)) return 'logs';
  if (contentType?.toLowerCase().includes('application/x-amz-json')) return 'logs';
  return 'ec2';
}

async function handleEc2(control: ControlPlane, caller: Ec2Caller, query: string, body: string, requestId: string): Promise<Answer> {
  const params = new URLSearchParams(query);
  for (const [k, v] of new URLSearchParams(body)) params.append(k, v);
  const request = parseEc2Query(params);
  const result = await runEc2Action(control, caller, request);
  return { status: 200, body: ec2ResponseXml(request.action, result, requestId) };
}

function errorAnswer(e: unknown, service: AwsService, requestId: string, log: AwsEndpointDeps['log']): Answer {
  if (e instanceof SigV4Error) {
    const shape = authErrorFor(e, service);
    return render(service, shape.code, shape.message, shape.httpStatus, requestId);
  }
  const shape = toAwsError(e, service === 'ec2' ? 'InternalError' : 'InternalFailure');
  if (shape.internal) log?.(`aws endpoint: internal error (request ${requestId}): ${e instanceof Error ? (e.stack ?? e.message) : errorMessage(e)}`);
  return render(service, shape.code, shape.message, shape.httpStatus, requestId);
}

function render(service: AwsService, code: string, message: string, status: number, requestId: string): Answer {
  return { status, body: service === 'ec2' ? ec2ErrorXml(code, message, requestId) : logsErrorBody(code, message) };
}

/**
 * Who is calling, for which service, and in which region (the credential scope's; a network an
 * EC2 request creates is in it). Unsigned or unknown-key requests act for the anonymous account
 * only when one is configured; everything else must carry a valid signature.
 */
async function authenticate(request: IncomingSignedRequest, deps: AwsEndpointDeps, guessed: AwsService): Promise<{ accountId: string; service: AwsService; region: string | undefined }> {
  try {
    const caller = await verifySigV4(request, (id) => deps.accounts.lookup(id), { now: deps.now?.() });
    deps.accounts.recordUse?.(caller.accessKeyId);
    const service = caller.scope.service;
    if (service !== 'ec2' && service !== 'logs') {
      throw new AwsProtocolError(guessed === 'ec2' ? 'AuthFailure' : 'InvalidSignatureException', `Credential should be scoped to correct service: 'ec2' or 'logs', not '${service}'.`, guessed === 'ec2' ? 401 : 400);
    }
    return { accountId: caller.accountId, service, region: caller.scope.region };
  } catch (e) {
    if (deps.anonymousAccount !== undefined && e instanceof SigV4Error && (e.kind === 'missing' || e.kind === 'unknown-key')) {
      const scoped = e.service === 'ec2' || e.service === 'logs' ? e.service : guessed;
      return { accountId: deps.anonymousAccount, service: scoped, region: scopeRegion(request) };
    }
    throw e;
  }
}

/** The credential scope's region of a request whose signature was not checked (anonymous mode), if it names one. */
function scopeRegion(request: IncomingSignedRequest): string | undefined {
  const header = request.headers.find(([n]) => n.toLowerCase() === 'authorization')?.[1];
  if (header === undefined) return undefined;
  try {
    return parseAuthorization(header).scope.region;
  } catch {
    return undefined;
  }
}

/** The request as signed: method, path and query as sent, raw header pairs, and the body (bounded). */
async function incomingRequest(c: Context, maxBody: number): Promise<IncomingSignedRequest> {
  return { ...requestHead(c), body: await readBounded(c.req.raw, maxBody) };
}

/** What a signature covers besides the body: method, path and query as sent, raw header pairs. */
export function requestHead(c: Context): Omit<IncomingSignedRequest, 'body'> {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  const target = incoming?.url ?? (() => {
    const u = new URL(c.req.url);
    return `${u.pathname}${u.search}`;
  })();
  const q = target.indexOf('?');
  const headers: [string, string][] = [];
  if (incoming?.rawHeaders) {
    for (let i = 0; i + 1 < incoming.rawHeaders.length; i += 2) headers.push([incoming.rawHeaders[i]!, incoming.rawHeaders[i + 1]!]);
  } else {
    c.req.raw.headers.forEach((value, name) => headers.push([name, value]));
    // Outside @hono/node-server (e.g. app.request in tests) the Host header may be absent; the URL carries it.
    if (!c.req.raw.headers.has('host')) headers.push(['host', new URL(c.req.url).host]);
  }
  return {
    method: c.req.method,
    path: q < 0 ? target : target.slice(0, q),
    query: q < 0 ? '' : target.slice(q + 1),
    headers,
  };
}

/** The body, refused with RequestEntityTooLarge (413) beyond `max` bytes, declared or not. */
export async function readBounded(req: Request, max: number): Promise<Uint8Array> {
  const tooLarge = () => new AwsProtocolError('RequestEntityTooLarge', `The request body exceeds the limit of ${max} bytes`, 413);
  const declared = Number(req.headers.get('content-length') ?? '0');
  if (declared > max) throw tooLarge();
  if (!req.body) return new Uint8Array();
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}
