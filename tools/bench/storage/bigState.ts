/**
 * A big-state chain for the snapshot-sync bench (issue 17): `buildBigState` writes, in-process, a
 * node data directory whose state holds ≥ `accounts` funded accounts (default 100,000) plus
 * `contracts` contracts with `slotsPerContract` storage slots each, and the genesis file it was
 * made from (every node of the bench opens that genesis). Two ways, measured by
 * `npm run bench storage` side by side:
 *
 * - `genesis`: everything in the genesis alloc (funds taken from the foundation so the supply
 *   still sums), then `tailBlocks` empty blocks. Fastest — but every node that opens the genesis
 *   builds the same state from the file, so a full sync of such a chain replays no account
 *   creation at all.
 * - `blocks`: the contracts' code is in the genesis; the accounts are created by calls from dev
 *   account 1 to a fan-out contract (each call pays ACCOUNTS_PER_CALL fresh addresses, one CALL
 *   with value each) and the slots by calls to the contracts (each call stores SLOTS_PER_CALL
 *   words), presigned and packed into blocks of a raised gas limit, then `tailBlocks` empty
 *   blocks: a full sync must re-execute all of it. One transaction per account cost ~40 ms of
 *   transaction objects, signing and sender recovery each (87 accounts/s, 20 min for 100,000);
 *   the fan-out's account creation is the EVM's and the trie's work alone, the part a full sync
 *   cannot skip (docs/decisions.md).
 *
 * Self-contained (the node's own modules only): the snapshot bench imports it as it is.
 */
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { createLegacyTx, type TypedTransaction } from '@ethereumjs/tx'
import { Address, bytesToBigInt, hexToBytes } from '@ethereumjs/util'
import { openDatabase } from '../../../src/chain/db/level.js'
import { parseGenesis, type Genesis } from '../../../src/chain/genesis.js'
import { makeCommon } from '../../../src/execution/common.js'
import { Blockchain } from '../../../src/node/blockchain.js'
import { DEV_ACCOUNTS, DEV_FOUNDATION_INDEX } from '../../../src/node/devAccounts.js'
import { silentLogger } from '../../../src/util/logger.js'
import { packageRoot } from '../../../src/util/packageRoot.js'

/** funded accounts made by default (the snapshot-sync chain) */
export const BIG_STATE_ACCOUNTS = 100_000
const DEFAULT_CONTRACTS = 10
const DEFAULT_SLOTS_PER_CONTRACT = 1_000
/** what each account gets, wei */
const ACCOUNT_FUNDS_WEI = 10n ** 15n
/** block gas limit of the big-state genesis: ~47,000 plain transfers a block, so few blocks */
const BIG_STATE_GAS_LIMIT = 1_000_000_000n
/** fresh accounts one fan-out call pays */
const ACCOUNTS_PER_CALL = 500
/** storage slots one store call sets */
const SLOTS_PER_CALL = 500
/** gas of a call: 21,000 + calldata, with room */
const CALL_BASE_GAS = 50_000n
/** a CALL with value to a fresh account (2,600 cold + 9,000 value + 25,000 new account) and the loop, with room */
const ACCOUNT_GAS = 38_000n
/** a fresh SSTORE (22,100) and the loop, with room */
const SLOT_GAS = 23_000n
const GAS_PRICE_WEI = 2_000_000_000n
/**
 * The loop both runtimes share, over calldata `[start, count]` (two words): the stack becomes
 * `[end, i]`; at offset 10 (JUMPDEST) `i < end` or jump to the exit —
 * PUSH1 0x20 CALLDATALOAD PUSH1 0 CALLDATALOAD DUP1 SWAP2 ADD SWAP1 JUMPDEST DUP2 DUP2 LT ISZERO PUSH2 exit JUMPI
 */
const loopHead = (exit: number): string => `60203560003580910190${'5b'}${'81811015'}61${exit.toString(16).padStart(4, '0')}57`
/** the loop's end: i + 1, back to offset 10, and the exit (JUMPDEST STOP) — PUSH1 1 ADD PUSH2 0x000a JUMP JUMPDEST STOP */
const LOOP_TAIL = '60010161000a565b00'
/** runtime of each storage contract: `for i in [start, start+count): sstore(i, i + 1)` (body: DUP1 PUSH1 1 ADD DUP2 SSTORE) */
const STORE_RUNTIME = `0x${loopHead(0x20)}806001018155${LOOP_TAIL}`
/**
 * runtime of the fan-out contract: `for i in [start, start+count): call(0, ACCOUNT_BASE + i, ACCOUNT_FUNDS_WEI)`,
 * paid by the call's value (body: PUSH1 0 ×4, PUSH7 funds, DUP6, PUSH20 base, ADD, PUSH1 0, CALL, POP)
 */
