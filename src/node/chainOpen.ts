/**
 * Opening a chain's data directory: the genesis block built from a genesis file, the checks of
 * the last blocks and records at start-up (refusing a foreign or damaged directory with a clear
 * error, never resetting it), the consensus parameters and the node's VM. Used by
 * `Blockchain.open`.
 */
import type { Common } from '@ethereumjs/common'
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import { Account, Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import type { VM } from '@ethereumjs/vm'
import { makeBlock } from '../chain/block.js'
import { BlockStore, u64, type Db } from '../chain/blockStore.js'
import { ChainErrorCode } from '../chain/errors.js'
import { canonicalGenesisJson, type Genesis } from '../chain/genesis.js'
import { equalBytes, headerHash, verifyHeaderSignature, ZERO32, type BlockHeader } from '../chain/header.js'
import type { DposConfig } from '../consensus/dpos/engine.js'
import { writeGenesisState } from '../consensus/dpos/genesisState.js'
import { flowConfigOf } from '../consensus/povf/params.js'
import { namesConfigFromParams } from '../consensus/names/rules.js'
import { dealsConfigFromParams } from '../consensus/deals/rules.js'
import { prepareSystemAccounts } from '../execution/system/index.js'
import { callInterpreter, immutableCode } from '../execution/callInterpreter.js'
import { createNodeVm } from '../execution/vmFactory.js'
import { WorldState } from '../state/worldState.js'
import { core } from '../core/index.js'
import { NfcError } from '../util/errors.js'
import type { Logger } from '../util/logger.js'
import type { Head } from './blockchain.js'

/** how many blocks below the head are re-verified (links and signatures) at start-up */
const VERIFY_DEPTH = 64n

const utf8 = new TextEncoder()
/** bump when the on-disk layout changes incompatibly */
const SCHEMA_VERSION = 1

export interface OpenOptions {
  db: Db
  genesis: Genesis
  common: Common
  logger: Logger
  now: () => number
  /** the database held records before it was opened (see src/node/datadir.ts) */
  existed?: boolean
  /** keep the state of every block (`--archive`); default: prune (src/storage/pruner.ts) */
  archive?: boolean
  /** a pruning node keeps the state of this many last blocks (default 128; tests shrink it) */
  stateBlocksKept?: bigint
  /** a pruning node keeps at most this many blocks' state while finality lags (default 1,024; tests shrink it) */
  stateBlocksMax?: bigint
}

/** What opening a data directory yields: the parts a Blockchain is built from. */
export interface OpenedParts {
  store: BlockStore
  state: WorldState
  vm: VM
  genesisHash: Uint8Array
  /** genesis time in ms (resolved when the genesis file says 0) */
  time: bigint
  head: Head
  finalized: Head
  dpos: DposConfig
}

/**
 * Opens the chain in `db`: a new one from `genesis` when the database is empty, else the stored
 * one after checking that it belongs to this genesis and is intact (refusing with a clear error
 * otherwise, never resetting).
 */
export async function openChainParts(opts: OpenOptions): Promise<OpenedParts> {
  const { db, genesis, common, logger } = opts
  const store = new BlockStore(db, common)
  const storedGenesis = await store.getMeta('genesisHash')
  const headHash = await store.getHeadHash()

  if (storedGenesis === undefined && headHash === undefined) {
    if (opts.existed === true && (await isEmpty(db))) {
      throw corrupt('it held data, but the database opens empty (its files are damaged)')
    }
    if (!(await isEmpty(db))) {
      throw new NfcError(ChainErrorCode.DatadirForeign, 'the data directory holds data that is not a NetFlowCoin chain; refusing to touch it')
    }
    const interval = BigInt(genesis.params.blockIntervalMs)
    const time = genesis.timestamp !== 0 ? BigInt(genesis.timestamp) : (BigInt(opts.now()) / interval) * interval
    const state = await WorldState.open(db, common)
    const header = await buildGenesis(state.live, genesis, time)
    const hash = headerHash(header)
    await store.commitBlock(
      makeBlock(header, []),
      [],
      [
        ...state.store.drain(),
        store.metaOp('genesisHash', hash),
        store.metaOp('genesisConfig', core.keccak256(utf8.encode(canonicalGenesisJson({ ...genesis, timestamp: Number(time) })))),
        store.metaOp('genesisTime', u64(time)),
        store.metaOp('schemaVersion', u64(BigInt(SCHEMA_VERSION))),
      ],
    )
    state.store.committed()
    logger.info('initialised chain from genesis', { name: genesis.name, chainId: genesis.chainId, hash, time })
    const dpos = dposConfigOf(genesis, time, hash)
    const vm = await makeVm(common, state, store, dpos)
    return { store, state, vm, genesisHash: hash, time, head: { hash, header }, finalized: { hash, header }, dpos }
  }
  if (storedGenesis === undefined || headHash === undefined) {
    throw corrupt(`the ${storedGenesis === undefined ? 'genesis record' : 'head pointer'} is missing`)
  }
  const time = bytesToBig(await store.getMeta('genesisTime'))
  const version = bytesToBig(await store.getMeta('schemaVersion'))
  if (version !== BigInt(SCHEMA_VERSION)) throw corrupt(`unknown layout version ${version}`)
  if (genesis.timestamp !== 0 && BigInt(genesis.timestamp) !== time) {
    throw foreign(`its genesis time is ${time}, the genesis file says ${genesis.timestamp}`)
  }
  // Rebuild the genesis block in a private view and compare: a datadir of another genesis
  // (other allocation, chain id, parameters) must never be continued.
  const scratch = await WorldState.open(db, common)
  const expected = headerHash(await buildGenesis(await scratch.at(emptyRoot()), genesis, time))
  if (!equalBytes(expected, storedGenesis)) {
    throw foreign(
      `its genesis block is ${bytesToHex(storedGenesis)}, this genesis file makes ${bytesToHex(expected)} ` +
        '(a parameter the file leaves out takes the default of this version: a release that changes one, like the block gas limit, makes another genesis)',
    )
  }
  const config = core.keccak256(utf8.encode(canonicalGenesisJson({ ...genesis, timestamp: Number(time) })))
  if (!equalBytes(config, (await store.getMeta('genesisConfig')) ?? new Uint8Array())) {
    throw foreign('its genesis parameters differ from this genesis file')
  }
  const head = await verifyTip(store, headHash)
  // data directories from before the address index get it rebuilt once (a progress line)
  await store.ensureAddressIndex((msg, fields) => logger.info(msg, fields))
  const state = await WorldState.open(db, common, head.header.stateRoot)
  if (!(await state.hasRoot(head.header.stateRoot))) {
    throw corrupt(`the state of head block ${head.header.number} is missing`)
  }
  const dpos = dposConfigOf(genesis, time, storedGenesis)
  const vm = await makeVm(common, state, store, dpos)
  const finalized = await loadFinalized(store, head, storedGenesis)
  logger.info('opened chain', { head: head.header.number, hash: head.hash, finalized: finalized.header.number })
  return { store, state, vm, genesisHash: storedGenesis, time, head, finalized, dpos }
}

export function corrupt(reason: string): NfcError {
  return new NfcError(
    ChainErrorCode.DatadirCorrupt,
    `the data directory is damaged: ${reason}. Nothing was changed; restore it from a backup or start ` +
      'with another --datadir (or `npm run reset` for the dev chain).',
    { reason },
  )
}

export function foreign(reason: string): NfcError {
  return new NfcError(
    ChainErrorCode.DatadirForeign,
    `the data directory belongs to another genesis: ${reason}. Use the genesis it was created with, ` +
      'or another --datadir (the dev chain: `npm run reset`, or `nfc node --dev --reset`, starts it over).',
  )
}

export function bytesToBig(b: Uint8Array | undefined): bigint {
  if (b === undefined || b.length !== 8) throw corrupt('a metadata record is missing or malformed')
  return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0)
}

