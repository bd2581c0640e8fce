// CLI commands for metric filters (`vpcflow logs put-metric-filter|describe-metric-filters|
// delete-metric-filter|test-metric-filter`, the aws CLI's options) and for reading the metrics they
// produce (`vpcflow metrics get`, CloudWatch's GetMetricStatistics).

import { InvalidArgumentError, type Command } from 'commander';
import { Client, CliError, EXIT } from './client.ts';
import { printObject, printRows, type OutputFormat } from './output.ts';
import { parseShorthand, ShorthandError } from './shorthand.ts';
import { accountOption, inAccount } from './account.ts';
import { parseTimeRange, TIME_FORMS } from './times.ts';

interface ClientOpts {
  endpoint: string;
  output: OutputFormat;
  /** See account.ts. */
  account?: string;
}

/** Adds --endpoint and --output to a command (main.ts's helper, passed in to avoid an import cycle). */
export type WithClientOptions = (cmd: Command, defaultOutput?: OutputFormat) => Command;

const STATISTICS = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'];

function positiveInt(name: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError(`${name} must be a positive whole number, got '${v}'`);
    return Number(v);
  };
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `name=value` (the value may itself hold '='). */
function keyValue(option: string, text: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq < 1) throw new CliError(`${option}: expected NAME=VALUE, got '${text}'`, EXIT.usage);
  return [text.slice(0, eq), text.slice(eq + 1)];
}

/** The single metric transformation, from --metric-transformations (aws CLI shorthand or JSON) or the separate flags. */
export function metricTransformationFrom(o: {
  metricTransformations?: string;
  metricName?: string;
  metricNamespace?: string;
  metricValue?: string;
  defaultValue?: string;
  unit?: string;
  dimension?: string[];
}): Record<string, unknown>[] {
  const separate = o.metricName !== undefined || o.metricNamespace !== undefined || o.metricValue !== undefined || o.defaultValue !== undefined || o.unit !== undefined || o.dimension !== undefined;
  if (o.metricTransformations !== undefined) {
    if (separate) throw new CliError('--metric-transformations cannot be combined with --metric-name/--metric-namespace/--metric-value/--default-value/--unit/--dimension', EXIT.usage);
    let parsed;
    try {
      parsed = parseShorthand('--metric-transformations', o.metricTransformations);
    } catch (e) {
      if (e instanceof ShorthandError) throw new CliError(e.message, EXIT.usage);
      throw e;
    }
    const list = (Array.isArray(parsed) ? parsed : [parsed]) as Record<string, unknown>[];
    // Shorthand gives every value as text; the API wants defaultValue as a number.
    return list.map((t) => (typeof t.defaultValue === 'string' ? { ...t, defaultValue: numberOrFail('--metric-transformations defaultValue', t.defaultValue) } : t));
  }
  if (o.metricName === undefined || o.metricNamespace === undefined) {
    throw new CliError('give --metric-name and --metric-namespace (and --metric-value, default 1), or --metric-transformations', EXIT.usage);
  }
  const t: Record<string, unknown> = { metricName: o.metricName, metricNamespace: o.metricNamespace, metricValue: o.metricValue ?? '1' };
  if (o.defaultValue !== undefined) t.defaultValue = numberOrFail('--default-value', o.defaultValue);
  if (o.unit !== undefined) t.unit = o.unit;
  if (o.dimension?.length) t.dimensions = Object.fromEntries(o.dimension.map((d) => keyValue('--dimension', d)));
  return [t];
}

function numberOrFail(option: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) throw new CliError(`${option} must be a number, got '${text}'`, EXIT.usage);
  return n;
}

