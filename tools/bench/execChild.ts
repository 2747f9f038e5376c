/**
 * One process of the `exec` bench group (tools/bench/exec.ts): the CPU time one build of the
 * node spends building and importing the same blocks, and what a bare @ethereumjs/vm `runBlock`
 * spends on the same transactions.
 *
 * `node execChild.js <distRoot> <rounds> <ours|bare>`: the node's modules are loaded from
 * `<distRoot>` (this build's `dist`, or another commit's build for an A/B), the transactions and
 * the genesis come from this build's bench code, so every build executes the same bytes. Per
 * round, on fresh chains (temp data directories, classic-level):
 *  - build: `Blockchain.produceBlock` of T value transfers from T senders, then of E ERC-20
 *    `transfer` calls on top (senders recovered beforehand, as the pool has them);
 *  - import: a second chain imports both blocks as the network hands them over (encoded, decoded,
 *    senders recovered beforehand, as consensusLink does on the recovery workers), `importBlock`;
 *  - bare (mode 'bare', instead of the two above): @ethereumjs/vm `runBlock` (generate: state root,
 *    receipts trie, bloom) of the same transactions on the same accounts, in an in-memory trie.
 * The figure is `process.cpuUsage()` (user + system, all threads) around each call, with a GC
 * before it; the recovery workers are idle then. Prints one JSON line on stdout.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import os from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { createBlock } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { Caches, MerkleStateManager } from '@ethereumjs/statemanager'
import type { TypedTransaction } from '@ethereumjs/tx'
import { Account, Address, hexToBytes } from '@ethereumjs/util'
import { createVM, runBlock } from '@ethereumjs/vm'
import { makeCommon } from '../../src/execution/common.js'
import { benchGenesisJson, compileToken, deriveAccounts, deriveAddresses, signTransfers } from './blocks.js'

const [distRoot, roundsArg, modeArg] = process.argv.slice(2)
if (distRoot === undefined) throw new Error('usage: execChild.js <distRoot> [rounds] [ours|bare]')
const ROUNDS = Number(roundsArg ?? 3)
/** 'bare': only the bare runBlock rounds; 'ours': only the node's (one kind per process, so neither sees the other's heap) */
const BARE = modeArg === 'bare'
const envInt = (name: string, def: number): number => {
  const v = process.env[name]
  return v === undefined ? def : Number(v)
}
const TRANSFERS = envInt('NFC_BENCH_EXEC_TRANSFERS', 2_000)
const CALLS = envInt('NFC_BENCH_EXEC_CALLS', 500)
const GENESIS_TIME = 1_700_000_000_000n

const load = (p: string): Promise<any> => import(pathToFileURL(join(distRoot, p)).href)
const { Blockchain } = await load('src/node/blockchain.js')
const { openDatabase } = await load('src/chain/blockStore.js')
const { parseGenesis } = await load('src/chain/genesis.js')
const { encodeBlock, decodeBlock } = await load('src/chain/block.js')
const { RecoverPool, recoverTxSenders } = await load('src/crypto/recoverPool.js')
const { decodeRawTransaction } = await load('src/execution/txDecode.js')
const { DEV_WITNESS_KEY } = await load('src/node/devAccounts.js')
const { silentLogger } = await load('src/util/logger.js')
const theirCommon = (await load('src/execution/common.js')).makeCommon as typeof makeCommon

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})

const PROFILE = process.env.NFC_BENCH_PROFILE
let session: Session | undefined

/** CPU ms (user + system) of `fn`, after a GC; with NFC_BENCH_PROFILE=<dir>, a .cpuprofile of `fn` alone there. */
async function cpu<T>(name: string, fn: () => Promise<T>): Promise<{ ms: number; out: T }> {
  gc()
  if (PROFILE !== undefined && PROFILE !== '') {
    if (session === undefined) {
      session = new Session()
      session.connect()
      await session.post('Profiler.enable')
    }
    await session.post('Profiler.start')
  }
  const c0 = process.cpuUsage()
  const out = await fn()
  const c = process.cpuUsage(c0)
  if (session !== undefined) {
    const { profile } = await session.post('Profiler.stop')
    mkdirSync(PROFILE!, { recursive: true })
    writeFileSync(join(PROFILE!, `exec-${name}-${process.pid}-${Date.now()}.cpuprofile`), JSON.stringify(profile))
  }
  return { ms: (c.user + c.system) / 1000, out }
}

const token = compileToken()
const senders = deriveAccounts('nfc-bench-sender', TRANSFERS)
const recipients = deriveAddresses('nfc-bench-recipient', TRANSFERS)
const json = benchGenesisJson(senders, token)
json.timestamp = Number(GENESIS_TIME)
const genesis = parseGenesis(json)
const common: Common = theirCommon(genesis.chainId, genesis.name)
const value = signTransfers(common, senders, recipients, TRANSFERS, 'value', token, 'exec: value transfers').raw

const pool = RecoverPool.create()
const key = hexToBytes(DEV_WITNESS_KEY as `0x${string}`)
const interval = BigInt(genesis.params.blockIntervalMs)

async function decoded(raws: Uint8Array[]): Promise<TypedTransaction[]> {
  const txs = raws.map((raw) => decodeRawTransaction(raw, { common, maxTxSize: genesis.params.maxTxSizeBytes }) as TypedTransaction)
  await recoverTxSenders(pool, txs)
  return txs
}

