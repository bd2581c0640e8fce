// test-group: kernel (as root its README block realizes a network on this host)
// README.md runs as printed: every command of its ```sh blocks is run, exactly as a reader would type
// it, in a fresh copy of this checkout (its tracked and untracked, not ignored, files; node_modules
// linked from the checkout so nothing is reinstalled), with a shell's environment and nothing from
// this test's. What the blocks may contain is what this test can run without a shell and still mean
// the same thing a shell would: words, '…' and "…" quotes, `\` line continuations, `# comments`, a
// trailing `&` (run in the background; a `serve` is waited for until it says it is serving) and
// `export NAME=VALUE…`. Pipes, redirections, `;`, `&&`, `$…`, backquotes, globs and the like are
// refused, so the README never depends on a shell feature. Conventions the README follows:
//   - a block whose first line is `# as root` needs root: its commands run only when this test does;
//   - `<Name printed above>` stands for a value an earlier command printed (the access key that
//     `accounts create` prints once): the test takes member `Name` of the latest JSON output holding it;
//   - a comment starting `exits N` says the command exits with N (a connection a rule refuses);
//     every other command must exit 0 and print something on stdout (QUIET lists the exceptions);
//   - `npm ci && …` lines (the "two commands") are not re-run: `npm ci` would reinstall into the
//     linked node_modules and `npm test` would run this test again.
// EXPECTED below names what some commands must show (the tour is only worth running if it does).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const CHECKOUT = resolve(import.meta.dirname, '../..');
const IS_ROOT = process.getuid?.() === 0;
/** A foreground command taking longer than this is stopped and fails the test. */
const COMMAND_TIMEOUT_MS = 180_000;
/** How long a background `serve` may take to say it is serving. */
const SERVE_TIMEOUT_MS = 120_000;
const OUTPUT_KEPT = 256 * 1024;

export interface ReadmeCommand {
  /** 1-based line in the README where the command starts. */
  readonly line: number;
  /** The command as printed (continuations joined), for messages. */
  readonly text: string;
  /** Words after quote removal; a placeholder `<Name printed above>` is kept as PLACEHOLDER + Name + PLACEHOLDER. */
  readonly argv: readonly string[];
  readonly background: boolean;
  /** The trailing comment, without `#`. */
  readonly comment: string;
  /** Set for the `npm ci && …` lines, which are not re-run. */
  readonly notRun?: string;
}

export interface ReadmeBlock {
  readonly line: number;
  readonly asRoot: boolean;
  readonly commands: readonly ReadmeCommand[];
}

const PLACEHOLDER = '\u0000';
const PLACEHOLDER_TEXT = /^<([A-Za-z][A-Za-z0-9]*) printed above>/;
/** Characters a shell would treat specially outside quotes (operators, expansions, globs, history). */
const UNQUOTED_SPECIAL = new Set(['|', ';', '<', '>', '(', ')', '$', '`', '*', '?', '[', ']', '{', '}', '!']);

class ReadmeSyntaxError extends Error {}

/** The ```sh blocks of a Markdown text with their commands. */
export function readmeBlocks(markdown: string): ReadmeBlock[] {
  const lines = markdown.split('\n');
  const blocks: ReadmeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```sh\s*$/.test(lines[i]!)) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++;
    if (end === lines.length) throw new ReadmeSyntaxError(`README.md:${i + 1}: the \`\`\`sh block is never closed`);
    const body = lines.slice(start, end);
    blocks.push({ line: start + 1, asRoot: /^#\s*as root\s*$/.test(body[0] ?? ''), commands: parseCommands(body.join('\n'), start + 1) });
    i = end;
  }
  return blocks;
}

/**
 * Splits a block into commands the way a POSIX shell would for the subset allowed (see the header),
 * refusing everything else with its line.
 */
