import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LocalObjectStore, MAX_SEGMENT_BYTES } from './object-store-local.ts';
import { ObjectStoreError } from './object-store.ts';

let parent: string;
let root: string;
let store: LocalObjectStore;

before(async () => {
  parent = await mkdtemp(path.join(tmpdir(), 'vpcflow-objstore-'));
  root = path.join(parent, 'root');
  store = new LocalObjectStore(root);
  await store.createBucket('flowlogs');
});
after(async () => {
  await rm(parent, { recursive: true, force: true });
});

/** Every file and directory under dir, relative, '/'-separated — including hidden temp files. */
async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.map((e) => e.split(path.sep).join('/')).sort();
}

const bytes = (text: string) => new TextEncoder().encode(text);
const isStoreError = (failure: string) => (e: unknown) => e instanceof ObjectStoreError && e.failure === failure;

describe('LocalObjectStore basics', () => {
  it('puts, gets and overwrites objects at rootDir/BUCKET/KEY', async () => {
    await store.put('flowlogs/a/b/one.txt', bytes('first'));
    assert.equal(await readFile(path.join(root, 'flowlogs', 'a', 'b', 'one.txt'), 'utf8'), 'first');
    await store.put('flowlogs/a/b/one.txt', bytes('second!'));
    assert.deepEqual(Buffer.from(await store.get('flowlogs/a/b/one.txt')).toString(), 'second!');
  });

  it('lists by prefix, sorted, with sizes, skipping temp files', async () => {
    await store.put('flowlogs/list/x/2.txt', bytes('22'));
    await store.put('flowlogs/list/x/1.txt', bytes('1'));
    await store.put('flowlogs/list/xy.txt', bytes('333'));
    await store.put('flowlogs/other/z.txt', bytes('4444'));
    // A leftover from a crashed writer must never be shown as an object.
    await writeFile(path.join(root, 'flowlogs', 'list', 'x', '.vpcflow-tmp-999-abc'), 'partial');

    assert.deepEqual(await store.list('flowlogs/list/'), [
      { key: 'flowlogs/list/x/1.txt', size: 1 },
      { key: 'flowlogs/list/x/2.txt', size: 2 },
      { key: 'flowlogs/list/xy.txt', size: 3 },
    ]);
    assert.deepEqual((await store.list('flowlogs/list/x')).map((o) => o.key),
      ['flowlogs/list/x/1.txt', 'flowlogs/list/x/2.txt', 'flowlogs/list/xy.txt']);
    assert.deepEqual((await store.list('flowlogs/list/x/')).map((o) => o.key), ['flowlogs/list/x/1.txt', 'flowlogs/list/x/2.txt']);
    assert.deepEqual(await store.list('flowlogs/nothing/here/'), []);
    assert.ok((await store.list('flowlogs')).some((o) => o.key === 'flowlogs/other/z.txt'));
  });

  it('reports missing buckets and keys with S3 failure names', async () => {
    await assert.rejects(store.get('flowlogs/no/such/key'), isStoreError('NoSuchKey'));
    await assert.rejects(store.get('missing-bucket/key'), isStoreError('NoSuchBucket'));
    await assert.rejects(store.put('missing-bucket/key', bytes('x')), isStoreError('NoSuchBucket'));
    await assert.rejects(store.list('missing-bucket/'), isStoreError('NoSuchBucket'));
    assert.equal(await store.bucketExists('missing-bucket'), false);
    assert.equal(await store.bucketExists('flowlogs'), true);
  });

  it('creates missing buckets only when asked to', async () => {
    const lenient = new LocalObjectStore(root, { createMissingBuckets: true });
    await lenient.put('auto-bucket/k', bytes('v'));
    assert.equal(await readFile(path.join(root, 'auto-bucket', 'k'), 'utf8'), 'v');
  });
});

describe('LocalObjectStore atomicity', () => {
  it('a put that fails after writing its temp file leaves neither object nor temp file', async () => {
    // 'flowlogs/atomic/dir' is a directory, so renaming the finished temp file onto it fails.
    await store.put('flowlogs/atomic/dir/inner', bytes('keep'));
    const before = await tree(path.join(root, 'flowlogs', 'atomic'));
    await assert.rejects(store.put('flowlogs/atomic/dir', bytes('x'.repeat(10_000))), isStoreError('IOError'));
    assert.deepEqual(await tree(path.join(root, 'flowlogs', 'atomic')), before);
    assert.equal(Buffer.from(await store.get('flowlogs/atomic/dir/inner')).toString(), 'keep');
  });

  it('a put below a path component that is a file fails cleanly', async () => {
    await store.put('flowlogs/blocked/file', bytes('plain file'));
    const before = await tree(path.join(root, 'flowlogs', 'blocked'));
    await assert.rejects(store.put('flowlogs/blocked/file/child', bytes('x')), isStoreError('IOError'));
    assert.deepEqual(await tree(path.join(root, 'flowlogs', 'blocked')), before);
    assert.equal(Buffer.from(await store.get('flowlogs/blocked/file')).toString(), 'plain file');
  });

  it('a put into a read-only directory fails and leaves nothing (skipped as root, who ignores modes)', async (t) => {
    if (process.getuid?.() === 0) {
      t.skip('running as root: directory permissions are not enforced');
      return;
    }
    const dir = path.join(root, 'flowlogs', 'readonly');
    await mkdir(dir, { recursive: true });
    await chmod(dir, 0o555);
    try {
      await assert.rejects(store.put('flowlogs/readonly/f', bytes('x')), isStoreError('IOError'));
      assert.deepEqual(await readdir(dir), []);
    } finally {
      await chmod(dir, 0o755);
    }
  });
});

