// vpcflow's own metrics, kept in memory and written in Prometheus' text exposition format (what
// akvorado and vector expose for themselves). Counters count events since the process started;
// gauges are read when the page is asked for. Every metric bounds its label sets: past the bound,
// samples go to one series whose labels all say "other", and the overflow is itself counted.

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Label sets one metric keeps (flow log ids, routes…) before folding the rest into "other". */
export const MAX_SERIES_PER_METRIC = 1000;
const MAX_LABEL_VALUE = 200;

export type Labels = Readonly<Record<string, string>>;

export class TelemetryError extends Error {}

/** A label value as the exposition format wants it: backslash, quote and newline escaped; bounded. */
export function escapeLabelValue(v: string): string {
  return v.slice(0, MAX_LABEL_VALUE).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labelText(names: readonly string[], values: readonly string[]): string {
  if (names.length === 0) return '';
  return `{${names.map((n, i) => `${n}="${escapeLabelValue(values[i] ?? '')}"`).join(',')}}`;
}

export class Counter {
  private readonly series = new Map<string, { values: string[]; count: number }>();
  private overflowed = 0;

  constructor(readonly name: string, readonly help: string, readonly labelNames: readonly string[]) {}

  inc(labels: Labels = {}, by = 1): void {
    if (!Number.isFinite(by) || by < 0) throw new TelemetryError(`${this.name}: a counter only goes up (got ${by})`);
    if (by === 0) return;
    const values = this.labelNames.map((n) => labels[n] ?? '');
    let key = JSON.stringify(values);
    let s = this.series.get(key);
    if (!s && this.series.size >= MAX_SERIES_PER_METRIC) {
      this.overflowed += by;
      key = JSON.stringify(this.labelNames.map(() => 'other'));
      s = this.series.get(key);
      if (!s) this.series.set(key, (s = { values: this.labelNames.map(() => 'other'), count: 0 }));
    }
    if (!s) this.series.set(key, (s = { values, count: 0 }));
    s.count += by;
  }

  /** The count of one label set (0 when never counted). */
  get(labels: Labels = {}): number {
    return this.series.get(JSON.stringify(this.labelNames.map((n) => labels[n] ?? '')))?.count ?? 0;
  }

  /** Samples counted into "other" because the label sets were at their bound. */
  get overflow(): number {
    return this.overflowed;
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const s of this.series.values()) lines.push(`${this.name}${labelText(this.labelNames, s.values)} ${s.count}`);
    return lines;
  }
}

/** A distribution in cumulative buckets (Prometheus histogram): `_bucket{le}`, `_sum`, `_count`. */
export class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(readonly name: string, readonly help: string, readonly bounds: readonly number[]) {
    if (bounds.length === 0 || bounds.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= bounds[i - 1]!))) {
      throw new TelemetryError(`${name}: bucket bounds must be finite and increasing`);
    }
    this.counts = bounds.map(() => 0);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    for (let i = 0; i < this.bounds.length; i++) if (value <= this.bounds[i]!) this.counts[i]!++;
    this.sum += value;
    this.count++;
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    this.bounds.forEach((b, i) => lines.push(`${this.name}_bucket{le="${b}"} ${this.counts[i]}`));
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.count}`, `${this.name}_sum ${this.sum}`, `${this.name}_count ${this.count}`);
    return lines;
  }
}

interface Gauge {
  readonly type: 'gauge' | 'counter';
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly collect: () => Promise<readonly { labels?: Labels; value: number }[]> | readonly { labels?: Labels; value: number }[];
}

export class Telemetry {
  private readonly counters = new Map<string, Counter>();
  private readonly gauges = new Map<string, Gauge>();
  private readonly histograms = new Map<string, Histogram>();

  histogram(name: string, help: string, bounds: readonly number[]): Histogram {
    this.checkNames(name, []);
    const h = new Histogram(name, help, bounds);
    this.histograms.set(name, h);
    return h;
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    this.checkNames(name, labelNames);
    const c = new Counter(name, help, labelNames);
    this.counters.set(name, c);
    return c;
  }

  /** A value read when the page is rendered (a queue depth, a table size). */
  gauge(name: string, help: string, labelNames: readonly string[], collect: Gauge['collect']): void {
    this.checkNames(name, labelNames);
    this.gauges.set(name, { type: 'gauge', name, help, labelNames, collect });
  }

  /** A counter kept by someone else (a component's own running totals), read when the page is rendered. */
  counterFrom(name: string, help: string, labelNames: readonly string[], collect: Gauge['collect']): void {
    this.checkNames(name, labelNames);
    this.gauges.set(name, { type: 'counter', name, help, labelNames, collect });
  }

  /** The exposition text. A gauge whose reading fails is left out and counted in vpcflow_telemetry_gauge_failures_total. */
  async render(): Promise<string> {
    const lines: string[] = [];
    let failures = 0;
    for (const g of this.gauges.values()) {
      let samples: readonly { labels?: Labels; value: number }[];
      try {
        samples = await g.collect();
      } catch {
        failures++;
        continue;
      }
      lines.push(`# HELP ${g.name} ${g.help}`, `# TYPE ${g.name} ${g.type}`);
      for (const s of samples.slice(0, MAX_SERIES_PER_METRIC)) {
        lines.push(`${g.name}${labelText(g.labelNames, g.labelNames.map((n) => s.labels?.[n] ?? ''))} ${Number.isFinite(s.value) ? s.value : 'NaN'}`);
      }
    }
    for (const c of this.counters.values()) lines.push(...c.render());
    for (const h of this.histograms.values()) lines.push(...h.render());
    const overflow = [...this.counters.values()].reduce((n, c) => n + c.overflow, 0);
    lines.push('# HELP vpcflow_telemetry_overflow_samples_total Samples counted under label value "other" because their metric had reached its bound of label sets',
      '# TYPE vpcflow_telemetry_overflow_samples_total counter', `vpcflow_telemetry_overflow_samples_total ${overflow}`);
    lines.push('# HELP vpcflow_telemetry_gauge_failures Gauges that could not be read for this page', '# TYPE vpcflow_telemetry_gauge_failures gauge', `vpcflow_telemetry_gauge_failures ${failures}`);
    return lines.join('\n') + '\n';
  }

  private checkNames(name: string, labelNames: readonly string[]): void {
    if (!METRIC_NAME.test(name)) throw new TelemetryError(`'${name}' is not a Prometheus metric name`);
    if (this.counters.has(name) || this.gauges.has(name) || this.histograms.has(name)) throw new TelemetryError(`metric ${name} is registered twice`);
    for (const l of labelNames) if (!LABEL_NAME.test(l) || l.startsWith('__')) throw new TelemetryError(`'${l}' is not a Prometheus label name`);
  }
}