export function parseCommands(text: string, firstLine: number): ReadmeCommand[] {
  const out: ReadmeCommand[] = [];
  let line = firstLine;
  let cmdLine = firstLine;
  let cmdStart = 0;
  let commentAt = -1;
  let words: string[] = [];
  let word: string | null = null;
  let background = false;
  let comment = '';
  let andAnd = false;
  const fail = (why: string): never => {
    throw new ReadmeSyntaxError(`README.md:${line}: ${why} — write it so that it runs without a shell`);
  };
  const endWord = () => {
    if (word !== null) words.push(word);
    word = null;
  };
  const endCommand = (at: number) => {
    endWord();
    if (words.length) {
      const printed = text.slice(cmdStart, commentAt >= 0 ? commentAt : at).replace(/\\\n\s*/g, '').replace(/\s*\n\s*/g, ' ').trim();
      const base = { line: cmdLine, text: printed, argv: words, background, comment: comment.trim() };
      if (andAnd) {
        if (words[0] !== 'npm' || words[1] !== 'ci') fail("'&&' is only for the `npm ci && …` lines");
        out.push({ ...base, notRun: 'an `npm ci && …` line: npm ci would reinstall the linked node_modules, and npm test would run this test again' });
      } else {
        out.push(base);
      }
    }
    words = [];
    background = false;
    comment = '';
    commentAt = -1;
    andAnd = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') {
      endCommand(i);
      line++;
      cmdLine = line;
      cmdStart = i + 1;
      continue;
    }
    if (c === ' ' || c === '\t') {
      if (word === null && words.length === 0 && !background) cmdStart = i + 1;
      endWord();
      continue;
    }
    if (c === '#' && word === null) {
      // A comment runs to the end of the line and is not part of the command as printed.
      const nl = text.indexOf('\n', i);
      const stop = nl < 0 ? text.length : nl;
      comment = text.slice(i + 1, stop);
      commentAt = i;
      i = stop - 1;
      continue;
    }
    if (background) fail("'&' must end the command");
    if (c === '\\') {
      const next = text[i + 1];
      if (next === undefined) fail('a backslash ends the block');
      i++;
      if (next === '\n') {
        line++;
        continue;
      }
      word = (word ?? '') + next;
      continue;
    }
    if (c === "'") {
      const close = text.indexOf("'", i + 1);
      if (close < 0) fail('an unterminated single quote');
      const quoted = text.slice(i + 1, close);
      line += quoted.split('\n').length - 1;
      word = (word ?? '') + quoted;
      i = close;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      let quoted = '';
      for (; j < text.length && text[j] !== '"'; j++) {
        const q = text[j]!;
        if (q === '$' || q === '`' || q === '!') fail(`'${q}' inside double quotes is expanded by a shell`);
        if (q === '\\' && j + 1 < text.length && '"\\$`\n'.includes(text[j + 1]!)) {
          j++;
          if (text[j] === '\n') line++;
          else quoted += text[j];
          continue;
        }
        if (q === '\n') line++;
        quoted += q;
      }
      if (j >= text.length) fail('an unterminated double quote');
      word = (word ?? '') + quoted;
      i = j;
      continue;
    }
    if (c === '&') {
      endWord();
      if (text[i + 1] === '&') {
        andAnd = true;
        i++;
      } else {
        background = true;
      }
      continue;
    }
    if (c === '<') {
      const m = PLACEHOLDER_TEXT.exec(text.slice(i));
      if (m) {
        word = (word ?? '') + PLACEHOLDER + m[1]! + PLACEHOLDER;
        i += m[0].length - 1;
        continue;
      }
    }
    if (c === '~' && word === null) fail("'~' at the start of a word is expanded by a shell");
    if (UNQUOTED_SPECIAL.has(c)) fail(`'${c}' outside quotes means something to a shell`);
    word = (word ?? '') + c;
  }
  endCommand(text.length);
  return out;
}