describe('LocalObjectStore path safety', () => {
  const badPaths = [
    'flowlogs/../escape',
    'flowlogs/a/../../escape',
    'flowlogs/./a',
    'flowlogs//a',
    'flowlogs/a/',
    'flowlogs/',
    'flowlogs/a\\..\\..\\escape',
    'flowlogs/a\0b',
    '../escape',
    '/etc/passwd',
    'FlowLogs/a',
    'flowlogs/x/.vpcflow-tmp-1-abc',
    'flowlogs/' + 'k'.repeat(1025),
  ];
  for (const bad of badPaths) {
    it(`refuses ${JSON.stringify(bad.length > 40 ? bad.slice(0, 40) + '…' : bad)}`, async () => {
      const before = await tree(parent);
      await assert.rejects(store.put(bad, bytes('x')),
        (e: unknown) => e instanceof ObjectStoreError && (e.failure === 'InvalidKey' || e.failure === 'InvalidBucketName'));
      await assert.rejects(store.get(bad), ObjectStoreError);
      assert.deepEqual(await tree(parent), before);
    });
  }

  it('refuses listing prefixes that would escape', async () => {
    await assert.rejects(store.list('flowlogs/../'), isStoreError('InvalidKey'));
    await assert.rejects(store.list('../'), isStoreError('InvalidBucketName'));
  });
});

describe('LocalObjectStore never leaves a bucket through a symbolic link', () => {
  it('refuses to write, read or list through a link inside the bucket, creating nothing outside; a linked bucket folder is fine', async () => {
    const outside = path.join(parent, 'outside');
    await mkdir(outside, { recursive: true });
    await writeFile(path.join(outside, 'secret'), 'not yours');
    await symlink(outside, path.join(root, 'flowlogs', 'link'));
    await symlink(path.join(outside, 'secret'), path.join(root, 'flowlogs', 'file-link'));
    const before = await tree(outside);
    for (const key of ['flowlogs/link/x', 'flowlogs/link/new/deep/x', 'flowlogs/link/secret']) {
      await assert.rejects(store.put(key, bytes('x')), (e: unknown) => isStoreError('InvalidKey')(e) && /symbolic link/.test((e as Error).message), key);
    }
    assert.deepEqual(await tree(outside), before);
    assert.equal(await readFile(path.join(outside, 'secret'), 'utf8'), 'not yours');
    for (const key of ['flowlogs/link/secret', 'flowlogs/file-link']) {
      await assert.rejects(store.get(key), (e: unknown) => isStoreError('InvalidKey')(e) && /outside the bucket/.test((e as Error).message), key);
    }
    await assert.rejects(store.list('flowlogs/link/'), isStoreError('InvalidKey'));
    // A link met while walking the bucket is not followed either.
    assert.equal((await store.list('flowlogs/')).some((o) => o.key.includes('secret')), false);

    // A bucket folder the operator made a link to another folder still works.
    const elsewhere = path.join(parent, 'elsewhere');
    await mkdir(elsewhere, { recursive: true });
    await symlink(elsewhere, path.join(root, 'linked-bucket'));
    await store.put('linked-bucket/a/b', bytes('here'));
    assert.equal(await readFile(path.join(elsewhere, 'a', 'b'), 'utf8'), 'here');
    assert.equal(Buffer.from(await store.get('linked-bucket/a/b')).toString(), 'here');
    assert.deepEqual((await store.list('linked-bucket/a/')).map((o) => o.key), ['linked-bucket/a/b']);
  });

  it(`refuses key segments longer than a file name can be (${MAX_SEGMENT_BYTES} bytes) with InvalidKey, not an I/O error`, async () => {
    await store.put(`flowlogs/names/${'n'.repeat(MAX_SEGMENT_BYTES)}`, bytes('fits'));
    await assert.rejects(store.put(`flowlogs/names/${'é'.repeat(128)}/x`, bytes('x')),
      (e: unknown) => isStoreError('InvalidKey')(e) && /key segment 2 is 256 bytes; a local file name holds at most 255/.test((e as Error).message));
  });
});
