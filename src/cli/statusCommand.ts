/**
 * `nfc status`: one screen (or one JSON object) about a running node, for operators and
 * scripts — chain id, client, head and its age, finality lag, peers, sync, and this round's
 * witnesses. Only JSON-RPC, in one batch request (Node 20's fetch); exit 1 with one line when
 * the node cannot be reached.
 */
import { parseArgs } from 'node:util'
import { checksumAddress } from '../crypto/keystore.js'
import { processIo, UsageError, type CliIo } from './io.js'

export const DEFAULT_STATUS_RPC = 'http://127.0.0.1:8545'
const DEFAULT_TIMEOUT_MS = 5000

const HELP = `nfc status — a summary of a running node

Usage:
  nfc status [--rpc URL] [--json] [--timeout MS]

Prints chain id, client version, head (number, hash, age), finalized head and lag, peers,
syncing, and the witnesses of the current round with trust, produced and missed blocks.
Exits 0, or 1 with a one-line error when the node cannot be reached.

Options:
  --rpc URL       the node's JSON-RPC endpoint (default ${DEFAULT_STATUS_RPC}; HOST:PORT works too)
  --json          the same as one JSON object on one line
  --timeout MS    give up after MS milliseconds (default ${DEFAULT_TIMEOUT_MS})
  -h, --help      this text`

export interface WitnessStatus {
  seat: number
  address: string
  trust: number | null
  produced: number | null
  missed: number | null
  votes: string | null
}

export interface NodeStatus {
  rpc: string
  chainId: number | null
  clientVersion: string | null
  head: { number: number; hash: string; timestampMs: number; ageMs: number } | null
  finalized: { number: number; hash: string; lag: number; quorum: number | null } | null
  peers: number | null
  syncing: false | { startingBlock: number; currentBlock: number; highestBlock: number } | null
  witnesses: { cycle: number; blockNumber: number; seats: (WitnessStatus | null)[]; standby: number } | null
  /** method → error message, for every part the node did not answer */
  errors: Record<string, string>
}

class Unreachable extends Error {}

const qty = (v: unknown): number | null => (typeof v === 'string' && /^0x[0-9a-f]+$/i.test(v) ? Number(BigInt(v)) : typeof v === 'number' ? v : null)

/** http://HOST:PORT from a URL or a bare HOST:PORT. */
export function normalizeRpcUrl(value: string): string {
  const v = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`
  let u: URL
  try {
    u = new URL(v)
  } catch {
    throw new UsageError(`--rpc wants a URL such as ${DEFAULT_STATUS_RPC}, got "${value}"`)
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`--rpc wants an http:// or https:// URL, got "${value}"`)
  return u.toString()
}

/** One JSON-RPC batch; results by method, or the error of each method that failed. */
async function batch(url: string, methods: [string, unknown[]][], timeoutMs: number): Promise<Map<string, { result?: unknown; error?: string }>> {
  let res: Response
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(methods.map(([method, params], id) => ({ jsonrpc: '2.0', id, method, params }))),
      signal: AbortSignal.timeout(timeoutMs),
    })
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } }
    const why = err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (err.cause?.code ?? err.cause?.message ?? err.message)
    throw new Unreachable(`cannot reach ${url}: ${why}`)
  }
  let body: unknown
  try {
    body = await res.json()
  } catch {
    throw new Unreachable(`${url} answered HTTP ${res.status} without JSON-RPC (is it a NetFlowCoin node's RPC port?)`)
  }
  if (!Array.isArray(body)) {
    const msg = (body as { error?: { message?: string } } | null)?.error?.message
    throw new Unreachable(`${url} refused the request${msg ? `: ${msg}` : ` (HTTP ${res.status})`}`)
  }
  const out = new Map<string, { result?: unknown; error?: string }>()
  for (const r of body as { id?: number; result?: unknown; error?: { message?: string } }[]) {
    const m = methods[r.id ?? -1]?.[0]
    if (m === undefined) continue
    out.set(m, r.error !== undefined ? { error: r.error.message ?? 'error' } : { result: r.result })
  }
  for (const [m] of methods) if (!out.has(m)) out.set(m, { error: 'no answer in the batch' })
  return out
}

