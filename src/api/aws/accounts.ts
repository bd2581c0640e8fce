// Access keys of the AWS-compatible endpoint: which account each key id acts for, with its secret
// encrypted at rest (AES-256-GCM) under a master key kept in a 0600 file of the data folder.
// SigV4 verification needs the raw secret, so it is stored encrypted rather than hashed. Each key's
// last use is kept in memory per request and written at most once a minute, off the request path.

import { createCipheriv, createDecipheriv, randomBytes, randomInt } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Database } from '../../store/index.ts';
import { VpcflowError, errorMessage } from '../../platform/errors.ts';

export interface NewAccessKey {
  accessKeyId: string;
  /** Shown once: only its ciphertext is kept. */
  secretAccessKey: string;
  accountId: string;
  createdAt: number;
}

export interface AccessKeyInfo {
  accessKeyId: string;
  accountId: string;
  createdAt: number;
  /** When a request signed with the key last verified (epoch ms), null if never. */
  lastUsedAt: number | null;
}

export interface AccountStoreOptions {
  /** Where the master key lives; default `<data folder>/keys/master.key`. */
  masterKeyFile?: string;
  now?: () => number;
  /** Where a failed last-used write is reported (default: stderr). */
  log?: (line: string) => void;
}

/** A key's last use is written to the database at most this often; reads see the exact time from memory. */
export const LAST_USED_WRITE_INTERVAL_MS = 60_000;

/** The master key file is missing, unreadable, of the wrong size or readable by others. */
export class MasterKeyError extends VpcflowError {
  constructor(readonly path: string, why: string, cause?: unknown) {
    super('InternalError', `master key ${path}: ${why}`, 500, { cause });
  }
}

/** A stored secret that does not decrypt: wrong master key or a tampered row. */
export class SecretDecryptionError extends VpcflowError {
  constructor(readonly accessKeyId: string, cause?: unknown) {
    super('InternalError', `the secret of access key ${accessKeyId} cannot be decrypted with the current master key (was keys/master.key replaced?)`, 500, { cause });
  }
}

const KEY_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const KEY_ID = /^AKIA[A-Z2-7]{16}$/;
const ACCOUNT_ID = /^\d{12}$/;
const MASTER_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const CIPHER = 'aes-256-gcm';

export class AccountStore {
  private masterKey: Buffer | null = null;
  /**
   * Keys already looked up, secret decrypted: every signed request needs one, and a database read
   * plus AES per request would queue requests behind deliveries. Deleting a key evicts it.
   */
  private readonly known = new Map<string, { accountId: string; secret: string }>();
  /** Deletions so far: a lookup that raced a deletion does not cache what it read. */
  private deletions = 0;
  /** Per key in use since the start: its last use, and when that was last written (or is being written). */
  private readonly used = new Map<string, { at: number; writtenAt: number; writing: boolean }>();
  private readonly writes = new Set<Promise<void>>();
  readonly masterKeyFile: string;
  private readonly now: () => number;
  private readonly log: (line: string) => void;

  constructor(
    private readonly db: Database,
    opts: AccountStoreOptions = {},
  ) {
    this.masterKeyFile = opts.masterKeyFile ?? join(dirname(db.path), 'keys', 'master.key');
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? ((line) => process.stderr.write(`${line}\n`));
  }

  /** Creates the access_keys table and loads (or, on first start, creates) the master key. */
  async start(): Promise<void> {
    this.masterKey = loadOrCreateMasterKey(this.masterKeyFile);
    await this.db.run(`CREATE TABLE IF NOT EXISTS access_keys (
      access_key_id VARCHAR PRIMARY KEY, account_id VARCHAR NOT NULL, secret_ciphertext VARCHAR NOT NULL, created_at BIGINT NOT NULL)`);
    // The table is this store's own (not in store/schema.ts), so is its one later column.
    await this.db.run('ALTER TABLE access_keys ADD COLUMN IF NOT EXISTS last_used_at BIGINT');
  }

  async createAccessKey(accountId: string): Promise<NewAccessKey> {
    if (!ACCOUNT_ID.test(accountId)) throw new VpcflowError('InvalidParameterValue', `account id '${accountId}' must be 12 digits`);
    const secretAccessKey = randomBytes(30).toString('base64');
    const createdAt = this.now();
    for (let attempt = 0; ; attempt++) {
      const accessKeyId = newAccessKeyId();
      const taken = await this.db.all('SELECT 1 FROM access_keys WHERE access_key_id = $1', [accessKeyId]);
      if (taken.length) {
        if (attempt > 10) throw new VpcflowError('InternalError', 'could not find a free access key id', 500);
        continue;
      }
      await this.db.run('INSERT INTO access_keys (access_key_id, account_id, secret_ciphertext, created_at) VALUES ($1, $2, $3, $4)', [accessKeyId, accountId, this.encrypt(accessKeyId, secretAccessKey), BigInt(createdAt)]);
      return { accessKeyId, secretAccessKey, accountId, createdAt };
    }
  }

  /** The account and raw secret of a key id, or undefined for an unknown (or malformed) id. */
  async lookup(accessKeyId: string): Promise<{ accountId: string; secret: string } | undefined> {
    if (!KEY_ID.test(accessKeyId)) return undefined;
    const cached = this.known.get(accessKeyId);
    if (cached) return cached;
    const deletionsBefore = this.deletions;
    const rows = await this.db.read('SELECT account_id, secret_ciphertext FROM access_keys WHERE access_key_id = $1', [accessKeyId]);
    const row = rows[0];
    if (!row) return undefined;
    const key = { accountId: String(row.account_id), secret: this.decrypt(accessKeyId, String(row.secret_ciphertext)) };
    // A deletion that ran while this read was in flight may have removed this very key: caching it would revive it.
    if (this.deletions === deletionsBefore) this.known.set(accessKeyId, key);
    return key;
  }

