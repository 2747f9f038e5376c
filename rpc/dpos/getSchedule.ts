/**
 * dpos_getSchedule(): the current round's order and the owner of the current slot, on top of
 * the head. The current slot is read from this node's clock (the first slot after the head's
 * when the head's slot is still running).
 */
import { bytesToHex } from '@ethereumjs/util'
import { scheduleFor } from '../../src/consensus/dpos/engine.js'
import { defineMethod } from '../params.js'
import { hexQ } from './common.js'

export const dpos_getSchedule = defineMethod('dpos_getSchedule', [], async (_params, ctx) => {
  const node = ctx.node
  const chain = node.chain
  const head = chain.head
  const headSlot = chain.slotOf(head.header.timestamp)
  const now = BigInt(node.now())
  const nowSlot = now < chain.genesisTime ? 0n : chain.slotOf(now)
  const slot = nowSlot > headSlot ? nowSlot : headSlot + 1n
  const s = await scheduleFor(await chain.stateAt(head.header), head.hash, head.header.timestamp, slot, chain.dpos)
  const W = BigInt(chain.dpos.W)
  return {
    slot: hexQ(s.slot),
    slotTime: hexQ(chain.genesisTime + s.slot * chain.dpos.intervalMs),
    round: hexQ(s.round),
    roundStartSlot: hexQ(s.round * W),
    seed: bytesToHex(s.seed),
    order: s.order,
    owner: s.owner,
    headNumber: hexQ(head.header.number),
  }
})
