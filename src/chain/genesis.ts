/**
 * Genesis file: load, validate, and serialise canonically. The format is documented in
 * docs/genesis.md; field checks live in ./genesisSchema.ts.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { NfcError } from '../util/errors.js'
import { hexOf } from '../util/bytes.js'
import { DEFAULT_PARAMS, validateGenesis, type Genesis } from './genesisSchema.js'

export type { Genesis, GenesisAccount, GenesisParams, GenesisWitness } from './genesisSchema.js'
export { DEFAULT_PARAMS, formatNfc } from './genesisSchema.js'

export type GenesisErrorCode = 'GENESIS_INVALID' | 'GENESIS_NOT_FOUND' | 'GENESIS_UNREADABLE' | 'GENESIS_BAD_JSON'

function invalid(problems: string[], where: string): NfcError<GenesisErrorCode> {
  const n = problems.length
  const msg = `invalid genesis${where} (${n} problem${n === 1 ? '' : 's'}):\n${problems.map((x) => `  - ${x}`).join('\n')}`
  return new NfcError('GENESIS_INVALID', msg, { problems })
}

/** Throws GENESIS_INVALID listing every problem found (meta.problems), one per line in the message. */
export function parseGenesis(json: unknown): Genesis {
  const problems: string[] = []
  const g = validateGenesis(json, problems)
  if (!g) throw invalid(problems, '')
  return g
}

export function loadGenesisFile(path: string): Genesis {
  const abs = resolve(path)
  let text: string
  try {
    text = readFileSync(abs, 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT') {
      throw new NfcError('GENESIS_NOT_FOUND', `genesis file not found: ${abs}`, { path: abs })
    }
    throw new NfcError('GENESIS_UNREADABLE', `cannot read genesis file ${abs}: ${(e as Error).message}`, { path: abs, cause: code })
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1) // editors on Windows add a BOM

  // Our own scan first: V8's JSON.parse messages often lack a position, and it silently keeps
  // the last of two identical keys (a duplicated alloc entry would just vanish).
  const scan = scanJson(text)
  if (scan.error) {
    const { line, column, excerpt } = locate(text, scan.error.pos)
    throw new NfcError('GENESIS_BAD_JSON', `${abs}:${line}:${column}: invalid JSON: ${scan.error.message}\n${excerpt}`, {
      path: abs,
      line,
      column,
      reason: scan.error.message,
    })
  }
  const json: unknown = JSON.parse(text)
  const problems = scan.duplicates.map(
    (d) => `${d.path}: appears twice in the file (lines ${d.firstLine} and ${d.line}); JSON keeps only the last, so remove one`,
  )
  const g = validateGenesis(json, problems)
  if (!g || problems.length > 0) throw invalid(problems, ` file ${abs}`)
  return g
}

// ---------------------------------------------------------------------------------------------
// canonical form

const hex = hexOf

/**
 * Parameters added after chains were running: at their default they stay out of the canonical form, so an existing data directory (whose genesis
 * never named them) keeps its genesis hash; set to anything else they are part of it.
 */
const LATER_PARAMS = {
  flowMaxRateBytesPerSec: DEFAULT_PARAMS.flowMaxRateBytesPerSec,
  flowSignDeadlineSec: DEFAULT_PARAMS.flowSignDeadlineSec,
  flowSelfDealingWindowCycles: DEFAULT_PARAMS.flowSelfDealingWindowCycles,
  flowAuditBps: DEFAULT_PARAMS.flowAuditBps,
  govVotingSec: DEFAULT_PARAMS.govVotingSec,
  govTimelockSec: DEFAULT_PARAMS.govTimelockSec,
  govQuorumBps: DEFAULT_PARAMS.govQuorumBps,
  govMajorityBps: DEFAULT_PARAMS.govMajorityBps,
  govRangeFactor: DEFAULT_PARAMS.govRangeFactor,
  nameLockPerYear: DEFAULT_PARAMS.nameLockPerYear,
  nameMinTermSec: DEFAULT_PARAMS.nameMinTermSec,
  nameMaxTermSec: DEFAULT_PARAMS.nameMaxTermSec,
  flowProviderSessionShareBps: DEFAULT_PARAMS.flowProviderSessionShareBps,
  channelChallengeSec: DEFAULT_PARAMS.channelChallengeSec,
  storageProofPeriodSec: DEFAULT_PARAMS.storageProofPeriodSec,
  storageProofLeaves: DEFAULT_PARAMS.storageProofLeaves,
  storageCollateral: DEFAULT_PARAMS.storageCollateral,
  storageSlashBps: DEFAULT_PARAMS.storageSlashBps,
  storageMaxActiveDeals: DEFAULT_PARAMS.storageMaxActiveDeals,
} as const

