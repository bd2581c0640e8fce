// Fuzz: random mutations of examples/network.yaml (deleted keys, wrong types, huge numbers, overlapping
// and invalid CIDRs, unicode, deep nesting, duplicate ids, unknown and prototype-named keys, damaged
// YAML text) planned with planApply in a worker under a deadline, then a sample of them applied to a
// real server through the native API and the `vpcflow apply` command: 200, or a refusal with a code and
// a message that agrees with the in-process plan, never a 500; a refused (or dry-run) apply changes
// nothing (`vpcflow network` and the flow logs before/after). Seeds, case counts and replay: lib.ts.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ROOT } from '../helpers/cli.ts';
import { CaseWorker, FuzzServer, Failures, LONG_MODE, ONLY_CASE, Rng, SEED, caseCount, caseIndices, nativeErrorProblem, outcomeProblem, seedLine } from './lib.ts';
import type { PlanCase, PlanVerdict } from './plan-task.ts';
import { documentNestingProblem } from '../../src/model/index.ts';

const SUITE = 'network-documents';
const EXAMPLE_TEXT = readFileSync(join(ROOT, 'examples/network.yaml'), 'utf8');
const EXAMPLE = parseYaml(EXAMPLE_TEXT) as Record<string, unknown>;
const VPC = 'vpc-0a1b2c3d4e5f60718';

const PLAN_CASES = caseCount(800);
const SERVER_CASES = caseCount(16, 20);
/** Of the server cases, every CLI_EVERY-th goes through `vpcflow apply` (a process each). */
const CLI_EVERY = LONG_MODE ? 10 : 8;

type Node = unknown;

/** A short text of a value for the failure report (a value nested thousands deep has no JSON.stringify). */
function preview(v: Node): string {
  try {
    return (JSON.stringify(v) ?? String(v)).slice(0, 60);
  } catch {
    return '(deeply nested)';
  }
}

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'valueOf', 'toString', 'hasOwnProperty'];
const CIDRS = ['10.0.0.0/16', '10.0.1.0/24', '10.0.1.0/25', '10.0.0.0/8', '0.0.0.0/0', '10.0.1.0/33', '10.0.1.1/24', '300.1.1.1/24', '10.0.1.0/-1', '10.0.1.0', '',
  '127.0.0.0/8', '169.254.0.0/16', '224.0.0.0/4', '10.0.0.0/28', '10.0.0.0/29', '192.168.0.0/16', '::/0', '2600:1f18:abcd:1200::/56', '2600:1f18:abcd:1201::/64',
  '2600:1f18:abcd:1201::/65', 'fe80::/10', '10.0.2.0/24', '10.0.255.0/24', '１０.0.0.0/8'];
const IPS = ['10.0.1.10', '10.0.1.0', '10.0.1.1', '10.0.1.2', '10.0.1.3', '10.0.1.255', '10.0.2.20', '10.0.3.5', '10.0.1.256', '0.0.0.0', '::1', '2600:1f18:abcd:1201::10',
  '2600:1f18:abcd:1201::', '2600:1f18:abcd:1299::1', '10.0.1.010', '10.0.1.10 ', ''];

function hostileScalar(rng: Rng): Node {
  return rng.weighted<() => Node>([
    [3, () => rng.pick([null, true, false, 0, -1, 1.5, 65_535, 65_536, 32_766, 32_767, 32_768, 2 ** 31, 2 ** 53 + 1, -(2 ** 63), 1e308, -0])],
    [3, () => rng.pick(['', ' ', 'x', '-1', 'all', 'ALL', '6', 'tcp', 'icmpv6', 'allow', 'deny', 'us-east-1a', 'us-west-2a', 'use1-az1', '111122223333', '1111222233334', 'eu-west-1', 'mars-1'])],
    [2, () => rng.pick([...CIDRS, ...IPS])],
    [2, () => rng.pick(['vpc-0a1b2c3d4e5f60718', 'subnet-0a1b2c3d4e5f60718', 'subnet-0f1e2d3c4b5a69788', 'sg-0a1b2c3d4e5f60718', 'sg-0f1e2d3c4b5a69788', 'i-0a1b2c3d4e5f60718', 'eni-0a1b2c3d4e5f60718', 'acl-0a1b2c3d4e5f60718', 'vpc-', 'vpc-XYZ', 'sg-0', 'eni-0a1b2c3d4e5f6071', 'web', 'db', 'main'])],
    [1, () => rng.pick(PROTO_KEYS)],
    [1, () => rng.pick(['ünïcödé', '😀'.repeat(rng.range(1, 200)), '\u0000', '\ud800', 'Ω≈ç√', 'aws:reserved', 'x'.repeat(rng.pick([255, 256, 257, 1000, 100_000]))])],
  ])();
}

