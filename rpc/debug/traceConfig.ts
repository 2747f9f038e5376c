/**
 * The options object of debug_traceTransaction / debug_traceCall (geth's TraceConfig and
 * TraceCallConfig). Unknown fields are ignored as in geth; overrides, which this node does not
 * apply, are refused rather than silently ignored.
 */
import { InvalidParamsError } from '../errors.js'
import { bool, type Validator } from '../params.js'
import { NfcError } from '../../src/util/errors.js'
import { TraceErrorCode, type TraceConfig } from '../../src/execution/trace.js'

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const jsonType = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v)
const present = (o: Record<string, unknown>, k: string) => Object.hasOwn(o, k) && o[k] !== null

function typed<T>(o: Record<string, unknown>, key: string, goType: string, check: (v: unknown) => v is T): T | undefined {
  if (!present(o, key)) return undefined
  const v = o[key]
  if (!check(v)) throw new InvalidParamsError(`json: cannot unmarshal ${jsonType(v)} into Go struct field TraceConfig.${key} of type ${goType}`)
  return v
}

const isString = (v: unknown): v is string => typeof v === 'string'
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v)

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/** Go's time.ParseDuration ("5s", "300ms", "1m30s", "1.5s"), in ms. */
export function parseGoDuration(s: string): number {
  const fail = () => {
    throw new NfcError(TraceErrorCode.BadConfig, `time: invalid duration ${JSON.stringify(s)}`)
  }
  if (s === '0') return 0
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy
  let ms = 0
  let at = 0
  let m: RegExpExecArray | null
  while ((m = re.exec(s)) !== null) {
    ms += parseFloat(m[1]!) * UNITS[m[2]!]!
    at = re.lastIndex
  }
  if (at === 0 || at !== s.length) fail()
  return ms
}

/** The tracer options (param 1 of traceTransaction, param 2 of traceCall). */
export function traceConfig(opts: { call: boolean }): Validator<TraceConfig> {
  return (v) => {
    if (!isObject(v)) throw new InvalidParamsError(`json: cannot unmarshal ${jsonType(v)} into Go value of type tracers.TraceConfig`)
    const out: TraceConfig = {}
    const tracer = typed(v, 'tracer', 'string', isString)
    if (tracer !== undefined) out.tracer = tracer
    for (const key of ['disableStack', 'disableStorage', 'enableMemory', 'enableReturnData'] as const) {
      const b = typed(v, key, 'bool', (x): x is boolean => typeof x === 'boolean')
      if (b !== undefined) out[key] = b
    }
    const limit = typed(v, 'limit', 'int', isInt)
    if (limit !== undefined) out.limit = limit
    const timeout = typed(v, 'timeout', 'string', isString)
    if (timeout !== undefined) out.timeoutMs = parseGoDuration(timeout)
    if (present(v, 'tracerConfig')) {
      const tc = v.tracerConfig
      if (!isObject(tc))
        throw new InvalidParamsError(`json: cannot unmarshal ${jsonType(tc)} into Go struct field TraceConfig.tracerConfig of type json.RawMessage`)
      out.tracerConfig = {}
      if (present(tc, 'onlyTopCall')) out.tracerConfig.onlyTopCall = bool(tc.onlyTopCall)
      if (present(tc, 'withLog')) out.tracerConfig.withLog = bool(tc.withLog)
    }
    if (opts.call) {
      for (const key of ['stateOverrides', 'blockOverrides']) {
        if (present(v, key)) throw new NfcError(TraceErrorCode.BadConfig, `${key} are not supported by this node`)
      }
    }
    return out
  }
}
