/**
 * DESIGN §10 "Storage for years": disk per block of a dev chain, pruned (the default: the state
 * of the last 128 blocks and of the final block) against --archive in the same run, for empty
 * blocks and under churn (one transfer to a fresh address every block, so the state itself grows
 * by one account a block). Each chain first runs WARM blocks (past the 128-block window), then a
 * pruning pass and a full LevelDB compaction fix the starting size; after BLOCKS more blocks,
 * another pass and compaction give the end size. Figure: (end − start) / BLOCKS, bytes a block.
 * Target: ≤ 1,000 bytes per empty block, pruned. Sizes: NFC_BENCH_STORAGE_BLOCKS,
 * NFC_BENCH_STORAGE_WARM.
 *
 * Then the long churn run (issue 17): CHURN_BLOCKS (600) blocks with a transfer to a fresh address
 * each, from genesis, pruned and archive; after every CHURN_WINDOW_BLOCKS (100) a pruning pass and
 * a full compaction, and the data directory's size. Figures: the size after the last window
 * (target: pruned ≤ half of archive) and the growth per block in each window (flat for the pruned
 * node, not rising). Sizes: NFC_BENCH_STORAGE_CHURN_BLOCKS, NFC_BENCH_STORAGE_CHURN_WINDOW.
 *
 * Then full-sync replay speed (./storage/replay.ts), and the big-state chain of the snapshot-sync
 * bench (./storage/bigState.ts): 100,000 accounts and 10 contracts × 1,000 slots through the
 * genesis alloc, against a smaller chain (NFC_BENCH_BIGSTATE_BLOCKS_ACCOUNTS, 5,000 accounts and
 * one contract of 500 slots) made by blocks of transfers and calls; figure: state entries
 * (accounts + slots) built per second.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { openDatabase, type Db } from '../../src/chain/db/level.js'
import { makeCommon } from '../../src/execution/common.js'
import { Blockchain } from '../../src/node/blockchain.js'
import { STATE_BLOCKS_KEPT } from '../../src/storage/pruner.js'
import { silentLogger } from '../../src/util/logger.js'
import { devGenesis, produceChurn, trieNodeCount } from './churn.js'
import { envInt, progress, row } from './report.js'
import { BIG_STATE_ACCOUNTS, buildBigState } from './storage/bigState.js'
import { replayRun } from './storage/replay.js'
import { snapSyncRun } from './storage/snapSync.js'

const BLOCKS = envInt('NFC_BENCH_STORAGE_BLOCKS', 256)
const WARM = envInt('NFC_BENCH_STORAGE_WARM', 160)
const CHURN_BLOCKS = envInt('NFC_BENCH_STORAGE_CHURN_BLOCKS', 600)
const CHURN_WINDOW_BLOCKS = envInt('NFC_BENCH_STORAGE_CHURN_WINDOW', 100)
const BIG_STATE_BLOCKS_ACCOUNTS = envInt('NFC_BENCH_BIGSTATE_BLOCKS_ACCOUNTS', 5_000)
/** the parts of the group, in order; NFC_BENCH_STORAGE_PARTS runs a subset (comma-separated) */
const PARTS = ['disk', 'churn', 'replay', 'bigstate', 'snap'] as const
type Part = (typeof PARTS)[number]
/** DESIGN §10 */
const EMPTY_BLOCK_TARGET_BYTES = 1_000
/** issue 17: under churn a pruned data directory is at most this share of an archive one */
const CHURN_PRUNED_SHARE_TARGET = 0.5
/** "flat": the last window's growth per block at most this multiple of the first pruned window's (window 2: the first past the kept state) */
const FLAT_GROWTH_FACTOR = 1.05

/** bytes of every file of a directory (LevelDB's tables, logs, manifest) */
function dirBytes(dir: string): number {
  return readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0)
}

/** Pruning pass (unless archive), full compaction, then the size on disk. */
async function settledBytes(chain: Blockchain, db: Db, dir: string): Promise<number> {
  await chain.pruneState()
  await db.compactRange(Uint8Array.of(0), Uint8Array.of(0xff))
  return dirBytes(dir)
}

interface Measured {
  bytesPerBlock: number
  trieNodes: number
}

