/**
 * DESIGN §10 "Storage for years": disk per block of a dev chain, pruned (the default: the state
 * of the last 128 blocks and of the final block) against --archive in the same run, for empty
 * blocks and under churn (one transfer to a fresh address every block, so the state itself grows
 * by one account a block). Each chain first runs WARM blocks (past the 128-block window), then a
 * pruning pass and a full LevelDB compaction fix the starting size; after BLOCKS more blocks,
 * another pass and compaction give the end size. Figure: (end − start) / BLOCKS, bytes a block.
 * Target: ≤ 1,000 bytes per empty block, pruned. Sizes: NFC_BENCH_STORAGE_BLOCKS,
 * NFC_BENCH_STORAGE_WARM.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { openDatabase, type Db } from '../../src/chain/db/level.js'
import { parseGenesis } from '../../src/chain/genesis.js'
import { makeCommon } from '../../src/execution/common.js'
import { Blockchain } from '../../src/node/blockchain.js'
import { silentLogger } from '../../src/util/logger.js'
import { packageRoot } from '../../src/util/packageRoot.js'
import { produceChurn, trieNodeCount } from './churn.js'
import { progress, row } from './report.js'

const envInt = (name: string, def: number): number => {
  const v = process.env[name]
  const n = v === undefined ? def : Number(v)
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${v}`)
  return n
}

const BLOCKS = envInt('NFC_BENCH_STORAGE_BLOCKS', 256)
const WARM = envInt('NFC_BENCH_STORAGE_WARM', 160)
/** DESIGN §10 */
const EMPTY_BLOCK_TARGET_BYTES = 1_000

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

async function measure(archive: boolean, fresh: boolean, empty: boolean): Promise<Measured> {
  const root = packageRoot()!
  const genesis = parseGenesis(JSON.parse(readFileSync(join(root, 'genesis', 'dev.json'), 'utf8')))
  const dir = mkdtempSync(join(os.tmpdir(), 'nfc-bench-storage-'))
  const chaindata = join(dir, 'chaindata')
  const db = await openDatabase(chaindata)
  const chain = await Blockchain.open({ db, genesis, common: makeCommon(genesis.chainId, genesis.name), logger: silentLogger, now: () => Date.now(), archive })
  try {
    await produceChurn(chain, WARM, { fresh, empty })
    const start = await settledBytes(chain, db, chaindata)
    await produceChurn(chain, BLOCKS, { fresh, empty })
    const end = await settledBytes(chain, db, chaindata)
    return { bytesPerBlock: (end - start) / BLOCKS, trieNodes: await trieNodeCount(db) }
  } finally {
    await chain.close()
    await db.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

export async function run(): Promise<void> {
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
