// `vpcflow buckets list|put-policy|get-policy|delete-policy`: the archive buckets an account owns and
// the bucket policies that let other accounts' flow logs deliver into them (the aws s3api commands'
// options: --bucket, --policy JSON or file://PATH).

import { readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { deliveryPolicy, MAX_POLICY_BYTES } from '../destinations/archive/bucket-policy.ts';
import { accountOption, inAccount, parseAccountId } from './account.ts';
import { Client, CliError, EXIT } from './client.ts';
import type { WithClientOptions } from './metrics-commands.ts';
import { printObject, printRows, type OutputFormat } from './output.ts';

interface ClientOpts {
  endpoint: string;
  output: OutputFormat;
  account?: string;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, parseAccountId(value)];
}

/** --policy as the aws CLI takes it: the JSON itself, or file://PATH. */
export function readPolicyArg(text: string): string {
  if (!text.startsWith('file://')) return text;
  const file = text.slice('file://'.length);
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    throw new CliError(`--policy: cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`, EXIT.usage);
  }
  // Anything larger would be refused by the server anyway; do not read a huge file to find out.
  if (size > MAX_POLICY_BYTES) throw new CliError(`--policy: ${file} is ${size} bytes; a bucket policy may have at most ${MAX_POLICY_BYTES}`, EXIT.usage);
  return readFileSync(file, 'utf8');
}

export function addBucketCommands(program: Command, withClient: WithClientOptions): void {
  const buckets = program.command('buckets')
    .description('archive buckets: a bucket belongs to the first account that delivers to it; other accounts deliver there only as its bucket policy allows');

  accountOption(withClient(buckets.command('list'), 'table'))
    .description('the buckets your account owns (aws s3api list-buckets)')
    .action(async (o: ClientOpts) => {
      const res = await new Client(o.endpoint).call<{ Buckets: Record<string, unknown>[] }>(inAccount('/v1/s3/ListBuckets', o.account), {});
      if (o.output === 'json') printObject(res, 'json');
      else printRows(res.Buckets, o.output, ['Name', 'CreationDate']);
    });

  accountOption(withClient(buckets.command('put-policy')))
    .description('replace a bucket\'s policy (aws s3api put-bucket-policy); a bucket nobody owns becomes yours')
    .requiredOption('--bucket <name>', 'the bucket')
    .option('--policy <json>', 'the policy document, or file://PATH (AWS\'s flow log bucket policy shape)')
    .option('--grant-account <id>', 'instead of --policy: AWS\'s documented flow log policy letting this account deliver (repeat for several)', collect)
    .option('--folder <prefix>', 'with --grant-account: the folder the accounts may deliver into (default: the whole bucket\'s AWSLogs/ACCOUNT/ folders)')
    .action(async (o: ClientOpts & { bucket: string; policy?: string; grantAccount?: string[]; folder?: string }) => {
      if ((o.policy === undefined) === (o.grantAccount === undefined)) throw new CliError('give either --policy or --grant-account', EXIT.usage);
      if (o.folder !== undefined && o.grantAccount === undefined) throw new CliError('--folder goes with --grant-account', EXIT.usage);
      const policy = o.policy !== undefined ? readPolicyArg(o.policy) : deliveryPolicy(o.bucket, o.grantAccount!, o.folder);
      const res = await new Client(o.endpoint).call(inAccount('/v1/s3/PutBucketPolicy', o.account), { Bucket: o.bucket, Policy: policy });
      if (o.output === 'json') printObject(res, 'json');
    });

  accountOption(withClient(buckets.command('get-policy')))
    .description('show a bucket\'s policy (aws s3api get-bucket-policy); the owner only')
    .requiredOption('--bucket <name>', 'the bucket')
    .action(async (o: ClientOpts & { bucket: string }) => {
      const res = await new Client(o.endpoint).call<{ Policy: string }>(inAccount('/v1/s3/GetBucketPolicy', o.account), { Bucket: o.bucket });
      if (o.output === 'json') printObject(res, 'json');
      else process.stdout.write(`${res.Policy}\n`);
    });

  accountOption(withClient(buckets.command('delete-policy')))
    .description('remove a bucket\'s policy (aws s3api delete-bucket-policy): other accounts\' flow logs can no longer deliver there')
    .requiredOption('--bucket <name>', 'the bucket')
    .action(async (o: ClientOpts & { bucket: string }) => {
      const res = await new Client(o.endpoint).call(inAccount('/v1/s3/DeleteBucketPolicy', o.account), { Bucket: o.bucket });
      if (o.output === 'json') printObject(res, 'json');
    });
}
