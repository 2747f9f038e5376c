/**
 * Test fixture for the block store tests: a store on a real classic-level in a temp dir, signed
 * transfers that take each sender's next nonce, and signed headers with random roots. Each test
 * file makes its own with its own seed, so its random bytes (and so its blocks) stay its own.
 */
import path from 'node:path'
import type { Test } from 'tap'
import { createFeeMarket1559Tx, createLegacyTx, type TypedTransaction } from '@ethereumjs/tx'
import { Address, hexToBytes } from '@ethereumjs/util'
import { BlockStore, openDatabase, type Db } from '../../src/chain/blockStore.js'
import { signHeader, ZERO32, type BlockHeader } from '../../src/chain/header.js'
import { makeCommon } from '../../src/execution/common.js'
import { devAddress, devKey, prng, tempDir } from './inProcessNode.js'

export function storeFixture(seed: number) {
  const common = makeCommon(2100n)
  const rand = prng(seed)
  /** n seeded random bytes */
  const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256))
  /** dev account i's address */
  const addr = (i: number): Uint8Array => hexToBytes(devAddress(i) as `0x${string}`)

  async function openStore(t: Test, dir = tempDir(t)): Promise<{ db: Db; store: BlockStore; dir: string }> {
    const db = await openDatabase(path.join(dir, 'db'))
    t.teardown(() => (db.status === 'open' ? db.close() : undefined))
    return { db, store: new BlockStore(db, common), dir }
  }

  const nonces = new Map<number, bigint>()
  /** a signed transfer from dev account `from` (to = null: a creation); every call takes the sender's next nonce */
  function transfer(from: number, to: number | null, type: 'legacy' | '1559' = 'legacy'): TypedTransaction {
    const nonce = nonces.get(from) ?? 0n
    nonces.set(from, nonce + 1n)
    const base = {
      nonce,
      gasLimit: to === null ? 100_000n : 21_000n,
      value: 1000n,
      to: to === null ? undefined : new Address(addr(to)),
      data: to === null ? Uint8Array.of(0x00) : undefined,
    }
    return type === 'legacy'
      ? createLegacyTx({ ...base, gasPrice: 2_000_000_000n }, { common }).sign(devKey(from))
      : createFeeMarket1559Tx({ ...base, maxFeePerGas: 3_000_000_000n, maxPriorityFeePerGas: 1n }, { common }).sign(devKey(from))
  }

  /** a header signed by dev account 0 with random roots; `salt` moves the timestamp to make a sibling */
  function header(number: bigint, parentHash: Uint8Array, salt = 0n): BlockHeader {
    return signHeader(
      {
        parentHash,
        number,
        timestamp: 1_700_000_000_000n + number * 1000n + salt,
        producer: addr(0),
        stateRoot: bytes(32),
        transactionsRoot: bytes(32),
        receiptsRoot: bytes(32),
        logsBloom: new Uint8Array(256),
        gasLimit: 30_000_000n,
        gasUsed: 21_000n,
        baseFeePerGas: 1_000_000_000n,
        flowRoot: ZERO32,
        confirmationsRoot: ZERO32,
        signature: new Uint8Array(0),
      },
      devKey(0),
    )
  }

  return { common, bytes, addr, openStore, transfer, header }
}
