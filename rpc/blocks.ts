/**
 * Turns a block reference of a request into a block of the canonical chain. `safe` and
 * `finalized` are the last final block of DPoS (§4: confirmed by ⌊2n/3⌋+1 of the n seated
 * witnesses) — on a one-witness dev chain every block is final as it is made.
 */
import { NfcError } from '../src/util/errors.js'
import { ChainErrorCode } from '../src/chain/errors.js'
import { equalBytes } from '../src/chain/header.js'
import type { Head } from '../src/node/interface.js'
import type { NodeApi } from '../src/node/interface.js'
import type { BlockRef } from './params.js'

export async function findBlock(node: NodeApi, ref: BlockRef): Promise<Head | null> {
  const chain = node.chain
  if ('tag' in ref) {
    if (ref.tag === 'earliest') return (await chain.headerByNumber(0n)) ?? null
    if (ref.tag === 'safe' || ref.tag === 'finalized') return chain.finalized
    return chain.head
  }
  if ('number' in ref) {
    if (ref.number > chain.head.header.number) return null
    return (await chain.headerByNumber(ref.number)) ?? null
  }
  const header = await chain.store.getHeader(ref.hash)
  if (header === undefined) return null
  if (ref.requireCanonical) {
    const canonical = await chain.store.getHashByNumber(header.number)
    if (canonical === undefined || !equalBytes(canonical, ref.hash)) return null
  }
  return { hash: ref.hash, header }
}

/**
 * Whether a stored block at `number` is one a request may see: at or below the head that `latest`
 * answers with. LevelDB makes a block's batch readable (its indexes, receipts, header) to other
 * reads a moment before the chain moves its head; a wallet that got a receipt in that moment and
 * then read `latest` would see a nonce or balance from before its own transaction. (For the
 * transaction lookups by hash, whose index holds canonical blocks only; a block asked for by its
 * own hash may be a side block, which geth answers too.)
 */
export function atOrBelowHead(node: NodeApi, number: bigint): boolean {
  return number <= node.chain.head.header.number
}

/** Like findBlock, but a missing block is geth's "header not found" error. */
export async function requireBlock(node: NodeApi, ref: BlockRef | undefined): Promise<Head> {
  const head = await findBlock(node, ref ?? { tag: 'latest' })
  if (head === null) throw new NfcError(ChainErrorCode.BlockNotFound, 'header not found')
  return head
}
