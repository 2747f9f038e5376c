/**
 * A tiny Prometheus registry (counters, gauges, histograms) rendered in the text exposition
 * format 0.0.4 — enough for /metrics without a dependency. Label values are escaped; callers
 * are responsible for keeping label sets bounded (the RPC layer maps unregistered method names
 * to "unknown").
 */

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

type Labels = Record<string, string>

/** Upper bounds in seconds; fine at the low end, where most RPC calls land. */
export const defaultLatencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/

const escapeHelp = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
const escapeValue = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN'
  if (n === Infinity) return '+Inf'
  if (n === -Infinity) return '-Inf'
  return String(n)
}

function labelText(names: readonly string[], values: readonly string[], extra?: [string, string]): string {
  const parts = names.map((n, i) => `${n}="${escapeValue(values[i]!)}"`)
  if (extra) parts.push(`${extra[0]}="${escapeValue(extra[1])}"`)
  return parts.length === 0 ? '' : `{${parts.join(',')}}`
}

abstract class Metric<V> {
  protected readonly series = new Map<string, { values: string[]; v: V }>()
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {
    if (!NAME.test(name)) throw new Error(`bad metric name ${name}`)
    for (const l of labelNames) if (!LABEL.test(l) || l === 'le') throw new Error(`bad label name ${l}`)
  }
  abstract readonly type: 'counter' | 'gauge' | 'histogram'
  protected abstract fresh(): V
  protected abstract lines(labels: string[], v: V): string[]

  protected get(labels: Labels = {}): V {
    const values = this.labelNames.map((n) => {
      const v = labels[n]
      if (v === undefined) throw new Error(`${this.name}: missing label ${n}`)
      return v
    })
    const key = values.join('\u0000')
    let s = this.series.get(key)
    if (!s) {
      s = { values, v: this.fresh() }
      this.series.set(key, s)
    }
    return s.v
  }

  render(): string {
    const out = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`]
    for (const s of this.series.values()) out.push(...this.lines(s.values, s.v))
    return out.join('\n') + '\n'
  }

  reset(): void {
    this.series.clear()
  }
}

export class Counter extends Metric<{ n: number }> {
  readonly type = 'counter'
  protected fresh() {
    return { n: 0 }
  }
  inc(labels?: Labels, by = 1): void {
    if (by < 0) throw new Error(`${this.name}: counters only go up`)
    this.get(labels).n += by
  }
  value(labels?: Labels): number {
    return this.get(labels).n
  }
  protected lines(values: string[], v: { n: number }) {
    return [`${this.name}${labelText(this.labelNames, values)} ${formatNumber(v.n)}`]
  }
}

export class Gauge extends Metric<{ n: number }> {
  readonly type = 'gauge'
  protected fresh() {
    return { n: 0 }
  }
  set(labels: Labels | undefined, value: number | bigint): void {
    this.get(labels).n = Number(value)
  }
  protected lines(values: string[], v: { n: number }) {
    return [`${this.name}${labelText(this.labelNames, values)} ${formatNumber(v.n)}`]
  }
}

interface HistogramValue {
  counts: number[]
  sum: number
  count: number
}

export class Histogram extends Metric<HistogramValue> {
  readonly type = 'histogram'
  readonly buckets: readonly number[]
  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[] = defaultLatencyBuckets) {
    super(name, help, labelNames)
    this.buckets = [...buckets].sort((a, b) => a - b)
  }
  protected fresh(): HistogramValue {
    return { counts: this.buckets.map(() => 0), sum: 0, count: 0 }
  }
  observe(labels: Labels | undefined, value: number): void {
    const h = this.get(labels)
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) h.counts[i]!++
    h.sum += value
    h.count++
  }
  protected lines(values: string[], h: HistogramValue) {
    const out = this.buckets.map(
      (b, i) => `${this.name}_bucket${labelText(this.labelNames, values, ['le', formatNumber(b)])} ${h.counts[i]}`,
    )
    out.push(`${this.name}_bucket${labelText(this.labelNames, values, ['le', '+Inf'])} ${h.count}`)
    out.push(`${this.name}_sum${labelText(this.labelNames, values)} ${formatNumber(h.sum)}`)
    out.push(`${this.name}_count${labelText(this.labelNames, values)} ${h.count}`)
    return out
  }
}

export class Registry {
  private readonly metrics = new Map<string, Metric<unknown>>()

  private add<M extends Metric<any>>(m: M): M {
    if (this.metrics.has(m.name)) throw new Error(`metric ${m.name} registered twice`)
    this.metrics.set(m.name, m)
    return m
  }
  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add(new Counter(name, help, labelNames))
  }
  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.add(new Gauge(name, help, labelNames))
  }
  histogram(name: string, help: string, labelNames: readonly string[] = [], buckets?: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, labelNames, buckets))
  }
  /** The whole registry in the text format, metrics in registration order. */
  render(): string {
    return [...this.metrics.values()].map((m) => m.render()).join('')
  }
}