export function emptyRoot(): Uint8Array {
  // keccak256(rlp('')) — the root of an empty trie
  return hexToBytes('0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421')
}

export async function isEmpty(db: Db): Promise<boolean> {
  for await (const _ of db.keys({ limit: 1 })) return false
  return true
}

export async function buildGenesis(sm: MerkleStateManager, genesis: Genesis, time: bigint): Promise<BlockHeader> {
  for (const [addr, acct] of genesis.alloc) {
    const address = new Address(hexToBytes(addr as `0x${string}`))
    await sm.putAccount(address, new Account(acct.nonce, acct.balance))
    if (acct.code !== undefined && acct.code.length > 0) await sm.putCode(address, acct.code)
    for (const [slot, value] of acct.storage) await sm.putStorage(address, slot, value)
  }
  // system contracts: nonce 1 and a reverting stub code (Solidity's extcodesize check before a
  // call passes; the native precompile always runs first), then the DPoS records
  await prepareSystemAccounts(sm)
  await writeGenesisState(sm, genesis.witnesses, { W: genesis.params.witnessesPerRound })
  return {
    parentHash: ZERO32,
    number: 0n,
    timestamp: time,
    producer: new Uint8Array(20),
    stateRoot: await sm.getStateRoot(),
    transactionsRoot: ZERO32,
    receiptsRoot: ZERO32,
    logsBloom: new Uint8Array(256),
    gasLimit: genesis.params.blockGasLimit,
    gasUsed: 0n,
    baseFeePerGas: genesis.params.minGasPrice,
    flowRoot: ZERO32,
    confirmationsRoot: ZERO32,
    signature: new Uint8Array(0),
  }
}

