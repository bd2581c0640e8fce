import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildProgram } from './main.ts';
import { EXAMPLES, commandPaths } from './examples.ts';

test('every command\'s --help ends with an example of that very command', () => {
  const paths = commandPaths(buildProgram());
  assert.ok(paths.size > 30, `found only ${paths.size} commands`);
  for (const [path, cmd] of paths) {
    let help = '';
    cmd.configureOutput({ writeOut: (s) => (help += s), writeErr: (s) => (help += s) });
    cmd.outputHelp();
    const example = /\nExample:\n {2}(.*)/.exec(help);
    assert.ok(example, `vpcflow ${path} --help has no example:\n${help}`);
    const ex = example[1]!;
    assert.ok(ex === `vpcflow ${path}` || ex.startsWith(path ? `vpcflow ${path} ` : 'vpcflow '), `the example of '${path}' runs another command: ${ex}`);
  }
  for (const path of Object.keys(EXAMPLES)) assert.ok(paths.has(path), `EXAMPLES names '${path}', which is no command`);
});