function hostileNode(rng: Rng, depth = 0): Node {
  return rng.weighted<() => Node>([
    [6, () => hostileScalar(rng)],
    [1, () => (depth > 2 ? [] : Array.from({ length: rng.range(0, 3) }, () => hostileNode(rng, depth + 1)))],
    [1, () => (depth > 2 ? {} : Object.fromEntries(Array.from({ length: rng.range(0, 3) }, () => [String(hostileScalar(rng)).slice(0, 40), hostileNode(rng, depth + 1)])))],
    [0.5, () => {
      // Nesting a recursive reader would not survive.
      const d = rng.pick([100, 1000, 2500]);
      let n: Node = 1;
      for (let i = 0; i < d; i++) n = rng.chance(0.5) ? [n] : { a: n };
      return n;
    }],
  ])();
}

/** Every container (mapping or list) of the tree with the path to it, for picking a place to mutate. */
function containers(root: Node): { node: Record<string, Node> | Node[]; path: string }[] {
  const out: { node: Record<string, Node> | Node[]; path: string }[] = [];
  const walk = (n: Node, path: string, depth: number) => {
    if (depth > 12 || n === null || typeof n !== 'object') return;
    out.push({ node: n as Record<string, Node> | Node[], path });
    if (Array.isArray(n)) n.forEach((x, i) => walk(x, `${path}[${i}]`, depth + 1));
    else for (const [k, x] of Object.entries(n)) walk(x, `${path}.${k}`, depth + 1);
  };
  walk(root, '', 0);
  return out;
}

/** A copy, or the value itself when it is nested too deep to copy (JSON serializes a shared value twice alike). */
function cloneOrSame(v: Node): Node {
  try {
    return structuredClone(v);
  } catch {
    return v;
  }
}

/** Sets an own member, also for `__proto__` (plain assignment would change the prototype). */
function setOwn(o: Record<string, Node>, key: string, value: Node): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

type Doc = Record<string, Node> & { vpcs: Record<string, Node[] | Node>[] };

