/**
 * Blocks with state churn, for the `storage` bench group and the pruning tests: each block
 * carries one transfer from dev account 1 (the dev witness, account 0, produces), to one of a
 * fixed ring of addresses (the live state stays the same size) or to a fresh address every block
 * (the state grows by one account a block). Not a bench group of its own.
 */
import { createLegacyTx } from '@ethereumjs/tx'
import { Address, hexToBytes } from '@ethereumjs/util'
import { KeySpace } from '../../src/chain/db/keys.js'
import type { Db } from '../../src/chain/db/level.js'
import type { Blockchain } from '../../src/node/blockchain.js'
import { DEV_ACCOUNTS } from '../../src/node/devAccounts.js'

/** addresses the ring churn cycles through */
const RING_ADDRESSES = 16n
/** a trie node's key in key space `s`: the prefix and a 32-byte hash (contract code has longer keys) */
const TRIE_NODE_KEY_BYTES = 33

const keyOf = (i: number): Uint8Array => hexToBytes(DEV_ACCOUNTS[i]!.privateKey as `0x${string}`)
const sender = new Address(hexToBytes(DEV_ACCOUNTS[1]!.address as `0x${string}`))

/** the churn target of block `n`: a ring address, or a fresh one per block */
function target(n: bigint, fresh: boolean): Address {
  const id = fresh ? n : n % RING_ADDRESSES
  return new Address(hexToBytes(`0x${(0xc0de0000n + id).toString(16).padStart(40, '0')}`))
}

/** Produces `count` blocks on `chain`'s head: with one churn transfer each, or empty (`empty`). */
export async function produceChurn(chain: Blockchain, count: number, opts: { fresh?: boolean; empty?: boolean } = {}): Promise<void> {
  let nonce = (await chain.state.live.getAccount(sender))?.nonce ?? 0n
  for (let i = 0; i < count; i++) {
    const head = chain.head.header
    const txs =
      opts.empty === true
        ? []
        : [
            createLegacyTx(
              { nonce: nonce++, gasPrice: 2_000_000_000n, gasLimit: 21_000n, to: target(head.number + 1n, opts.fresh === true), value: 1000n + head.number },
              { common: chain.common },
            ).sign(keyOf(1)),
          ]
    await chain.produceBlock(keyOf(0), head.timestamp + chain.dpos.intervalMs, txs)
  }
}

/** trie nodes stored (keys of key space `s` with a 32-byte hash) */
export async function trieNodeCount(db: Db): Promise<number> {
  let n = 0
  for await (const k of db.keys({ gt: Uint8Array.of(KeySpace.trie), lt: Uint8Array.of(KeySpace.trie + 1) })) if (k.length === TRIE_NODE_KEY_BYTES) n++
  return n
}
