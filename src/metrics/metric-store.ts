// Metric filters of log groups, kept in DuckDB, applied to every batch the log store appends (in the
// same transaction), and the per-minute metric buckets they produce, read back as CloudWatch-style
// statistics. Filters apply to events appended after they are created, as in AWS.

import type { Database, Transaction } from '../store/index.ts';
import {
  MAX_METRIC_FILTERS_PER_GROUP,
  MetricFilterError,
  compileMetricFilter,
  parsePutMetricFilter,
  testMetricFilter,
  validateFilterName,
  validateGroupName,
  validateMetricName,
  type CompiledMetricFilter,
  type MetricFilterDefinition,
  type MetricTransformation,
  type TestMetricFilterMatch,
} from './metric-filter.ts';
import { aggregateBatch, canonicalDimensions, type BatchMetrics } from './metric-aggregate.ts';
import { foldDatapoints, type Datapoint, type MetricStatisticsRequest, type MinuteRow } from './metric-statistics.ts';

export interface MetricFilterDescription {
  filterName: string;
  filterPattern: string;
  metricTransformations: [MetricTransformation];
  creationTime: number;
  logGroupName: string;
}

export interface DescribeMetricFiltersOptions {
  logGroupName?: string;
  filterNamePrefix?: string;
  metricName?: string;
  metricNamespace?: string;
  limit?: number;
  nextToken?: string;
}

const GROUP_MISSING = 'The specified log group does not exist.';
// Rows per multi-row upsert statement (10 parameters each).
const UPSERT_CHUNK = 200;

export class MetricFilterStore {
  /** Compiled filters per `account\0group`, loaded on first use; dropped inside every transaction that changes them. */
  private readonly cache = new Map<string, CompiledMetricFilter[]>();

  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {}

  /** PutMetricFilter: creates or replaces (same name in the same group) a filter. */
  async putMetricFilter(accountId: string, body: Record<string, unknown>): Promise<void> {
    const def = parsePutMetricFilter(body);
    await this.db.transaction(async (tx) => {
      await this.requireGroup(tx, accountId, def.logGroupName);
      const others = await tx.all('SELECT count(*) AS n FROM metric_filters WHERE account_id = $1 AND group_name = $2 AND filter_name <> $3', [accountId, def.logGroupName, def.filterName]);
      if (Number(others[0]?.n ?? 0) >= MAX_METRIC_FILTERS_PER_GROUP) throw new MetricFilterError('LimitExceededException', 'Resource limit exceeded.');
      // Assumption: replacing a filter keeps its creation time (AWS does not document either way).
      await tx.run(
        `INSERT INTO metric_filters VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT DO UPDATE SET filter_pattern = excluded.filter_pattern, transformation = excluded.transformation`,
        [accountId, def.logGroupName, def.filterName, def.filterPattern, JSON.stringify(def.metricTransformations[0]), BigInt(this.now())],
      );
      this.cache.delete(cacheKey(accountId, def.logGroupName));
    });
  }

