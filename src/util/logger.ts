/**
 * A small structured logger: one line per event. Two formats:
 * - `text` (default): `time LEVEL [module] message key=value…`;
 * - `json`: one object a line, `{"time","level","module","msg",…fields}` (for log shippers).
 * Values are made readable the same way in both: bigints as decimal strings, bytes as 0x hex
 * (also inside arrays and objects), errors as their message.
 * Parts get `logger.child(module)`; tests pass `silentLogger`.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
export type LogFormat = 'text' | 'json'
const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error']
export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json']

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
  child(module: string): Logger
}

/** how deep plain values are followed; deeper ones are written as "…" */
const MAX_DEPTH = 6

/** a log field as plain JSON: bigint → decimal string, bytes → 0x hex, Error → its message */
export function loggable(v: unknown, depth = 0): unknown {
  if (typeof v === 'bigint') return v.toString()
  if (v instanceof Uint8Array) return '0x' + Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')
  if (v instanceof Error) return v.message
  if (v === null || typeof v !== 'object') return v
  if (depth >= MAX_DEPTH) return '…'
  if (Array.isArray(v)) return v.map((x) => loggable(x, depth + 1))
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), loggable(x, depth + 1)]))
  if (v instanceof Set) return [...v].map((x) => loggable(x, depth + 1))
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, loggable(x, depth + 1)]))
}

function formatValue(v: unknown): string {
  const plain = loggable(v)
  if (typeof plain === 'string') return /\s/.test(plain) || plain === '' ? JSON.stringify(plain) : plain
  return JSON.stringify(plain) ?? 'undefined'
}

function textLine(time: Date, level: LogLevel, module: string, msg: string, fields: Record<string, unknown> | undefined): string {
  const kv = fields
    ? Object.entries(fields)
        .map(([k, v]) => ` ${k}=${formatValue(v)}`)
        .join('')
    : ''
  return `${time.toISOString().slice(11, 23)} ${level.toUpperCase().padEnd(5)} [${module}] ${msg}${kv}`
}

function jsonLine(time: Date, level: LogLevel, module: string, msg: string, fields: Record<string, unknown> | undefined): string {
  // the fixed keys win over a field of the same name, which keeps its value under `field.<name>`
  const out: Record<string, unknown> = { time: time.toISOString(), level, module, msg }
  for (const [k, v] of Object.entries(fields ?? {})) out[k in out ? `field.${k}` : k] = loggable(v)
  return JSON.stringify(out)
}

export function createLogger(opts: { level?: LogLevel; format?: LogFormat; module?: string; write?: (line: string) => void } = {}): Logger {
  const min = order[opts.level ?? 'info']
  const write = opts.write ?? ((line: string) => process.stderr.write(line + '\n'))
  const line = opts.format === 'json' ? jsonLine : textLine
  const make = (module: string): Logger => {
    const log = (level: LogLevel) => (msg: string, fields?: Record<string, unknown>) => {
      if (order[level] < min) return
      write(line(new Date(), level, module, msg, fields))
    }
    return {
      debug: log('debug'),
      info: log('info'),
      warn: log('warn'),
      error: log('error'),
      child: (m: string) => make(module ? `${module}/${m}` : m),
    }
  }
  return make(opts.module ?? '')
}

export const silentLogger: Logger = createLogger({ level: 'error', write: () => {} })
