// Long on purpose (774 lines): one schema for the whole genesis document with its error messages (every bad field named in one run).
/**
 * Field-by-field validation of a parsed genesis document. Each section is a zod schema
 * (`paramsSchema`, `witnessSchema`, `accountSchema`, `grantSchema`): the TypeScript types, the
 * defaults and the field checks come from it; what spans sections (supply sums, funds held for
 * pledges and grants, duplicates, the witness count) is checked below by hand. The checks
 * themselves are the helpers below, not generic schema errors: genesis files are edited by
 * people, and the messages here name the exact path, say what was found and what is expected
 * (with a "did you mean" for typos).
 *
 * Every check pushes onto one `problems` list instead of throwing, so a user fixing a file sees
 * all of its problems in one run.
 */
import { isValidChecksumAddress, toChecksumAddress } from '@ethereumjs/util'
import { z } from 'zod'
import { NFC, POOLS, SYSTEM_CONTRACTS, TOTAL_SUPPLY } from './systemAddresses.js'

/** A team vesting grant as the chain keeps it (ms units); paid from POOLS.teamVesting. */
export interface VestingGrant {
  /** lowercase 0x address of the beneficiary */
  address: string
  amount: bigint
  /** nothing vests before genesisTime + cliffMs */
  cliffMs: bigint
  /** then it vests linearly over durationMs */
  durationMs: bigint
}

export interface Genesis {
  name: string
  chainId: bigint
  /** ms since the Unix epoch; 0 = "when the data directory is first created" (dev chains). */
  timestamp: number
  params: GenesisParams
  totalSupply: bigint
  /** In file order (the order may matter to the first round). */
  witnesses: GenesisWitness[]
  /** [lowercase 0x address, account], sorted by address ascending for determinism. */
  alloc: [string, GenesisAccount][]
  /**
   * Lowercase 0x address of the foundation, or null: it receives the NFC converted to NB once the
   * burn cap is reached, and it alone sets NB's oracle price (DESIGN §6).
   */
  foundation: string | null
  /** Team vesting grants in file order (ms units), paid from POOLS.teamVesting. */
  vesting: VestingGrant[]
}

const MAX_UINT256 = 2n ** 256n - 1n
const MAX_UINT64 = 2n ** 64n - 1n

// ---------------------------------------------------------------------------------------------
// params: one zod schema gives the type (GenesisParams), the defaults (DEFAULT_PARAMS) and the
// checks. Each field parses with the same helpers as the rest of the file, so a bad value gets
// the same message naming its path; zod collects every field's problems in one pass.

type Ctx = z.RefinementCtx

/** Report `p` as zod issues (the messages already name their path) and fail the field. */
function fail(ctx: Ctx, p: Problems): never {
  if (p.length === 0) p.push(`${ctx.path.join('.')}: invalid`) // every helper says why; never fail silently
  for (const message of p) ctx.addIssue({ code: z.ZodIssueCode.custom, message })
  return z.NEVER
}

const paramPath = (ctx: Ctx) => `params.${ctx.path.join('.')}`

/** A plain JSON integer from `min` to `max`; `example` is shown when it is not one. */
const int = (min: number, max: number, def: number, example = def) =>
  z.unknown().transform((v, ctx): number => {
    if (v === undefined) return def
    const p: Problems = []
    return parseInteger(v, paramPath(ctx), p, min, max, example) ?? fail(ctx, p)
  })

/** An amount of wei: a quoted decimal or 0x-hex string, never a JSON number (see parseAmount). */
const amount = (def: bigint, max = MAX_UINT256) =>
  z.unknown().transform((v, ctx): bigint => {
    if (v === undefined) return def
    const p: Problems = []
    return parseAmount(v, paramPath(ctx), p, max, 'an amount') ?? fail(ctx, p)
  })

/** An integer that may pass 2^53: a safe JSON integer or a decimal/0x string. */
const bigInteger = (min: bigint, max: bigint, def: bigint) =>
  z.unknown().transform((v, ctx): bigint => {
    if (v === undefined) return def
    const p: Problems = []
    return parseBigInteger(v, paramPath(ctx), p, min, max) ?? fail(ctx, p)
  })

/**
 * A field of a section: `parse` checks a present value (pushing its problems, each starting with
 * the path), `absent` says what a left-out value means: a default, or a "missing" problem.
 */
function field<T>(parse: (v: unknown, path: string, p: Problems) => T | undefined, absent: { def: T } | { missing: string }) {
  return z.unknown().transform((v, ctx): T => {
    const path = ctx.path.join('.')
    const p: Problems = []
    if (v === undefined) {
      if ('def' in absent) return absent.def
      p.push(`${path}: missing; ${absent.missing}`)
      return fail(ctx, p)
    }
    const r = parse(v, path, p)
    return r === undefined ? fail(ctx, p) : r
  })
}

/** A note for humans. */
const label = field<string | undefined>(
  (v, path, p) => {
    if (typeof v === 'string') return v
    p.push(`${path}: expected a string (a note for humans), got ${describeType(v)}`)
    return undefined
  },
  { def: undefined },
)

