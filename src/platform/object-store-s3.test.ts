// S3ObjectStore against s3rver running in a child process. The child needs
// --openssl-legacy-provider: s3rver encrypts ListObjectsV2 continuation tokens with DES, which
// Node 20's OpenSSL 3 refuses by default, so every paged listing would fail with InternalError.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { S3ObjectStore } from './object-store-s3.ts';
import { ObjectStoreError } from './object-store.ts';

const SERVER_SCRIPT = `
const S3rver = require(process.argv[1]);
new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: process.argv[2], configureBuckets: [{ name: 'flowlogs' }] })
  .run()
  .then(({ port }) => process.stdout.write(JSON.stringify({ port }) + '\\n'));
`;

let work: string;
let child: ChildProcess;
let store: S3ObjectStore;

async function startServer(directory: string): Promise<number> {
  const s3rverMain = createRequire(import.meta.url).resolve('s3rver');
  child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', SERVER_SCRIPT, s3rverMain, directory], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  for await (const chunk of child.stdout!) {
    output += String(chunk);
    const newline = output.indexOf('\n');
    if (newline >= 0) return (JSON.parse(output.slice(0, newline)) as { port: number }).port;
  }
  throw new Error(`s3rver child exited before reporting its port (exit code ${child.exitCode})`);
}

const isFailure = (failure: string) => (e: unknown) => e instanceof ObjectStoreError && e.failure === failure;

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'vpcflow-s3store-'));
  const port = await startServer(path.join(work, 'data'));
  store = new S3ObjectStore({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    forcePathStyle: true,
    maxAttempts: 1,
    listPageSize: 2,
  });
});

after(async () => {
  store?.close();
  if (child && child.exitCode === null) {
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  }
  await rm(work, { recursive: true, force: true });
});

describe('S3ObjectStore against s3rver', () => {
  it('puts and gets bytes, overwriting in place', async () => {
    const body = new Uint8Array(256).map((_, i) => i);
    await store.put('flowlogs/bytes/all', body, 'application/octet-stream');
    assert.deepEqual(await store.get('flowlogs/bytes/all'), body);
    await store.put('flowlogs/bytes/all', new Uint8Array([7]));
    assert.deepEqual([...(await store.get('flowlogs/bytes/all'))], [7]);
  });

  it('sends only the bytes of a Uint8Array view', async () => {
    const backing = new Uint8Array([9, 9, 1, 2, 3, 9, 9]);
    await store.put('flowlogs/view/x', backing.subarray(2, 5));
    assert.deepEqual([...(await store.get('flowlogs/view/x'))], [1, 2, 3]);
  });

  it('lists every page, in key order, with sizes', async () => {
    const keys = ['flowlogs/paged/a', 'flowlogs/paged/b/1', 'flowlogs/paged/b/2', 'flowlogs/paged/c', 'flowlogs/paged/d'];
    for (const [i, key] of [...keys].reverse().entries()) await store.put(key, new Uint8Array(i + 1));
    await store.put('flowlogs/pagedX', new Uint8Array(1));
    const listed = await store.list('flowlogs/paged/');
    assert.deepEqual(listed, [
      { key: 'flowlogs/paged/a', size: 5 },
      { key: 'flowlogs/paged/b/1', size: 4 },
      { key: 'flowlogs/paged/b/2', size: 3 },
      { key: 'flowlogs/paged/c', size: 2 },
      { key: 'flowlogs/paged/d', size: 1 },
    ]);
    assert.equal((await store.list('flowlogs/paged')).length, 6);
  });

  it('maps missing objects and buckets to S3 failure names', async () => {
    await assert.rejects(store.get('flowlogs/no/such/key'), isFailure('NoSuchKey'));
    await assert.rejects(store.get('missing-bucket/key'), isFailure('NoSuchBucket'));
    await assert.rejects(store.put('missing-bucket/key', new Uint8Array(1)), isFailure('NoSuchBucket'));
    await assert.rejects(store.list('missing-bucket/'), isFailure('NoSuchBucket'));
    assert.equal(await store.bucketExists('flowlogs'), true);
    assert.equal(await store.bucketExists('missing-bucket'), false);
  });

  it('refuses unsafe keys and bucket names before sending anything', async () => {
    await assert.rejects(store.put('flowlogs/a/../b', new Uint8Array(1)), isFailure('InvalidKey'));
    await assert.rejects(store.put('flowlogs//b', new Uint8Array(1)), isFailure('InvalidKey'));
    await assert.rejects(store.get('Flow_Logs/b'), isFailure('InvalidBucketName'));
    await assert.rejects(store.list('../'), isFailure('InvalidBucketName'));
  });

  it('reports an unreachable endpoint as an IOError naming the store', async () => {
    const dead = new S3ObjectStore({
      endpoint: 'http://127.0.0.1:9', region: 'us-east-1', forcePathStyle: true, maxAttempts: 1,
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    });
    try {
      await assert.rejects(dead.put('flowlogs/k', new Uint8Array(1)),
        (e: unknown) => isFailure('IOError')(e) && (e as Error).message.includes('127.0.0.1:9'));
    } finally {
      dead.close();
    }
  });
});
