// `vpcflow import FILE…`: VPC flow log files AWS wrote (S3 objects as text, gzip text or Parquet,
// CloudWatch Logs exports) uploaded into a log group of the account, each whole or not at all and
// once: the same content again is refused unless --force (src/control/log-import.ts).

import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { Client, CliError, EXIT } from './client.ts';
import { printObject, printRows, type OutputFormat } from './output.ts';
import { ProgressBar } from './progress.ts';
import { accountOption, inAccount } from './account.ts';
import type { WithClientOptions } from './metrics-commands.ts';

interface ImportOpts {
  endpoint: string;
  output: OutputFormat;
  account?: string;
  logGroupName: string;
  logFormat?: string;
  force: boolean;
}

export function addImportCommand(program: Command, withClient: WithClientOptions): void {
  accountOption(withClient(program.command('import').argument('<files...>', 'flow log files: .log / .log.gz (with or without header line), .parquet, CloudWatch Logs JSON exports')))
    .description('bring VPC flow logs AWS wrote into a log group (one stream per interface, {interface-id}-all) and the SQL store; '
      + 'each record keeps its text. A file is imported whole or not at all, and once: the same content again is refused unless --force')
    .requiredOption('--log-group-name <name>', 'log group the records go to (created when missing)')
    .option('--log-format <format>', "fields of a file without header line, e.g. '${version} ${account-id} ${interface-id} ...' or 'version account-id interface-id ...'; "
      + 'without it, only the default format (or all fields up to a version in AWS\'s order) is recognised')
    .option('--force', 'import a file again although its content was imported before (duplicates its records)', false)
    .action(async (files: string[], o: ImportOpts) => {
      const client = new Client(o.endpoint);
      const results: Record<string, unknown>[] = [];
      for (const file of files) {
        let size: number;
        try {
          const st = statSync(file);
          if (!st.isFile()) throw new Error('not a regular file');
          size = st.size;
        } catch (e) {
          throw new CliError(`cannot read ${file}: ${(e as Error).message}`, EXIT.usage);
        }
        const q = new URLSearchParams({
          name: basename(file), logGroupName: o.logGroupName, ...(o.logFormat !== undefined ? { logFormat: o.logFormat } : {}), ...(o.force ? { force: 'true' } : {}),
        });
        const bar = new ProgressBar(basename(file), size);
        const res = await client.upload<Record<string, unknown>>(inAccount(`/v1/vpcflow/Import?${q}`, o.account), createReadStream(file), size, (n) => bar.update(n));
        const problems = Number(res.Problems) || 0;
        bar.done(`${file}: ${res.Records} records imported into ${res.LogGroupName} (${res.Streams} stream${res.Streams === 1 ? '' : 's'})${problems ? `, ${problems} line${problems === 1 ? '' : 's'} not read` : ''}`);
        for (const p of (res.ProblemSamples as { Line: number; Reason: string }[] | undefined) ?? []) process.stderr.write(`  ${file}: ${p.Reason}\n`);
        if (problems > ((res.ProblemSamples as unknown[] | undefined)?.length ?? 0)) process.stderr.write(`  ${file}: ... and ${problems - (res.ProblemSamples as unknown[]).length} more\n`);
        for (const w of (res.Warnings as string[] | undefined) ?? []) process.stderr.write(`  warning: ${w}\n`);
        results.push({ File: file, ...res });
      }
      if (o.output === 'json') printObject({ Imported: results }, 'json');
      else printRows(results, o.output, ['File', 'Records', 'LogGroupName', 'Streams', 'Problems', 'FlowLogId']);
    });
}