export function addMetricFilterCommands(logs: Command, withClient: WithClientOptions): void {
  accountOption(withClient(logs.command('put-metric-filter')))
    .description('create or replace a metric filter on a log group (aws logs put-metric-filter); it applies to events delivered from now on')
    .requiredOption('--log-group-name <name>', 'the log group')
    .requiredOption('--filter-name <name>', 'the filter\'s name (unique in the group)')
    .requiredOption('--filter-pattern <pattern>', "e.g. '[version, account, eni, source, destination, srcport, destport=\"22\", protocol=\"6\", packets, bytes, windowstart, windowend, action=\"REJECT\", flowlogstatus]'")
    .option('--metric-transformations <spec>', 'aws CLI shorthand or JSON: metricName=N,metricNamespace=NS,metricValue=$bytes[,defaultValue=0][,unit=Bytes]')
    .option('--metric-name <name>', 'metric name (instead of --metric-transformations)')
    .option('--metric-namespace <namespace>', 'metric namespace')
    .option('--metric-value <value>', "a number, or a field of the event: '$bytes', '$packets' (space-delimited) or '$.field' (JSON)", '1')
    .option('--default-value <number>', 'value published in a minute with events but no match (not with dimensions)')
    .option('--unit <unit>', 'CloudWatch unit: Count, Bytes, Seconds, ... (default None)')
    .option('--dimension <name=$field>', "a dimension from a field, e.g. action='$action' (repeat, up to 3)", collect)
    .action(async (o: ClientOpts & Record<string, string | string[] | undefined>) => {
      // --metric-value has a default, so it counts as "given" only with the separate-flag form.
      const metricValue = o.metricTransformations === undefined ? (o.metricValue as string) : undefined;
      const transformations = metricTransformationFrom({
        metricTransformations: o.metricTransformations as string | undefined, metricName: o.metricName as string | undefined, metricNamespace: o.metricNamespace as string | undefined,
        metricValue, defaultValue: o.defaultValue as string | undefined, unit: o.unit as string | undefined, dimension: o.dimension as string[] | undefined,
      });
      const res = await new Client(o.endpoint).call(inAccount('/v1/logs/PutMetricFilter', o.account as string | undefined), {
        logGroupName: o.logGroupName, filterName: o.filterName, filterPattern: o.filterPattern, metricTransformations: transformations,
      });
      if (o.output === 'json') printObject(res, 'json');
    });

  accountOption(withClient(logs.command('describe-metric-filters')))
    .description('list metric filters, in filter-name order (aws logs describe-metric-filters)')
    .option('--log-group-name <name>', 'only this group\'s filters')
    .option('--filter-name-prefix <prefix>', 'only filters whose name starts with this (needs --log-group-name)')
    .option('--metric-name <name>', 'only filters publishing this metric (needs --metric-namespace)')
    .option('--metric-namespace <namespace>', 'only filters publishing to this namespace (needs --metric-name)')
    .option('--limit <n>', 'one page of at most n filters (1-50); without it every page is read', positiveInt('--limit'))
    .option('--next-token <token>', 'page token from a previous call')
    .action(async (o: ClientOpts & { logGroupName?: string; filterNamePrefix?: string; metricName?: string; metricNamespace?: string; limit?: number; nextToken?: string }) => {
      const client = new Client(o.endpoint);
      const all: Record<string, unknown>[] = [];
      let nextToken = o.nextToken;
      let last: { metricFilters: Record<string, unknown>[]; nextToken?: string };
      do {
        last = await client.call(inAccount('/v1/logs/DescribeMetricFilters', o.account), {
          logGroupName: o.logGroupName, filterNamePrefix: o.filterNamePrefix, metricName: o.metricName, metricNamespace: o.metricNamespace, limit: o.limit, nextToken,
        });
        all.push(...last.metricFilters);
        nextToken = o.limit === undefined ? last.nextToken : undefined;
      } while (nextToken);
      const out = o.limit !== undefined && last.nextToken ? { metricFilters: all, nextToken: last.nextToken } : { metricFilters: all };
      if (o.output === 'json') printObject(out, 'json');
      else {
        printRows(all.map((f) => {
          const t = (f.metricTransformations as Record<string, unknown>[])[0] ?? {};
          return { logGroupName: f.logGroupName, filterName: f.filterName, metric: `${String(t.metricNamespace)}/${String(t.metricName)}`, value: t.metricValue, filterPattern: f.filterPattern };
        }), o.output, ['logGroupName', 'filterName', 'metric', 'value', 'filterPattern']);
      }
    });

  accountOption(withClient(logs.command('delete-metric-filter')))
    .description('delete a metric filter (aws logs delete-metric-filter); metric data already published stays')
    .requiredOption('--log-group-name <name>', 'the log group')
    .requiredOption('--filter-name <name>', 'the filter')
    .action(async (o: ClientOpts & { logGroupName: string; filterName: string }) => {
      const res = await new Client(o.endpoint).call(inAccount('/v1/logs/DeleteMetricFilter', o.account), { logGroupName: o.logGroupName, filterName: o.filterName });
      if (o.output === 'json') printObject(res, 'json');
    });

  // Tests touch no account's data, but the server resolves an account for every logs operation.
  accountOption(withClient(logs.command('test-metric-filter')))
    .description('show which messages a filter pattern matches and the fields it extracts (aws logs test-metric-filter)')
    .requiredOption('--filter-pattern <pattern>', 'the pattern to try')
    .requiredOption('--log-event-messages <messages...>', 'up to 50 sample messages')
    .action(async (o: ClientOpts & { filterPattern: string; logEventMessages: string[] }) => {
      printObject(await new Client(o.endpoint).call(inAccount('/v1/logs/TestMetricFilter', o.account), { filterPattern: o.filterPattern, logEventMessages: o.logEventMessages }), o.output);
    });
}

