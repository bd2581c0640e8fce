// Checks that every import in src/ points only where docs/ARCHITECTURE.md's layer table allows:
// the table is the rule, this script enforces it (run by `npm test`).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

interface Layer {
  level: number;
  folders: string[];
  noNode: boolean;
}

const root = resolve(import.meta.dirname, '..');
const doc = readFileSync(join(root, 'docs/ARCHITECTURE.md'), 'utf8');
const table = doc.split('<!-- layers:start -->')[1]?.split('<!-- layers:end -->')[0];
if (!table) {
  console.error('docs/ARCHITECTURE.md has no <!-- layers:start --> ... <!-- layers:end --> table');
  process.exit(1);
}
const layers: Layer[] = [];
for (const line of table.split('\n')) {
  const cells = line.split('|').map((c) => c.trim());
  if (cells.length < 5 || !/^\d+$/.test(cells[1]!)) continue;
  layers.push({
    level: Number(cells[1]),
    folders: [...cells[2]!.matchAll(/`([a-z/-]+)\/`/g)].map((m) => m[1]!),
    noNode: /no `node:\*`/.test(cells[3]!),
  });
}
const layerOf = (folder: string): Layer | undefined => layers.find((l) => l.folders.includes(folder));

function files(dir: string, out: string[] = []): string[] {
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) files(p, out);
    else if (p.endsWith('.ts') && !p.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const problems: string[] = [];
const src = join(root, 'src');
const CONSOLE_BUILD = join(root, 'console', 'build.mjs');
const APP_LEVEL = layerOf('app')?.level ?? 8;
for (const file of files(src)) {
  const folder = relative(src, file).split('/')[0]!;
  const mine = layerOf(folder);
  if (!mine) {
    problems.push(`${relative(root, file)}: folder src/${folder}/ is not in the layer table of docs/ARCHITECTURE.md`);
    continue;
  }
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    const spec = (m[1] ?? m[2])!;
    if (spec.startsWith('node:')) {
      if (mine.noNode) problems.push(`${relative(root, file)}: layer ${mine.level} (src/${folder}/) must not import ${spec}`);
      continue;
    }
    if (!spec.startsWith('.')) continue;
    // The server process builds and serves the console: only app/ and above may reach its build script.
    if (resolve(dirname(file), spec) === CONSOLE_BUILD) {
      if (mine.level < APP_LEVEL) problems.push(`${relative(root, file)}: only src/app/ and above may import the console's build script`);
      continue;
    }
    const target = relative(src, resolve(dirname(file), spec)).split('/')[0]!;
    if (target === folder) continue;
    const theirs = layerOf(target);
    if (!theirs) {
      problems.push(`${relative(root, file)}: imports ${spec}, outside the layer table`);
    } else if (theirs.level >= mine.level && !(theirs.level === mine.level && mine.level === 0 && sameLevelAllowed(folder, target))) {
      problems.push(`${relative(root, file)}: src/${folder}/ (layer ${mine.level}) imports src/${target}/ (layer ${theirs.level}); imports must point downward`);
    }
  }
}

/** Layer 0 folders may import those listed before them in the table (net → records → model). */
function sameLevelAllowed(from: string, to: string): boolean {
  const order = layers.find((l) => l.level === 0)!.folders;
  return order.indexOf(to) < order.indexOf(from);
}

// The web console (console/src) runs in the browser and talks to the server only over HTTP: it may
// import its own files, the pure layer-0 folders that hold no node:* (net/, records/), and the
// browser packages listed here — never the server's code.
const CONSOLE_PACKAGES = new Set(['preact', 'preact/hooks', 'preact/jsx-runtime', '@preact/signals', 'd3-sankey']);
const consoleSrc = join(root, 'console', 'src');
const consoleFiles = (dir: string, out: string[] = []): string[] => {
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) consoleFiles(p, out);
    else if (/\.tsx?$/.test(p)) out.push(p);
  }
  return out;
};
const pureForBrowser = layers.find((l) => l.level === 0)?.folders.filter((f) => f !== 'model') ?? [];
for (const file of consoleFiles(consoleSrc)) {
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)) {
    const spec = (m[1] ?? m[2] ?? m[3])!;
    if (!spec.startsWith('.')) {
      if (!CONSOLE_PACKAGES.has(spec)) problems.push(`${relative(root, file)}: the console imports ${spec}, not one of its packages (${[...CONSOLE_PACKAGES].join(', ')})`);
      continue;
    }
    const target = resolve(dirname(file), spec);
    if (target.startsWith(consoleSrc + '/')) continue;
    const folder = relative(src, target).split('/')[0]!;
    if (target.startsWith(src + '/') && pureForBrowser.includes(folder)) continue;
    problems.push(`${relative(root, file)}: the console imports ${spec}; it may import only console/src and src/${pureForBrowser.join('/, src/')}/ (it talks to the server over HTTP)`);
  }
}

if (problems.length) {
  console.error(`layer check: ${problems.length} problem(s)\n` + problems.map((p) => `  ${p}`).join('\n'));
  process.exit(1);
}
console.error(`layer check: ${files(src).length} files and ${consoleFiles(consoleSrc).length} console files follow docs/ARCHITECTURE.md`);
