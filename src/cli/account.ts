// `--account ID` (env VPCFLOW_ACCOUNT) for every client command that acts inside an account: the
// operator's key may act in any account, so once two accounts have networks the server needs to be
// told which. Sent as the native API's `?account=` query parameter, which every route reads the same
// way (a JSON member would not reach the streamed ingest upload).

import { InvalidArgumentError, Option, type Command } from 'commander';

export function parseAccountId(v: string): string {
  if (!/^\d{12}$/.test(v)) throw new InvalidArgumentError(`an account id is 12 digits, got '${v}'`);
  return v;
}

/** Adds `--account <id>`; optional: without it the server takes the only account with a network. */
export function accountOption(cmd: Command): Command {
  return cmd.addOption(
    new Option('--account <id>', 'account to act in (12 digits); needed once several accounts have networks')
      .env('VPCFLOW_ACCOUNT')
      .argParser(parseAccountId),
  );
}

/** `path` with the account as its `account` query parameter (unchanged without one). */
export function inAccount(path: string, account: string | undefined): string {
  if (account === undefined) return path;
  const q = new URLSearchParams({ account });
  return `${path}${path.includes('?') ? '&' : '?'}${q}`;
}