/** What some commands must show, by the command as printed; each must match at least one command run. */
const EXPECTED: readonly { command: RegExp; stdout: RegExp; what: string; asRoot?: true }[] = [
  { command: /^npx vpcflow ingest examples\/sample\.pcap$/, stdout: /"Records": [1-9]\d*,[\s\S]*"Problems": 0,/, what: 'records delivered from the sample capture, without problems' },
  { command: /^npx vpcflow logs tail \/vpc\/flows /, stdout: /eni-0a1b2c3d4e5f60718 10\.0\.2\.20 10\.0\.1\.10 \d+ 80 6 .* ACCEPT OK$/m, what: 'the HTTP records' },
  { command: /^npx vpcflow logs filter \/vpc\/flows .*dstport="22"/, stdout: /^eni-\S+-all 2 111122223333 eni-\S+ 10\.0\.2\.\d+ 10\.0\.1\.10 \d+ 22 6 /m, what: 'the refused SSH attempts' },
  { command: /^npx vpcflow metrics get .*SshAttempts/, stdout: /^\|\s*\d{4}-\d\d-\d\dT[\d:.]+Z\s*\|\s*[1-9]\d*\s*\|/m, what: 'a datapoint of the metric filter' },
  { command: /^npx vpcflow query "select interface_id, srcaddr, dstaddr, dstport, protocol, sum\(packets\)/, stdout: /\|\s*eni-0a1b2c3d4e5f60718\s*\|\s*10\.0\.1\.10\s*\|/, what: 'rows of the flows view' },
  { command: /^find data\/s3\/my-bucket /, stdout: /^data\/s3\/my-bucket\/prefix\/AWSLogs\/aws-account-id=111122223333\/.*\.log\.parquet$/m, what: 'the Parquet archive file' },
  { command: /^aws .* logs filter-log-events /, stdout: /10\.0\.2\.30 10\.0\.1\.10 \d+ 5432 6 /, what: 'the refused connection to 5432, through the aws CLI' },
  { command: /^npx vpcflow exec i-0f1e2d3c4b5a69788 -- curl /, stdout: /Hello from i-0a1b2c3d4e5f60718/, what: 'the page served inside the realized instance', asRoot: true },
  { command: /^npx vpcflow query "select .* rule from flows/, stdout: /\| 22 +\| REJECT \| sgi eni-0a1b2c3d4e5f60718 +\|[\s\S]*\| 5432 +\| REJECT \| nai acl-0a1b2c3d4e5f60718 32767 +\|/, what: 'the deciding rules of the two refused connections', asRoot: true },
];

/** Commands that print nothing on success. */
const QUIET: readonly RegExp[] = [/^npx vpcflow logs create-group /, /^npx vpcflow logs put-metric-filter /];

interface Background {
  readonly command: ReadmeCommand;
  readonly child: ChildProcess;
  output: string;
  exited: Promise<void>;
}

/** A shell's environment: nothing of this test's (npm's, node --test's, vpcflow's or AWS's variables). */
function freshEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || /^(npm_|VPCFLOW_|AWS_|NODE_TEST_CONTEXT$|NODE_OPTIONS$)/i.test(k)) continue;
    env[k] = v;
  }
  return env;
}

/**
 * Copies what a fresh clone of this working tree holds: its tracked and untracked, not ignored, files
 * (`git ls-files`), or, in a tree exported without .git, every file its .gitignore does not ignore.
 */