const SAFE = Number.MAX_SAFE_INTEGER

/** Defaults are mainnet values (DESIGN §3, §4); devnets override them in their genesis. */
export const paramsSchema = z.object({
  blockIntervalMs: int(100, 60_000, 1000),
  minGasPrice: amount(1_000_000_000n),
  // what a 2-core node executes in half a 1 s interval (docs/decisions.md, issue 14); was 30,000,000
  blockGasLimit: bigInteger(5000n, 2n ** 63n, 50_000_000n),
  maxTxSizeBytes: int(1024, 4 * 1024 * 1024, 131_072),
  unbondingDelaySec: int(0, SAFE, 259_200),
  flowCycleSec: int(1, SAFE, 3600),
  witnessesPerRound: int(1, 101, 21),
  electionCycleBlocks: int(1, SAFE, 604_800),
  /** minimum pledge of a root node (RN), in wei */
  rnPledge: amount(100_000n * NFC),
  /** a pledge unlocks linearly over this many seconds after its node exits (DESIGN §6) */
  pledgeUnlockSec: int(0, SAFE, 15_552_000),
  /** share of an offender's stake sent to the shared pool on proven evidence, in basis points */
  evidenceSlashBps: int(0, 10_000, 1000),
  // --- PoVF and the token economy (DESIGN §5, §6) ---
  /** minimum pledge of a central node (CN), in wei */
  cnPledge: amount(10_000n * NFC),
  /** minimum pledge of an edge node (EN), in wei */
  enPledge: amount(1_000n * NFC),
  /** flow side-chain committee size (CN/RN nodes drawn each counting cycle) */
  flowCommitteeSize: int(1, 101, 7),
  /** challenge window after a checkpoint lands on the main chain, seconds */
  flowChallengeSec: int(0, SAFE, 3600),
  /** committee members that have not signed a cycle's checkpoint this long after the cycle ended are skipped (and penalised); redraw period (DESIGN §12) */
  flowSignDeadlineSec: int(1, SAFE, 60),
  /** `k`: the sample seed of a receipt uses the block k blocks after its commitment (DESIGN §5.4) */
  flowSampleLagBlocks: int(1, 256, 3),
  /** share of each pending checkpoint's entries every RN/CN challenges for a slice opening by itself, basis points (DESIGN §12 "Audits run by themselves") */
  flowAuditBps: int(0, 10_000, 500),
  /** `L`: bytes per (consumer, provider) pair and cycle above which bytes count logarithmically */
  flowLogThresholdBytes: bigInteger(1n, MAX_UINT64, 10_000_000_000n),
  /** `capFactor` in basis points: a pair's reward ≤ capFactor × the value of the NB fuel burned for it */
  flowCapFactorBps: int(0, 1_000_000, 10_000),
  /** the most one flow session carries, bytes/s: what a receipt claims above its settled total is refused past this × the time since the cycle two before began (an edge rule, DESIGN §12) */
  flowMaxRateBytesPerSec: bigInteger(1n, MAX_UINT64, 1_250_000_000n),
  /** `N`: a pair counts zero when the consumer's NB came from the provider within 2 hops during the last N flow cycles (DESIGN §12) */
  flowSelfDealingWindowCycles: int(1, 1_000_000, 720),
  /** the share of a cycle's checkpoint entries (4,096 sessions) one provider may take, basis points: the others cannot be crowded out (an edge rule, DESIGN §12) */
  flowProviderSessionShareBps: int(1, 10_000, 1_000),
  /** NB fuel price per GB (10^9 bytes), in NB wei */
  fuelPricePerGb: amount(10n ** 16n),
  /** the anchored NFC price in NB wei per NFC (the oracle value at genesis; governance may change it) */
  nfcPriceNb: amount(10n ** 17n),
  /** an address must hold more than this many wei of NFC to convert NFC to NB */
  nbConvertMinBalance: amount(1_000n * NFC),
  /** NFC converted to NB is burned (sent to address 0) until this many wei have been burned */
  nbBurnCap: amount(1_005_000_000n * NFC),
  /** traffic rewards stay locked this long, seconds (30 days) */
  flowLockSec: int(0, SAFE, 2_592_000),
  /** then unlock linearly over this long, seconds (180 days) */
  flowUnlockSec: int(0, SAFE, 15_552_000),
  // --- governance (DESIGN §14) ---
  /** how long a governance proposal is open for votes, seconds (7 days) */
  govVotingSec: int(1, SAFE, 604_800),
  /** an approved proposal is executed at the first flow-cycle boundary this long after its vote ended, seconds (2 days) */
  govTimelockSec: int(0, SAFE, 172_800),
  /** quorum: the votes cast (yes + no) must reach this share of all staked NFC at the proposal, basis points */
  govQuorumBps: int(0, 10_000, 2_000),
  /** majority: a proposal passes when yes is above this share of the votes cast, basis points */
  govMajorityBps: int(5_000, 9_999, 5_000),
  /** a governed parameter stays within [genesis value ÷ this, genesis value × this] */
  govRangeFactor: int(1, 1_000, 10),
  // --- Names (DESIGN §14) ---
  /** NFC a name locks per year of its term, in wei (pro rata for other terms; returned at release or expiry) */
  nameLockPerYear: amount(100n * NFC),
  /** shortest term a name is registered or renewed for, seconds (30 days) */
  nameMinTermSec: int(1, SAFE, 2_592_000),
  /** longest a name may stay registered ahead of the block time, seconds (10 years of 365 days) */
  nameMaxTermSec: int(1, SAFE, 315_360_000),
  /** a payment channel's challenge period, seconds: after the consumer starts closing, the provider can still redeem this long (DESIGN §13) */
  channelChallengeSec: int(0, SAFE, 86_400),
  // --- storage deals (DESIGN §14) ---
  /** length of a storage proof period, seconds: periods are global, period = ⌊block time / this⌋ */
  storageProofPeriodSec: int(1, SAFE, 3_600),
  /** leaves (4 KiB chunks) a provider proves per deal and period */
  storageProofLeaves: int(1, 64, 4),
  /** the least NFC collateral, in wei, a provider puts up to accept a deal */
  storageCollateral: amount(100n * NFC),
  /** share of a deal's collateral a missed proof period costs the provider (paid to the client), basis points */
  storageSlashBps: int(0, 10_000, 5_000),
  /** the most storage deals active at once (accept is refused above it; bounds the per-period settlement) */
  storageMaxActiveDeals: int(1, 100_000, 1_024),
})

