/**
 * A block: signed header plus body (transactions; confirmations and flow checkpoints arrive
 * with the DPoS and PoVF issues and are empty lists until then).
 */
import { RLP } from '@ethereumjs/rlp'
import type { Common } from '@ethereumjs/common'
import { createTxFromRLP, type TypedTransaction } from '@ethereumjs/tx'
import { core } from '../core/index.js'
import { NfcError } from '../util/errors.js'
import { ChainErrorCode } from './errors.js'
import { headerHash, type BlockHeader } from './header.js'

export interface Block {
  header: BlockHeader
  transactions: TypedTransaction[]
  hash: Uint8Array
}

export function makeBlock(header: BlockHeader, transactions: TypedTransaction[]): Block {
  return { header, transactions, hash: headerHash(header) }
}

/** transactionsRoot: binary keccak Merkle root (WASM core) over the transaction hashes. */
export function transactionsRoot(txs: TypedTransaction[]): Uint8Array {
  const leaves = new Uint8Array(txs.length * 32)
  txs.forEach((tx, i) => leaves.set(tx.hash(), i * 32))
  return core.merkleRoot('keccak256', leaves)
}

export function encodeBody(txs: TypedTransaction[]): Uint8Array {
  return RLP.encode([txs.map((tx) => tx.serialize()), [], []])
}

export function decodeBody(bytes: Uint8Array, common: Common): TypedTransaction[] {
  let list: unknown
  try {
    list = RLP.decode(bytes)
  } catch (e) {
    throw new NfcError(ChainErrorCode.BadEncoding, `invalid block body: rlp: ${(e as Error).message}`)
  }
  if (!Array.isArray(list) || list.length !== 3 || !Array.isArray(list[0])) {
    throw new NfcError(ChainErrorCode.BadEncoding, 'invalid block body: want [txs, confirmations, checkpoints]')
  }
  return list[0].map((raw: unknown, i: number) => {
    if (!(raw instanceof Uint8Array)) {
      throw new NfcError(ChainErrorCode.BadEncoding, `invalid block body: transaction ${i} is not a byte string`)
    }
    try {
      return createTxFromRLP(raw, { common })
    } catch (e) {
      throw new NfcError(ChainErrorCode.BadEncoding, `invalid block body: transaction ${i}: ${(e as Error).message}`)
    }
  })
}
