/**
 * Helpers of the pruning tests (the churn itself is tools/bench/churn.ts, shared with the
 * `storage` bench group). Run as a script (`node --import test/helpers/tsx.mjs test/helpers/pruneChurn.ts DIR`) it opens
 * a pruning dev chain in DIR and produces churn blocks with a pruning pass every
 * `CHILD_PASS_BLOCKS` blocks (keeping TEST_BLOCKS_KEPT blocks' state) until killed, printing `block N` and `pruned N` lines.
 */
import path from 'node:path'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { openDatabase } from '../../src/chain/db/level.js'
import { makeCommon } from '../../src/execution/common.js'
import { Blockchain } from '../../src/node/blockchain.js'
import { markState } from '../../src/state/trieWalk.js'
import { KeySpace, key } from '../../src/chain/db/keys.js'
import type { Db } from '../../src/chain/db/level.js'
import { silentLogger } from '../../src/util/logger.js'
import { produceChurn } from '../../tools/bench/churn.js'
import { devGenesis } from './inProcessNode.js'

export { produceChurn, trieNodeCount } from '../../tools/bench/churn.js'

/**
 * the pruning tests keep the state of this many blocks (and pass as often), not the node's 128:
 * the same code, in fewer blocks
 */
export const TEST_BLOCKS_KEPT = 16n
/** blocks between two explicit pruning passes in the child script */
const CHILD_PASS_BLOCKS = 8

/** Reads trie nodes straight from the database (no cache in between). */
export function dbReader(db: Db): (k: string) => Promise<Uint8Array | undefined> {
  return (k) => db.get(key(KeySpace.trie, hexToBytes(`0x${k}`)))
}

/** The numbers of the canonical blocks from `from` to the head whose state root is not complete on disk. */
export async function incompleteRoots(chain: Blockchain, db: Db, from: bigint): Promise<bigint[]> {
  const bad: bigint[] = []
  for (let n = from; n <= chain.head.header.number; n++) {
    const head = await chain.headerByNumber(n)
    if (head === undefined) throw new Error(`no canonical block ${n}`)
    try {
      await markState(dbReader(db), bytesToHex(head.header.stateRoot).slice(2), new Set())
    } catch {
      bad.push(n)
    }
  }
  return bad
}

async function main(dir: string): Promise<void> {
  const genesis = devGenesis()
  const db = await openDatabase(path.join(dir, 'chaindata'))
  const chain = await Blockchain.open({
    db,
    genesis,
    common: makeCommon(genesis.chainId, genesis.name),
    logger: silentLogger,
    now: () => Date.now(),
    stateBlocksKept: TEST_BLOCKS_KEPT,
  })
  for (;;) {
    await produceChurn(chain, CHILD_PASS_BLOCKS)
    process.stdout.write(`block ${chain.head.header.number}\n`)
    // not awaited: blocks go on while the pass runs, as in a node
    void chain.pruneState().then((r) => process.stdout.write(`pruned ${r?.deleted}\n`))
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) await main(process.argv[2]!)
