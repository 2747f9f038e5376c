/**
 * nfc_getDealChallenge(id, period[, block]): the leaf indexes deal `id` must prove for `period`
 * (StorageDeals.prove takes the chunks in this order), with the period's seed hash and the file's
 * leaf count — the draw the contract checks. -32000 with data.code STORAGE_UNKNOWN_DEAL,
 * STORAGE_NOT_ACCEPTED, STORAGE_PERIOD_NOT_STARTED (after the block's period) or STORAGE_NO_SEED.
 */
import { bytesToHex } from '@ethereumjs/util'
import { dealsOf } from '../../src/consensus/dpos/engine.js'
import { dealChallenge } from '../../src/consensus/deals/views.js'
import { stateFor } from '../dpos/common.js'
import { hexQ } from '../format.js'
import { blockTag, defineMethod, optional, quantity, required, uint64 } from '../params.js'

export const nfc_getDealChallenge = defineMethod(
  'nfc_getDealChallenge',
  [required(quantity), required(uint64), optional(blockTag)],
  async ([id, period, ref], ctx) => {
    const { block, state } = await stateFor(ctx.node, ref)
    const c = await dealChallenge(state, id, period, block.header.timestamp, dealsOf(ctx.node.chain.dpos))
    return {
      id: hexQ(c.id),
      period: hexQ(c.period),
      periodHash: bytesToHex(c.periodHash),
      leafCount: hexQ(BigInt(c.leafCount)),
      indexes: c.indexes.map((i) => hexQ(BigInt(i))),
    }
  },
)