export function addMetricsCommand(program: Command, withClient: WithClientOptions): void {
  const metrics = program.command('metrics').description('read the metrics that metric filters publish (CloudWatch statistics)');
  accountOption(withClient(metrics.command('get'), 'table'))
    .description('statistics of one metric per period (CloudWatch get-metric-statistics): a metric is its namespace, name and exact set of dimensions')
    .requiredOption('--namespace <namespace>', 'the metric\'s namespace')
    .requiredOption('--metric <name>', 'the metric\'s name')
    .option('--dimension <name=value>', 'one of the metric\'s dimensions (repeat for each)', collect)
    .requiredOption('--start <time>', `from (inclusive): ${TIME_FORMS}`)
    .option('--end <time>', 'until (exclusive); same forms', 'now')
    .option('--period <seconds>', 'bucket length, a multiple of 60', positiveInt('--period'), 60)
    .option('--statistic <names...>', `any of ${STATISTICS.join(', ')} (default: all)`)
    .action(async (o: ClientOpts & { namespace: string; metric: string; dimension?: string[]; start: string; end: string; period: number; statistic?: string[] }) => {
      const now = Date.now();
      const range = parseTimeRange({ option: '--start', text: o.start }, { option: '--end', text: o.end }, now);
      const client = new Client(o.endpoint);
      const path = inAccount('/v1/metrics/GetMetricStatistics', o.account);
      const metric = {
        Namespace: o.namespace,
        MetricName: o.metric,
        Dimensions: (o.dimension ?? []).map((d) => {
          const [Name, Value] = keyValue('--dimension', d);
          return { Name, Value };
        }),
      };
      const res = await client.call<{ Label: string; Datapoints: Record<string, unknown>[] }>(path, {
        ...metric, StartTime: range.start, EndTime: range.end, Period: o.period, Statistics: o.statistic ?? STATISTICS,
      });
      if (o.output === 'json') printObject(res, 'json');
      else printRows(res.Datapoints, o.output, ['Timestamp', ...STATISTICS.filter((s) => (o.statistic ?? STATISTICS).includes(s)), 'Unit']);
      if (!res.Datapoints.length) {
        const newest = await newestMinute(client, path, metric, Math.max(now, range.end!)).catch(() => undefined);
        process.stderr.write(emptyHint(metric, range.start!, range.end!, o.period, newest) + '\n');
      }
    });
}

type MetricId = { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: string }[] };

const MAX_DATAPOINTS = 1440;
const YEAR_MS = 366 * 86_400_000;

/**
 * The minute of the metric's newest datapoint, at any time: a coarse query over everything, then
 * narrower ones inside its newest period (each at most MAX_DATAPOINTS periods) down to 60 s —
 * three or four queries from 1970 to a year ahead.
 */
async function newestMinute(client: Client, path: string, metric: MetricId, until: number): Promise<number | undefined> {
  let lo = 0;
  let hi = Math.ceil((until + YEAR_MS) / 60_000) * 60_000;
  for (let step = 0; step < 8; step++) {
    const period = Math.max(60, Math.ceil((hi - lo) / MAX_DATAPOINTS / 60_000) * 60);
    const res = await client.call<{ Datapoints: { Timestamp: string }[] }>(path, { ...metric, StartTime: lo, EndTime: hi, Period: period, Statistics: ['SampleCount'] });
    const last = res.Datapoints.at(-1);
    if (!last) return undefined;
    const t = Date.parse(last.Timestamp);
    if (period === 60) return t;
    lo = Math.max(lo, t);
    hi = Math.min(hi, t + period * 1000);
  }
  return undefined;
}

/** Why `metrics get` found nothing, and where the data is when there is some. */
export function emptyHint(metric: MetricId, start: number, end: number, period: number, newest: number | undefined): string {
  const iso = (t: number) => new Date(t).toISOString();
  const name = `${metric.Namespace}/${metric.MetricName}${metric.Dimensions.length ? ` {${metric.Dimensions.map((d) => `${d.Name}=${d.Value}`).join(', ')}}` : ''}`;
  const why = 'A datapoint is stamped with the time of the events it counts (for an ingested capture: its packets\' time, not the upload\'s), '
    + 'and live records arrive only once their aggregation window (60 or 600 s) has closed.';
  const head = `no datapoints for ${name} from ${iso(start)} to ${iso(end)} (period ${period} s).`;
  if (newest === undefined) {
    return `${head} ${why} This metric has none at any time yet: a metric filter counts only events delivered after it was put `
      + `(vpcflow logs describe-metric-filters --metric-name ${metric.MetricName} --metric-namespace ${metric.Namespace}).`;
  }
  const periodStart = Math.floor(newest / (period * 1000)) * period * 1000;
  const where = newest >= end ? `--end ${iso(newest + 60_000)}` : `--start ${iso(periodStart)}`;
  return `${head} ${why} The newest datapoint is in the ${period}-s period starting ${iso(periodStart)} (minute ${iso(newest)}): try ${where}.`;
}