/** Opens a dev chain in a fresh temp directory, runs `fn` on it, then closes and removes it. */
async function withDevChain<T>(archive: boolean, fn: (chain: Blockchain, db: Db, chaindata: string) => Promise<T>): Promise<T> {
  const genesis = devGenesis()
  const dir = mkdtempSync(join(os.tmpdir(), 'nfc-bench-storage-'))
  const chaindata = join(dir, 'chaindata')
  const db = await openDatabase(chaindata)
  const chain = await Blockchain.open({ db, genesis, common: makeCommon(genesis.chainId, genesis.name), logger: silentLogger, now: () => Date.now(), archive })
  try {
    return await fn(chain, db, chaindata)
  } finally {
    await chain.close()
    await db.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

async function measure(archive: boolean, fresh: boolean, empty: boolean): Promise<Measured> {
  return withDevChain(archive, async (chain, db, chaindata) => {
    await produceChurn(chain, WARM, { fresh, empty })
    const start = await settledBytes(chain, db, chaindata)
    await produceChurn(chain, BLOCKS, { fresh, empty })
    const end = await settledBytes(chain, db, chaindata)
    return { bytesPerBlock: (end - start) / BLOCKS, trieNodes: await trieNodeCount(db) }
  })
}

/** The settled data-directory size (bytes) at genesis and after each window of fresh-address churn. */
async function churnWindows(archive: boolean): Promise<number[]> {
  return withDevChain(archive, async (chain, db, chaindata) => {
    const sizes = [await settledBytes(chain, db, chaindata)]
    for (let done = 0; done < CHURN_BLOCKS; done += CHURN_WINDOW_BLOCKS) {
      const blocks = Math.min(CHURN_WINDOW_BLOCKS, CHURN_BLOCKS - done)
      await produceChurn(chain, blocks, { fresh: true })
      sizes.push(await settledBytes(chain, db, chaindata))
      progress(`storage: churn ${archive ? 'archive' : 'pruned'}, block ${done + blocks} of ${CHURN_BLOCKS}, ${kb(sizes.at(-1)!)} KB`)
    }
    return sizes
  })
}

const kb = (bytes: number): string => (bytes / 1024).toFixed(1)

/** growth per block (bytes) of each window */
function windowGrowth(sizes: number[]): number[] {
  return sizes.slice(1).map((s, i) => (s - sizes[i]!) / Math.min(CHURN_WINDOW_BLOCKS, CHURN_BLOCKS - i * CHURN_WINDOW_BLOCKS))
}

/** The long churn run: size after CHURN_BLOCKS, pruned vs archive, and the growth per block of each window. */
async function churnRun(): Promise<void> {
  progress(`storage: churn to fresh addresses, ${CHURN_BLOCKS} blocks in windows of ${CHURN_WINDOW_BLOCKS}, pruned and archive`)
  const pruned = await churnWindows(false)
  const archive = await churnWindows(true)
  const pg = windowGrowth(pruned)
  const ag = windowGrowth(archive)
  process.stdout.write(`growth per block in each ${CHURN_WINDOW_BLOCKS}-block window of fresh-address churn (B/block), pruned | archive:\n`)
  pg.forEach((g, i) => {
    const from = i * CHURN_WINDOW_BLOCKS + 1
    const to = Math.min((i + 1) * CHURN_WINDOW_BLOCKS, CHURN_BLOCKS)
    process.stdout.write(
      `  blocks ${String(from).padStart(4)}–${String(to).padEnd(4)}  ${Math.round(g).toLocaleString('en-US').padStart(8)} | ${Math.round(ag[i]!).toLocaleString('en-US').padStart(8)}\n`,
    )
  })
  const end = pruned.at(-1)!
  const endArchive = archive.at(-1)!
  row({
    name: `data dir after ${CHURN_BLOCKS} churn blocks, pruned (KB)`,
    value: end / 1024,
    unit: 'KB',
    baseline: { name: '--archive', value: endArchive / 1024 },
    target: `≤ ${CHURN_PRUNED_SHARE_TARGET}× archive`,
    met: end <= endArchive * CHURN_PRUNED_SHARE_TARGET,
  })
  // the first whole window past the kept state against the last: flat, not rising
  const firstPastIndex = Math.min(pg.length - 1, Math.ceil(Number(STATE_BLOCKS_KEPT) / CHURN_WINDOW_BLOCKS))
  const firstPast = pg[firstPastIndex]!
  const last = pg.at(-1)!
  row({
    name: `growth per churn block, last ${CHURN_WINDOW_BLOCKS}-block window, pruned`,
    value: last,
    unit: 'B/block',
    baseline: { name: '--archive', value: ag.at(-1)! },
    target: `flat: ≤ ${FLAT_GROWTH_FACTOR}× window ${firstPastIndex + 1} (${Math.round(firstPast)})`,
    met: last <= firstPast * FLAT_GROWTH_FACTOR,
  })
}

/** the parts NFC_BENCH_STORAGE_PARTS names (all when unset); an unknown name is an error naming the known ones */
function parts(): Set<Part> {
  const v = process.env.NFC_BENCH_STORAGE_PARTS
  if (v === undefined || v.trim() === '') return new Set(PARTS)
  const names = v.split(',').map((x) => x.trim())
  for (const n of names)
    if (!(PARTS as readonly string[]).includes(n)) throw new Error(`NFC_BENCH_STORAGE_PARTS: unknown part "${n}" (known: ${PARTS.join(', ')})`)
  return new Set(names as Part[])
}

export async function run(): Promise<void> {
  const only = parts()
  if (only.has('disk')) await diskRun()
  if (only.has('churn')) await churnRun()
  if (only.has('replay')) await replayRun()
  if (only.has('bigstate')) await bigStateRun()
  if (only.has('snap')) await snapSyncRun()
}

/** disk per block, empty and with a fresh-address transfer, pruned against --archive */
async function diskRun(): Promise<void> {
  for (const scenario of [
    { label: 'empty block', empty: true, fresh: false },
    { label: 'block with a transfer to a fresh address', empty: false, fresh: true },
  ]) {
    progress(`storage: ${scenario.label}, ${WARM} + ${BLOCKS} blocks, pruned and archive`)
    const pruned = await measure(false, scenario.fresh, scenario.empty)
    const archive = await measure(true, scenario.fresh, scenario.empty)
    const targeted = scenario.empty
    row({
      name: `disk per ${scenario.label}, pruned (B)`,
      value: pruned.bytesPerBlock,
      unit: 'B/block',
      baseline: { name: '--archive', value: archive.bytesPerBlock },
      ...(targeted ? { target: `≤ ${EMPTY_BLOCK_TARGET_BYTES.toLocaleString('en-US')} B`, met: pruned.bytesPerBlock <= EMPTY_BLOCK_TARGET_BYTES } : {}),
    })
    row({
      name: `trie nodes after ${WARM + BLOCKS} ${scenario.empty ? 'empty ' : ''}blocks, pruned`,
      value: pruned.trieNodes,
      unit: 'nodes',
      baseline: { name: '--archive', value: archive.trieNodes },
    })
  }
}

/** The big-state chain, both ways (module comment): entries per second, and how long 100,000 accounts take. */
async function bigStateRun(): Promise<void> {
  const rate = (s: { accounts: number; slots: number; ms: number }) => (s.accounts + s.slots) / (s.ms / 1000)
  const viaGenesis = await buildBigState({ mode: 'genesis', onProgress: progress })
  rmSync(dirname(viaGenesis.datadir), { recursive: true, force: true })
  const viaBlocks = await buildBigState({ mode: 'blocks', accounts: BIG_STATE_BLOCKS_ACCOUNTS, contracts: 1, slotsPerContract: 500, onProgress: progress })
  rmSync(dirname(viaBlocks.datadir), { recursive: true, force: true })
  process.stdout.write(
    `big state: ${viaGenesis.accounts.toLocaleString('en-US')} accounts + ${viaGenesis.slots.toLocaleString('en-US')} slots through the genesis alloc in ${(viaGenesis.ms / 1000).toFixed(1)} s; ` +
      `${viaBlocks.accounts.toLocaleString('en-US')} accounts + ${viaBlocks.slots} slots by ${viaBlocks.head.number} blocks in ${(viaBlocks.ms / 1000).toFixed(1)} s\n`,
  )
  row({
    name: `big state (${BIG_STATE_ACCOUNTS.toLocaleString('en-US')} accounts) built, genesis alloc`,
    value: rate(viaGenesis),
    unit: 'entries/s',
    baseline: { name: 'blocks of transfers', value: rate(viaBlocks) },
  })
}