/** Loads the head and checks the last blocks: decodable, linked, indexed and signed. */
export async function verifyTip(store: BlockStore, headHash: Uint8Array): Promise<Head> {
  let hash = headHash
  let head: Head | undefined
  for (let depth = 0n; depth < VERIFY_DEPTH; depth++) {
    let header: BlockHeader | undefined
    try {
      header = await store.getHeader(hash)
    } catch (e) {
      throw corrupt(`block ${bytesToHex(hash)}: ${(e as Error).message}`)
    }
    if (header === undefined) throw corrupt(`block ${bytesToHex(hash)} is missing`)
    if (!equalBytes(headerHash(header), hash)) throw corrupt(`block ${header.number} does not match its hash`)
    const indexed = await store.getHashByNumber(header.number)
    if (indexed === undefined || !equalBytes(indexed, hash)) throw corrupt(`the index of block ${header.number} is wrong`)
    head ??= { hash, header }
    if (header.number === 0n) break
    try {
      verifyHeaderSignature(header, hash)
    } catch {
      throw corrupt(`block ${header.number} is not signed by its producer`)
    }
    hash = header.parentHash
  }
  return head!
}

/** The consensus parameters of a chain, from its genesis. */
export function dposConfigOf(genesis: Genesis, genesisTime: bigint, genesisHash: Uint8Array): DposConfig {
  const p = genesis.params
  return {
    W: p.witnessesPerRound,
    cycleBlocks: BigInt(p.electionCycleBlocks),
    intervalMs: BigInt(p.blockIntervalMs),
    genesisTime,
    genesisHash,
    rnPledge: p.rnPledge,
    unbondingDelayMs: BigInt(p.unbondingDelaySec) * 1000n,
    pledgeUnlockMs: BigInt(p.pledgeUnlockSec) * 1000n,
    evidenceSlashBps: BigInt(p.evidenceSlashBps),
    flow: flowConfigOf(genesis),
    names: namesConfigFromParams(p),
    deals: dealsConfigFromParams(p),
  }
}

/** The final block recorded by the last run, if it is still on the canonical chain (else genesis). */
export async function loadFinalized(store: BlockStore, head: Head, genesisHash: Uint8Array): Promise<Head> {
  const hash = await store.getMeta('finalized')
  const genesisHeader = await store.getHeader(genesisHash)
  const fallback = { hash: genesisHash, header: genesisHeader! }
  if (hash === undefined) return fallback
  const header = await store.getHeader(hash)
  if (header === undefined || header.number > head.header.number) return fallback
  const canonical = await store.getHashByNumber(header.number)
  return canonical !== undefined && equalBytes(canonical, hash) ? { hash, header } : fallback
}

/** The node's VM over `state`; without `dpos`, a plain EVM without the native system contracts (tests). */
export async function makeVm(common: Common, state: WorldState, store: BlockStore, dpos?: DposConfig): Promise<VM> {
  // BLOCKHASH reads canonical hashes from the store (the EVM asks only for the last 256)
  const blockchain = {
    async getBlock(n: number) {
      const hash = await store.getHashByNumber(BigInt(n))
      if (hash === undefined) throw new NfcError(ChainErrorCode.BlockNotFound, `block ${n} not found`)
      return { hash: () => hash }
    },
    async putBlock() {},
    shallowCopy() {
      return blockchain
    },
  }
  const vm = await createNodeVm({ common, stateManager: state.live, blockchain, dpos })
  // Block execution takes the interpreter paths of the call VMs (execution/callInterpreter.ts):
  // no per-message copy of the run state, and one jump analysis per contract code. The live state's
  // code cache hands out one array per code, which nothing writes to (CODECOPY and EXTCODECOPY copy).
  await callInterpreter(vm.evm)
  const live = state.live
  const getCode = live.getCode.bind(live)
  live.getCode = async (address) => {
    const code = await getCode(address)
    if (code.length > 0) immutableCode(code)
    return code
  }
  return vm
}
