/**
 * The receipts of `nfc flow simulate --cheat overflow`: well-formed and doubly signed (so only the
 * bounds and the parties can refuse them), with the totals the cheat is about, and what the
 * node's first check makes of each.
 */
import t from 'tap'
import { FlowErrorCode } from '../../../src/flow/errors.js'
import { checkTotalBound, receiptFromJson, receiptToJson, receiptTotal, recoverReceiptSigners } from '../../../src/flow/receipt.js'
import { FORGED_PLAUSIBLE_BYTES, forgedReceipts } from '../../../src/flowSim/cheats/overflow.js'
import { devAddress, devKey } from '../../helpers/inProcessNode.js'

const consumer = { key: devKey(7), address: devAddress(7) }
const provider = { key: devKey(8), address: devAddress(8) }
const at = { seed: 3, tick: 4, cycle: 9n, chainId: 2100n, expiryHeight: 500n }

t.test('three doubly signed receipts a tick: 2^256−1, 2^64 and 1 MiB, each its own session', async (t) => {
  const rs = forgedReceipts(at, consumer, provider)
  t.same(rs.map(receiptTotal), [2n ** 256n - 1n, 2n ** 64n, FORGED_PLAUSIBLE_BYTES])
  t.equal(new Set(rs.map((r) => Buffer.from(r.sessionId).toString('hex'))).size, 3, 'three sessions')
  for (const r of rs) {
    t.equal(r.seq, 5n, 'seq = tick + 1')
    t.same(recoverReceiptSigners(r), { consumer: consumer.address, provider: provider.address }, 'signed by both forger keys')
    t.same(receiptFromJson(receiptToJson(r)), r, 'what flow_submitReceipt decodes')
  }
  t.same(
    forgedReceipts({ ...at, tick: 5 }, consumer, provider).map((r) => r.sessionId),
    rs.map((r) => r.sessionId),
    'the same sessions every tick',
  )
  t.throws(() => checkTotalBound(rs[0]!), { code: FlowErrorCode.FLOW_OUT_OF_BOUNDS }, '2^256−1 is past the bound')
  t.throws(() => checkTotalBound(rs[1]!), { code: FlowErrorCode.FLOW_OUT_OF_BOUNDS }, '2^64 is past the bound')
  t.doesNotThrow(() => checkTotalBound(rs[2]!), '1 MiB is within it: only its unpledged provider refuses it')
})