const FANOUT_RUNTIME = `0x${loopHead(0x45)}6000600060006000${'66'}${ACCOUNT_FUNDS_WEI.toString(16).padStart(14, '0')}85${'73'}b1${'00'.repeat(19)}016000f150${LOOP_TAIL}`
/** the genesis is dated this long before the build so the blocks made stay behind the wall clock */
const GENESIS_AGE_MS = 24 * 3600 * 1000
/** dev account 0 is the dev chain's only witness; account 1 pays the transfers */
const WITNESS_INDEX = 0
const PAYER_INDEX = 1

export interface BigStateOptions {
  /** `genesis` or `blocks` (module comment); default `genesis` */
  mode?: 'genesis' | 'blocks'
  /** funded accounts to create (default 100,000) */
  accounts?: number
  /** contracts with storage (default 10) */
  contracts?: number
  /** storage slots of each contract (default 1,000) */
  slotsPerContract?: number
  /** empty blocks produced at the end (default 0: in `genesis` mode the head is then the genesis) */
  tailBlocks?: number
  /** the directory to fill (default: a new temp directory); the node's data directory is `<dir>/datadir` */
  dir?: string
  /** progress, a line at a time */
  onProgress?: (line: string) => void
}

export interface BigState {
  /** the node's `--datadir` */
  datadir: string
  /** the genesis file every node of the chain opens (`--genesis`) */
  genesisFile: string
  genesis: Genesis
  head: { number: bigint; hash: Uint8Array; stateRoot: Uint8Array }
  accounts: number
  slots: number
  /** milliseconds the build took */
  ms: number
}

interface GenesisJson {
  timestamp: number
  params: Record<string, unknown>
  alloc: Record<string, { balance: string; label?: string; code?: string; storage?: Record<string, string> }>
}

/** the address of funded account `i` */
export function bigStateAccount(i: number): Address {
  return new Address(hexToBytes(`0xb1${i.toString(16).padStart(38, '0')}`))
}

/** the fan-out contract (`blocks` mode) */
export const BIG_STATE_FANOUT = new Address(hexToBytes(`0xf0${'0'.repeat(38)}`))

/** the address of contract `i` */
export function bigStateContract(i: number): Address {
  return new Address(hexToBytes(`0xc0${i.toString(16).padStart(38, '0')}`))
}

const word = (n: bigint): string => `0x${n.toString(16).padStart(64, '0')}`
/** the value stored in slot `j` of every contract */
const slotValue = (j: number): bigint => BigInt(j) + 1n

function bigStateGenesisJson(opts: Required<Pick<BigStateOptions, 'mode' | 'accounts' | 'contracts' | 'slotsPerContract'>>, now: number): GenesisJson {
  const json = JSON.parse(readFileSync(join(packageRoot()!, 'genesis', 'dev.json'), 'utf8')) as GenesisJson
  const interval = Number(json.params.blockIntervalMs ?? 1000)
  json.timestamp = Math.floor((now - GENESIS_AGE_MS) / interval) * interval
  json.params.blockGasLimit = BIG_STATE_GAS_LIMIT.toString()
  for (let c = 0; c < opts.contracts; c++) {
    const storage: Record<string, string> = {}
    if (opts.mode === 'genesis') for (let j = 0; j < opts.slotsPerContract; j++) storage[word(BigInt(j))] = word(slotValue(j))
    json.alloc[bigStateContract(c).toString()] = { balance: '0', code: STORE_RUNTIME, storage, label: 'big-state contract' }
  }
  if (opts.mode === 'blocks') json.alloc[BIG_STATE_FANOUT.toString()] = { balance: '0', code: FANOUT_RUNTIME, label: 'big-state fan-out' }
  if (opts.mode === 'genesis') {
    const foundation = Object.keys(json.alloc).find((a) => a.toLowerCase() === DEV_ACCOUNTS[DEV_FOUNDATION_INDEX]!.address.toLowerCase())!
    const left = BigInt(json.alloc[foundation]!.balance) - ACCOUNT_FUNDS_WEI * BigInt(opts.accounts)
    if (left < 0n) throw new Error(`the dev foundation cannot fund ${opts.accounts} accounts`)
    json.alloc[foundation]!.balance = left.toString()
    for (let i = 0; i < opts.accounts; i++) json.alloc[bigStateAccount(i).toString()] = { balance: ACCOUNT_FUNDS_WEI.toString() }
  }
  return json
}