/** The chain parameters, every one set (a file may leave any out: it gets the default). */
export type GenesisParams = z.output<typeof paramsSchema>

/**
 * A genesis witness is, from block 0, a registered root node with `pledge` wei held by the
 * NodeRegistry contract and a registered candidate with `votes` wei self-voted (the voter is
 * the witness itself) held by the Staking contract. (Its pledge is checked against
 * params.rnPledge with the rest of the document.)
 */
export const witnessSchema = (rnPledge?: bigint) =>
  z.object({
    /** EIP-55 checksummed */
    address: field(parseAddress, { missing: 'expected the witness address (0x + 40 hex digits)' }),
    pledge: field((v, path, p) => parseAmount(v, path, p, MAX_UINT256, 'pledge'), {
      missing: `expected its root-node pledge in wei, at least params.rnPledge${rnPledge === undefined ? '' : ` = "${rnPledge}"`}`,
    }),
    votes: field((v, path, p) => parseAmount(v, path, p, MAX_UINT256, 'votes'), {
      missing: 'expected its self-vote in wei (held by the Staking contract), "0" for none',
    }),
    /** share of its block rewards paid to its voters, 0…10,000 basis points */
    bonusRatioBps: field((v, path, p) => parseInteger(v, path, p, 0, MAX_BPS, 1000), {
      missing: "expected its voters' share of its block rewards in basis points, 0 to 10000 (e.g. 1000 = 10%)",
    }),
    /** at most 256 bytes of UTF-8; may be empty */
    url: field(
      (v, path, p) => {
        if (typeof v !== 'string') p.push(`${path}: expected a string (may be empty), got ${describeType(v)}`)
        else if (Buffer.byteLength(v, 'utf8') > MAX_URL_BYTES)
          p.push(`${path}: ${Buffer.byteLength(v, 'utf8')} bytes of UTF-8; at most ${MAX_URL_BYTES} are allowed`)
        else return v
        return undefined
      },
      { def: '' },
    ),
  })
export type GenesisWitness = z.output<ReturnType<typeof witnessSchema>>

/** An alloc entry, less its storage (checked apart: a bad slot does not hide the supply sum). */
export const accountSchema = z.object({
  balance: field((v, path, p) => parseAmount(v, path, p, MAX_UINT256, 'balance'), {
    missing: 'every alloc entry states its balance in wei (use "0" for none) so the supply adds up visibly',
  }),
  nonce: field((v, path, p) => parseBigInteger(v, path, p, 0n, MAX_UINT64 - 1n), { def: 0n }), // EIP-2681 cap
  /** absent for "0x" */
  code: field<Uint8Array | null>(
    (v, path, p) => {
      const c = parseCode(v, path, p)
      return c === null ? undefined : (c ?? null)
    },
    { def: null },
  ),
  label,
})
export type GenesisAccount = Omit<z.output<typeof accountSchema>, 'code' | 'label'> & {
  code?: Uint8Array
  /** [32-byte key, value without leading zero bytes], sorted by key; zero values are dropped. */
  storage: [Uint8Array, Uint8Array][]
  label?: string
}

