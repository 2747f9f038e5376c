/**
 * nfc_getSupply([block]): where the fixed 2,100,000,000 NFC are (src/consensus/povf/supply.ts):
 * total, issued by the mining pools, burned, the pools, NFC held by the system contracts for
 * others (votes, pledges, locked traffic rewards, name locks), and what circulates.
 */
import { flowOf } from '../../src/consensus/dpos/engine.js'
import { supplyOf } from '../../src/consensus/povf/supply.js'
import { blockTag, defineMethod, optional } from '../params.js'
import { hexQ } from '../format.js'
import { stateFor } from '../dpos/common.js'

export const nfc_getSupply = defineMethod('nfc_getSupply', [optional(blockTag)], async ([ref], ctx) => {
  const node = ctx.node
  const { state } = await stateFor(node, ref)
  const s = await supplyOf(state, flowOf(node.chain.dpos))
  const { staking, pledges, flowRewards, names, storageDeals, other } = s.locked
  return {
    total: hexQ(s.total),
    issued: hexQ(s.issued),
    burned: hexQ(s.burned),
    pools: {
      shared: hexQ(s.pools.shared),
      blockMining: hexQ(s.pools.blockMining),
      trafficMining: hexQ(s.pools.trafficMining),
      teamVesting: hexQ(s.pools.teamVesting),
    },
    locked: hexQ(staking + pledges + flowRewards + names + storageDeals + other),
    lockedDetail: {
      staking: hexQ(staking),
      pledges: hexQ(pledges),
      flowRewards: hexQ(flowRewards),
      names: hexQ(names),
      storageDeals: hexQ(storageDeals),
      other: hexQ(other),
    },
    circulating: hexQ(s.circulating),
  }
})
