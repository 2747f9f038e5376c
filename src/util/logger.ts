/**
 * A small structured logger: one line per event, `level module message key=value…`.
 * Parts get `logger.child(module)`; tests pass `silentLogger`.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
  child(module: string): Logger
}

function formatValue(v: unknown): string {
  if (typeof v === 'bigint') return v.toString()
  if (v instanceof Uint8Array) return '0x' + Buffer.from(v).toString('hex')
  if (v instanceof Error) return JSON.stringify(v.message)
  if (typeof v === 'string') return /\s/.test(v) ? JSON.stringify(v) : v
  return JSON.stringify(v)
}

export function createLogger(opts: { level?: LogLevel; module?: string; write?: (line: string) => void } = {}): Logger {
  const min = order[opts.level ?? 'info']
  const write = opts.write ?? ((line: string) => process.stderr.write(line + '\n'))
  const make = (module: string): Logger => {
    const log = (level: LogLevel) => (msg: string, fields?: Record<string, unknown>) => {
      if (order[level] < min) return
      const time = new Date().toISOString().slice(11, 23)
      const kv = fields
        ? Object.entries(fields)
            .map(([k, v]) => ` ${k}=${formatValue(v)}`)
            .join('')
        : ''
      write(`${time} ${level.toUpperCase().padEnd(5)} [${module}] ${msg}${kv}`)
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