/** A team vesting grant as written in the file (seconds); the chain keeps it in ms (VestingGrant). */
export const grantSchema = z.object({
  address: field(parseAddress, { missing: 'expected the beneficiary address (0x + 40 hex digits)' }),
  amount: field(
    (v, path, p) => {
      const n = parseAmount(v, path, p, MAX_UINT256, 'amount')
      if (n !== 0n) return n
      p.push(`${path}: must be positive (a grant of 0 wei vests nothing); remove the grant instead`)
      return undefined
    },
    { missing: 'expected the granted NFC in wei, e.g. "315000000000000000000000000"' },
  ),
  cliffSec: field((v, path, p) => parseInteger(v, path, p, 0, SAFE, 31_536_000), {
    missing: 'expected seconds after genesis before anything vests, e.g. 31536000 (365 days)',
  }),
  durationSec: field((v, path, p) => parseInteger(v, path, p, 0, SAFE, 189_216_000), {
    missing: 'expected seconds over which it then vests linearly, e.g. 189216000 (6 × 365 days); 0 = all at the cliff',
  }),
  label,
})

/** zod's issues as problems (each message already names its path); `undefined` when there were any. */
function collect<T>(r: z.SafeParseReturnType<unknown, T>, p: Problems): T | undefined {
  if (r.success) return r.data
  for (const issue of r.error.issues) p.push(issue.message)
  return undefined
}

export const DEFAULT_PARAMS: GenesisParams = Object.freeze(paramsSchema.parse({}))

const TOP_FIELDS = ['name', 'chainId', 'timestamp', 'params', 'totalSupply', 'witnesses', 'alloc', 'foundation', 'vesting'] as const
const VESTING_FIELDS = ['address', 'amount', 'cliffSec', 'durationSec', 'label'] as const
const VESTING_EXAMPLE = '{ "address": "0x…", "amount": "<wei>", "cliffSec": 31536000, "durationSec": 189216000 }'
const ACCOUNT_FIELDS = ['balance', 'nonce', 'code', 'storage', 'label'] as const
const WITNESS_FIELDS = ['address', 'pledge', 'votes', 'bonusRatioBps', 'url'] as const
const MAX_URL_BYTES = 256
const MAX_BPS = 10_000
/** What a witness entry looks like, for messages. */
const WITNESS_EXAMPLE = '{ "address": "0x…", "pledge": "<wei>", "votes": "<wei>", "bonusRatioBps": 1000, "url": "" }'
const PARAM_FIELDS = Object.keys(paramsSchema.shape)

/** Below this a non-zero timestamp is almost surely seconds, not ms (1e12 ms = Sept 2001). */
const MIN_MS_TIMESTAMP = 1e12

type Problems = string[]
type Obj = Record<string, unknown>

// ---------------------------------------------------------------------------------------------
// small helpers

export function describeType(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'object') return 'an object'
  if (typeof v === 'string') return `the string ${JSON.stringify(short(v))}`
  if (typeof v === 'number') return `the number ${v}`
  return `${typeof v} ${String(v)}`
}

