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
 * - `blocks`: the contracts' code is in the genesis; the accounts are created by value transfers
 *   from dev account 1 and the slots by calls to the contracts (each call stores one word), many
 *   per block, then `tailBlocks` empty blocks: a full sync must re-execute all of it.
 *
 * Self-contained (the node's own modules only): the snapshot bench imports it as it is.
 */
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { createLegacyTx, type TypedTransaction } from '@ethereumjs/tx'
import { Address, hexToBytes } from '@ethereumjs/util'
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
const TRANSFER_GAS = 21_000n
/** a store call: 21,000 + calldata + a fresh SSTORE, with room */
const STORE_CALL_GAS = 60_000n
const GAS_PRICE_WEI = 2_000_000_000n
/**
 * runtime of each contract: `sstore(calldataload(0), calldataload(32))` —
 * PUSH1 0x20 CALLDATALOAD PUSH1 0x00 CALLDATALOAD SSTORE STOP
 */
const STORE_RUNTIME = '0x6020356000355500'
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

const devKey = (i: number): Uint8Array => hexToBytes(DEV_ACCOUNTS[i]!.privateKey as `0x${string}`)

/** The next block on the head, one interval later, by the dev witness; throws when a transaction was left out. */
async function produce(chain: Blockchain, txs: TypedTransaction[]): Promise<void> {
  const built = await chain.produceBlock(devKey(WITNESS_INDEX), chain.head.header.timestamp + chain.dpos.intervalMs, txs)
  if (built.rejected.length > 0 || built.left.length > 0) {
    throw new Error(`big state: block ${built.block.header.number} left out ${built.rejected.length + built.left.length} of ${txs.length} transactions`)
  }
}

/** The transfers that create the accounts, then the calls that fill the contracts' storage, as full blocks. */
async function fillByBlocks(
  chain: Blockchain,
  opts: { accounts: number; contracts: number; slotsPerContract: number },
  say: (line: string) => void,
): Promise<void> {
  const key = devKey(PAYER_INDEX)
  const payer = new Address(hexToBytes(DEV_ACCOUNTS[PAYER_INDEX]!.address as `0x${string}`))
  let nonce = (await chain.state.live.getAccount(payer))?.nonce ?? 0n
  const common = chain.common
  const transfer = (i: number) =>
    createLegacyTx({ nonce: nonce++, gasPrice: GAS_PRICE_WEI, gasLimit: TRANSFER_GAS, to: bigStateAccount(i), value: ACCOUNT_FUNDS_WEI }, { common }).sign(key)
  const store = (c: number, j: number) =>
    createLegacyTx(
      {
        nonce: nonce++,
        gasPrice: GAS_PRICE_WEI,
        gasLimit: STORE_CALL_GAS,
        to: bigStateContract(c),
        data: hexToBytes(`${word(BigInt(j))}${word(slotValue(j)).slice(2)}` as `0x${string}`),
      },
      { common },
    ).sign(key)
  const perBlock = (gas: bigint) => Number(BIG_STATE_GAS_LIMIT / gas)
  for (let i = 0; i < opts.accounts;) {
    const n = Math.min(perBlock(TRANSFER_GAS), opts.accounts - i)
    const txs = Array.from({ length: n }, (_, k) => transfer(i + k))
    await produce(chain, txs)
    i += n
    say(`big state (blocks): ${i.toLocaleString('en-US')} of ${opts.accounts.toLocaleString('en-US')} accounts, block ${chain.head.header.number}`)
  }
  const calls: [number, number][] = []
  for (let c = 0; c < opts.contracts; c++) for (let j = 0; j < opts.slotsPerContract; j++) calls.push([c, j])
  for (let i = 0; i < calls.length;) {
    const n = Math.min(perBlock(STORE_CALL_GAS), calls.length - i)
    await produce(
      chain,
      calls.slice(i, i + n).map(([c, j]) => store(c, j)),
    )
    i += n
    say(`big state (blocks): ${i.toLocaleString('en-US')} of ${calls.length.toLocaleString('en-US')} storage slots, block ${chain.head.header.number}`)
  }
}