/**
 * Deterministic JSON: sorted keys, no whitespace, every bigint as a decimal string, bytes as
 * lowercase hex, storage values as 32-byte words, alloc keyed by lowercase address; every
 * parameter, the foundation (null when none) and the vesting grants (ms) are part of it.
 * Labels are left out on purpose: they are notes for humans, and renaming an account must not
 * change the genesis hash (which would split a network).
 */
export function canonicalGenesisJson(g: Genesis): string {
  const alloc: Record<string, unknown> = {}
  for (const [addr, a] of g.alloc) {
    const acct: Record<string, unknown> = { balance: a.balance.toString(), nonce: a.nonce.toString() }
    if (a.code && a.code.length > 0) acct.code = hex(a.code)
    if (a.storage.length > 0) {
      acct.storage = Object.fromEntries(a.storage.map(([k, v]) => [hex(k), `0x${Buffer.from(v).toString('hex').padStart(64, '0')}`]))
    }
    alloc[addr.toLowerCase()] = acct
  }
  // every parameter, bigints as decimal strings: any change of a consensus value changes the form
  const params = Object.fromEntries(
    Object.entries(g.params)
      .filter(([k, v]) => !(k in LATER_PARAMS) || v !== LATER_PARAMS[k as keyof typeof LATER_PARAMS])
      .map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v]),
  )
  return stableStringify({
    name: g.name,
    chainId: g.chainId.toString(),
    timestamp: g.timestamp,
    params,
    totalSupply: g.totalSupply.toString(),
    // order kept: it is the initial witness list as given
    witnesses: g.witnesses.map((w) => ({
      address: w.address,
      pledge: w.pledge.toString(),
      votes: w.votes.toString(),
      bonusRatioBps: w.bonusRatioBps,
      url: w.url,
    })),
    alloc,
    foundation: g.foundation,
    // order kept, labels left out (as for alloc)
    vesting: g.vesting.map((v) => ({ address: v.address, amount: v.amount.toString(), cliffMs: v.cliffMs.toString(), durationMs: v.durationMs.toString() })),
  })
}

function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>
    const keys = Object.keys(o).sort() // code-unit order: stable across engines and locales
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`).join(',')}}`
  }
  return JSON.stringify(v)
}

// ---------------------------------------------------------------------------------------------
// strict JSON scan: positions for syntax errors, and duplicate keys

interface ScanResult {
  error?: { pos: number; message: string }
  duplicates: { path: string; line: number; firstLine: number }[]
}

class ScanError extends Error {
  constructor(
    readonly pos: number,
    message: string,
  ) {
    super(message)
  }
}

