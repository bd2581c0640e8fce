// The vpcflow command line: `serve` runs the server; every other command is its HTTP client.

import { Command, Option, InvalidArgumentError } from 'commander';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { Client, CliError, EXIT } from './client.ts';
import { parseOutput, printObject, printRows, type OutputFormat } from './output.ts';
import { parseShorthand, asList, ShorthandError, type ShorthandValue } from './shorthand.ts';
import { ProgressBar } from './progress.ts';
import { addMetricFilterCommands, addMetricsCommand } from './metrics-commands.ts';
import { addBucketCommands } from './buckets-commands.ts';
import { addImportCommand } from './import-command.ts';
import { accountOption, inAccount, parseAccountId } from './account.ts';
import { parseTime, parseTimeRange, TIME_FORMS } from './times.ts';
import { addExamples } from './examples.ts';

export const DEFAULT_PORT = 8757;
const DEFAULT_ENDPOINT = `http://127.0.0.1:${DEFAULT_PORT}`;

interface ClientOpts {
  endpoint: string;
  output: OutputFormat;
}

/** A command acting inside one account (see account.ts). */
interface AccountOpts extends ClientOpts {
  account?: string;
}

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function clientOptions(cmd: Command, defaultOutput: OutputFormat = 'json'): Command {
  return cmd
    .addOption(new Option('--endpoint <url>', 'vpcflow server to talk to').env('VPCFLOW_ENDPOINT').default(DEFAULT_ENDPOINT))
    .addOption(new Option('--output <format>', 'json | text | table').argParser(parseOutputArg).default(defaultOutput));
}

