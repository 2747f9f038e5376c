/** dpos_getFinalized(): the last final block, the head, the lag between them and the quorum in force. */
import { bytesToHex } from '@ethereumjs/util'
import { defineMethod } from '../params.js'
import { hexQ } from './common.js'

export const dpos_getFinalized = defineMethod('dpos_getFinalized', [], (_params, ctx) => {
  const chain = ctx.node.chain
  const fin = chain.finalized
  const seated = chain.seats.filter((s) => s !== null).length
  return {
    number: hexQ(fin.header.number),
    hash: bytesToHex(fin.hash),
    timestamp: hexQ(fin.header.timestamp),
    head: hexQ(chain.head.header.number),
    lag: hexQ(chain.head.header.number - fin.header.number),
    seatedWitnesses: seated,
    quorum: chain.quorum(),
  }
})