/** Recursive-descent check of RFC 8259 JSON; stops at the first syntax error. */
export function scanJson(s: string): ScanResult {
  const duplicates: ScanResult['duplicates'] = []
  let i = 0
  const lineAt = (pos: number): number => {
    let n = 1
    for (let k = 0; k < pos; k++) if (s.charCodeAt(k) === 10) n++
    return n
  }
  const what = (): string => (i >= s.length ? 'end of file (truncated, or a "}" / "]" missing?)' : JSON.stringify(s[i]))
  const fail = (message: string): never => {
    throw new ScanError(i, message)
  }
  const ws = (): void => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i++
    if (s[i] === '/' && (s[i + 1] === '/' || s[i + 1] === '*')) fail('comments are not allowed in JSON')
  }
  const str = (): string => {
    const start = i++
    for (;;) {
      if (i >= s.length) {
        i = start
        fail('unterminated string')
      }
      const c = s.charCodeAt(i)
      if (c === 0x22) break
      if (c < 0x20) fail('raw control character (e.g. a newline) inside a string; escape it')
      if (c === 0x5c) {
        i++
        if (s[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(s.slice(i + 1, i + 5))) fail('invalid \\u escape; expected 4 hex digits')
          i += 4
        } else if (!'"\\/bfnrt'.includes(s[i] ?? 'x')) fail(`invalid escape \\${s[i] ?? ''}`)
      }
      i++
    }
    i++
    return JSON.parse(s.slice(start, i)) as string
  }
  const NUM = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y
  const value = (path: string): void => {
    ws()
    const c = s[i]
    if (c === '{') return obj(path)
    if (c === '[') return arr(path)
    if (c === '"') return void str()
    for (const lit of ['true', 'false', 'null']) {
      if (s.startsWith(lit, i)) {
        i += lit.length
        return
      }
    }
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      NUM.lastIndex = i
      if (!NUM.exec(s)) fail('invalid number')
      i = NUM.lastIndex
      if (/[0-9A-Za-z.]/.test(s[i] ?? '')) fail('invalid number (leading zeros, hex and other forms are not JSON; quote it)')
      return
    }
    if (c === "'") fail('strings must use double quotes ("), not single quotes (\')')
    fail(`unexpected ${what()}; expected a value (object, array, string, number, true, false or null)`)
  }
  const obj = (path: string): void => {
    i++
    const seen = new Map<string, number>()
    ws()
    if (s[i] === '}') return void i++
    let comma = -1
    for (;;) {
      ws()
      if (s[i] !== '"') {
        if (s[i] === '}') {
          i = comma // point at the comma itself, which is what needs deleting
          fail('trailing comma before "}" is not allowed in JSON')
        }
        fail(`expected a double-quoted property name, got ${what()}`)
      }
      const keyPos = i
      const key = str()
      const kp = path === '' ? key : `${path}.${key}`
      const first = seen.get(key)
      if (first !== undefined) duplicates.push({ path: kp, line: lineAt(keyPos), firstLine: lineAt(first) })
      else seen.set(key, keyPos)
      ws()
      if (s[i] !== ':') fail(`expected ":" after property name ${JSON.stringify(key)}, got ${what()}`)
      i++
      value(kp)
      ws()
      if (s[i] === ',') {
        comma = i++
        continue
      }
      if (s[i] === '}') return void i++
      fail(`expected "," or "}" after the value of ${JSON.stringify(kp)}, got ${what()}`)
    }
  }
  const arr = (path: string): void => {
    i++
    ws()
    if (s[i] === ']') return void i++
    let comma = -1
    for (let n = 0; ; n++) {
      ws()
      if (s[i] === ']') {
        i = comma
        fail('trailing comma before "]" is not allowed in JSON')
      }
      value(`${path}[${n}]`)
      ws()
      if (s[i] === ',') {
        comma = i++
        continue
      }
      if (s[i] === ']') return void i++
      fail(`expected "," or "]" after element ${n} of ${path || 'the array'}, got ${what()}`)
    }
  }
  try {
    ws()
    if (i >= s.length) fail('the file is empty; expected a JSON object')
    value('')
    ws()
    if (i < s.length) fail(`unexpected ${what()} after the end of the JSON value`)
  } catch (e) {
    if (e instanceof ScanError) return { error: { pos: e.pos, message: e.message }, duplicates }
    throw e
  }
  return { duplicates }
}

/** 1-based line and column (in UTF-16 units) of `pos`, plus the line with a caret under it. */
function locate(text: string, pos: number): { line: number; column: number; excerpt: string } {
  const before = text.slice(0, pos)
  const line = before.split('\n').length
  const lineStart = before.lastIndexOf('\n') + 1
  const column = pos - lineStart + 1
  let lineEnd = text.indexOf('\n', pos)
  if (lineEnd < 0) lineEnd = text.length
  // Keep long (minified) lines readable: show at most ~60 chars either side.
  const from = Math.max(lineStart, pos - 60)
  const to = Math.min(lineEnd, pos + 60)
  const src = text.slice(from, to).replace(/\r$/, '').replace(/\t/g, ' ')
  const gutter = `${line} | `
  return { line, column, excerpt: `${gutter}${src}\n${' '.repeat(gutter.length + pos - from)}^` }
}