/** Changes a valid document may get (so that some fuzzed documents are accepted and planned). */
function benign(doc: Doc, rng: Rng, steps: string[]): void {
  const vpc = doc.vpcs[0]! as Record<string, Node> & { subnets: Record<string, Node>[]; instances: Record<string, Node>[]; 'security-groups': Record<string, Node>[]; 'network-acls': Record<string, Node>[] };
  const choice = rng.int(8);
  if (choice === 0) {
    const cidr = `10.0.${rng.range(3, 250)}.0/${rng.pick([24, 25, 26, 28])}`;
    vpc.subnets.push({ cidr, 'availability-zone': rng.pick(['us-east-1a', 'us-east-1c']), ...(rng.chance(0.5) ? { tags: { Name: rng.pick(['ünï', 'b', '😀']) } } : {}) });
    steps.push(`new subnet ${cidr}`);
  } else if (choice === 1) {
    const from = rng.range(0, 65535);
    const rule = { protocol: rng.pick(['tcp', 'udp', '6', '17', '-1']), 'from-port': from, 'to-port': rng.range(from, 65535), cidr: rng.pick(['10.0.0.0/16', '0.0.0.0/0', '192.168.1.0/24']) };
    const sg = rng.pick(vpc['security-groups']);
    const dir = rng.pick(['ingress', 'egress']);
    sg[dir] = [...((sg[dir] as Node[] | undefined) ?? []), rule];
    steps.push(`security group rule ${JSON.stringify(rule)}`);
  } else if (choice === 2) {
    const acl = vpc['network-acls'][0]!;
    const entry = { 'rule-number': rng.range(1, 32766), egress: rng.chance(0.5), protocol: rng.pick(['6', '17', '-1', '1']), 'rule-action': rng.pick(['allow', 'deny']), cidr: '10.0.0.0/8', 'from-port': 1, 'to-port': 1024 };
    (acl.entries as Node[]).push(entry);
    steps.push(`ACL entry ${entry['rule-number']}`);
  } else if (choice === 3) {
    const inst = rng.pick(vpc.instances);
    delete inst.id;
    steps.push('an instance without id');
  } else if (choice === 4) {
    vpc.tags = rng.chance(0.5) ? { Name: rng.pick(['ünïcödé', '😀', 'a b']), [rng.pick(['k', 'ключ', 'x:y'])]: rng.pick(['', 'v']) } : [{ Key: 'Name', Value: 'list form' }];
    steps.push('VPC tags');
  } else if (choice === 5) {
    const ip = `10.0.2.${rng.range(4, 254)}`;
    ((vpc.instances[1]!.interfaces as Record<string, Node>[])[0]!)['private-ip'] = ip;
    steps.push(`interface address ${ip}`);
  } else if (choice === 6) {
    vpc['security-groups'][1]!.description = rng.pick(['ünï', 'a'.repeat(255), 'dès', '']);
    steps.push('security group description');
  } else {
    delete doc.vpcs[0]!.id;
    steps.push('VPC without id');
  }
}

function mutateDocument(rng: Rng, steps: string[]): Node {
  const doc = structuredClone(EXAMPLE) as Doc;
  const benignOnly = rng.chance(0.4);
  const b = rng.range(benignOnly ? 1 : 0, 3);
  for (let k = 0; k < b; k++) benign(doc, rng, steps);
  if (benignOnly) return doc;
  const n = rng.weighted([[5, 1], [3, 2], [2, 3], [1, 6]] as const);
  for (let k = 0; k < n; k++) {
    const all = containers(doc);
    const { node, path } = rng.pick(all);
    const op = rng.weighted([[4, 'set'], [2, 'delete'], [2, 'duplicate'], [2, 'cidr'], [1, 'ip'], [1, 'unknown'], [1, 'alias'], [1, 'grow'], [1, 'proto']] as const);
    if (Array.isArray(node)) {
      if (node.length === 0 || op === 'unknown' || op === 'proto') {
        node.push(hostileNode(rng));
        steps.push(`${path}: push ${preview(node[node.length - 1])}`);
      } else if (op === 'delete') {
        node.splice(rng.int(node.length), 1);
        steps.push(`${path}: drop an item`);
      } else if (op === 'duplicate' || op === 'grow') {
        const item = rng.pick(node);
        const times = op === 'grow' ? rng.pick([5, 30, 200]) : 1;
        for (let i = 0; i < times; i++) node.push(cloneOrSame(item));
        steps.push(`${path}: ${times} copies of an item`);
      } else {
        const i = rng.int(node.length);
        node[i] = hostileNode(rng);
        steps.push(`${path}[${i}] = ${preview(node[i])}`);
      }
      continue;
    }
    const keys = Object.keys(node);
    const cidrKeys = keys.filter((x) => /cidr/.test(x));
    const ipKeys = keys.filter((x) => /ip/.test(x) && !/cidr/.test(x));
    if (op === 'cidr' && cidrKeys.length) {
      const key = rng.pick(cidrKeys);
      node[key] = rng.pick(CIDRS);
      steps.push(`${path}.${key} = ${String(node[key])}`);
    } else if (op === 'ip' && ipKeys.length) {
      const key = rng.pick(ipKeys);
      node[key] = Array.isArray(node[key]) ? [rng.pick(IPS), rng.pick(IPS)] : rng.pick(IPS);
      steps.push(`${path}.${key} = ${JSON.stringify(node[key])}`);
    } else if (op === 'delete' && keys.length) {
      const key = rng.pick(keys);
      delete node[key];
      steps.push(`${path}: delete ${key}`);
    } else if (op === 'alias' && keys.length) {
      // The PascalCase alias of a key beside (or instead of) the key itself.
      const key = rng.pick(keys);
      const pascal = key.split('-').map((w) => (w ? w[0]!.toUpperCase() + w.slice(1) : w)).join('');
      node[pascal] = cloneOrSame(node[key]);
      if (rng.chance(0.5)) delete node[key];
      steps.push(`${path}: ${key} also as ${pascal}`);
    } else if (op === 'unknown' || op === 'proto' || !keys.length) {
      const key = op === 'proto' || rng.chance(0.5) ? rng.pick(PROTO_KEYS) : String(hostileScalar(rng)).slice(0, 50);
      setOwn(node, key, hostileNode(rng));
      steps.push(`${path}: own member ${JSON.stringify(key)} = ${preview(node[key])}`);
    } else {
      const key = rng.pick(keys);
      node[key] = hostileNode(rng);
      steps.push(`${path}.${key} = ${preview(node[key])}`);
    }
  }
  return doc;
}