function short(s: string, max = 80): string {
  return s.length > max ? `${s.slice(0, max)}… (${s.length} chars)` : s
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`
}

/** "2,100,000,000 NFC" / "0.5 NFC": whole NFC with separators, fraction only when non-zero. */
export function formatNfc(wei: bigint): string {
  const neg = wei < 0n
  const abs = neg ? -wei : wei
  const whole = (abs / NFC).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  const frac = (abs % NFC).toString().padStart(18, '0').replace(/0+$/, '')
  return `${neg ? '-' : ''}${whole}${frac ? `.${frac}` : ''} NFC`
}

function nfcAndWei(wei: bigint): string {
  return `${formatNfc(wei)} (${wei} wei)`
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1))
      diag = up
    }
  }
  return row[b.length]!
}

/** Closest known key, if close enough to be a plausible typo (case is ignored). */
export function suggestField(key: string, known: readonly string[]): string | undefined {
  const k = key.toLowerCase()
  let best: string | undefined
  let bestD = Infinity
  for (const cand of known) {
    const d = levenshtein(k, cand.toLowerCase())
    if (d < bestD) [best, bestD] = [cand, d]
  }
  const limit = key.length <= 4 ? 1 : key.length <= 8 ? 2 : 3
  return bestD <= limit ? best : undefined
}

function checkUnknown(obj: Obj, path: string, known: readonly string[], p: Problems, elsewhere: Record<string, string> = {}): void {
  for (const key of Object.keys(obj)) {
    if (known.includes(key)) continue
    const s = suggestField(key, known)
    const where = elsewhere[key]
    const hint = s ? ` (did you mean ${join(path, s)}?)` : where ? ` (${key} belongs in ${where})` : ''
    p.push(`unknown field ${join(path, key)}${hint}; allowed here: ${known.join(', ')}`)
  }
}

// ---------------------------------------------------------------------------------------------
// value parsers: each returns undefined after pushing a problem

/** Amounts: quoted decimal wei or 0x-hex. JSON numbers are refused: above 2^53 they silently lose digits. */
export function parseAmount(v: unknown, path: string, p: Problems, max = MAX_UINT256, what = 'amount'): bigint | undefined {
  if (typeof v === 'number') {
    p.push(
      `${path}: ${what} given as the JSON number ${v}; quote it as a string of wei, e.g. "${Number.isSafeInteger(v) && v >= 0 ? v : '1000000000000000000'}" ` +
        `(JSON numbers lose precision above 2^53; 1 NFC = 10^18 wei)`,
    )
    return undefined
  }
  return parseBigString(v, path, p, max, what)
}

function parseBigString(v: unknown, path: string, p: Problems, max: bigint, what: string): bigint | undefined {
  if (typeof v !== 'string') {
    p.push(`${path}: expected ${what} as a decimal string of wei or a 0x-hex string, got ${describeType(v)}`)
    return undefined
  }
  if (!/^(?:[0-9]+|0x[0-9a-fA-F]+)$/.test(v)) {
    const hint = /[.eE]/.test(v) && !v.startsWith('0x') ? ' (whole wei only: no decimal point or exponent; 1 NFC = 10^18 wei)' : ''
    p.push(
      `${path}: ${JSON.stringify(short(v))} is not a valid ${what.replace(/^an? /, '')}; expected a non-negative decimal string of wei or a 0x-hex string${hint}`,
    )
    return undefined
  }
  const n = BigInt(v)
  if (n > max) {
    p.push(`${path}: ${v} is too large; the maximum is ${max}`)
    return undefined
  }
  return n
}

/** Plain JSON integers (counts, durations). Strings are refused so "1000" vs 1000 is never ambiguous. */
function parseInteger(v: unknown, path: string, p: Problems, min: number, max: number, example: number | string): number | undefined {
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    const hint = typeof v === 'string' && /^\d+$/.test(v) ? ' (remove the quotes)' : ''
    p.push(`${path}: expected an integer number, e.g. ${example}, got ${describeType(v)}${hint}`)
    return undefined
  }
  if (v < min || v > max) {
    p.push(`${path}: ${v} is out of range; expected an integer from ${min} to ${max}`)
    return undefined
  }
  return v
}

/** Integers that may exceed 2^53 (gas limit, nonce): a safe JSON integer or a decimal/0x string. */
function parseBigInteger(v: unknown, path: string, p: Problems, min: bigint, max: bigint): bigint | undefined {
  let n: bigint | undefined
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) {
      p.push(`${path}: the number ${v} is not a safe integer; write it as a quoted decimal or 0x-hex string`)
      return undefined
    }
    n = BigInt(v)
  } else {
    n = parseBigString(v, path, p, MAX_UINT256, 'integer')
    if (n === undefined) return undefined
  }
  if (n < min || n > max) {
    p.push(`${path}: ${n} is out of range; expected ${min} to ${max}`)
    return undefined
  }
  return n
}

/**
 * Returns the checksummed address. A mixed-case address that fails EIP-55 is refused without
 * printing the "corrected" form: the checksum exists to catch typos, and echoing a checksummed
 * version of a mistyped address would invite pasting it back in.
 */
export function parseAddress(v: unknown, path: string, p: Problems): string | undefined {
  if (typeof v !== 'string') {
    p.push(`${path}: expected an address string (0x + 40 hex digits), got ${describeType(v)}`)
    return undefined
  }
  return checkAddressString(v, path, p)
}

function checkAddressString(v: string, path: string, p: Problems): string | undefined {
  if (!/^0x[0-9a-fA-F]{40}$/.test(v)) {
    const digits = v.startsWith('0x') ? v.length - 2 : v.length
    const why = !v.startsWith('0x') ? 'missing the 0x prefix' : /[^0-9a-fA-F]/.test(v.slice(2)) ? 'contains non-hex characters' : `${digits} hex digits`
    p.push(`${path}: ${JSON.stringify(short(v))} is not an address (${why}); expected 0x followed by 40 hex digits`)
    return undefined
  }
  const body = v.slice(2)
  const mixed = body !== body.toLowerCase() && body !== body.toUpperCase()
  if (mixed && !isValidChecksumAddress(v)) {
    p.push(
      `${path}: ${v} fails its EIP-55 checksum (mixed case must be a valid checksum, so this is probably a typo); check the address, or write it all lowercase to skip the check`,
    )
    return undefined
  }
  return toChecksumAddress(v.toLowerCase())
}

function hexToBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'))
}

function parseCode(v: unknown, path: string, p: Problems): Uint8Array | undefined | null {
  if (typeof v !== 'string' || !v.startsWith('0x')) {
    p.push(`${path}: expected bytecode as a 0x-prefixed hex string, got ${describeType(v)}`)
    return null
  }
  const body = v.slice(2)
  const bad = body.search(/[^0-9a-fA-F]/)
  if (bad >= 0) {
    p.push(`${path}: non-hex character ${JSON.stringify(body[bad])} at hex digit ${bad}; expected 0x followed by hex digits`)
    return null
  }
  if (body.length % 2 !== 0) {
    p.push(`${path}: odd number of hex digits (${body.length}); bytecode must be whole bytes (an even number of digits)`)
    return null
  }
  return body.length === 0 ? undefined : hexToBytes(body)
}

function parseStorage(v: unknown, path: string, p: Problems): [Uint8Array, Uint8Array][] {
  if (!isObj(v)) {
    p.push(`${path}: expected an object mapping 32-byte hex keys to hex values, got ${describeType(v)}`)
    return []
  }
  const seen = new Map<string, string>()
  const out: [string, Uint8Array][] = []
  for (const [key, val] of Object.entries(v)) {
    const kp = join(path, key)
    let ok = true
    if (!/^0x[0-9a-fA-F]{64}$/.test(key)) {
      p.push(`${kp}: storage key must be 32 bytes, i.e. 0x + 64 hex digits (got ${JSON.stringify(short(key))}); pad it with leading zeros`)
      ok = false
    } else {
      const lower = key.toLowerCase()
      const prev = seen.get(lower)
      if (prev !== undefined) {
        p.push(`${kp}: duplicate storage key (same slot as ${join(path, prev)}; hex is case-insensitive)`)
        ok = false
      }
      seen.set(lower, key)
    }
    if (typeof val !== 'string' || !/^0x[0-9a-fA-F]{1,64}$/.test(val)) {
      p.push(`${kp}: storage value must be a 0x-hex string of at most 32 bytes (64 hex digits; shorter values are left-padded), got ${describeType(val)}`)
      ok = false
    }
    if (!ok) continue
    const n = BigInt(val as string)
    // A zero slot is absent from the state trie, so a zero value is simply dropped.
    if (n === 0n) continue
    const hex = n.toString(16)
    out.push([key.toLowerCase(), hexToBytes(hex.length % 2 ? `0${hex}` : hex)])
  }
  out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  return out.map(([k, val]) => [hexToBytes(k.slice(2)), val])
}

// ---------------------------------------------------------------------------------------------
// sections

function parseParams(v: unknown, p: Problems): GenesisParams | undefined {
  if (v === undefined) return { ...DEFAULT_PARAMS }
  if (!isObj(v)) {
    p.push(`params: expected an object (or leave it out for all defaults), got ${describeType(v)}`)
    return undefined
  }
  const top = Object.fromEntries(TOP_FIELDS.map((f) => [f, 'the top level']))
  checkUnknown(v, 'params', PARAM_FIELDS, p, top)
  const gp = collect(paramsSchema.safeParse(v), p)
  if (gp !== undefined && gp.nameMinTermSec > gp.nameMaxTermSec)
    p.push(
      `params.nameMinTermSec: ${gp.nameMinTermSec} is above params.nameMaxTermSec (${gp.nameMaxTermSec}); a name's shortest term cannot exceed its longest`,
    )
  return gp
}

