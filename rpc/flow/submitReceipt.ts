/**
 * flow_submitReceipt(receipt): a doubly signed flow receipt (JSON form of src/flow/receipt.ts)
 * into the flow side-chain. → { receiptHash, sideChainId, height } once it is in a side block
 * (height null when this node is not in the committee and forwarded it over P2P). A refusal is
 * -32000 "receipt rejected: <reason>" with data { code: FLOW_… } (rpc/errors.ts).
 */
import { bytesToHex } from '@ethereumjs/util'
import { defineMethod, required, type Validator } from '../params.js'
import { InvalidParamsError } from '../errors.js'
import { flowOfNode, hexQ } from './common.js'

/** the receipt object; its fields are checked by the receipt decoder (FLOW_BAD_FORMAT) */
const receiptObject: Validator<Record<string, unknown>> = (v) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InvalidParamsError('expected a receipt object')
  return v as Record<string, unknown>
}

export const flow_submitReceipt = defineMethod('flow_submitReceipt', [required(receiptObject)], async ([json], ctx) => {
  const r = await flowOfNode(ctx.node).submitReceipt(json)
  return { receiptHash: bytesToHex(r.receiptHash), sideChainId: bytesToHex(r.sideChainId), height: r.height === null ? null : hexQ(r.height) }
})
