/**
 * Full-sync replay speed (issue 17, part of the `storage` bench group): a dev chain is produced
 * in-process (timed: the baseline, producing the same blocks), exported with `exportChain` and
 * re-executed into an empty data directory with `importChain` — what `nfc export` / `nfc import`
 * run, every block through the network's import path (sender recovery on the worker pool, header,
 * signature, DPoS, execution, result checks, one commit a block). Figures: blocks/s and tx/s of
 * the import against blocks/s of producing, for empty blocks and for blocks of transfers to fresh
 * addresses. The import is timed from its first block taken to its last (opening the data
 * directory and starting the recovery workers are printed apart: a fixed cost, not a rate). Sizes: NFC_BENCH_REPLAY_EMPTY_BLOCKS, NFC_BENCH_REPLAY_TX_BLOCKS,
 * NFC_BENCH_REPLAY_TXS_PER_BLOCK.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { openDatabase } from '../../../src/chain/db/level.js'
import { makeCommon } from '../../../src/execution/common.js'
import { Blockchain } from '../../../src/node/blockchain.js'
import { exportChain, importChain } from '../../../src/node/chainFile.js'
import { silentLogger } from '../../../src/util/logger.js'
import { devGenesis, produceChurn } from '../churn.js'
import { envInt, progress, row } from '../report.js'

const EMPTY_BLOCKS = envInt('NFC_BENCH_REPLAY_EMPTY_BLOCKS', 500)
const TX_BLOCKS = envInt('NFC_BENCH_REPLAY_TX_BLOCKS', 50)
const TXS_PER_BLOCK = envInt('NFC_BENCH_REPLAY_TXS_PER_BLOCK', 200)
/** the importing side's clock: far past the produced blocks' times (they run ahead of the wall clock, one interval a block) */
const IMPORT_CLOCK_AHEAD_MS = 30 * 24 * 3600 * 1000
/** progress is redrawn every this many blocks */
const PROGRESS_EVERY_BLOCKS = 50

interface Replay {
  blocks: number
  txs: number
  produceMs: number
  /** from the first block taken to the last, and the blocks in that time (all but the first) */
  importMs: number
  importedBlocks: number
}

/** Produces `blocks` blocks (timed) in a data directory, exports them, imports them into another (timed). */
async function replay(label: string, blocks: number, transfers: number): Promise<Replay> {
  if (blocks < 2) throw new Error(`replay ${label}: at least 2 blocks (the rate runs from the first block imported to the last), got ${blocks}`)
  const genesis = devGenesis()
  const dir = mkdtempSync(join(os.tmpdir(), 'nfc-bench-replay-'))
  const source = join(dir, 'source')
  const target = join(dir, 'target')
  const file = join(dir, 'chain.rlp')
  try {
    const db = await openDatabase(join(source, 'chaindata'))
    const chain = await Blockchain.open({ db, genesis, common: makeCommon(genesis.chainId, genesis.name), logger: silentLogger, now: () => Date.now() })
    let produceMs = 0
    try {
      for (let done = 0; done < blocks; done += PROGRESS_EVERY_BLOCKS) {
        produceMs += await produceChurn(chain, Math.min(PROGRESS_EVERY_BLOCKS, blocks - done), transfers === 0 ? { empty: true } : { fresh: true, transfers })
        progress(`storage: replay ${label}: producing, block ${Math.min(done + PROGRESS_EVERY_BLOCKS, blocks)} of ${blocks}`)
      }
    } finally {
      await chain.close()
      await db.close()
    }
    await exportChain({ genesis, datadir: source, logger: silentLogger, out: file })
    const started = performance.now()
    let first: number | undefined
    const r = await importChain({
      genesis,
      datadir: target,
      logger: silentLogger,
      file,
      now: () => Date.now() + IMPORT_CLOCK_AHEAD_MS,
      onBlock: (p) => {
        first ??= performance.now()
        if (p.blocks % PROGRESS_EVERY_BLOCKS === 0) progress(`storage: replay ${label}: importing, block ${p.number} of ${blocks}`)
      },
    })
    const ended = performance.now()
    if (r.newBlocks !== blocks || first === undefined) throw new Error(`replay ${label}: imported ${r.newBlocks} new blocks, expected ${blocks}`)
    process.stdout.write(`replay ${label}: opening the data directory took ${((first - started) / 1000).toFixed(1)} s (not in the rate)\n`)
    return { blocks, txs: blocks * transfers, produceMs, importMs: ended - first, importedBlocks: blocks - 1 }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const perSecond = (n: number, ms: number): number => n / (ms / 1000)

/** The replay figures: empty blocks, then blocks of transfers. */
export async function replayRun(): Promise<void> {
  progress(`storage: replay of ${EMPTY_BLOCKS} empty blocks`)
  const empty = await replay('empty blocks', EMPTY_BLOCKS, 0)
  row({
    name: `full-sync replay (nfc import), empty blocks`,
    value: perSecond(empty.importedBlocks, empty.importMs),
    unit: 'blocks/s',
    baseline: { name: 'producing them', value: perSecond(empty.blocks, empty.produceMs) },
  })
  progress(`storage: replay of ${TX_BLOCKS} blocks of ${TXS_PER_BLOCK} transfers to fresh addresses`)
  const full = await replay(`blocks of ${TXS_PER_BLOCK} transfers`, TX_BLOCKS, TXS_PER_BLOCK)
  row({
    name: `full-sync replay, blocks of ${TXS_PER_BLOCK} transfers`,
    value: perSecond(full.importedBlocks, full.importMs),
    unit: 'blocks/s',
    baseline: { name: 'producing them', value: perSecond(full.blocks, full.produceMs) },
  })
  row({
    name: `full-sync replay, transfers`,
    value: perSecond((full.txs * full.importedBlocks) / full.blocks, full.importMs),
    unit: 'tx/s',
    baseline: { name: 'producing them', value: perSecond(full.txs, full.produceMs) },
  })
}
