/**
 * txpool_inspect: txpool_content as geth's one-line summaries,
 * "<checksummed to>: <value> wei + <gas> gas × <price> wei" or "contract creation: …", where the
 * price is the gas price of a legacy / 2930 transaction and the fee cap of a 1559 one (geth's
 * tx.GasPrice()).
 */
import type { TypedTransaction } from '@ethereumjs/tx'
import { toChecksumAddress } from '@ethereumjs/util'
import { defineMethod } from '../params.js'
import { feeCaps } from '../../src/txpool/pricing.js'
import { bySenderAndNonce } from './content.js'

export function inspectLine(tx: TypedTransaction): string {
  const cost = `${tx.value} wei + ${tx.gasLimit} gas × ${feeCaps(tx).feeCap} wei`
  return tx.to === undefined ? `contract creation: ${cost}` : `${toChecksumAddress(tx.to.toString())}: ${cost}`
}

export const txpool_inspect = defineMethod('txpool_inspect', [], (_params, ctx) => {
  const { pending, queued } = ctx.node.txpool.content()
  return { pending: bySenderAndNonce(pending, inspectLine), queued: bySenderAndNonce(queued, inspectLine) }
})