/** Character damage to the YAML text: what a hand edit gone wrong sends to `vpcflow apply`. */
function damageText(text: string, rng: Rng, steps: string[]): string {
  let s = text;
  const n = rng.range(1, 4);
  for (let i = 0; i < n; i++) {
    const at = rng.int(s.length);
    const what = rng.weighted([[2, 'delete'], [2, 'insert'], [1, 'cut'], [1, 'indent']] as const);
    if (what === 'delete') s = s.slice(0, at) + s.slice(at + rng.range(1, 20));
    else if (what === 'insert') s = s.slice(0, at) + rng.pick([':', '- ', '{', '[', '"', "'", '\t', '&a', '*a', '!!binary ', '<<: ', '%YAML 1.1\n', '---\n', '? ', '|', '#', '\ufeff', '\u0000']) + s.slice(at);
    else if (what === 'cut') s = s.slice(0, at);
    else s = s.replace(/\n {2}/, '\n   ');
    steps.push(`text ${what} at ${at}`);
  }
  if (rng.chance(0.1)) {
    s = `${'- '.repeat(rng.pick([500, 5000]))}x\n${s}`;
    steps.push('deep list prefix');
  }
  if (rng.chance(0.05)) {
    s = `a: &a [1]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d]\n${s}`;
    steps.push('alias expansion');
  }
  return s;
}

interface ServerCase {
  label: number | string;
  steps: string[];
  /** YAML text (damaged or not) rather than a JSON document planApply can be asked about. */
  textual: boolean;
  docText: string;
  dryRun: boolean;
  prune: boolean;
  viaCli: boolean;
}

function randomServerCase(i: number): ServerCase {
  const rng = new Rng(SEED, 'server', i);
  const steps: string[] = [];
  const textual = rng.chance(0.3);
  const docText = textual ? damageText(EXAMPLE_TEXT, rng, steps) : JSON.stringify(mutateDocument(rng, steps), null, rng.chance(0.5) ? 1 : undefined);
  return { label: i, steps, textual, docText, dryRun: rng.chance(0.3), prune: rng.chance(0.2), viaCli: i % CLI_EVERY === CLI_EVERY - 1 };
}

const nested = (open: string, inner: string, close: string, depth: number) => open.repeat(depth) + inner + close.repeat(depth);

/**
 * Inputs that once broke the server, run before the random cases in every run (not only when a seed
 * happens to produce them). Valid JSON nested 1000 deep: the YAML parser overflows its stack and the
 * server answered InvalidDocument "Maximum call stack size exceeded"; the list after the mapping then
 * killed the server process (V8: "FATAL ERROR: RegExpCompiler Allocation failed - process out of memory").
 */