function copyWorkingTree(to: string): void {
  const listed = spawnSync('git', ['-C', CHECKOUT, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  let paths: string[];
  if (!listed.error && listed.status === 0) paths = listed.stdout.split('\0').filter(Boolean);
  else if (/not a git repository/.test(listed.stderr ?? '')) paths = filesNotIgnored(CHECKOUT);
  else throw new Error(`git ls-files in ${CHECKOUT} failed: ${listed.error?.message ?? listed.stderr}`);
  let copied = 0;
  for (const path of paths) {
    if (path === 'node_modules' || path.startsWith('node_modules/')) continue;
    const from = join(CHECKOUT, path);
    let st;
    try {
      st = lstatSync(from);
    } catch {
      continue; // deleted in the working tree but still in the index: a clone of this tree would not have it
    }
    const dest = join(to, path);
    mkdirSync(dirname(dest), { recursive: true });
    if (st.isSymbolicLink()) symlinkSync(readlinkSync(from), dest);
    else if (st.isFile()) {
      copyFileSync(from, dest);
      chmodSync(dest, st.mode & 0o777);
    }
    copied++;
  }
  assert.ok(copied > 0, `nothing to copy from ${CHECKOUT}`);
  symlinkSync(join(CHECKOUT, 'node_modules'), join(to, 'node_modules'));
}

interface IgnoreRule {
  readonly negate: boolean;
  readonly dirOnly: boolean;
  /** Matched against the whole path (the pattern has a '/'), else against the last name. */
  readonly anchored: boolean;
  readonly segments: readonly string[];
}

/** The root .gitignore's rules, in git's syntax minus character classes and escapes (which it does not use). */
export function parseGitignore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const raw of text.split('\n')) {
    let p = raw.trim();
    if (!p || p.startsWith('#')) continue;
    const negate = p.startsWith('!');
    if (negate) p = p.slice(1);
    const dirOnly = p.endsWith('/');
    if (dirOnly) p = p.slice(0, -1);
    const anchored = p.includes('/');
    if (p.startsWith('/')) p = p.slice(1);
    rules.push({ negate, dirOnly, anchored, segments: p.split('/') });
  }
  return rules;
}