/** Builds the big-state chain (module comment); resolves with where it is and its head. */
export async function buildBigState(options: BigStateOptions = {}): Promise<BigState> {
  const started = performance.now()
  const opts = {
    mode: options.mode ?? 'genesis',
    accounts: options.accounts ?? BIG_STATE_ACCOUNTS,
    contracts: options.contracts ?? DEFAULT_CONTRACTS,
    slotsPerContract: options.slotsPerContract ?? DEFAULT_SLOTS_PER_CONTRACT,
  }
  if (opts.mode !== 'genesis' && opts.mode !== 'blocks') throw new RangeError(`buildBigState: mode must be 'genesis' or 'blocks', got ${String(opts.mode)}`)
  for (const [name, v, min] of [
    ['accounts', opts.accounts, 1],
    ['contracts', opts.contracts, 0],
    ['slotsPerContract', opts.slotsPerContract, 0],
    ['tailBlocks', options.tailBlocks ?? 0, 0],
  ] as const) {
    if (!Number.isInteger(v) || v < min) throw new RangeError(`buildBigState: ${name} must be an integer ≥ ${min}, got ${v}`)
  }
  const say = options.onProgress ?? (() => {})
  const dir = options.dir ?? mkdtempSync(join(os.tmpdir(), 'nfc-big-state-'))
  const datadir = join(dir, 'datadir')
  mkdirSync(datadir, { recursive: true })
  const json = bigStateGenesisJson(opts, Date.now())
  const genesisFile = join(dir, 'genesis.json')
  writeFileSync(genesisFile, JSON.stringify(json, null, 1))
  const genesis = parseGenesis(json)
  say(`big state (${opts.mode}): opening the genesis (${Object.keys(json.alloc).length.toLocaleString('en-US')} alloc entries)`)
  const db = await openDatabase(join(datadir, 'chaindata'))
  const chain = await Blockchain.open({ db, genesis, common: makeCommon(genesis.chainId, genesis.name), logger: silentLogger, now: () => Date.now() })
  try {
    if (opts.mode === 'blocks') await fillByBlocks(chain, opts, say)
    for (let i = 0; i < (options.tailBlocks ?? 0); i++) await produce(chain, [])
    const head = chain.head
    const ms = performance.now() - started
    say(`big state (${opts.mode}): ${opts.accounts.toLocaleString('en-US')} accounts, head ${head.header.number}, in ${(ms / 1000).toFixed(1)} s`)
    return {
      datadir,
      genesisFile,
      genesis,
      head: { number: head.header.number, hash: head.hash, stateRoot: head.header.stateRoot },
      accounts: opts.accounts,
      slots: opts.contracts * opts.slotsPerContract,
      ms,
    }
  } finally {
    await chain.close()
    await db.close()
  }
}

/**
 * Appends `blocks` empty blocks to a big-state chain built earlier (its data directory and
 * genesis file): the snapshot-sync bench makes a longer chain of the same state this way.
 * Resolves with the new head.
 */
export async function extendBigState(datadir: string, genesisFile: string, blocks: number, onProgress?: (line: string) => void): Promise<BigState['head']> {
  if (!Number.isInteger(blocks) || blocks < 0) throw new RangeError(`extendBigState: blocks must be an integer ≥ 0, got ${blocks}`)
  const genesis = parseGenesis(JSON.parse(readFileSync(genesisFile, 'utf8')))
  const db = await openDatabase(join(datadir, 'chaindata'))
  const chain = await Blockchain.open({ db, genesis, common: makeCommon(genesis.chainId, genesis.name), logger: silentLogger, now: () => Date.now() })
  try {
    for (let i = 1; i <= blocks; i++) {
      await produce(chain, [])
      if (i % 200 === 0 || i === blocks) onProgress?.(`big state: ${i} of ${blocks} empty blocks appended, head ${chain.head.header.number}`)
    }
    return { number: chain.head.header.number, hash: chain.head.hash, stateRoot: chain.head.header.stateRoot }
  } finally {
    await chain.close()
    await db.close()
  }
}

