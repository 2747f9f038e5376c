/**
 * Blocks with state churn for the pruning tests and the killed-mid-pruning child: each block
 * carries one transfer from dev account 1, to one of a fixed ring of addresses (the live state
 * stays the same size, so a pruned node's trie stays flat) or to a fresh address every block.
 * Run as a script (`node --import test/helpers/tsx.mjs test/helpers/pruneChurn.ts DIR`) it opens
 * a pruning dev chain in DIR and produces churn blocks with a pruning pass every
 * `CHILD_PASS_BLOCKS` blocks (keeping TEST_BLOCKS_KEPT blocks' state) until killed, printing `block N` and `pruned N` lines.
 */
import path from 'node:path'
import { createLegacyTx } from '@ethereumjs/tx'
import { Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import { openDatabase } from '../../src/chain/db/level.js'
import { makeCommon } from '../../src/execution/common.js'
import { Blockchain } from '../../src/node/blockchain.js'
import { markState } from '../../src/state/trieWalk.js'
import { KeySpace, key } from '../../src/chain/db/keys.js'
import type { Db } from '../../src/chain/db/level.js'
import { silentLogger } from '../../src/util/logger.js'
import { devAddress, devGenesis, devKey } from './inProcessNode.js'

/** addresses the ring churn cycles through */
const RING_ADDRESSES = 16
/**
 * the pruning tests keep the state of this many blocks (and pass as often), not the node's 128:
 * the same code, in fewer blocks
 */
export const TEST_BLOCKS_KEPT = 16n
/** blocks between two explicit pruning passes in the child script */
const CHILD_PASS_BLOCKS = 8

const sender = new Address(hexToBytes(devAddress(1) as `0x${string}`))

/** the churn target of block `n`: a ring address, or a fresh one per block */
function target(n: bigint, fresh: boolean): Address {
  const id = fresh ? n : n % BigInt(RING_ADDRESSES)
  return new Address(hexToBytes(`0x${(0xc0de0000n + id).toString(16).padStart(40, '0')}`))
}

/** Produces `count` blocks on `chain`'s head, each with one transfer of dev account 1 (the dev witness, key 0, produces). */
export async function produceChurn(chain: Blockchain, count: number, opts: { fresh?: boolean } = {}): Promise<void> {
  const common = chain.common
  let nonce = (await chain.state.live.getAccount(sender))?.nonce ?? 0n
  for (let i = 0; i < count; i++) {
    const head = chain.head.header
    const tx = createLegacyTx(
      { nonce, gasPrice: 2_000_000_000n, gasLimit: 21_000n, to: target(head.number + 1n, opts.fresh === true), value: 1000n + head.number },
      { common },
    ).sign(devKey(1))
    nonce++
    await chain.produceBlock(devKey(0), head.timestamp + chain.dpos.intervalMs, [tx])
  }
}

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

/** trie nodes stored (32-byte keys of key space `s`; contract code has longer keys) */
export async function trieNodeCount(db: Db): Promise<number> {
  let n = 0
  for await (const k of db.keys({ gt: Uint8Array.of(KeySpace.trie), lt: Uint8Array.of(KeySpace.trie + 1) })) if (k.length === 33) n++
  return n
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