/** Everything `nfc status` shows, read from the node at `url`. Throws Unreachable. */
export async function readStatus(url: string, timeoutMs = DEFAULT_TIMEOUT_MS, now = Date.now()): Promise<NodeStatus> {
  const r = await batch(
    url,
    [
      ['eth_chainId', []],
      ['web3_clientVersion', []],
      ['eth_getBlockByNumber', ['latest', false]],
      ['dpos_getFinalized', []],
      ['net_peerCount', []],
      ['eth_syncing', []],
      ['dpos_getWitnesses', []],
    ],
    timeoutMs,
  )
  const errors: Record<string, string> = {}
  const get = <T>(m: string): T | undefined => {
    const x = r.get(m)!
    if (x.error !== undefined) errors[m] = x.error
    return x.result as T | undefined
  }
  const chainId = qty(get('eth_chainId'))
  const cv = get<string>('web3_clientVersion')
  const block = get<{ number: string; hash: string; timestamp: string; timestampMs?: string } | null>('eth_getBlockByNumber')
  let head: NodeStatus['head'] = null
  if (block) {
    const ms = qty(block.timestampMs) ?? (qty(block.timestamp) ?? 0) * 1000
    head = { number: qty(block.number) ?? 0, hash: block.hash, timestampMs: ms, ageMs: Math.max(0, now - ms) }
  }
  const fin = get<{ number: string; hash: string; lag: string; quorum?: number }>('dpos_getFinalized')
  const finalized = fin
    ? { number: qty(fin.number) ?? 0, hash: fin.hash, lag: qty(fin.lag) ?? 0, quorum: typeof fin.quorum === 'number' ? fin.quorum : null }
    : null
  const peers = qty(get('net_peerCount'))
  const s = get<false | Record<string, string>>('eth_syncing')
  const syncing: NodeStatus['syncing'] =
    s === undefined
      ? null
      : s === false
        ? false
        : { startingBlock: qty(s.startingBlock) ?? 0, currentBlock: qty(s.currentBlock) ?? 0, highestBlock: qty(s.highestBlock) ?? 0 }
  type W = { address: string; seat: number; trust: number | null; produced: string | null; missed: string | null; votes: string | null } | null
  const w = get<{ blockNumber: string; cycle: string; witnesses: W[]; standby?: unknown[] }>('dpos_getWitnesses')
  const witnesses = w
    ? {
        cycle: qty(w.cycle) ?? 0,
        blockNumber: qty(w.blockNumber) ?? 0,
        seats: w.witnesses.map((x) =>
          x === null
            ? null
            : {
                seat: x.seat,
                address: checksumAddress(x.address),
                trust: x.trust,
                produced: qty(x.produced),
                missed: qty(x.missed),
                votes: x.votes === null ? null : BigInt(x.votes).toString(),
              },
        ),
        standby: Array.isArray(w.standby) ? w.standby.length : 0,
      }
    : null
  return { rpc: url, chainId, clientVersion: cv ?? null, head, finalized, peers, syncing, witnesses, errors }
}

function age(ms: number): string {
  if (ms < 1000) return `${ms} ms`
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`
  if (ms < 172_800_000) return `${(ms / 3_600_000).toFixed(1)} h`
  return `${Math.round(ms / 86_400_000)} days`
}

/** The text form: one line per fact, then one per witness seat. */
export function formatStatus(st: NodeStatus): string {
  const na = (m: string): string => `unavailable (${st.errors[m] ?? 'no answer'})`
  const lines: string[] = []
  const row = (k: string, v: string): void => void lines.push(`${k.padEnd(11)}${v}`)
  row('rpc', st.rpc)
  row('chain id', st.chainId === null ? na('eth_chainId') : String(st.chainId))
  row('client', st.clientVersion ?? na('web3_clientVersion'))
  row('head', st.head === null ? na('eth_getBlockByNumber') : `#${st.head.number}  ${st.head.hash}  (${age(st.head.ageMs)} ago)`)
  row(
    'finalized',
    st.finalized === null
      ? na('dpos_getFinalized')
      : `#${st.finalized.number}  ${st.finalized.hash}  (lag ${st.finalized.lag} block${st.finalized.lag === 1 ? '' : 's'}${st.finalized.quorum === null ? '' : `, quorum ${st.finalized.quorum}`})`,
  )
  row('peers', st.peers === null ? na('net_peerCount') : String(st.peers))
  row(
    'syncing',
    st.syncing === null
      ? na('eth_syncing')
      : st.syncing === false
        ? 'no'
        : `yes: block ${st.syncing.currentBlock} of ${st.syncing.highestBlock} (from ${st.syncing.startingBlock})`,
  )
  if (st.witnesses === null) row('witnesses', na('dpos_getWitnesses'))
  else {
    const w = st.witnesses
    const seated = w.seats.filter((s) => s !== null).length
    row('witnesses', `${seated} of ${w.seats.length} seats, cycle ${w.cycle}, ${w.standby} standby (at block ${w.blockNumber})`)
    lines.push(`  ${'seat'.padEnd(6)}${'address'.padEnd(44)}${'trust'.padStart(8)}${'produced'.padStart(10)}${'missed'.padStart(8)}`)
    w.seats.forEach((s, i) => {
      const n = (v: number | null): string => (v === null ? '-' : String(v))
      if (s === null) lines.push(`  ${String(i).padEnd(6)}${'(vacant)'.padEnd(44)}`)
      else lines.push(`  ${String(s.seat).padEnd(6)}${s.address.padEnd(44)}${n(s.trust).padStart(8)}${n(s.produced).padStart(10)}${n(s.missed).padStart(8)}`)
    })
  }
  return lines.join('\n') + '\n'
}

export async function statusCommand(argv: string[], io: CliIo = processIo()): Promise<number> {
  let values, positionals
  try {
    ;({ values, positionals } = parseArgs({
      args: argv,
      options: {
        rpc: { type: 'string' },
        json: { type: 'boolean', default: false },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: true,
      strict: true,
    }))
  } catch (e) {
    io.err(`nfc status: ${(e as Error).message}\n\n${HELP}\n`)
    return 2
  }
  if (values.help) {
    io.out(HELP + '\n')
    return 0
  }
  try {
    if (positionals.length > 0) throw new UsageError(`nfc status takes no arguments, got "${positionals.join(' ')}"`)
    const url = normalizeRpcUrl(values.rpc ?? DEFAULT_STATUS_RPC)
    let timeoutMs = DEFAULT_TIMEOUT_MS
    if (values.timeout !== undefined) {
      timeoutMs = /^\d+$/.test(values.timeout) ? Number(values.timeout) : NaN
      if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) throw new UsageError(`--timeout wants milliseconds (a positive integer), got "${values.timeout}"`)
    }
    const st = await readStatus(url, timeoutMs)
    io.out(values.json ? `${JSON.stringify(st)}\n` : formatStatus(st))
    return 0
  } catch (e) {
    if (e instanceof UsageError || e instanceof Unreachable) {
      io.err(`nfc status: ${e.message}\n`)
      return 1
    }
    throw e
  }
}