const SERVER_CORPUS: ServerCase[] = [
  { label: 'corpus-deep-mapping', steps: ['a JSON mapping nested 1000 deep'], textual: false, docText: nested('{"a":', '1', '}', 1000), dryRun: false, prune: false, viaCli: false },
  { label: 'corpus-deep-list', steps: ['a JSON list nested 1000 deep'], textual: false, docText: nested('[', '', ']', 1000), dryRun: false, prune: false, viaCli: false },
  { label: 'corpus-deep-block-list', steps: ["a YAML block list nested 1000 deep ('- - - … x')"], textual: true, docText: `${'- '.repeat(1000)}x\n`, dryRun: true, prune: false, viaCli: false },
];

let worker: CaseWorker;
/** The native API's largest JSON body (api/native.ts maxJsonBytes default). */
const API_BODY_LIMIT = 5 * 1024 * 1024;

after(async () => {
  await worker?.stop();
});

test('mutated network documents through planApply: a plan or a ValidationError with problems, never another exception; accepted ones idempotent and round-trip', { timeout: 20 * 60_000 }, async (t) => {
  t.diagnostic(seedLine(SUITE, { plan: PLAN_CASES, server: SERVER_CASES }));
  worker = new CaseWorker('plan-task.ts', 512);
  const failures = new Failures(SUITE, 'plan');
  const tally = { accepted: 0, refused: 0, problems: 0, tooLarge: 0 };
  for (const i of caseIndices(PLAN_CASES)) {
    const rng = new Rng(SEED, 'plan', i);
    const steps: string[] = [];
    const doc = JSON.stringify(mutateDocument(rng, steps));
    // Copies of copies can make a document of tens of megabytes: no such text reaches planApply, since
    // the API refuses a body over 5 MiB unread (the server test below checks that refusal).
    if (Buffer.byteLength(doc) > API_BODY_LIMIT) {
      tally.tooLarge++;
      continue;
    }
    const input: PlanCase = { doc, againstExample: rng.chance(0.5) };
    const o = await worker.run<PlanVerdict>(input);
    const problem = outcomeProblem(o) ?? (o.status === 'done' && o.value.ok && o.value.result.violations.length ? o.value.result.violations.join('; ') : undefined);
    if (problem) {
      failures.add(i, `[${steps.join('; ')}]${input.againstExample ? ' against the example network' : ''}: ${problem}`, doc, 'json');
      continue;
    }
    if (o.status === 'done' && o.value.ok) {
      if (o.value.result.accepted) tally.accepted++;
      else tally.refused++;
      tally.problems += o.value.result.problems.length;
    }
  }
  t.diagnostic(`planned ${tally.accepted} accepted, ${tally.refused} refused (${tally.problems} problems), ${tally.tooLarge} over the API's body limit not planned; worker heap peak ${(worker.peakHeap / 1048576).toFixed(1)} MiB`);
  failures.assertNone();
});

