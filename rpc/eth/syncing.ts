/**
 * eth_syncing: always false — a node without peers has nothing to catch up with. The P2P issue
 * replaces this with geth's progress object ({startingBlock, currentBlock, highestBlock}) while
 * it syncs.
 */
import { defineMethod } from '../params.js'

export const eth_syncing = defineMethod('eth_syncing', [], () => false)