function parseAccount(addrKey: string, v: unknown, p: Problems): GenesisAccount | undefined {
  const path = `alloc.${addrKey}`
  if (!isObj(v)) {
    p.push(`${path}: expected an account object like { "balance": "1000000000000000000" }, got ${describeType(v)}`)
    return undefined
  }
  checkUnknown(v, path, ACCOUNT_FIELDS, p)
  const acct = collect(accountSchema.safeParse(v, { path: [path] }), p)
  const storage = v.storage === undefined ? [] : parseStorage(v.storage, `${path}.storage`, p)
  if (acct === undefined) return undefined
  const out: GenesisAccount = { balance: acct.balance, nonce: acct.nonce, storage }
  if (acct.code) out.code = acct.code
  if (acct.label !== undefined) out.label = acct.label
  return out
}

function parseAlloc(v: unknown, p: Problems): { alloc: [string, GenesisAccount][]; complete: boolean } {
  if (v === undefined) {
    p.push('alloc: missing; expected an object mapping addresses to { "balance": "<wei>" }')
    return { alloc: [], complete: false }
  }
  if (!isObj(v)) {
    p.push(`alloc: expected an object mapping addresses to accounts, got ${describeType(v)}`)
    return { alloc: [], complete: false }
  }
  const byLower = new Map<string, string>()
  const alloc: [string, GenesisAccount][] = []
  let complete = true
  for (const [key, val] of Object.entries(v)) {
    const addr = checkAddressString(key, `alloc.${key}`, p)
    const acct = parseAccount(key, val, p)
    if (addr === undefined || acct === undefined) {
      complete = false
      continue
    }
    const lower = addr.toLowerCase()
    const prev = byLower.get(lower)
    if (prev !== undefined) {
      p.push(`alloc.${key}: duplicate address (same account as alloc.${prev}; addresses are case-insensitive)`)
      complete = false
      continue
    }
    byLower.set(lower, key)
    alloc.push([lower, acct])
  }
  alloc.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  return { alloc, complete }
}

