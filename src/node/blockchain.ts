/**
 * The chain as a running node holds it: the block store, the world state and the head.
 * Opening checks that the data directory belongs to this genesis and is intact (refusing with a
 * clear error otherwise, never resetting); block building runs under one lock and commits each
 * block, its receipts, indexes, state nodes and head in a single batch.
 */
import { EventEmitter } from 'node:events'
import type { Common } from '@ethereumjs/common'
import type { TypedTransaction } from '@ethereumjs/tx'
import { Account, Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import { createVM, type VM } from '@ethereumjs/vm'
import { makeBlock, transactionsRoot, type Block } from '../chain/block.js'
import { BlockStore, u64, type Db } from '../chain/blockStore.js'
import { ChainErrorCode } from '../chain/errors.js'
import { canonicalGenesisJson, type Genesis } from '../chain/genesis.js'
import { equalBytes, headerHash, signHeader, verifyHeaderSignature, ZERO32, type BlockHeader } from '../chain/header.js'
import { receiptsRoot, type TxReceipt } from '../chain/receipt.js'
import { core } from '../core/index.js'
import { addressOf, publicKeyOf } from '../crypto/secp256k1.js'
import { executeBlock, type BlockContext, type ExecutedBlock } from '../execution/blockExecutor.js'
import { POOLS } from '../execution/systemAddresses.js'
import { WorldState } from '../state/worldState.js'
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import { NfcError } from '../util/errors.js'
import type { Logger } from '../util/logger.js'

const utf8 = new TextEncoder()
/** bump when the on-disk layout changes incompatibly */
const SCHEMA_VERSION = 1
/** how many blocks below the head are re-verified (links and signatures) at start-up */
const VERIFY_DEPTH = 64n

export interface Head {
  hash: Uint8Array
  header: BlockHeader
}

export interface NewBlockEvent {
  block: Block
  receipts: TxReceipt[]
}

export interface BuiltBlock extends NewBlockEvent {
  rejected: ExecutedBlock['rejected']
}

/** Serialises async sections: block building and anything that must see a stable head. */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve()
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn)
    this.tail = next.catch(() => undefined)
    return next
  }
}

export class Blockchain extends EventEmitter<{ block: [NewBlockEvent] }> {
  private readonly lock = new Mutex()

  private constructor(
    readonly common: Common,
    readonly genesis: Genesis,
    readonly store: BlockStore,
    readonly state: WorldState,
    readonly vm: VM,
    readonly genesisHash: Uint8Array,
    /** genesis time in ms (resolved when the genesis file says 0) */
    readonly genesisTime: bigint,
    private _head: Head,
    private readonly logger: Logger,
  ) {
    super()
  }

  get head(): Head {
    return this._head
  }

  static async open(opts: {
    db: Db
    genesis: Genesis
    common: Common
    logger: Logger
    now: () => number
    /** the database held records before it was opened (see src/node/datadir.ts) */
    existed?: boolean
  }): Promise<Blockchain> {
    const { db, genesis, common, logger } = opts
    const store = new BlockStore(db, common)
    const storedGenesis = await store.getMeta('genesisHash')
    const headHash = await store.getHeadHash()

    if (storedGenesis === undefined && headHash === undefined) {
      if (opts.existed === true && (await isEmpty(db))) {
        throw corrupt('it held data, but the database opens empty (its files are damaged)')
      }
      if (!(await isEmpty(db))) {
        throw new NfcError(
          ChainErrorCode.DatadirForeign,
          'the data directory holds data that is not a NetFlowCoin chain; refusing to touch it',
        )
      }
      const interval = BigInt(genesis.params.blockIntervalMs)
      const time = genesis.timestamp !== 0 ? BigInt(genesis.timestamp) : (BigInt(opts.now()) / interval) * interval
      const state = await WorldState.open(db, common)
      const header = await buildGenesis(state.live, genesis, time)
      const hash = headerHash(header)
      await store.commitBlock(makeBlock(header, []), [], [
        ...state.store.drain(),
        store.metaOp('genesisHash', hash),
        store.metaOp('genesisConfig', core.keccak256(utf8.encode(canonicalGenesisJson({ ...genesis, timestamp: Number(time) })))),
        store.metaOp('genesisTime', u64(time)),
        store.metaOp('schemaVersion', u64(BigInt(SCHEMA_VERSION))),
      ])
      state.store.committed()
      logger.info('initialised chain from genesis', { name: genesis.name, chainId: genesis.chainId, hash, time })
      const vm = await makeVm(common, state, store)
      return new Blockchain(common, genesis, store, state, vm, hash, time, { hash, header }, logger)
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
      throw foreign(`its genesis block is ${bytesToHex(storedGenesis)}, this genesis file makes ${bytesToHex(expected)}`)
    }
    const config = core.keccak256(utf8.encode(canonicalGenesisJson({ ...genesis, timestamp: Number(time) })))
    if (!equalBytes(config, (await store.getMeta('genesisConfig')) ?? new Uint8Array())) {
      throw foreign('its genesis parameters differ from this genesis file')
    }
    const head = await verifyTip(store, headHash)
    const state = await WorldState.open(db, common, head.header.stateRoot)
    if (!(await state.hasRoot(head.header.stateRoot))) {
      throw corrupt(`the state of head block ${head.header.number} is missing`)
    }
    const vm = await makeVm(common, state, store)
    logger.info('opened chain', { head: head.header.number, hash: head.hash })
    return new Blockchain(common, genesis, store, state, vm, storedGenesis, time, head, logger)
  }

