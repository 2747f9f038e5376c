/**
 * Blocks with state churn, for the `storage` bench group and the pruning tests: each block
 * carries one transfer (or `transfers`) from dev account 1 (the dev witness, account 0, produces),
 * to one of a fixed ring of addresses (the live state stays the same size) or to a fresh address
 * each (the state grows by one account a transfer). Not a bench group of its own.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createLegacyTx } from '@ethereumjs/tx'
import { Address, hexToBytes } from '@ethereumjs/util'
import { KeySpace } from '../../src/chain/db/keys.js'
import type { Db } from '../../src/chain/db/level.js'
import { parseGenesis, type Genesis } from '../../src/chain/genesis.js'
import type { Blockchain } from '../../src/node/blockchain.js'
import { DEV_ACCOUNTS } from '../../src/node/devAccounts.js'
import { packageRoot } from '../../src/util/packageRoot.js'

/** addresses the ring churn cycles through */
const RING_ADDRESSES = 16n
/** a trie node's key in key space `s`: the prefix and a 32-byte hash (contract code has longer keys) */
const TRIE_NODE_KEY_BYTES = 33

const keyOf = (i: number): Uint8Array => hexToBytes(DEV_ACCOUNTS[i]!.privateKey as `0x${string}`)
const sender = new Address(hexToBytes(DEV_ACCOUNTS[1]!.address as `0x${string}`))

/** genesis/dev.json, parsed: the chain the churn runs on */
export function devGenesis(): Genesis {
  return parseGenesis(JSON.parse(readFileSync(join(packageRoot()!, 'genesis', 'dev.json'), 'utf8')))
}

/** the churn target of transfer `j` of block `n`: a ring address, or a fresh one per transfer */
function target(n: bigint, j: number, perBlock: number, fresh: boolean): Address {
  const serial = n * BigInt(perBlock) + BigInt(j)
  const id = fresh ? serial : serial % RING_ADDRESSES
  return new Address(hexToBytes(`0x${(0xc0de0000n + id).toString(16).padStart(40, '0')}`))
}

/** What produceChurn makes. */
export interface ChurnOptions {
  /** a fresh address per transfer (default: a ring of 16) */
  fresh?: boolean
  /** blocks without transactions */
  empty?: boolean
  /** transfers per block (default 1) */
  transfers?: number
}

/**
 * Produces `count` blocks on `chain`'s head: with churn transfers, or empty (`empty`). Resolves
 * with the milliseconds spent producing them (building, executing, committing; the transfers are
 * signed before each block, outside that time).
 */
export async function produceChurn(chain: Blockchain, count: number, opts: ChurnOptions = {}): Promise<number> {
  let nonce = (await chain.state.live.getAccount(sender))?.nonce ?? 0n
  const perBlock = opts.empty === true ? 0 : (opts.transfers ?? 1)
  let producingMs = 0
  for (let i = 0; i < count; i++) {
    const head = chain.head.header
    const txs = Array.from({ length: perBlock }, (_, j) =>
      createLegacyTx(
        {
          nonce: nonce++,
          gasPrice: 2_000_000_000n,
          gasLimit: 21_000n,
          to: target(head.number + 1n, j, perBlock, opts.fresh === true),
          value: 1000n + head.number,
        },
        { common: chain.common },
      ).sign(keyOf(1)),
    )
    const started = performance.now()
    await chain.produceBlock(keyOf(0), head.timestamp + chain.dpos.intervalMs, txs)
    producingMs += performance.now() - started
  }
  return producingMs
}

/** trie nodes stored (keys of key space `s` with a 32-byte hash) */
export async function trieNodeCount(db: Db): Promise<number> {
  let n = 0
  for await (const k of db.keys({ gt: Uint8Array.of(KeySpace.trie), lt: Uint8Array.of(KeySpace.trie + 1) })) if (k.length === TRIE_NODE_KEY_BYTES) n++
  return n
}