function parseWitness(v: unknown, path: string, params: GenesisParams | undefined, p: Problems): GenesisWitness | undefined {
  if (typeof v === 'string') {
    // The format before witnesses carried a pledge and votes: say what the entry looks like now.
    p.push(
      `${path}: a plain address is no longer accepted; a witness is an object ${WITNESS_EXAMPLE.replace('0x…', /^0x[0-9a-fA-F]{40}$/.test(v) ? v : '0x…')}`,
    )
    return undefined
  }
  if (!isObj(v)) {
    p.push(`${path}: expected a witness object ${WITNESS_EXAMPLE}, got ${describeType(v)}`)
    return undefined
  }
  checkUnknown(v, path, WITNESS_FIELDS, p)
  const w = collect(witnessSchema(params?.rnPledge).safeParse(v, { path: [path] }), p)
  // the pledge is held to params.rnPledge even when another field of the entry is wrong
  const pledge = w?.pledge ?? (v.pledge === undefined ? undefined : parseAmount(v.pledge, path, [], MAX_UINT256, 'pledge'))
  if (pledge !== undefined && params !== undefined && pledge < params.rnPledge) {
    p.push(`${path}.pledge: ${nfcAndWei(pledge)} is below params.rnPledge, the minimum root-node pledge of ${nfcAndWei(params.rnPledge)}`)
    return undefined
  }
  return w
}

function parseWitnesses(v: unknown, params: GenesisParams | undefined, p: Problems): GenesisWitness[] | undefined {
  if (v === undefined) {
    p.push(`witnesses: missing; expected a non-empty array of witness objects ${WITNESS_EXAMPLE} (the initial producers)`)
    return undefined
  }
  if (!Array.isArray(v)) {
    p.push(`witnesses: expected an array of witness objects ${WITNESS_EXAMPLE}, got ${describeType(v)}`)
    return undefined
  }
  if (v.length === 0) {
    p.push('witnesses: empty; at least one witness is needed to produce block 1')
    return undefined
  }
  let ok = true
  const seen = new Map<string, number>()
  const out: GenesisWitness[] = []
  v.forEach((raw, i) => {
    const w = parseWitness(raw, `witnesses[${i}]`, params, p)
    if (w === undefined) return void (ok = false)
    const prev = seen.get(w.address)
    if (prev !== undefined) {
      p.push(`witnesses[${i}].address: duplicate of witnesses[${prev}] (${w.address}); each witness is listed once`)
      ok = false
      return
    }
    seen.set(w.address, i)
    out.push(w)
  })
  const perRound = params?.witnessesPerRound
  if (perRound !== undefined && v.length > perRound) {
    p.push(`witnesses: ${v.length} listed but params.witnessesPerRound is ${perRound}; list at most ${perRound} or raise params.witnessesPerRound`)
    ok = false
  }
  return ok ? out : undefined
}

/**
 * The NFC behind the witnesses' pledges and votes must exist: it sits in the NodeRegistry and
 * Staking contract accounts, so the supply adds up and the contracts can pay it back later.
 */
function checkWitnessFunds(witnesses: GenesisWitness[], alloc: [string, GenesisAccount][], p: Problems): void {
  const holders = [
    { name: 'NodeRegistry', address: SYSTEM_CONTRACTS.nodeRegistry, sum: witnesses.reduce((s, w) => s + w.pledge, 0n), what: 'pledge' },
    { name: 'Staking', address: SYSTEM_CONTRACTS.staking, sum: witnesses.reduce((s, w) => s + w.votes, 0n), what: 'self-vote' },
  ]
  for (const h of holders) {
    const acct = alloc.find(([a]) => a === h.address)?.[1]
    const held = acct?.balance ?? 0n
    if (held === h.sum) continue
    const where = `alloc.${h.address} (${h.name})`
    const has = acct === undefined ? 'has no entry' : `holds ${nfcAndWei(held)}`
    p.push(`${where} ${has} but the witnesses ${h.what} ${nfcAndWei(h.sum)} in total: set its balance to "${h.sum}"`)
  }
}

function parseFoundation(v: unknown, p: Problems): string | null | undefined {
  if (v === undefined || v === null) return null
  const a = parseAddress(v, 'foundation', p)
  return a === undefined ? undefined : a.toLowerCase()
}

function parseGrant(v: unknown, path: string, p: Problems): VestingGrant | undefined {
  if (!isObj(v)) {
    p.push(`${path}: expected a vesting grant ${VESTING_EXAMPLE}, got ${describeType(v)}`)
    return undefined
  }
  checkUnknown(v, path, VESTING_FIELDS, p)
  const g = collect(grantSchema.safeParse(v, { path: [path] }), p)
  if (g === undefined) return undefined
  return { address: g.address.toLowerCase(), amount: g.amount, cliffMs: BigInt(g.cliffSec) * 1000n, durationMs: BigInt(g.durationSec) * 1000n }
}

function parseVesting(v: unknown, p: Problems): VestingGrant[] | undefined {
  if (v === undefined) return []
  if (!Array.isArray(v)) {
    p.push(`vesting: expected an array of grants ${VESTING_EXAMPLE}, got ${describeType(v)}`)
    return undefined
  }
  const out: VestingGrant[] = []
  let ok = true
  v.forEach((raw, i) => {
    const g = parseGrant(raw, `vesting[${i}]`, p)
    if (g === undefined) ok = false
    else out.push(g)
  })
  return ok ? out : undefined
}