  /**
   * Builds, signs and commits the next block at `timestamp` from `txs` (those that cannot run
   * are left out and returned in `rejected`).
   */
  produceBlock(privateKey: Uint8Array, timestamp: bigint, txs: TypedTransaction[]): Promise<BuiltBlock> {
    return this.lock.run(async () => {
      const parent = this._head
      if (timestamp <= parent.header.timestamp) {
        throw new NfcError(ChainErrorCode.InvalidBlock, `timestamp ${timestamp} is not after the parent's ${parent.header.timestamp}`)
      }
      const producer = new Address(addressOf(publicKeyOf(privateKey)))
      const ctx: BlockContext = {
        number: parent.header.number + 1n,
        timestamp,
        producer,
        gasLimit: this.genesis.params.blockGasLimit,
        baseFeePerGas: this.genesis.params.minGasPrice,
        parentHash: parent.hash,
      }
      try {
        const exec = await executeBlock(this.vm, ctx, txs, { mode: 'build', sharedPool: new Address(hexToBytes(POOLS.shared)) })
        const header = signHeader(
          {
            parentHash: parent.hash,
            number: ctx.number,
            timestamp,
            producer: producer.bytes,
            stateRoot: exec.stateRoot,
            transactionsRoot: transactionsRoot(exec.transactions),
            receiptsRoot: receiptsRoot(exec.receipts),
            logsBloom: exec.logsBloom,
            gasLimit: ctx.gasLimit,
            gasUsed: exec.gasUsed,
            baseFeePerGas: ctx.baseFeePerGas,
            flowRoot: ZERO32,
            confirmationsRoot: ZERO32,
            signature: new Uint8Array(0),
          },
          privateKey,
        )
        const block = makeBlock(header, exec.transactions)
        await this.store.commitBlock(block, exec.receipts, this.state.store.drain())
        this.state.store.committed()
        this._head = { hash: block.hash, header }
        this.emit('block', { block, receipts: exec.receipts })
        return { block, receipts: exec.receipts, rejected: exec.rejected }
      } catch (e) {
        // nothing of this block reached the disk: return to the parent, then forget every trie
        // write of this block (setStateRoot flushes the caches first, so discard comes last)
        await (this.vm.stateManager as MerkleStateManager).setStateRoot(parent.header.stateRoot, true)
        this.state.store.discard()
        throw e
      }
    })
  }

  /** Resolves a block number to its canonical header, if any. */
  async headerByNumber(number: bigint): Promise<Head | undefined> {
    const hash = await this.store.getHashByNumber(number)
    if (hash === undefined) return undefined
    const header = await this.store.getHeader(hash)
    return header === undefined ? undefined : { hash, header }
  }

  /** A private state view at a block's state root (for calls, balances and proofs). */
  stateAt(header: BlockHeader): Promise<MerkleStateManager> {
    return this.state.at(header.stateRoot)
  }

  async close(): Promise<void> {
    // wait for a block being built to commit (or roll back) before the db closes
    await this.lock.run(async () => undefined)
  }
}

function corrupt(reason: string): NfcError {
  return new NfcError(
    ChainErrorCode.DatadirCorrupt,
    `the data directory is damaged: ${reason}. Nothing was changed; restore it from a backup or start ` +
      'with another --datadir (or `npm run reset` for the dev chain).',
  )
}

function foreign(reason: string): NfcError {
  return new NfcError(
    ChainErrorCode.DatadirForeign,
    `the data directory belongs to another genesis: ${reason}. Use the genesis it was created with, ` +
      'or another --datadir.',
  )
}

function bytesToBig(b: Uint8Array | undefined): bigint {
  if (b === undefined || b.length !== 8) throw corrupt('a metadata record is missing or malformed')
  return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0)
}

function emptyRoot(): Uint8Array {
  // keccak256(rlp('')) — the root of an empty trie
  return hexToBytes('0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421')
}

async function isEmpty(db: Db): Promise<boolean> {
  for await (const _ of db.keys({ limit: 1 })) return false
  return true
}

async function buildGenesis(sm: MerkleStateManager, genesis: Genesis, time: bigint): Promise<BlockHeader> {
  for (const [addr, acct] of genesis.alloc) {
    const address = new Address(hexToBytes(addr as `0x${string}`))
    await sm.putAccount(address, new Account(acct.nonce, acct.balance))
    if (acct.code !== undefined && acct.code.length > 0) await sm.putCode(address, acct.code)
    for (const [slot, value] of acct.storage) await sm.putStorage(address, slot, value)
  }
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
async function verifyTip(store: BlockStore, headHash: Uint8Array): Promise<Head> {
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

async function makeVm(common: Common, state: WorldState, store: BlockStore): Promise<VM> {
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
  return createVM({ common, stateManager: state.live, blockchain: blockchain as never })
}

export { makeVm }