  /**
   * Notes that a request signed with the key verified. Never waits for the database: the time is
   * kept in memory and written at most once per LAST_USED_WRITE_INTERVAL_MS per key, in the background.
   */
  recordUse(accessKeyId: string): void {
    const now = this.now();
    let u = this.used.get(accessKeyId);
    if (!u) this.used.set(accessKeyId, (u = { at: now, writtenAt: Number.NEGATIVE_INFINITY, writing: false }));
    u.at = Math.max(u.at, now);
    if (u.writing || now - u.writtenAt < LAST_USED_WRITE_INTERVAL_MS) return;
    u.writing = true;
    u.writtenAt = now;
    const entry = u;
    const write: Promise<void> = this.db.run('UPDATE access_keys SET last_used_at = greatest(coalesce(last_used_at, 0), $2) WHERE access_key_id = $1', [accessKeyId, BigInt(entry.at)])
      .catch((e) => {
        // Tried again on the key's next use after the interval; the time stays right in memory meanwhile.
        this.log(`access key ${accessKeyId}: last-used time not saved: ${errorMessage(e)}`);
      })
      .finally(() => {
        entry.writing = false;
        this.writes.delete(write);
      });
    this.writes.add(write);
  }

  /** Resolves once every last-used write started so far has ended (before stopping the database). */
  async settled(): Promise<void> {
    await Promise.all([...this.writes]);
  }

  /** Every key (of one account, if named) with its last use: the in-memory time when newer than the stored one. */
  async list(accountId?: string): Promise<AccessKeyInfo[]> {
    const rows = await this.db.all(
      'SELECT access_key_id, account_id, created_at, last_used_at FROM access_keys WHERE ($1 = \'\' OR account_id = $1) ORDER BY account_id, created_at, access_key_id',
      [accountId ?? ''],
    );
    return rows.map((r) => {
      const accessKeyId = String(r.access_key_id);
      const stored = r.last_used_at === null ? null : Number(r.last_used_at);
      const recent = this.used.get(accessKeyId)?.at;
      const lastUsedAt = recent !== undefined && (stored === null || recent > stored) ? recent : stored;
      return { accessKeyId, accountId: String(r.account_id), createdAt: Number(r.created_at), lastUsedAt };
    });
  }

  /** Deletes a key, which stops authenticating at once; false when there was no such key. */
  async delete(accessKeyId: string): Promise<boolean> {
    this.deletions++;
    this.known.delete(accessKeyId);
    const rows = await this.db.all('DELETE FROM access_keys WHERE access_key_id = $1 RETURNING 1', [accessKeyId]);
    // Evicted again: a lookup may have cached the key between the first eviction and the commit.
    this.deletions++;
    this.known.delete(accessKeyId);
    this.used.delete(accessKeyId);
    return rows.length > 0;
  }

  private key(): Buffer {
    if (!this.masterKey) throw new VpcflowError('InternalError', 'the account store is not started', 500);
    return this.masterKey;
  }

  /** iv ‖ tag ‖ ciphertext, base64; the key id is authenticated data so a secret cannot be moved to another key's row. */
  private encrypt(accessKeyId: string, secret: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(CIPHER, this.key(), iv);
    cipher.setAAD(Buffer.from(accessKeyId, 'utf8'));
    const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  private decrypt(accessKeyId: string, stored: string): string {
    try {
      const raw = Buffer.from(stored, 'base64');
      if (raw.length <= IV_BYTES + TAG_BYTES) throw new Error('ciphertext too short');
      const decipher = createDecipheriv(CIPHER, this.key(), raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(accessKeyId, 'utf8'));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch (e) {
      throw new SecretDecryptionError(accessKeyId, e);
    }
  }
}

function newAccessKeyId(): string {
  let id = 'AKIA';
  for (let i = 0; i < 16; i++) id += KEY_ID_ALPHABET[randomInt(KEY_ID_ALPHABET.length)];
  return id;
}

/**
 * Reads the base64 master key, or creates it (exclusively, mode 0600, folder 0700) when absent.
 * A key file that group or others can read is refused: whoever reads it can decrypt every secret.
 */
function loadOrCreateMasterKey(path: string): Buffer {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(path, `${randomBytes(MASTER_KEY_BYTES).toString('base64')}\n`, { flag: 'wx', mode: 0o600 });
    // The process umask cannot widen 0600, but set it explicitly in case the file system ignores create modes.
    chmodSync(path, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new MasterKeyError(path, `cannot create it: ${errorMessage(e)}`, e);
  }
  let mode: number;
  let text: string;
  try {
    mode = statSync(path).mode & 0o777;
    text = readFileSync(path, 'utf8').trim();
  } catch (e) {
    throw new MasterKeyError(path, `cannot read it: ${errorMessage(e)}`, e);
  }
  if (mode & 0o077) throw new MasterKeyError(path, `its mode is ${mode.toString(8).padStart(4, '0')}; it must be readable by its owner only (chmod 600)`);
  const key = Buffer.from(text, 'base64');
  if (key.length !== MASTER_KEY_BYTES || key.toString('base64') !== text) {
    throw new MasterKeyError(path, `it must hold ${MASTER_KEY_BYTES} random bytes in base64 (one line)`);
  }
  return key;
}