test('a sample of them applied to a real server: 200 or a refusal agreeing with planApply, never a 500; a refusal or a dry run changes nothing', { timeout: 20 * 60_000 }, async (t) => {
  let fs = new FuzzServer();
  await fs.start();
  try {
    const failures = new Failures(SUITE, 'server');
    // The corpus first, on the fresh server: what broke it did so before any other document was parsed.
    if (ONLY_CASE === undefined) {
      for (const c of SERVER_CORPUS) {
        let a;
        try {
          a = await fs.native('/v1/vpcflow/Apply', JSON.stringify({ Document: c.docText, SourceName: 'corpus.json', DryRun: c.dryRun }));
        } catch (e) {
          const fatal = fs.server.output.includes('FATAL') ? `: ${fs.server.output.slice(fs.server.output.indexOf('FATAL')).split('\n')[0]}` : '';
          failures.add(c.label, `${c.steps.join('; ')}: no answer (${(e as Error).message}); the server is ${(await fs.healthy()) ? 'still' : 'no longer'} serving${fatal}`, c.docText, 'txt');
          break;
        }
        const problem = nativeErrorProblem(a);
        if (problem) failures.add(c.label, `${c.steps.join('; ')}: ${problem}`, c.docText, 'txt');
        else if (!c.textual && /InvalidDocument/.test(a.body)) failures.add(c.label, `${c.steps.join('; ')}: valid JSON refused as not YAML or JSON: ${a.body.slice(0, 300)}`, c.docText, 'txt');
        else if (/Maximum call stack|RangeError/.test(a.body)) failures.add(c.label, `${c.steps.join('; ')}: the refusal names an engine limit, not the problem: ${a.body.slice(0, 300)}`, c.docText, 'txt');
      }
      // A corpus case that killed the server is reported; the random cases get a fresh one.
      if (!(await fs.healthy())) {
        await fs.stop();
        fs = new FuzzServer();
        await fs.start();
      }
    }
    await fs.call('/v1/vpcflow/Apply', { Document: EXAMPLE_TEXT, SourceName: 'network.yaml' });
    await fs.call('/v1/ec2/CreateFlowLogs', { ResourceType: 'VPC', ResourceIds: [VPC], TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs', LogGroupName: '/fuzz/docs' });
    const network = async () => JSON.stringify(await fs.call('/v1/vpcflow/DescribeNetwork', {}));
    const snapshot = async () => JSON.stringify([await network(), await fs.call('/v1/ec2/DescribeFlowLogs', {})]);
    let original = await network();
    let state = await snapshot();
    const tally = { applied: 0, refused: 0, cli: 0 };
    for (const c of caseIndices(SERVER_CASES).map(randomServerCase)) {
      const { label: i, textual, docText, dryRun, prune } = c;
      const what = `[${c.steps.join('; ')}]${dryRun ? ' --dry-run' : ''}${prune ? ' --prune' : ''}`;
      // The in-process verdict (JSON documents only: damaged YAML text is the server's YAML parser's).
      let verdict: PlanVerdict | undefined;
      if (!textual) {
        const o = await worker.run<PlanVerdict>({ doc: docText, againstExample: true });
        const p = outcomeProblem(o);
        if (p || o.status !== 'done' || !o.value.ok) {
          failures.add(i, `${what}: in-process plan: ${p}`, docText, 'json');
          continue;
        }
        verdict = o.value.result;
      }
      let status: number;
      let code = '';
      let message = '';
      let details: { path: string; code: string }[] | undefined;
      if (c.viaCli) {
        tally.cli++;
        const file = join(fs.server.dataDir, `case-${i}.${textual ? 'yaml' : 'json'}`);
        writeFileSync(file, docText);
        const r = await fs.server.run(['apply', file, '--output', 'json', ...(dryRun ? ['--dry-run'] : []), ...(prune ? ['--prune'] : [])]);
        if (r.code === 0) status = 200;
        else {
          const m = /An error occurred \(([A-Za-z.]+)\): (.+)/s.exec(r.stderr);
          if (!m || r.code !== 1) failures.add(i, `${what}: vpcflow apply exited ${r.code} without a clear error: ${r.stderr.slice(0, 400)}`, docText, 'txt');
          code = m?.[1] ?? '';
          message = m?.[2] ?? r.stderr;
          status = /^Internal/.test(code) ? 500 : 400;
        }
      } else {
        let a;
        try {
          a = await fs.native('/v1/vpcflow/Apply', JSON.stringify({ Document: docText, SourceName: 'fuzz.yaml', DryRun: dryRun, Prune: prune }));
        } catch (e) {
          failures.add(i, `${what}: no answer (${(e as Error).message}); the server is ${(await fs.healthy()) ? 'still' : 'no longer'} serving${fs.server.output.includes('FATAL') ? `: ${fs.server.output.slice(fs.server.output.indexOf('FATAL')).split('\n')[0]}` : ''}`, docText, 'txt');
          break;
        }
        status = a.status;
        const problem = nativeErrorProblem(a);
        if (problem) failures.add(i, `${what}: ${problem}`, docText, 'txt');
        else if (a.status >= 400) ({ __type: code, message, details } = JSON.parse(a.body) as { __type: string; message: string; details?: { path: string; code: string }[] });
      }
      let now: string;
      try {
        now = await snapshot();
      } catch (e) {
        failures.add(i, `${what}: the server stopped answering after it: ${(e as Error).message}`, docText, 'txt');
        break;
      }
      if (status === 200) {
        tally.applied++;
        if (verdict && !verdict.accepted) failures.add(i, `${what}: applied, but planApply refuses it (${verdict.problems.map((p) => `${p.path}: ${p.code}`).slice(0, 5).join(', ')})`, docText, 'txt');
        if (dryRun && now !== state) failures.add(i, `${what}: a dry run changed the network or the flow logs`, docText, 'txt');
      } else if (status >= 400 && status < 500) {
        tally.refused++;
        if (now !== state) failures.add(i, `${what}: refused (${code}: ${message.slice(0, 200)}) but the network or the flow logs changed`, docText, 'txt');
        // Text nested beyond MAX_DOCUMENT_NESTING is refused before any parser (planApply, given the
        // parsed object, has no such limit): that refusal must be exactly the text's.
        // So is a request body over the server's limit (it is never parsed).
        const tooDeep = code === 'DocumentTooDeep';
        const tooLarge = code === 'RequestEntityTooLarge';
        if (tooDeep && !documentNestingProblem(docText)) failures.add(i, `${what}: refused as too deep, but the text is not: ${message.slice(0, 200)}`, docText, 'txt');
        if (tooLarge && Buffer.byteLength(JSON.stringify({ Document: docText })) <= 5 * 1024 * 1024) failures.add(i, `${what}: refused as too large at ${Buffer.byteLength(docText)} bytes: ${message.slice(0, 200)}`, docText, 'txt');
        if (!tooDeep && !tooLarge && !textual && documentNestingProblem(docText)) failures.add(i, `${what}: text nested too deep answered ${code}: ${message.slice(0, 200)}`, docText, 'txt');
        if (verdict && !verdict.accepted && !tooDeep && !tooLarge) {
          if (code !== 'InvalidNetworkDocument') failures.add(i, `${what}: planApply refuses it with problems, the server answers ${code}: ${message.slice(0, 200)}`, docText, 'txt');
          else if (details && JSON.stringify(details.map((d) => [d.path, d.code])) !== JSON.stringify(verdict.problems.map((d) => [d.path, d.code]))) {
            failures.add(i, `${what}: the server's problems ${JSON.stringify(details.slice(0, 5))} differ from planApply's ${JSON.stringify(verdict.problems.slice(0, 5))}`, docText, 'txt');
          }
        }
        if (verdict?.accepted && code === 'InvalidNetworkDocument') failures.add(i, `${what}: planApply accepts it, the server refuses: ${message.slice(0, 300)}`, docText, 'txt');
        if (textual && code !== 'InvalidDocument' && code !== 'InvalidNetworkDocument' && code !== 'PruneRequired' && code !== 'DocumentTooDeep' && !tooLarge) failures.add(i, `${what}: damaged YAML refused as ${code}: ${message.slice(0, 200)}`, docText, 'txt');
      } else {
        failures.add(i, `${what}: HTTP ${status} ${code} ${message.slice(0, 300)}`, docText, 'txt');
      }
      if (!(await fs.healthy())) {
        failures.add(i, `${what}: /v1/health stopped answering`, docText, 'txt');
        break;
      }
      // Back to the example network, so the next case plans against the same model as planApply did.
      if (now !== state && (await network()) !== original) {
        await fs.call('/v1/vpcflow/Apply', { Document: EXAMPLE_TEXT, SourceName: 'network.yaml', Prune: true });
        const flowLogs = (await fs.call<{ FlowLogs: unknown[] }>('/v1/ec2/DescribeFlowLogs', {})).FlowLogs;
        if (flowLogs.length === 0) await fs.call('/v1/ec2/CreateFlowLogs', { ResourceType: 'VPC', ResourceIds: [VPC], TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs', LogGroupName: '/fuzz/docs' });
        // Generated ids (the default security group and ACL of a recreated VPC) may differ from the first ones.
        original = await network();
      }
      state = await snapshot();
    }
    t.diagnostic(`server: ${tally.applied} applied, ${tally.refused} refused, ${tally.cli} through the CLI`);
    assert.deepEqual(fs.internalErrors(), [], 'the server logged internal errors');
    failures.assertNone();
  } finally {
    await fs.stop();
  }
});