function parseOutputArg(v: string): OutputFormat {
  try {
    return parseOutput(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

function parseIntArg(name: string) {
  return (v: string): number => {
    if (!/^-?\d+$/.test(v)) throw new InvalidArgumentError(`${name} must be a whole number, got '${v}'`);
    return Number(v);
  };
}

export function buildProgram(): Command {
  const program = new Command('vpcflow')
    .description('VPC Flow Logs for networks you run yourself: AWS-identical flow log records from real traffic and captures')
    .addHelpText('after', `
Client commands sign their requests (SigV4) with, in order: VPCFLOW_ACCESS_KEY_ID and
VPCFLOW_SECRET_ACCESS_KEY (an account's key from 'vpcflow accounts create', or the operator's); the key
file named by VPCFLOW_CREDENTIALS; ./data/keys/operator.json (the operator key of a server started with
the default --data-dir, readable by root). Account keys act within their account; exec, down, query
and accounts create need the operator key.`)
    .version(VERSION, '-V, --version', 'print the vpcflow version')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('serve')
    .description('run the vpcflow server (control plane, log store, archive) on an embedded DuckDB store, with the web console at /console/ on the same port')
    .option('--data-dir <dir>', 'folder for the database and the local archive', './data')
    .option('--port <n>', 'TCP port to listen on', parseIntArg('--port'), DEFAULT_PORT)
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--memory-limit <size>', "DuckDB memory_limit, e.g. '512MB'", '512MB')
    .option('--max-flows <n>', 'flow table bound per aggregation window (beyond it: SKIPDATA)', parseIntArg('--max-flows'), 1_000_000)
    .option('--max-buckets-per-account <n>', 'archive buckets one account may own (the first account to deliver to a bucket owns it)', parseIntArg('--max-buckets-per-account'), 100)
    .addOption(new Option('--s3-endpoint <url>', 'S3-compatible endpoint for s3 destinations (default: the local folder DATA_DIR/s3)').env('VPCFLOW_S3_ENDPOINT'))
    .addOption(new Option('--s3-region <region>', 'region for the S3 endpoint').env('VPCFLOW_S3_REGION').default('us-east-1'))
    .addOption(new Option('--s3-access-key-id <id>').env('VPCFLOW_S3_ACCESS_KEY_ID'))
    .addOption(new Option('--s3-secret-access-key <secret>').env('VPCFLOW_S3_SECRET_ACCESS_KEY'))
    .option('--short-intervals', 'allow max-aggregation-interval values below 60 s (an extension for tests and demos)', false)
    .option('--anonymous-account <id>', 'DANGER: let unsigned AWS API requests act as this account')
    .option('--realize', 'realize the declared network on this host (a namespace per VPC and instance, nftables, NFLOG) and log its real traffic live; needs root', false)
    .option('--dataplane-prefix <prefix>', 'name prefix of the realized namespaces (default vf; tests use their own)')
    .option('--no-console', 'do not serve the web console (the API only)')
    .action(async (o) => {
      const { startServer } = await import('../app/server.ts');
      try {
        await startServer({
          dataDir: resolve(o.dataDir), port: o.port, host: o.host, memoryLimit: o.memoryLimit, maxFlows: o.maxFlows, maxBucketsPerAccount: o.maxBucketsPerAccount,
          allowShortIntervals: o.shortIntervals, anonymousAccount: o.anonymousAccount, realize: o.realize, dataplanePrefix: o.dataplanePrefix, console: o.console,
          s3: o.s3Endpoint ? { endpoint: o.s3Endpoint, region: o.s3Region, accessKeyId: o.s3AccessKeyId ?? 'vpcflow', secretAccessKey: o.s3SecretAccessKey ?? 'vpcflow' } : undefined,
        });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') {
          throw new CliError(`cannot listen on ${o.host}:${o.port}: the port is in use (another vpcflow serve?); pass --port N for another port (--port 0 picks a free one; clients then need --endpoint)`, EXIT.usage);
        }
        if (code === 'EACCES') throw new CliError(`cannot listen on ${o.host}:${o.port}: permission denied (ports below 1024 need root); pass --port N`, EXIT.usage);
        throw e;
      }
    });

  clientOptions(program.command('apply').argument('<file>', 'network document (YAML or JSON); docs/network-document.md describes it'))
    .description('make the declared network match the document (account, VPCs, subnets, instances, interfaces, security groups, network ACLs): '
      + 'creates what is new, updates what changed, and prints the plan (+ create, ~ update, - delete). Resources the document does not mention '
      + '(made by an earlier document or the aws CLI) are deleted only with --prune, and with them the flow logs attached to them; with '
      + '`serve --realize` the kernel is changed first, and a change that fails anywhere leaves everything as it was')
    .option('--prune', 'delete resources the document does not mention (and their flow logs)', false)
    .option('--dry-run', 'validate and print the plan; change nothing', false)
    .action(async (file: string, o: ClientOpts & { prune: boolean; dryRun: boolean }) => {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        throw new CliError(`cannot read ${file}: ${(e as Error).message}`, EXIT.usage);
      }
      const res = await new Client(o.endpoint).call<{ Changes: { Action: string; ResourceType: string; ResourceId: string; Detail?: string }[]; DeletedFlowLogs?: string[]; DryRun?: boolean }>(
        '/v1/vpcflow/Apply', { Document: text, SourceName: basename(file), Prune: o.prune, DryRun: o.dryRun });
      if (o.output === 'json') return printObject(res, 'json');
      if (res.DryRun) process.stdout.write('dry run: nothing was changed; the plan is\n');
      if (!res.Changes.length) process.stdout.write('no changes\n');
      else for (const c of res.Changes) process.stdout.write(`${{ create: '+', update: '~', delete: '-' }[c.Action] ?? '?'} ${c.ResourceType} ${c.ResourceId}${c.Detail ? ` (${c.Detail})` : ''}\n`);
      for (const id of res.DeletedFlowLogs ?? []) process.stdout.write(`- flow-log ${id} (${res.DryRun ? 'would be deleted' : 'deleted'} with the resource it was attached to)\n`);
    });

  accountOption(clientOptions(program.command('network')))
    .description('show the declared network')
    .action(async (o: AccountOpts) => printObject(await new Client(o.endpoint).call(inAccount('/v1/vpcflow/DescribeNetwork', o.account)), o.output));

  const fl = program.command('flow-logs').description('create, describe and delete flow logs (the aws CLI\'s options and output)');
  accountOption(clientOptions(fl.command('create')))
    .description('create a flow log per resource (aws ec2 create-flow-logs)')
    .requiredOption('--resource-type <type>', 'VPC | Subnet | NetworkInterface')
    .requiredOption('--resource-ids <ids...>', 'resources to monitor')
    .option('--traffic-type <type>', 'ACCEPT | REJECT | ALL')
    .option('--log-destination-type <type>', 'cloud-watch-logs | s3')
    .option('--log-destination <arn>', 'arn:aws:s3:::BUCKET/PREFIX or a log group ARN')
    .option('--log-group-name <name>', 'log group (cloud-watch-logs)')
    .option('--deliver-logs-permission-arn <arn>', 'accepted for compatibility (vpcflow has no IAM)')
    .option('--log-format <format>', "custom format, e.g. '${version} ${srcaddr} ...'")
    .option('--max-aggregation-interval <seconds>', '60 or 600 (default 600); 1–59 when the server runs with --short-intervals', parseIntArg('--max-aggregation-interval'))
    .option('--destination-options <options>', 'FileFormat=plain-text|parquet,HiveCompatiblePartitions=bool,PerHourPartition=bool')
    .option('--tag-specifications <spec...>', "ResourceType=vpc-flow-log,Tags=[{Key=k,Value=v}]")
    .option('--client-token <token>', 'idempotency token')
    .action(async (o: AccountOpts & Record<string, unknown>) => {
      const body: Record<string, unknown> = {
        ResourceType: o.resourceType, ResourceIds: o.resourceIds, TrafficType: o.trafficType, LogDestinationType: o.logDestinationType,
        LogDestination: o.logDestination, LogGroupName: o.logGroupName, DeliverLogsPermissionArn: o.deliverLogsPermissionArn,
        LogFormat: o.logFormat, MaxAggregationInterval: o.maxAggregationInterval, ClientToken: o.clientToken,
      };
      if (o.destinationOptions) body.DestinationOptions = shorthandObject('--destination-options', String(o.destinationOptions));
      if (o.tagSpecifications) body.TagSpecifications = (o.tagSpecifications as string[]).map((s) => shorthandObject('--tag-specifications', s));
      printObject(await new Client(o.endpoint).call(inAccount('/v1/ec2/CreateFlowLogs', o.account), body), o.output);
    });
  accountOption(clientOptions(fl.command('describe')))
    .description('describe flow logs (aws ec2 describe-flow-logs)')
    .option('--flow-log-ids <ids...>', 'flow logs to describe')
    .option('--filter <filters...>', 'Name=resource-id,Values=vpc-1,vpc-2 (several allowed)')
    .option('--max-results <n>', 'page size', parseIntArg('--max-results'))
    .option('--next-token <token>', 'page token from a previous call')
    .action(async (o: AccountOpts & Record<string, unknown>) => {
      const filters = ((o.filter as string[] | undefined) ?? []).flatMap((f) => {
        const parsed = parseShorthandOrFail('--filter', f);
        const list = Array.isArray(parsed) ? parsed : [parsed];
        return list.map((x) => {
          const obj = x as Record<string, ShorthandValue>;
          return { Name: String(obj.Name ?? ''), Values: asList(obj.Values) };
        });
      });
      printObject(await new Client(o.endpoint).call(inAccount('/v1/ec2/DescribeFlowLogs', o.account), { FlowLogIds: o.flowLogIds, Filter: filters, MaxResults: o.maxResults, NextToken: o.nextToken }), o.output);
    });
  accountOption(clientOptions(fl.command('delete')))
    .description('delete flow logs (aws ec2 delete-flow-logs); delivered records stay')
    .requiredOption('--flow-log-ids <ids...>', 'flow logs to delete')
    .action(async (o: AccountOpts & { flowLogIds: string[] }) => printObject(await new Client(o.endpoint).call(inAccount('/v1/ec2/DeleteFlowLogs', o.account), { FlowLogIds: o.flowLogIds }), o.output));

  accountOption(clientOptions(program.command('ingest').argument('<files...>', 'pcap or pcapng captures')))
    .description('aggregate captured packets on the declared network\'s interfaces and deliver the records to every covering flow log; returns once every window is delivered. '
      + 'A capture is delivered whole or not at all, and once: the same content again is refused unless --force')
    .option('--force', 'ingest a capture again although its content was ingested before (duplicates its records)', false)
    .action(async (files: string[], o: AccountOpts & { force: boolean }) => {
      const client = new Client(o.endpoint);
      const results: unknown[] = [];
      let failed = false;
      for (const file of files) {
        let size: number;
        try {
          size = statSync(file).size;
        } catch (e) {
          throw new CliError(`cannot read ${file}: ${(e as Error).message}`, EXIT.usage);
        }
        const bar = new ProgressBar(basename(file), size);
        const q = new URLSearchParams({ name: basename(file), ...(o.force ? { force: 'true' } : {}) });
        const res = await client.upload<Record<string, unknown>>(inAccount(`/v1/vpcflow/Ingest?${q}`, o.account), createReadStream(file), size, (n) => bar.update(n));
        bar.done(`${file}: ${res.Packets} packets, ${res.Records} records delivered${Number(res.Problems) ? `, ${res.Problems} bad packets` : ''}`);
        for (const p of (res.ProblemSamples as { Offset: number; Packet: number; Reason: string }[] | undefined) ?? []) {
          process.stderr.write(`  ${file}: packet ${p.Packet} at byte ${p.Offset}: ${p.Reason}\n`);
        }
        for (const w of (res.Warnings as string[] | undefined) ?? []) process.stderr.write(`  warning: ${w}\n`);
        for (const d of (res.DeliveryErrors as { FlowLogId: string; Message: string }[] | undefined) ?? []) {
          process.stderr.write(`  delivery to ${d.FlowLogId} failed: ${d.Message}\n`);
          failed = true;
        }
        results.push({ File: file, ...res });
      }
      if (o.output === 'json') printObject({ Ingested: results }, 'json');
      else printRows(results as Record<string, unknown>[], o.output, ['File', 'Packets', 'Records', 'Windows', 'Problems']);
      if (failed) throw new CliError('some records could not be delivered (see above); the flow logs show DeliverLogsStatus FAILED', EXIT.serverError);
    });

  const logs = program.command('logs').description('read the log store (CloudWatch Logs semantics)');
  accountOption(clientOptions(logs.command('groups')))
    .description('list log groups (aws logs describe-log-groups)')
    .option('--prefix <prefix>', 'log group name prefix')
    .action(async (o: AccountOpts & { prefix?: string }) => {
      const res = await new Client(o.endpoint).call<{ logGroups: Record<string, unknown>[] }>(inAccount('/v1/logs/DescribeLogGroups', o.account), { logGroupNamePrefix: o.prefix });
      // A table of every member would not fit a terminal; these are what a reader looks for.
      if (o.output === 'table') printRows(res.logGroups, 'table', ['logGroupName', 'creationTime', 'retentionInDays', 'metricFilterCount', 'storedBytes']);
      else printObject(res, o.output);
    });
  accountOption(clientOptions(logs.command('streams').argument('<group>')))
    .description('list the streams (one per interface) of a log group')
    .action(async (group: string, o: AccountOpts) => {
      const res = await new Client(o.endpoint).call<{ logStreams: Record<string, unknown>[] }>(inAccount('/v1/logs/DescribeLogStreams', o.account), { logGroupName: group });
      if (o.output === 'table') printRows(res.logStreams, 'table', ['logStreamName', 'firstEventTimestamp', 'lastEventTimestamp', 'lastIngestionTime']);
      else printObject(res, o.output);
    });
  accountOption(clientOptions(logs.command('create-group').argument('<group>')))
    .description('create a log group (aws logs create-log-group); flow logs create theirs when they first deliver')
    .action(async (group: string, o: AccountOpts) => {
      await new Client(o.endpoint).call(inAccount('/v1/logs/CreateLogGroup', o.account), { logGroupName: group });
    });
  accountOption(clientOptions(logs.command('delete-group').argument('<group>')))
    .description('delete a log group and its events (aws logs delete-log-group)')
    .action(async (group: string, o: AccountOpts) => {
      await new Client(o.endpoint).call(inAccount('/v1/logs/DeleteLogGroup', o.account), { logGroupName: group });
    });
  accountOption(clientOptions(logs.command('retention').argument('<group>').argument('<days>', 'retention in days', parseIntArg('days'))))
    .description('set a log group\'s retention (aws logs put-retention-policy)')
    .action(async (group: string, days: number, o: AccountOpts) => {
      await new Client(o.endpoint).call(inAccount('/v1/logs/PutRetentionPolicy', o.account), { logGroupName: group, retentionInDays: days });
    });
  accountOption(clientOptions(logs.command('get').argument('<group>').argument('<stream>'), 'text'))
    .description('events of one stream (aws logs get-log-events)')
    .option('--start-time <time>', `from (inclusive): ${TIME_FORMS}`)
    .option('--end-time <time>', 'until (exclusive); same forms')
    .option('--limit <n>', 'at most this many events', parseIntArg('--limit'))
    .option('--start-from-head', 'oldest first', false)
    .action(async (group: string, stream: string, o: AccountOpts & { startTime?: string; endTime?: string; limit?: number; startFromHead: boolean }) => {
      const range = parseTimeRange({ option: '--start-time', text: o.startTime }, { option: '--end-time', text: o.endTime });
      const res = await new Client(o.endpoint).call<{ events: { timestamp: number; message: string }[] }>(inAccount('/v1/logs/GetLogEvents', o.account), {
        logGroupName: group, logStreamName: stream, startTime: range.start, endTime: range.end, limit: o.limit, startFromHead: o.startFromHead,
      });
      if (o.output === 'text') process.stdout.write(res.events.map((e) => `${e.message}\n`).join(''));
      else printObject(res, o.output);
    });
  accountOption(clientOptions(logs.command('filter').argument('<group>'), 'text'))
    .description('events matching a filter pattern (aws logs filter-log-events)')
    .option('--filter-pattern <pattern>', "e.g. '[version, account, eni, src, dst, srcport, dstport=\"22\", ...]'")
    .option('--log-stream-names <names...>', 'only these streams')
    .option('--log-stream-name-prefix <prefix>', 'only streams starting with this')
    .option('--start-time <time>', `from (inclusive): ${TIME_FORMS}`)
    .option('--end-time <time>', 'until (exclusive); same forms')
    .option('--limit <n>', 'at most this many events', parseIntArg('--limit'))
    .action(async (group: string, o: AccountOpts & { filterPattern?: string; logStreamNames?: string[]; logStreamNamePrefix?: string; startTime?: string; endTime?: string; limit?: number }) => {
      const range = parseTimeRange({ option: '--start-time', text: o.startTime }, { option: '--end-time', text: o.endTime });
      const client = new Client(o.endpoint);
      const all: { logStreamName: string; message: string }[] = [];
      let nextToken: string | undefined;
      do {
        const res = await client.call<{ events: { logStreamName: string; message: string }[]; nextToken?: string }>(inAccount('/v1/logs/FilterLogEvents', o.account), {
          logGroupName: group, filterPattern: o.filterPattern, logStreamNames: o.logStreamNames, logStreamNamePrefix: o.logStreamNamePrefix,
          startTime: range.start, endTime: range.end, limit: o.limit, nextToken,
        });
        all.push(...res.events);
        nextToken = o.limit === undefined ? res.nextToken : undefined;
      } while (nextToken);
      if (o.output === 'text') process.stdout.write(all.map((e) => `${e.logStreamName} ${e.message}\n`).join(''));
      else printObject({ events: all }, o.output);
    });
  accountOption(clientOptions(logs.command('tail').argument('<group>'), 'text'))
    .description('print a log group\'s events, and with --follow keep printing new ones as they are delivered (aws logs tail)')
    .option('--follow', 'keep waiting for new events', false)
    .option('--since <time>', `how far back to start: ${TIME_FORMS}`, '10m')
    .option('--filter-pattern <pattern>', 'only events matching this pattern')
    .option('--format <format>', 'detailed | short', 'detailed')
    .action(async (group: string, o: AccountOpts & { follow: boolean; since: string; filterPattern?: string; format: string }) => {
      const startTime = parseTime('--since', o.since);
      const ac = new AbortController();
      process.once('SIGINT', () => ac.abort());
      await new Client(o.endpoint)
        .stream(inAccount('/v1/vpcflow/Tail', o.account), { logGroupName: group, startTime, filterPattern: o.filterPattern, follow: o.follow }, (item) => {
          const e = item as { timestamp: number; logStreamName: string; message: string };
          if (o.output === 'json') process.stdout.write(JSON.stringify(e) + '\n');
          else if (o.format === 'short') process.stdout.write(`${new Date(e.timestamp).toISOString()} ${e.message}\n`);
          else process.stdout.write(`${new Date(e.timestamp).toISOString()} ${e.logStreamName} ${e.message}\n`);
        }, ac.signal)
        .catch((e) => {
          if ((e as Error).name !== 'AbortError') throw e;
        });
    });

  addMetricFilterCommands(logs, clientOptions);
  addMetricsCommand(program, clientOptions);
  addBucketCommands(program, clientOptions);
  addImportCommand(program, clientOptions);

  const accounts = program.command('accounts').description('access keys for the AWS-compatible API (aws CLI / SDKs with --endpoint-url)');
  clientOptions(accounts.command('create'))
    .description('create an access key for an account; the secret is shown only now')
    .requiredOption('--account <id>', '12-digit account id', parseAccountId)
    .action(async (o: ClientOpts & { account: string }) => printObject(await new Client(o.endpoint).call('/v1/vpcflow/CreateAccessKey', { AccountId: o.account }), o.output));
  clientOptions(accounts.command('list'), 'table')
    .description('every account with its access keys: key id, when created, when last used (operator key)')
    .action(async (o: ClientOpts) => {
      const res = await new Client(o.endpoint).call<{ Accounts: { AccountId: string; Keys: { AccessKeyId: string; CreatedAt: number; LastUsedAt: number | null }[] }[] }>('/v1/vpcflow/ListAccounts', {});
      if (o.output === 'json') return printObject(res, 'json');
      // One row per key; an account without keys still gets its row.
      const rows = res.Accounts.flatMap((a) => (a.Keys.length ? a.Keys : [undefined]).map((k) => ({
        AccountId: a.AccountId, AccessKeyId: k?.AccessKeyId, CreatedAt: k?.CreatedAt, LastUsedAt: k?.LastUsedAt,
      })));
      if (o.output === 'text') printRows(rows.map((r) => ({ ...r, CreatedAt: isoOrEmpty(r.CreatedAt), LastUsedAt: isoOrEmpty(r.LastUsedAt) })), 'text');
      else printRows(rows, 'table', ['AccountId', 'AccessKeyId', 'CreatedAt', 'LastUsedAt']);
    });
  clientOptions(accounts.command('delete-key').argument('<access-key-id>', 'the key to delete (see accounts list)'))
    .description('delete an access key: requests signed with it are refused from now on (operator key)')
    .action(async (keyId: string, o: ClientOpts) => {
      if (!/^[A-Z0-9]{16,128}$/.test(keyId)) throw new CliError(`access key id '${keyId}' is not one: expected 16 or more capital letters and digits, as 'vpcflow accounts list' shows them`, EXIT.usage);
      printObject(await new Client(o.endpoint).call('/v1/vpcflow/DeleteAccessKey', { AccessKeyId: keyId }), o.output);
    });

  clientOptions(program.command('exec').argument('<instance-id>', 'a realized instance').argument('<command...>', 'the program and its arguments, after --'))
    .description('run a command inside a realized instance (serve --realize); runs it here, so as root on the server\'s host; options go before --: vpcflow exec i-0123… -- curl http://10.0.1.10/')
    .action(async (instanceId: string, command: string[], o: ClientOpts) => {
      // SIGINT, SIGTERM and SIGHUP go on to the command; the exit code is its own (128 + signal when one ended it).
      const { runExecCommand } = await import('./exec-command.ts');
      await runExecCommand(instanceId, command, o);
    });
  clientOptions(program.command('down'), 'text')
    .description('stop the programs still running in the realized network\'s namespaces and remove every namespace (serve --realize); declarations and delivered records stay. '
      + 'With --data-dir or --dataplane-prefix it works here without a server (after one was killed or a run interrupted)')
    .option('--data-dir <dir>', 'remove what the data folder\'s dataplane.json records, without a server')
    .option('--dataplane-prefix <prefix>', 'also remove every namespace named PREFIX-…, recorded or not, without a server')
    .option('--grace-period <seconds>', 'how long programs get after SIGTERM before SIGKILL (without a server)', parseIntArg('--grace-period'), 5)
    .action(async (o: ClientOpts & { dataDir?: string; dataplanePrefix?: string; gracePeriod: number }, cmd: Command) => {
      if (o.gracePeriod < 0 || o.gracePeriod > 600) throw new CliError(`--grace-period must be 0 to 600 seconds, got ${o.gracePeriod}`, EXIT.usage);
      const { runDownCommand } = await import('./down-command.ts');
      await runDownCommand({ ...o, endpointGiven: cmd.getOptionValueSource('endpoint') === 'cli' });
    });

  accountOption(clientOptions(program.command('query').argument('<sql>', 'one SELECT over the tables `flows` (every delivered record, Athena column names) and `archive_objects`'), 'table'))
    .description('run SQL over the delivered records (log store and archive): sandboxed, read-only, at most 10 000 rows, stopped after 30 s; an account key sees its own records, the operator every account\'s (or one with --account)')
    .action(async (sql: string, o: AccountOpts) => {
      const res = await new Client(o.endpoint).call<{ Columns: string[]; Rows: Record<string, unknown>[]; Truncated?: { By: string; Limit: number } }>(inAccount('/v1/vpcflow/Query', o.account), { Sql: sql });
      if (o.output === 'json') printObject(res.Rows, 'json');
      else printRows(res.Rows, o.output, res.Columns);
      if (res.Truncated) process.stderr.write(`note: only the first ${res.Rows.length} rows are shown (the result is cut at ${res.Truncated.By === 'rows' ? `${res.Truncated.Limit} rows` : `${res.Truncated.Limit} bytes`}); add a LIMIT or aggregate\n`);
    });

  program
    .command('demo')
    .description('start a server on a temporary folder, build a sample VPC, create flow logs, make ACCEPT and REJECT traffic, show the records, then keep the network, its traffic and the web console running until Ctrl-C (--exit: end at once). '
      + 'As root (with ip, nft, tcpdump, setpriv) the VPC is real on this host and removed afterwards; otherwise a generated capture is ingested')
    .option('--port <n>', 'port for the demo server', parseIntArg('--port'), 0)
    .option('--keep', 'keep the demo data folder and print its path', false)
    .option('--live', 'insist on the real network (fail if this host cannot build it)', false)
    .option('--capture', 'use a generated capture even where a real network could be built', false)
    .option('--dataplane-prefix <prefix>', 'name prefix of the real network\'s namespaces (default: a random vfd…)')
    .option('--exit', 'end after showing the records, removing what it built (for scripts); without it the network, its traffic and the web console run until Ctrl-C', false)
    .action(async (o) => {
      if (o.live && o.capture) throw new CliError('--live and --capture exclude each other', EXIT.usage);
      const { runDemo } = await import('./demo.ts');
      // Interrupted (SIGINT, SIGTERM, SIGHUP) or failed, it removes its server, namespaces and folder before it exits.
      await runDemo({ port: o.port, keep: o.keep, exit: o.exit, mode: o.live ? 'live' : o.capture ? 'capture' : 'auto', ...(o.dataplanePrefix !== undefined ? { dataplanePrefix: o.dataplanePrefix } : {}) });
    });

  addExamples(program);
  return program;
}

function parseShorthandOrFail(option: string, text: string) {
  try {
    return parseShorthand(option, text);
  } catch (e) {
    if (e instanceof ShorthandError) throw new CliError(e.message, EXIT.usage);
    throw e;
  }
}

function shorthandObject(option: string, text: string): Record<string, ShorthandValue> {
  const v = parseShorthandOrFail(option, text);
  if (Array.isArray(v)) throw new CliError(`${option}: expected Key=Value pairs, got a list`, EXIT.usage);
  return v;
}

/** `logs tail --since`: see times.ts. */
export function sinceToMs(since: string, now = Date.now()): number {
  return parseTime('--since', since, now);
}

const isoOrEmpty = (ms: number | null | undefined): string => (typeof ms === 'number' ? new Date(ms).toISOString() : '');

/**
 * `vpcflow … | head`: once the reader is gone, nothing more can be shown, so the command ends
 * quietly and successfully rather than dying of EPIPE on its next write.
 */
function exitQuietlyOnClosedStdout(): void {
  if (stdoutGuarded) return;
  stdoutGuarded = true;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(EXIT.ok);
    throw e;
  });
}
let stdoutGuarded = false;

export async function main(argv: string[]): Promise<number> {
  exitQuietlyOnClosedStdout();
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (e) {
    const err = e as { code?: string; exitCode?: number; message?: string };
    if (typeof err.code === 'string' && err.code.startsWith('commander.')) {
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? EXIT.ok : EXIT.usage;
    }
    if (e instanceof CliError) {
      // An empty message: the exit code of a program run by `exec`, which already spoke for itself.
      if (e.message) process.stderr.write(`${e.message}\n`);
      return e.exitCode;
    }
    process.stderr.write(`vpcflow: ${err.message ?? String(e)}\n`);
    return EXIT.serverError;
  }
}
