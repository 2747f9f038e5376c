/** What a producer includes of the confirmations it holds (DESIGN §4). */
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import { bytesToHex } from '@ethereumjs/util'
import type { BlockStore } from '../chain/blockStore.js'
import { recoverConfirmer, type Confirmation } from '../chain/confirmation.js'
import { equalBytes } from '../chain/header.js'
import { lastConfirmedOf } from '../consensus/dpos/views.js'
import type { Head } from './blockchain.js'

/** confirmations a producer includes in one block */
const MAX_CONFIRMATIONS_PER_BLOCK = 256

/**
 * The confirmations a producer may include on top of `parent`: valid signatures of seated
 * witnesses, for canonical ancestors above what each witness has on chain, in (number,
 * witness) order so every witness's numbers increase; at most MAX_CONFIRMATIONS_PER_BLOCK.
 */
export async function usableConfirmations(
  store: BlockStore,
  live: MerkleStateManager,
  chainId: bigint,
  parent: Head,
  seats: readonly (string | null)[],
  pool: readonly Confirmation[],
): Promise<{ witness: string; confirmation: Confirmation }[]> {
  const seated = new Set(seats.filter((s): s is string => s !== null))
  const floor = new Map<string, bigint>()
  const out: { witness: string; confirmation: Confirmation }[] = []
  const sorted = [...pool].sort((a, b) => (a.number < b.number ? -1 : a.number > b.number ? 1 : 0))
  for (const c of sorted) {
    if (out.length >= MAX_CONFIRMATIONS_PER_BLOCK) break
    if (c.number > parent.header.number) continue
    const signer = recoverConfirmer(chainId, c)
    if (signer === null) continue
    const witness = bytesToHex(signer)
    if (!seated.has(witness)) continue
    if (!floor.has(witness)) floor.set(witness, await lastConfirmedOf(live, witness))
    if (c.number <= floor.get(witness)!) continue
    const canonical = await store.getHashByNumber(c.number)
    if (canonical === undefined || !equalBytes(canonical, c.blockHash)) continue
    floor.set(witness, c.number)
    out.push({ witness, confirmation: c })
  }
  out.sort((a, b) =>
    a.confirmation.number !== b.confirmation.number ? (a.confirmation.number < b.confirmation.number ? -1 : 1) : a.witness < b.witness ? -1 : 1,
  )
  return out
}
