/** eth_sendRawTransaction(bytes): validates, adds to the pool, returns the transaction hash. */
import { bytesToHex } from '@ethereumjs/util'
import { data, defineMethod, required } from '../params.js'

export const eth_sendRawTransaction = defineMethod('eth_sendRawTransaction', [required(data)], async ([raw], ctx) =>
  bytesToHex(await ctx.node.sendRawTransaction(raw)),
)