// the ERC-20 block follows the transfer block: its senders' nonces are 1
const tokenRaw = signTransfers(common, senders, recipients, TRANSFERS + CALLS, 'erc20', token, 'exec: ERC-20 calls').raw.slice(TRANSFERS)

interface Chain {
  chain: any
  close(): Promise<void>
}

async function openChain(): Promise<Chain> {
  const dir = mkdtempSync(join(os.tmpdir(), 'nfc-bench-exec-'))
  const db = await openDatabase(join(dir, 'chaindata'))
  const chain = await Blockchain.open({ db, genesis, common, logger: silentLogger, now: () => Number(GENESIS_TIME) })
  return {
    chain,
    close: async () => {
      await chain.close()
      await db.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** what a child measures (the parent, exec.ts, reads it from the last stdout line, with the block sizes) */
export interface Figures {
  buildTransfer: number[]
  buildCall: number[]
  importTransfer: number[]
  importCall: number[]
  bareTransfer: number[]
  bareCall: number[]
  /** state roots of the two blocks (same in every round and build, or the bench is wrong) */
  roots: string[]
}

const figures: Figures = { buildTransfer: [], buildCall: [], importTransfer: [], importCall: [], bareTransfer: [], bareCall: [], roots: [] }
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

async function bare(): Promise<void> {
  // the caches the node's live state has (src/state/worldState.ts)
  const caches = new Caches({ account: { size: 200_000 }, storage: { size: 200_000 }, code: { size: 2_000 } })
  const sm = new MerkleStateManager({ common, caches })
  const alloc = json.alloc as Record<string, { balance: string; code?: string; storage?: Record<string, string> }>
  for (const [addr, a] of Object.entries(alloc)) {
    const address = new Address(hexToBytes(addr as `0x${string}`))
    await sm.putAccount(address, new Account(0n, BigInt(a.balance)))
    if (a.code !== undefined) await sm.putCode(address, hexToBytes(a.code as `0x${string}`))
    for (const [k, v] of Object.entries(a.storage ?? {})) await sm.putStorage(address, hexToBytes(k as `0x${string}`), hexToBytes(v as `0x${string}`))
  }
  await sm.flush()
  const vm = await createVM({ common, stateManager: sm })
  const producer = new Address(hexToBytes('0x000000000000000000000000000000000000c0fe'))
  let n = 0n
  for (const [raws, out] of [
    [value, figures.bareTransfer],
    [tokenRaw, figures.bareCall],
  ] as const) {
    const txs = await decoded(raws)
    n++
    const block = createBlock(
      {
        header: { number: n, timestamp: n, coinbase: producer, gasLimit: genesis.params.blockGasLimit, baseFeePerGas: genesis.params.minGasPrice },
        transactions: txs,
      },
      { common, skipConsensusFormatValidation: true },
    )
    const { ms, out: r } = await cpu(`bare-${n}`, () =>
      runBlock(vm, { block, generate: true, skipBlockValidation: true, skipHeaderValidation: true, skipHardForkValidation: true }),
    )
    if (r.receipts.some((x) => !('status' in x) || x.status !== 1)) throw new Error('bare runBlock: a transaction failed')
    out.push(ms)
  }
}

for (let round = 0; round < ROUNDS; round++) {
  process.stderr.write(`exec: ${BARE ? 'bare runBlock' : distRoot} round ${round + 1}/${ROUNDS}\n`)
  if (BARE) {
    await bare()
    continue
  }
  const producer = await openChain()
  const importer = await openChain()
  try {
    const blocks = []
    for (const [raws, out] of [
      [value, figures.buildTransfer],
      [tokenRaw, figures.buildCall],
    ] as const) {
      const txs = await decoded(raws)
      const ts = producer.chain.head.header.timestamp + interval

      const { ms, out: built } = await cpu<any>(raws === value ? 'build-0' : 'build-1', () => producer.chain.produceBlock(key, ts, txs))
      if (built.rejected.length > 0 || built.left.length > 0) throw new Error(`build: ${built.rejected.length} rejected, ${built.left.length} left`)
      if (built.receipts.some((r: { status: number }) => r.status !== 1)) throw new Error('build: a transaction failed')
      out.push(ms)
      blocks.push(built.block)
      const root = hex(built.block.header.stateRoot)
      if (round === 0) figures.roots.push(root)
      else if (figures.roots[blocks.length - 1] !== root) throw new Error('build: another state root than in round 1')
    }
    for (const [i, out] of [figures.importTransfer, figures.importCall].entries()) {
      const block = decodeBlock(encodeBlock(blocks[i]), common)
      await recoverTxSenders(pool, block.transactions)
      const now = block.header.timestamp + interval
      const { ms, out: outcome } = await cpu(`import-${i}`, () => importer.chain.importBlock(block, now))
      if (outcome !== 'imported') throw new Error(`import: ${outcome}`)
      out.push(ms)
    }
  } finally {
    await producer.close()
    await importer.close()
  }
}
await pool.close()
process.stdout.write(JSON.stringify({ transfers: TRANSFERS, calls: CALLS, ...figures }) + '\n')