  /** DescribeMetricFilters: ASCII order of filter name (then group), paged. */
  async describeMetricFilters(accountId: string, opts: DescribeMetricFiltersOptions = {}): Promise<{ metricFilters: MetricFilterDescription[]; nextToken?: string }> {
    const group = opts.logGroupName === undefined ? undefined : validateGroupName(opts.logGroupName);
    // AWS uses filterNamePrefix only together with logGroupName.
    const prefix = opts.filterNamePrefix === undefined ? undefined : validateFilterName(opts.filterNamePrefix, 'filterNamePrefix');
    if ((opts.metricName === undefined) !== (opts.metricNamespace === undefined)) {
      throw new MetricFilterError('InvalidParameterException', 'metricName and metricNamespace must be given together: filtering by one needs the other');
    }
    const metricName = opts.metricName === undefined ? undefined : validateMetricName(opts.metricName, 'metricName');
    const metricNamespace = opts.metricNamespace === undefined ? undefined : validateMetricName(opts.metricNamespace, 'metricNamespace');
    const limit = opts.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 50) {
      throw new MetricFilterError('InvalidParameterException', `1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 50`);
    }
    const after = opts.nextToken === undefined ? { f: '', g: '' } : decodeToken(opts.nextToken);
    return this.db.readTransaction(async (tx) => {
      if (group !== undefined) await this.requireGroup(tx, accountId, group);
      const rows = await tx.all(
        `SELECT group_name, filter_name, filter_pattern, transformation, creation_time FROM metric_filters
         WHERE account_id = $1 AND ($2 = '' OR group_name = $2) AND ($2 = '' OR starts_with(filter_name, $3))
           AND ($4 = '' OR (json_extract_string(transformation, '$.metricName') = $4 AND json_extract_string(transformation, '$.metricNamespace') = $5))
           AND (filter_name > $6 OR (filter_name = $6 AND group_name > $7))
         ORDER BY filter_name, group_name LIMIT $8`,
        [accountId, group ?? '', prefix ?? '', metricName ?? '', metricNamespace ?? '', after.f, after.g, limit + 1],
      );
      const metricFilters = rows.slice(0, limit).map((r) => ({
        filterName: String(r.filter_name),
        filterPattern: String(r.filter_pattern),
        metricTransformations: [JSON.parse(String(r.transformation)) as MetricTransformation] as [MetricTransformation],
        creationTime: Number(r.creation_time),
        logGroupName: String(r.group_name),
      }));
      const last = metricFilters[metricFilters.length - 1];
      return rows.length > limit && last ? { metricFilters, nextToken: encodeToken({ f: last.filterName, g: last.logGroupName }) } : { metricFilters };
    });
  }

  async deleteMetricFilter(accountId: string, groupName: unknown, filterName: unknown): Promise<void> {
    const group = validateGroupName(groupName);
    const name = validateFilterName(filterName);
    await this.db.transaction(async (tx) => {
      await this.requireGroup(tx, accountId, group);
      const gone = await tx.all('DELETE FROM metric_filters WHERE account_id = $1 AND group_name = $2 AND filter_name = $3 RETURNING 1', [accountId, group, name]);
      if (gone.length === 0) throw new MetricFilterError('ResourceNotFoundException', 'The specified metric filter does not exist.');
      this.cache.delete(cacheKey(accountId, group));
    });
  }

  /** TestMetricFilter needs no account or group: it only runs the pattern. */
  testMetricFilter(filterPattern: unknown, logEventMessages: unknown): { matches: TestMetricFilterMatch[] } {
    return testMetricFilter(filterPattern, logEventMessages);
  }

  /** The log store's delete of a group takes its metric filters along (metric data stays, as in CloudWatch). */
  async removeGroupInTransaction(tx: Transaction, accountId: string, group: string): Promise<void> {
    await tx.run('DELETE FROM metric_filters WHERE account_id = $1 AND group_name = $2', [accountId, group]);
    this.cache.delete(cacheKey(accountId, group));
  }

  /**
   * Runs the group's filters over a batch being appended and upserts one row per (metric, dimension
   * set, minute). With no filters on the group this is one map lookup after the first batch.
   */
  async evaluateInTransaction(tx: Transaction, accountId: string, group: string, events: readonly { timestamp: number; message: string }[]): Promise<BatchMetrics | undefined> {
    const filters = await this.filtersOf(tx, accountId, group);
    if (filters.length === 0 || events.length === 0) return undefined;
    const batch = aggregateBatch(filters, events);
    for (let i = 0; i < batch.buckets.length; i += UPSERT_CHUNK) {
      const chunk = batch.buckets.slice(i, i + UPSERT_CHUNK);
      const params: (string | number | bigint)[] = [];
      const rows = chunk.map((b) => {
        const at = params.length;
        params.push(accountId, b.namespace, b.metricName, b.dimensions, BigInt(b.minute), b.sum, BigInt(b.sampleCount), b.min, b.max, b.unit);
        return `(${Array.from({ length: 10 }, (_, k) => `$${at + k + 1}`).join(', ')})`;
      });
      await tx.run(
        `INSERT INTO metric_datapoints VALUES ${rows.join(', ')}
         ON CONFLICT DO UPDATE SET sum = metric_datapoints.sum + excluded.sum, sample_count = metric_datapoints.sample_count + excluded.sample_count,
           minimum = least(metric_datapoints.minimum, excluded.minimum), maximum = greatest(metric_datapoints.maximum, excluded.maximum), unit = excluded.unit`,
        params,
      );
    }
    for (let i = 0; i < batch.defaultMinutes.length; i += UPSERT_CHUNK) {
      const chunk = batch.defaultMinutes.slice(i, i + UPSERT_CHUNK);
      const params: (string | number | bigint)[] = [];
      const rows = chunk.map((d) => {
        const at = params.length;
        params.push(accountId, d.namespace, d.metricName, BigInt(d.minute), d.defaultValue, d.unit);
        return `(${Array.from({ length: 6 }, (_, k) => `$${at + k + 1}`).join(', ')})`;
      });
      await tx.run(`INSERT INTO metric_default_minutes VALUES ${rows.join(', ')} ON CONFLICT DO UPDATE SET default_value = excluded.default_value, unit = excluded.unit`, params);
    }
    return batch;
  }

  /**
   * GetMetricStatistics for the caller's account. A metric without dimensions whose filter has a
   * default value gets, for every minute in which events reached the group but none matched, one
   * sample of the default (AWS: "the value reported during a period when logs are ingested but no
   * matching logs are found"); it is added here, at read time, because only then is it known that
   * no later batch of that minute matched.
   */
  async getMetricStatistics(accountId: string, req: MetricStatisticsRequest): Promise<{ Label: string; Datapoints: Datapoint[] }> {
    const dims = canonicalDimensions(req.dimensions);
    const rows = await this.db.read(
      `SELECT minute, sum, sample_count, minimum, maximum, unit FROM metric_datapoints
       WHERE account_id = $1 AND namespace = $2 AND metric_name = $3 AND dimensions = $4 AND minute >= $5 AND minute < $6
       UNION ALL
       SELECT d.minute, d.default_value, 1, d.default_value, d.default_value, d.unit FROM metric_default_minutes d
       WHERE $4 = '[]' AND d.account_id = $1 AND d.namespace = $2 AND d.metric_name = $3 AND d.minute >= $5 AND d.minute < $6
         AND NOT EXISTS (SELECT 1 FROM metric_datapoints p WHERE p.account_id = d.account_id AND p.namespace = d.namespace
                           AND p.metric_name = d.metric_name AND p.dimensions = '[]' AND p.minute = d.minute)`,
      [accountId, req.namespace, req.metricName, dims, BigInt(req.startTime), BigInt(req.endTime)],
    );
    const minutes: MinuteRow[] = rows.map((r) => ({
      minute: Number(r.minute), sum: Number(r.sum), sampleCount: Number(r.sample_count), min: Number(r.minimum), max: Number(r.maximum), unit: String(r.unit),
    }));
    return { Label: req.metricName, Datapoints: foldDatapoints(minutes, req.period, req.statistics) };
  }

  private async filtersOf(tx: Transaction, accountId: string, group: string): Promise<CompiledMetricFilter[]> {
    const key = cacheKey(accountId, group);
    const cached = this.cache.get(key);
    if (cached) return cached;
    const rows = await tx.all('SELECT filter_name, filter_pattern, transformation FROM metric_filters WHERE account_id = $1 AND group_name = $2 ORDER BY filter_name', [accountId, group]);
    const compiled = rows.map((r) => {
      const def: MetricFilterDefinition = {
        logGroupName: group,
        filterName: String(r.filter_name),
        filterPattern: String(r.filter_pattern),
        metricTransformations: [JSON.parse(String(r.transformation)) as MetricTransformation],
      };
      return compileMetricFilter(def);
    });
    this.cache.set(key, compiled);
    return compiled;
  }

  private async requireGroup(tx: Transaction, accountId: string, group: string): Promise<void> {
    const rows = await tx.all('SELECT 1 FROM log_groups WHERE account_id = $1 AND name = $2', [accountId, group]);
    if (rows.length === 0) throw new MetricFilterError('ResourceNotFoundException', GROUP_MISSING);
  }
}

const cacheKey = (accountId: string, group: string): string => `${accountId}\u0000${group}`;

function encodeToken(v: { f: string; g: string }): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}

function decodeToken(t: string): { f: string; g: string } {
  try {
    const v = JSON.parse(Buffer.from(t, 'base64url').toString('utf8')) as { f?: unknown; g?: unknown };
    if (typeof v.f === 'string' && typeof v.g === 'string') return { f: v.f, g: v.g };
  } catch {
    // fall through to the error below
  }
  throw new MetricFilterError('InvalidParameterException', 'The specified nextToken is invalid.');
}
