/** txpool_status: the number of pending (executable) and queued (behind a nonce gap) transactions, as hex. */
import { hexQ } from '../format.js'
import { defineMethod } from '../params.js'

export const txpool_status = defineMethod('txpool_status', [], (_params, ctx) => {
  const { pending, queued } = ctx.node.txpool.status()
  return { pending: hexQ(pending), queued: hexQ(queued) }
})