/** The NFC of the vesting grants sits in POOLS.teamVesting, exactly: no more, no less. */
function checkVestingFunds(vesting: VestingGrant[], alloc: [string, GenesisAccount][], p: Problems): void {
  const sum = vesting.reduce((s, g) => s + g.amount, 0n)
  const acct = alloc.find(([a]) => a === POOLS.teamVesting)?.[1]
  const held = acct?.balance ?? 0n
  if (held === sum) return
  const where = `alloc.${POOLS.teamVesting} (team vesting pool)`
  const has = acct === undefined ? 'has no entry' : `holds ${nfcAndWei(held)}`
  p.push(`${where} ${has} but the vesting grants total ${nfcAndWei(sum)}: set its balance to "${sum}"${vesting.length === 0 ? ' or add vesting grants' : ''}`)
}

// ---------------------------------------------------------------------------------------------

/** Validates a parsed genesis document; returns the Genesis only when `p` stayed empty. */
export function validateGenesis(json: unknown, p: Problems): Genesis | undefined {
  if (!isObj(json)) {
    p.push(`(top level): expected a JSON object, got ${describeType(json)}`)
    return undefined
  }
  const params = Object.fromEntries(PARAM_FIELDS.map((f) => [f, 'params']))
  checkUnknown(json, '', TOP_FIELDS, p, params)

  let name: string | undefined
  if (json.name === undefined) p.push('name: missing; expected a short chain name such as "nfc-dev"')
  else if (typeof json.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(json.name)) {
    // Restricted because the node may use the name in paths and log lines.
    p.push(`name: expected 1–64 characters of letters, digits, ".", "_" or "-" (starting with a letter or digit), got ${describeType(json.name)}`)
  } else name = json.name

  let chainId: bigint | undefined
  if (json.chainId === undefined) p.push('chainId: missing; expected an integer chain id, e.g. 2100 (EIP-155 replay protection)')
  else {
    const c = parseInteger(json.chainId, 'chainId', p, 1, Number.MAX_SAFE_INTEGER, 2100)
    if (c !== undefined) chainId = BigInt(c)
  }

  let timestamp: number | undefined
  if (json.timestamp === undefined) {
    // Required even though 0 is a valid choice: a forgotten timestamp silently meaning "now" would
    // give every node of a shared network a different genesis.
    p.push('timestamp: missing; expected genesis time in ms since the Unix epoch, or 0 for "when the data directory is created" (dev chains)')
  } else {
    timestamp = parseInteger(json.timestamp, 'timestamp', p, 0, Number.MAX_SAFE_INTEGER, 0)
    if (timestamp !== undefined && timestamp !== 0 && timestamp < MIN_MS_TIMESTAMP) {
      p.push(`timestamp: ${timestamp} looks like seconds; genesis time is in milliseconds since the Unix epoch (e.g. ${timestamp * 1000}), or 0 for dev chains`)
      timestamp = undefined
    }
  }

  const gp = parseParams(json.params, p)

  let totalSupply: bigint | undefined
  if (json.totalSupply === undefined) p.push(`totalSupply: missing; expected "${TOTAL_SUPPLY}" (${formatNfc(TOTAL_SUPPLY)} in wei)`)
  else {
    totalSupply = parseAmount(json.totalSupply, 'totalSupply', p, MAX_UINT256, 'totalSupply')
    if (totalSupply !== undefined && totalSupply !== TOTAL_SUPPLY) {
      p.push(`totalSupply: ${nfcAndWei(totalSupply)}, but the NFC supply is fixed at ${nfcAndWei(TOTAL_SUPPLY)}`)
    }
  }

  const witnesses = parseWitnesses(json.witnesses, gp, p)
  const { alloc, complete } = parseAlloc(json.alloc, p)
  // Like the supply sum below: only when every amount involved parsed.
  if (complete && witnesses !== undefined) checkWitnessFunds(witnesses, alloc, p)
  const foundation = parseFoundation(json.foundation, p)
  const vesting = parseVesting(json.vesting, p)
  if (complete && vesting !== undefined) checkVestingFunds(vesting, alloc, p)

  // Only meaningful when every balance parsed: a partial sum would report a bogus difference.
  if (complete && totalSupply !== undefined) {
    const sum = alloc.reduce((s, [, a]) => s + a.balance, 0n)
    if (sum !== totalSupply) {
      const diff = sum - totalSupply
      p.push(
        `alloc: balances sum to ${nfcAndWei(sum)} but totalSupply is ${nfcAndWei(totalSupply)}; ` +
          `${diff > 0n ? 'over' : 'short'} by ${nfcAndWei(diff > 0n ? diff : -diff)}`,
      )
    }
  }

  if (p.length > 0) return undefined
  return {
    name: name!,
    chainId: chainId!,
    timestamp: timestamp!,
    params: gp!,
    totalSupply: totalSupply!,
    witnesses: witnesses!,
    alloc,
    foundation: foundation as string | null,
    vesting: vesting!,
  }
}
