// The vpcflow command line: `serve` runs the server; every other command is its HTTP client.

import { Command, Option, InvalidArgumentError } from 'commander';
import { spawn } from 'node:child_process';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { basename, resolve } from 'node:path';
import { Client, CliError, EXIT } from './client.ts';
import { parseOutput, printObject, printRows, type OutputFormat } from './output.ts';
import { parseShorthand, asList, ShorthandError, type ShorthandValue } from './shorthand.ts';
import { ProgressBar } from './progress.ts';
import { addMetricFilterCommands, addMetricsCommand } from './metrics-commands.ts';

export const DEFAULT_PORT = 8757;
const DEFAULT_ENDPOINT = `http://127.0.0.1:${DEFAULT_PORT}`;

interface ClientOpts {
  endpoint: string;
  output: OutputFormat;
}

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
    .showHelpAfterError()
    .exitOverride();

  program
    .command('serve')
    .description('run the vpcflow server (control plane, log store, archive) on an embedded DuckDB store')
    .option('--data-dir <dir>', 'folder for the database and the local archive', './data')
    .option('--port <n>', 'TCP port to listen on', parseIntArg('--port'), DEFAULT_PORT)
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--memory-limit <size>', "DuckDB memory_limit, e.g. '512MB'", '512MB')
    .option('--max-flows <n>', 'flow table bound per aggregation window (beyond it: SKIPDATA)', parseIntArg('--max-flows'), 1_000_000)
    .addOption(new Option('--s3-endpoint <url>', 'S3-compatible endpoint for s3 destinations (default: the local folder DATA_DIR/s3)').env('VPCFLOW_S3_ENDPOINT'))
    .addOption(new Option('--s3-region <region>', 'region for the S3 endpoint').env('VPCFLOW_S3_REGION').default('us-east-1'))
    .addOption(new Option('--s3-access-key-id <id>').env('VPCFLOW_S3_ACCESS_KEY_ID'))
    .addOption(new Option('--s3-secret-access-key <secret>').env('VPCFLOW_S3_SECRET_ACCESS_KEY'))
    .option('--short-intervals', 'allow max-aggregation-interval values below 60 s (an extension for tests and demos)', false)
    .option('--anonymous-account <id>', 'DANGER: let unsigned AWS API requests act as this account')
    .option('--realize', 'realize the declared network on this host (a namespace per VPC and instance, nftables, NFLOG) and log its real traffic live; needs root', false)
    .option('--dataplane-prefix <prefix>', 'name prefix of the realized namespaces (default vf; tests use their own)')
    .action(async (o) => {
      const { startServer } = await import('../app/server.ts');
      await startServer({
        dataDir: resolve(o.dataDir), port: o.port, host: o.host, memoryLimit: o.memoryLimit, maxFlows: o.maxFlows,
        allowShortIntervals: o.shortIntervals, anonymousAccount: o.anonymousAccount, realize: o.realize, dataplanePrefix: o.dataplanePrefix,
        s3: o.s3Endpoint ? { endpoint: o.s3Endpoint, region: o.s3Region, accessKeyId: o.s3AccessKeyId ?? 'vpcflow', secretAccessKey: o.s3SecretAccessKey ?? 'vpcflow' } : undefined,
      });
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

  clientOptions(program.command('network'))
    .description('show the declared network')
    .action(async (o: ClientOpts) => printObject(await new Client(o.endpoint).call('/v1/vpcflow/DescribeNetwork'), o.output));

  const fl = program.command('flow-logs').description('create, describe and delete flow logs (the aws CLI\'s options and output)');
  clientOptions(fl.command('create'))
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
    .action(async (o: ClientOpts & Record<string, unknown>) => {
      const body: Record<string, unknown> = {
        ResourceType: o.resourceType, ResourceIds: o.resourceIds, TrafficType: o.trafficType, LogDestinationType: o.logDestinationType,
        LogDestination: o.logDestination, LogGroupName: o.logGroupName, DeliverLogsPermissionArn: o.deliverLogsPermissionArn,
        LogFormat: o.logFormat, MaxAggregationInterval: o.maxAggregationInterval, ClientToken: o.clientToken,
      };
      if (o.destinationOptions) body.DestinationOptions = shorthandObject('--destination-options', String(o.destinationOptions));
      if (o.tagSpecifications) body.TagSpecifications = (o.tagSpecifications as string[]).map((s) => shorthandObject('--tag-specifications', s));
      printObject(await new Client(o.endpoint).call('/v1/ec2/CreateFlowLogs', body), o.output);
    });
  clientOptions(fl.command('describe'))
    .description('describe flow logs (aws ec2 describe-flow-logs)')
    .option('--flow-log-ids <ids...>', 'flow logs to describe')
    .option('--filter <filters...>', 'Name=resource-id,Values=vpc-1,vpc-2 (several allowed)')
    .option('--max-results <n>', 'page size', parseIntArg('--max-results'))
    .option('--next-token <token>', 'page token from a previous call')
    .action(async (o: ClientOpts & Record<string, unknown>) => {
      const filters = ((o.filter as string[] | undefined) ?? []).flatMap((f) => {
        const parsed = parseShorthandOrFail('--filter', f);
        const list = Array.isArray(parsed) ? parsed : [parsed];
        return list.map((x) => {
          const obj = x as Record<string, ShorthandValue>;
          return { Name: String(obj.Name ?? ''), Values: asList(obj.Values) };
        });
      });
      printObject(await new Client(o.endpoint).call('/v1/ec2/DescribeFlowLogs', { FlowLogIds: o.flowLogIds, Filter: filters, MaxResults: o.maxResults, NextToken: o.nextToken }), o.output);
    });
  clientOptions(fl.command('delete'))
    .description('delete flow logs (aws ec2 delete-flow-logs); delivered records stay')
    .requiredOption('--flow-log-ids <ids...>', 'flow logs to delete')
    .action(async (o: ClientOpts & { flowLogIds: string[] }) => printObject(await new Client(o.endpoint).call('/v1/ec2/DeleteFlowLogs', { FlowLogIds: o.flowLogIds }), o.output));

  clientOptions(program.command('ingest').argument('<files...>', 'pcap or pcapng captures'))
    .description('aggregate captured packets on the declared network\'s interfaces and deliver the records to every covering flow log; returns once every window is delivered')
    .option('--account <id>', 'account whose network the capture belongs to (default: the only one)')
    .option('--force', 'ingest a capture again although its content was ingested before (duplicates its records)', false)
    .action(async (files: string[], o: ClientOpts & { account?: string; force: boolean }) => {
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
        const q = new URLSearchParams({ name: basename(file), ...(o.account ? { account: o.account } : {}), ...(o.force ? { force: 'true' } : {}) });
        const res = await client.upload<Record<string, unknown>>(`/v1/vpcflow/Ingest?${q}`, createReadStream(file), size, (n) => bar.update(n));
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
  clientOptions(logs.command('groups'))
    .description('list log groups (aws logs describe-log-groups)')
    .option('--prefix <prefix>', 'log group name prefix')
    .action(async (o: ClientOpts & { prefix?: string }) => printObject(await new Client(o.endpoint).call('/v1/logs/DescribeLogGroups', { logGroupNamePrefix: o.prefix }), o.output));
  clientOptions(logs.command('streams').argument('<group>'))
    .description('list the streams (one per interface) of a log group')
    .action(async (group: string, o: ClientOpts) => printObject(await new Client(o.endpoint).call('/v1/logs/DescribeLogStreams', { logGroupName: group }), o.output));
  clientOptions(logs.command('create-group').argument('<group>')).action(async (group: string, o: ClientOpts) => {
    await new Client(o.endpoint).call('/v1/logs/CreateLogGroup', { logGroupName: group });
  });
  clientOptions(logs.command('delete-group').argument('<group>')).action(async (group: string, o: ClientOpts) => {
    await new Client(o.endpoint).call('/v1/logs/DeleteLogGroup', { logGroupName: group });
  });
  clientOptions(logs.command('retention').argument('<group>').argument('<days>', 'retention in days', parseIntArg('days')))
    .description('set a log group\'s retention (aws logs put-retention-policy)')
    .action(async (group: string, days: number, o: ClientOpts) => {
      await new Client(o.endpoint).call('/v1/logs/PutRetentionPolicy', { logGroupName: group, retentionInDays: days });
    });
  clientOptions(logs.command('get').argument('<group>').argument('<stream>'), 'text')
    .description('events of one stream (aws logs get-log-events)')
    .option('--start-time <ms>', 'from (ms since epoch)', parseIntArg('--start-time'))
    .option('--end-time <ms>', 'until (ms since epoch)', parseIntArg('--end-time'))
    .option('--limit <n>', 'at most this many events', parseIntArg('--limit'))
    .option('--start-from-head', 'oldest first', false)
    .action(async (group: string, stream: string, o: ClientOpts & Record<string, unknown>) => {
      const res = await new Client(o.endpoint).call<{ events: { timestamp: number; message: string }[] }>('/v1/logs/GetLogEvents', {
        logGroupName: group, logStreamName: stream, startTime: o.startTime, endTime: o.endTime, limit: o.limit, startFromHead: o.startFromHead,
      });
      if (o.output === 'text') for (const e of res.events) process.stdout.write(`${e.message}\n`);
      else printObject(res, o.output);
    });
  clientOptions(logs.command('filter').argument('<group>'), 'text')
    .description('events matching a filter pattern (aws logs filter-log-events)')
    .option('--filter-pattern <pattern>', "e.g. '[version, account, eni, src, dst, srcport, dstport=\"22\", ...]'")
    .option('--log-stream-names <names...>', 'only these streams')
    .option('--log-stream-name-prefix <prefix>', 'only streams starting with this')
    .option('--start-time <ms>', 'from (ms since epoch)', parseIntArg('--start-time'))
    .option('--end-time <ms>', 'until (ms since epoch)', parseIntArg('--end-time'))
    .option('--limit <n>', 'at most this many events', parseIntArg('--limit'))
    .action(async (group: string, o: ClientOpts & Record<string, unknown>) => {
      const client = new Client(o.endpoint);
      const all: { logStreamName: string; message: string }[] = [];
      let nextToken: string | undefined;
      do {
        const res = await client.call<{ events: { logStreamName: string; message: string }[]; nextToken?: string }>('/v1/logs/FilterLogEvents', {
          logGroupName: group, filterPattern: o.filterPattern, logStreamNames: o.logStreamNames, logStreamNamePrefix: o.logStreamNamePrefix,
          startTime: o.startTime, endTime: o.endTime, limit: o.limit, nextToken,
        });
        all.push(...res.events);
        nextToken = o.limit === undefined ? res.nextToken : undefined;
      } while (nextToken);
      if (o.output === 'text') for (const e of all) process.stdout.write(`${e.logStreamName} ${e.message}\n`);
      else printObject({ events: all }, o.output);
    });
  clientOptions(logs.command('tail').argument('<group>'), 'text')
    .description('print a log group\'s events, and with --follow keep printing new ones as they are delivered (aws logs tail)')
    .option('--follow', 'keep waiting for new events', false)
    .option('--since <duration>', "how far back to start: 10m, 2h, 1d or ms since epoch", '10m')
    .option('--filter-pattern <pattern>', 'only events matching this pattern')
    .option('--format <format>', 'detailed | short', 'detailed')
    .action(async (group: string, o: ClientOpts & { follow: boolean; since: string; filterPattern?: string; format: string }) => {
      const startTime = sinceToMs(o.since);
      const ac = new AbortController();
      process.once('SIGINT', () => ac.abort());
      await new Client(o.endpoint)
        .stream('/v1/vpcflow/Tail', { logGroupName: group, startTime, filterPattern: o.filterPattern, follow: o.follow }, (item) => {
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

  const accounts = program.command('accounts').description('access keys for the AWS-compatible API (aws CLI / SDKs with --endpoint-url)');
  clientOptions(accounts.command('create'))
    .description('create an access key for an account; the secret is shown only now')
    .requiredOption('--account <id>', '12-digit account id')
    .action(async (o: ClientOpts & { account: string }) => printObject(await new Client(o.endpoint).call('/v1/vpcflow/CreateAccessKey', { AccountId: o.account }), o.output));

  clientOptions(program.command('exec').argument('<instance-id>', 'a realized instance').argument('<command...>', 'the program and its arguments, after --'))
    .description('run a command inside a realized instance (serve --realize); runs it here, so as root on the server\'s host; options go before --: vpcflow exec i-0123… -- curl http://10.0.1.10/')
    .action(async (instanceId: string, command: string[], o: ClientOpts) => {
      const res = await new Client(o.endpoint).call<{ Argv: string[] }>('/v1/vpcflow/ExecArgs', { InstanceId: instanceId, Command: command });
      const [program, ...args] = res.Argv;
      if (!program) throw new CliError('the server returned no command to run', EXIT.serverError);
      const code = await runForwardingSignals(program, args);
      if (code !== 0) throw new CliError('', code);
    });
  clientOptions(program.command('down'), 'text')
    .description('stop observing and remove every namespace of the realized network (serve --realize); declarations and delivered records stay')
    .action(async (o: ClientOpts) => {
      const res = await new Client(o.endpoint).call<{ Removed: string[]; Busy: { Namespace: string; Pids: number[] }[] }>('/v1/vpcflow/Down');
      if (o.output !== 'text') return printObject(res, o.output);
      for (const ns of res.Removed) process.stdout.write(`- namespace ${ns}\n`);
      for (const b of res.Busy) process.stderr.write(`namespace ${b.Namespace} is gone from the list, but processes ${b.Pids.join(', ')} still run in it\n`);
    });

  clientOptions(program.command('query').argument('<sql>', 'a SELECT over the `flows` view (every delivered record, Athena column names) or log_events'), 'table')
    .description('run SQL over all delivered records (log store and archive)')
    .action(async (sql: string, o: ClientOpts) => {
      const res = await new Client(o.endpoint).call<{ Columns: string[]; Rows: Record<string, unknown>[] }>('/v1/vpcflow/Query', { Sql: sql });
      if (o.output === 'json') printObject(res.Rows, 'json');
      else printRows(res.Rows, o.output, res.Columns);
    });

  program
    .command('demo')
    .description('start a server on a temporary folder, build a sample VPC, create flow logs, make ACCEPT and REJECT traffic and show the records. '
      + 'As root (with ip, nft, tcpdump, setpriv) the VPC is real on this host and removed afterwards; otherwise a generated capture is ingested')
    .option('--port <n>', 'port for the demo server', parseIntArg('--port'), 0)
    .option('--keep', 'keep the demo data folder and print its path', false)
    .option('--live', 'insist on the real network (fail if this host cannot build it)', false)
    .option('--capture', 'use a generated capture even where a real network could be built', false)
    .action(async (o) => {
      if (o.live && o.capture) throw new CliError('--live and --capture exclude each other', EXIT.usage);
      const { runDemo } = await import('./demo.ts');
      await runDemo({ port: o.port, keep: o.keep, mode: o.live ? 'live' : o.capture ? 'capture' : 'auto' });
    });

  return program;
}

/** Runs a program with this terminal, passes SIGINT/SIGTERM on, and resolves with its exit code (128 + signal when killed). */
function runForwardingSignals(program: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: 'inherit' });
    const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
    const onInt = forward('SIGINT');
    const onTerm = forward('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    const done = () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    };
    child.once('error', (e: NodeJS.ErrnoException) => {
      done();
      reject(new CliError(`cannot run ${program}: ${e.message}`, EXIT.serverError));
    });
    child.once('close', (code, signal) => {
      done();
      resolve(code ?? 128 + (signal ? (osConstants.signals[signal] ?? 0) : 1));
    });
  });
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

export function sinceToMs(since: string, now = Date.now()): number {
  if (/^\d{12,}$/.test(since)) return Number(since);
  const m = /^(\d+)(s|m|h|d|w)$/.exec(since);
  if (!m) throw new CliError(`--since: expected a duration like 10m, 2h, 1d or ms since epoch, got '${since}'`, EXIT.usage);
  const unit = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 604800e3 }[m[2] as 's']!;
  return now - Number(m[1]) * unit;
}

export async function main(argv: string[]): Promise<number> {
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
