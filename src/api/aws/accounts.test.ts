// The access key store over a real (temporary) DuckDB database: key formats, the secret encrypted
// at rest under a 0600 master key, survival across restarts, refusal of a wrong or exposed key, and
// last-use times that are exact when listed yet written at most once a minute.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Database } from '../../store/index.ts';
import { AccountStore, LAST_USED_WRITE_INTERVAL_MS, MasterKeyError, SecretDecryptionError } from './accounts.ts';

let dir: string;
let db: Database;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vpcflow-accounts-'));
  db = new Database({ dataDir: join(dir, 'data') });
  await db.start();
});

after(async () => {
  await db?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('first start creates a 0600 master key of 32 random bytes in DATA_DIR/keys; keys look like AWS keys', async () => {
  const store = new AccountStore(db);
  await store.start();
  const keyFile = join(dir, 'data', 'keys', 'master.key');
  assert.equal(store.masterKeyFile, keyFile);
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, 'data', 'keys')).mode & 0o077, 0);
  assert.equal(Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64').length, 32);

  const key = await store.createAccessKey('111122223333');
  assert.match(key.accessKeyId, /^AKIA[A-Z2-7]{16}$/);
  assert.equal(key.accessKeyId.length, 20);
  assert.match(key.secretAccessKey, /^[A-Za-z0-9+/]{40}$/);
  assert.deepEqual(await store.lookup(key.accessKeyId), { accountId: '111122223333', secret: key.secretAccessKey });
  const other = await store.createAccessKey('111122223333');
  assert.notEqual(other.accessKeyId, key.accessKeyId);
  assert.notEqual(other.secretAccessKey, key.secretAccessKey);
});

test('the secret is not stored in the clear and the listing never shows it', async () => {
  const store = new AccountStore(db);
  await store.start();
  const key = await store.createAccessKey('444455556666');
  const rows = await db.all('SELECT * FROM access_keys WHERE access_key_id = $1', [key.accessKeyId]);
  assert.equal(rows.length, 1);
  const stored = JSON.stringify(rows[0]);
  assert.ok(!stored.includes(key.secretAccessKey));
  assert.ok(!stored.includes(Buffer.from(key.secretAccessKey).toString('base64')));
  const listed = await store.list('444455556666');
  assert.deepEqual(listed.map((k) => k.accessKeyId), [key.accessKeyId]);
  assert.ok(!JSON.stringify(await store.list()).includes(key.secretAccessKey));
  assert.ok((await store.list()).length >= 3);
});

test('keys survive a restart; delete removes one; unknown and malformed ids look up as undefined', async () => {
  const first = new AccountStore(db);
  await first.start();
  const key = await first.createAccessKey('777788889999');
  const again = new AccountStore(db);
  await again.start();
  assert.equal((await again.lookup(key.accessKeyId))?.secret, key.secretAccessKey);
  assert.equal(await again.delete(key.accessKeyId), true);
  assert.equal(await again.delete(key.accessKeyId), false);
  assert.equal(await again.lookup(key.accessKeyId), undefined);
  assert.equal(await again.lookup('AKIAAAAAAAAAAAAAAAAA'), undefined);
  assert.equal(await again.lookup("AKIA' OR 1=1 --"), undefined);
  await assert.rejects(again.createAccessKey('12345'), /12 digits/);
});

test('a secret moved to another key id, or read with another master key, does not decrypt', async () => {
  const store = new AccountStore(db);
  await store.start();
  const a = await store.createAccessKey('111122223333');
  const b = await store.createAccessKey('111122223333');
  // Swap a's ciphertext into b's row: the key id is authenticated data, so this must fail.
  const [row] = await db.all('SELECT secret_ciphertext FROM access_keys WHERE access_key_id = $1', [a.accessKeyId]);
  await db.run('UPDATE access_keys SET secret_ciphertext = $2 WHERE access_key_id = $1', [b.accessKeyId, String(row!.secret_ciphertext)]);
  await assert.rejects(store.lookup(b.accessKeyId), SecretDecryptionError);

  const otherKeyFile = join(dir, 'other.key');
  writeFileSync(otherKeyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  const wrong = new AccountStore(db, { masterKeyFile: otherKeyFile });
  await wrong.start();
  await assert.rejects(wrong.lookup(a.accessKeyId), SecretDecryptionError);
});

test('a master key readable by others, or of the wrong size, is refused at start', async () => {
  const exposed = join(dir, 'exposed.key');
  writeFileSync(exposed, `${randomBytes(32).toString('base64')}\n`);
  chmodSync(exposed, 0o644);
  await assert.rejects(new AccountStore(db, { masterKeyFile: exposed }).start(), (e: unknown) => e instanceof MasterKeyError && /chmod 600/.test(e.message));
  const short = join(dir, 'short.key');
  writeFileSync(short, `${randomBytes(16).toString('base64')}\n`, { mode: 0o600 });
  await assert.rejects(new AccountStore(db, { masterKeyFile: short }).start(), (e: unknown) => e instanceof MasterKeyError && /32 random bytes/.test(e.message));
});

test('a key\'s last use is exact in the listing but written at most once a minute; a restart reads the last write', async () => {
  let now = 1_800_000_000_000;
  const store = new AccountStore(db, { now: () => now });
  await store.start();
  const key = await store.createAccessKey('121212121212');
  const stored = async () => (await db.all('SELECT last_used_at FROM access_keys WHERE access_key_id = $1', [key.accessKeyId]))[0]!.last_used_at;
  const listed = async (s: AccountStore) => (await s.list('121212121212')).find((k) => k.accessKeyId === key.accessKeyId)!;
  assert.deepEqual(await listed(store), { accessKeyId: key.accessKeyId, accountId: '121212121212', createdAt: now, lastUsedAt: null });

  now += 1_000;
  store.recordUse(key.accessKeyId);
  await store.settled();
  assert.equal(Number(await stored()), now, 'the first use is written');
  const firstWrite = now;
  // Many uses within the minute: the listing follows each, the database is not written again.
  for (let i = 0; i < 50; i++) {
    now += 1_000;
    store.recordUse(key.accessKeyId);
  }
  await store.settled();
  assert.equal(Number(await stored()), firstWrite);
  assert.equal((await listed(store)).lastUsedAt, now);
  // A restarted store knows only what was written.
  const restarted = new AccountStore(db, { now: () => now });
  await restarted.start();
  assert.equal((await listed(restarted)).lastUsedAt, firstWrite);
  // Past the minute, the next use is written.
  now = firstWrite + LAST_USED_WRITE_INTERVAL_MS;
  store.recordUse(key.accessKeyId);
  await store.settled();
  assert.equal(Number(await stored()), now);
  assert.equal((await listed(restarted)).lastUsedAt, now);
  // A deleted key is gone from the listing and from lookups of the store that had it cached.
  assert.ok(await store.lookup(key.accessKeyId));
  assert.equal(await store.delete(key.accessKeyId), true);
  assert.equal(await store.lookup(key.accessKeyId), undefined);
  assert.equal((await store.list('121212121212')).length, 0);
});