const devKey = (i: number): Uint8Array => hexToBytes(DEV_ACCOUNTS[i]!.privateKey as `0x${string}`)

/** The next block on the head, one interval later, by the dev witness; throws when a transaction was left out. */
async function produce(chain: Blockchain, txs: TypedTransaction[]): Promise<void> {
  const built = await chain.produceBlock(devKey(WITNESS_INDEX), chain.head.header.timestamp + chain.dpos.intervalMs, txs)
  if (built.rejected.length > 0 || built.left.length > 0) {
    throw new Error(`big state: block ${built.block.header.number} left out ${built.rejected.length + built.left.length} of ${txs.length} transactions`)
  }
}

/** A presigned call of `to` with calldata `[start, count]` and `value`. */
type Call = (to: Address, start: number, count: number, value: bigint, gasLimit: bigint) => TypedTransaction

/**
 * The fan-out calls that create the accounts, then the store calls that fill the contracts'
 * storage, packed into full blocks; then checks the last account and slot are there.
 */
async function fillByBlocks(
  chain: Blockchain,
  opts: { accounts: number; contracts: number; slotsPerContract: number },
  say: (line: string) => void,
): Promise<void> {
  const key = devKey(PAYER_INDEX)
  const payer = new Address(hexToBytes(DEV_ACCOUNTS[PAYER_INDEX]!.address as `0x${string}`))
  let nonce = (await chain.state.live.getAccount(payer))?.nonce ?? 0n
  const common = chain.common
  const call: Call = (to, start, count, value, gasLimit) =>
    createLegacyTx(
      {
        nonce: nonce++,
        gasPrice: GAS_PRICE_WEI,
        gasLimit,
        to,
        value,
        data: hexToBytes(`${word(BigInt(start))}${word(BigInt(count)).slice(2)}` as `0x${string}`),
      },
      { common },
    ).sign(key)
  const txs: TypedTransaction[] = []
  for (let i = 0; i < opts.accounts; i += ACCOUNTS_PER_CALL) {
    const n = Math.min(ACCOUNTS_PER_CALL, opts.accounts - i)
    txs.push(call(BIG_STATE_FANOUT, i, n, ACCOUNT_FUNDS_WEI * BigInt(n), CALL_BASE_GAS + ACCOUNT_GAS * BigInt(n)))
  }
  for (let c = 0; c < opts.contracts; c++) {
    for (let j = 0; j < opts.slotsPerContract; j += SLOTS_PER_CALL) {
      const n = Math.min(SLOTS_PER_CALL, opts.slotsPerContract - j)
      txs.push(call(bigStateContract(c), j, n, 0n, CALL_BASE_GAS + SLOT_GAS * BigInt(n)))
    }
  }
  say(`big state (blocks): ${txs.length} calls presigned`)
  while (txs.length > 0) {
    let gas = 0n
    let n = 0
    while (n < txs.length && gas + txs[n]!.gasLimit <= BIG_STATE_GAS_LIMIT) gas += txs[n++]!.gasLimit
    await produce(chain, txs.splice(0, n))
    say(`big state (blocks): block ${chain.head.header.number}, ${txs.length} calls left`)
  }
  const lastAccount = await chain.state.live.getAccount(bigStateAccount(opts.accounts - 1))
  if (lastAccount?.balance !== ACCOUNT_FUNDS_WEI) throw new Error(`big state: account ${opts.accounts - 1} was not funded by the fan-out`)
  if (opts.contracts > 0 && opts.slotsPerContract > 0) {
    const j = opts.slotsPerContract - 1
    const v = await chain.state.live.getStorage(bigStateContract(opts.contracts - 1), hexToBytes(word(BigInt(j)) as `0x${string}`))
    if (bytesToBigInt(v) !== slotValue(j)) throw new Error(`big state: slot ${j} of contract ${opts.contracts - 1} was not stored`)
  }
}
