/**
 * eth_syncing: false when the node is at its peers' head, else geth's progress object
 * {startingBlock, currentBlock, highestBlock} while a range sync runs.
 */
import { hexQ } from '../format.js'
import { defineMethod } from '../params.js'

export const eth_syncing = defineMethod('eth_syncing', [], (_params, ctx) => {
  const s = ctx.node.syncing()
  if (s === false) return false
  return { startingBlock: hexQ(s.startingBlock), currentBlock: hexQ(s.currentBlock), highestBlock: hexQ(s.highestBlock) }
})