/** `*` and `?` wildcards within one name (greedy with backtracking to the last star: O(n·m), no regex). */
function nameMatches(glob: string, name: string): boolean {
  let g = 0;
  let n = 0;
  let star = -1;
  let resume = 0;
  while (n < name.length) {
    if (g < glob.length && (glob[g] === '?' || glob[g] === name[n])) {
      g++;
      n++;
    } else if (g < glob.length && glob[g] === '*') {
      star = g++;
      resume = n;
    } else if (star >= 0) {
      g = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (g < glob.length && glob[g] === '*') g++;
  return g === glob.length;
}

/** Path segments against pattern segments, `**` standing for any number of names (at least one at the end). */
function segmentsMatch(pattern: readonly string[], path: readonly string[], p = 0, s = 0): boolean {
  if (p === pattern.length) return s === path.length;
  if (pattern[p] === '**') {
    if (p === pattern.length - 1) return s < path.length;
    for (let k = s; k <= path.length; k++) if (segmentsMatch(pattern, path, p + 1, k)) return true;
    return false;
  }
  return s < path.length && nameMatches(pattern[p]!, path[s]!) && segmentsMatch(pattern, path, p + 1, s + 1);
}

export function isIgnored(rules: readonly IgnoreRule[], path: string, isDir: boolean): boolean {
  const segments = path.split('/');
  let ignored = false;
  for (const r of rules) {
    if (r.dirOnly && !isDir) continue;
    const hit = r.anchored ? segmentsMatch(r.segments, segments) : r.segments.length === 1 && nameMatches(r.segments[0]!, segments.at(-1)!);
    if (hit) ignored = !r.negate;
  }
  return ignored;
}

/** Every file under `root` that its .gitignore does not ignore (an ignored folder is not entered, as git does). */
function filesNotIgnored(root: string): string[] {
  let rules: IgnoreRule[] = [];
  try {
    rules = parseGitignore(readFileSync(join(root, '.gitignore'), 'utf8'));
  } catch {
    // no .gitignore: everything counts
  }
  const out: string[] = [];
  const walk = (rel: string, depth: number) => {
    if (depth > 32) throw new Error(`${join(root, rel)}: folders nested deeper than 32`);
    for (const entry of readdirSync(join(root, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.name === '.git' || (!rel && entry.name === 'node_modules')) continue;
      if (isIgnored(rules, path, entry.isDirectory())) continue;
      if (entry.isDirectory()) walk(path, depth + 1);
      else out.push(path);
      if (out.length > 100_000) throw new Error(`${root}: more than 100000 files to copy`);
    }
  };
  walk('', 0);
  return out;
}

const tail = (s: string, n = 4000): string => (s.length > n ? `…${s.slice(-n)}` : s);

function keep(b: { output: string }, d: Buffer): void {
  b.output = (b.output + d.toString()).slice(-OUTPUT_KEPT);
}

/** Member `name` of the newest JSON output that has one (searched depth-first, bounded). */
function printedValue(outputs: readonly unknown[], name: string): string | undefined {
  const find = (v: unknown, depth: number): string | undefined => {
    if (depth > 8 || typeof v !== 'object' || v === null) return undefined;
    if (!Array.isArray(v) && typeof (v as Record<string, unknown>)[name] === 'string') return (v as Record<string, string>)[name];
    for (const child of Object.values(v as Record<string, unknown>)) {
      const found = find(child, depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  for (let i = outputs.length - 1; i >= 0; i--) {
    const found = find(outputs[i], 0);
    if (found !== undefined) return found;
  }
  return undefined;
}

function substitute(word: string, outputs: readonly unknown[], where: string): string {
  return word.replace(new RegExp(`${PLACEHOLDER}([A-Za-z0-9]+)${PLACEHOLDER}`, 'g'), (_, name: string) => {
    const v = printedValue(outputs, name);
    if (v === undefined) throw new Error(`${where}: <${name} printed above> — no earlier command printed JSON with a member ${name}`);
    return v;
  });
}

function stopGroup(b: Background, signal: NodeJS.Signals): void {
  if (b.child.exitCode !== null || b.child.signalCode !== null || b.child.pid === undefined) return;
  try {
    process.kill(-b.child.pid, signal);
  } catch {
    // the group is already gone
  }
}

async function stopAll(backgrounds: readonly Background[]): Promise<void> {
  // Readers and programs first, servers last (a server stopping delivers its open windows).
  const order = [...backgrounds].sort((a, b) => Number(isServe(a.command)) - Number(isServe(b.command)));
  for (const b of order) {
    stopGroup(b, 'SIGTERM');
    const timer = setTimeout(() => stopGroup(b, 'SIGKILL'), 30_000);
    await b.exited;
    clearTimeout(timer);
  }
}

const isServe = (c: ReadmeCommand): boolean => c.argv[0] === 'npx' && c.argv[1] === 'vpcflow' && c.argv[2] === 'serve';

function optionValue(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

test('the README parses as commands that run without a shell', () => {
  const blocks = readmeBlocks(readFileSync(join(CHECKOUT, 'README.md'), 'utf8'));
  const commands = blocks.flatMap((b) => b.commands);
  assert.ok(commands.length >= 20, `expected the README's tour, found ${commands.length} commands`);
  for (const c of commands) {
    if (c.notRun) continue;
    // A reader on a fresh machine has no `vpcflow` on PATH and, as root, no sudo.
    assert.notEqual(c.argv[0], 'vpcflow', `README.md:${c.line}: bare 'vpcflow' is "command not found" after npm ci: write npx vpcflow`);
    assert.notEqual(c.argv[0], 'sudo', `README.md:${c.line}: sudo is absent on a root machine: put the command in a '# as root' block`);
  }
  assert.ok(blocks.some((b) => b.asRoot), 'the live section is a # as root block');
  assert.throws(() => parseCommands('npx vpcflow query "select 1" | head', 1), /'\|' outside quotes/);
  assert.throws(() => parseCommands('export KEY=$(cat key)', 1), /'\$' outside quotes/);
  assert.throws(() => parseCommands('echo "$HOME"', 1), /inside double quotes/);
  assert.throws(() => parseCommands('a & b', 1), /'&' must end the command/);
  const rules = parseGitignore('node_modules/\ndata/\n/tmp/\n*.log\n!examples/**\nbench/out/\n');
  assert.deepEqual(['data', 'src/data', 'tmp', 'src/tmp', 'x.log', 'examples/x.log', 'bench/out', 'src/a.ts'].map((p) => isIgnored(rules, p, !p.includes('.'))),
    [true, true, true, false, true, false, true, false]);
  assert.deepEqual(parseCommands("npx vpcflow logs filter /g --filter-pattern '[a, b=\"22\", ...]' \\\n    --limit 3 &   # note", 7), [{
    line: 7, text: "npx vpcflow logs filter /g --filter-pattern '[a, b=\"22\", ...]' --limit 3 &", argv: ['npx', 'vpcflow', 'logs', 'filter', '/g', '--filter-pattern', '[a, b="22", ...]', '--limit', '3'],
    background: true, comment: 'note',
  }]);
});

test('every command of the README runs as printed in a fresh copy of the repository', { timeout: 30 * 60_000 }, async (t) => {
  const blocks = readmeBlocks(readFileSync(join(CHECKOUT, 'README.md'), 'utf8'));
  const work = mkdtempSync(join(tmpdir(), 'vpcflow-readme-'));
  const copy = join(work, 'vpcflow');
  const env = freshEnv();
  const outputs: unknown[] = [];
  const backgrounds: Background[] = [];
  const ran: { command: ReadmeCommand; stdout: string }[] = [];
  const prefixes = new Map<string, string>();
  try {
    mkdirSync(copy);
    copyWorkingTree(copy);
    for (const block of blocks) {
      if (block.asRoot && !IS_ROOT) {
        t.diagnostic(`README.md:${block.line}: a '# as root' block, not run (this test does not run as root)`);
        continue;
      }
      for (const c of block.commands) {
        const where = `README.md:${c.line} \`${c.text}\``;
        if (c.notRun) {
          t.diagnostic(`${where}: not run: ${c.notRun}`);
          continue;
        }
        const argv = c.argv.map((w) => substitute(w, outputs, where));
        if (argv[0] === 'export') {
          for (const a of argv.slice(1)) {
            const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(a);
            assert.ok(m, `${where}: export takes NAME=VALUE, got '${a}'`);
            env[m[1]!] = m[2]!;
          }
          continue;
        }
        if (isServe(c)) {
          const prefix = optionValue(argv, '--dataplane-prefix');
          if (prefix !== undefined) prefixes.set(prefix, resolve(copy, optionValue(argv, '--data-dir') ?? './data'));
        }
        const child = spawn(argv[0]!, argv.slice(1), { cwd: copy, env: { ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
        if (c.background) {
          const b: Background = { command: c, child, output: '', exited: new Promise((r) => child.once('close', () => r())) };
          backgrounds.push(b);
          child.stdout!.on('data', (d: Buffer) => keep(b, d));
          child.stderr!.on('data', (d: Buffer) => keep(b, d));
          const spawned = await new Promise<Error | undefined>((r) => {
            child.once('spawn', () => r(undefined));
            child.once('error', (e) => r(e));
          });
          assert.equal(spawned, undefined, `${where}: cannot run ${argv[0]}: ${spawned?.message}`);
          if (isServe(c)) {
            await new Promise<void>((ok, fail) => {
              const timer = setTimeout(() => fail(new Error(`${where}: not serving after ${SERVE_TIMEOUT_MS} ms:\n${tail(b.output)}`)), SERVE_TIMEOUT_MS);
              const check = () => {
                if (/serving http:\/\/\S+/.test(b.output)) {
                  clearTimeout(timer);
                  ok();
                }
              };
              child.stderr!.on('data', check);
              child.once('close', (code) => {
                clearTimeout(timer);
                fail(new Error(`${where}: exited (${code}) before serving:\n${tail(b.output)}`));
              });
            });
          }
          continue;
        }
        const r = { output: '', stdout: '' };
        child.stdout!.on('data', (d: Buffer) => {
          keep(r, d);
          r.stdout = (r.stdout + d.toString()).slice(-OUTPUT_KEPT);
        });
        child.stderr!.on('data', (d: Buffer) => keep(r, d));
        const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), COMMAND_TIMEOUT_MS);
        const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((done) => {
          child.once('error', (error) => done({ code: null, signal: null, error }));
          child.once('close', (code, signal) => done({ code, signal }));
        });
        clearTimeout(timer);
        assert.equal(exit.error, undefined, `${where}: cannot run ${argv[0]}: ${exit.error?.message}`);
        const expectedCode = Number(/^exits (\d+)\b/.exec(c.comment)?.[1] ?? 0);
        assert.equal(exit.code, expectedCode, `${where}: exited with ${exit.code ?? exit.signal}, the README says ${expectedCode}:\n${tail(r.output)}${backgroundTails(backgrounds)}`);
        if (expectedCode === 0 && !QUIET.some((q) => q.test(c.text))) {
          assert.notEqual(r.stdout.trim(), '', `${where}: printed nothing on stdout:\n${tail(r.output)}${backgroundTails(backgrounds)}`);
        }
        try {
          outputs.push(JSON.parse(r.stdout));
        } catch {
          // not JSON: nothing a placeholder could name
        }
        ran.push({ command: c, stdout: r.stdout });
      }
    }
    for (const e of EXPECTED) {
      if (e.asRoot && !IS_ROOT) continue;
      const matching = ran.filter((r) => e.command.test(r.command.text));
      assert.ok(matching.length > 0, `the README no longer runs a command like ${e.command} (${e.what})`);
      for (const m of matching) assert.match(m.stdout, e.stdout, `README.md:${m.command.line} \`${m.command.text}\` should show ${e.what}`);
    }
    if (IS_ROOT) {
      // The README's `vpcflow down` removed every namespace the live block made.
      const left = listNamespaces().filter((n) => [...prefixes.keys()].some((p) => n.startsWith(`${p}-`)));
      assert.deepEqual(left, [], 'namespaces left after the README\'s vpcflow down');
    }
  } finally {
    await stopAll(backgrounds);
    for (const [prefix, dataDir] of IS_ROOT ? prefixes : []) {
      // Whatever an interrupted run left: the same command the README gives for it.
      spawnSync(process.execPath, [join(copy, 'bin/vpcflow.js'), 'down', '--data-dir', dataDir, '--dataplane-prefix', prefix], { cwd: copy, env: freshEnv(), stdio: 'ignore' });
    }
    rmSync(work, { recursive: true, force: true });
    removeNpxLink(copy);
  }
});

/** What the background commands printed last, for a failure's message. */
function backgroundTails(backgrounds: readonly Background[]): string {
  return backgrounds.map((b) => `\n--- README.md:${b.command.line} \`${b.command.text}\` (background) printed:\n${tail(b.output, 2000)}`).join('');
}

/**
 * `npx vpcflow` in a folder links that folder into npm's npx cache (`_npx/<hash>/`, a package.json
 * naming the folder); the copy is gone, so its link goes too.
 */
function removeNpxLink(copy: string): void {
  const cache = spawnSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8', env: freshEnv() }).stdout?.trim();
  if (!cache) return;
  const npx = join(cache, '_npx');
  let entries: string[];
  try {
    entries = readdirSync(npx);
  } catch {
    return;
  }
  for (const e of entries) {
    try {
      const pkg = JSON.parse(readFileSync(join(npx, e, 'package.json'), 'utf8')) as { _npx?: { packages?: unknown } };
      const packages = pkg._npx?.packages;
      if (Array.isArray(packages) && packages.some((p) => typeof p === 'string' && resolve(p) === copy)) rmSync(join(npx, e), { recursive: true, force: true });
    } catch {
      // not an npx entry of ours
    }
  }
}

function listNamespaces(): string[] {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return r.stdout.split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
}
