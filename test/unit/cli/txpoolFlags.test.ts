/** `nfc node --txpool-*` parsing (src/cli/nodeCommand.ts parseTxPoolFlags). */
import t from 'tap'
import { parseTxPoolFlags } from '../../../src/cli/nodeCommand.js'
import { expectUsageError } from '../../helpers/usageError.js'

t.test('absent flags leave the defaults; given ones are positive integers', async (t) => {
  t.same(parseTxPoolFlags({}), {})
  t.same(parseTxPoolFlags({ 'txpool-accountslots': '32', 'txpool-globalslots': '10000', 'txpool-accountqueue': '128', 'txpool-globalqueue': '2048' }), {
    accountSlots: 32,
    globalSlots: 10000,
    accountQueue: 128,
    globalQueue: 2048,
  })
  expectUsageError(t, () => parseTxPoolFlags({ 'txpool-globalslots': '0' }), /--txpool-globalslots wants a positive integer, got "0"/)
  expectUsageError(t, () => parseTxPoolFlags({ 'txpool-accountqueue': 'many' }), /--txpool-accountqueue wants a positive integer, got "many"/)
  expectUsageError(t, () => parseTxPoolFlags({ 'txpool-accountslots': '6000' }), /--txpool-accountslots \(6000\) cannot exceed --txpool-globalslots \(5120\)/)
  t.same(parseTxPoolFlags({ 'txpool-accountslots': '6000', 'txpool-globalslots': '6000' }), { accountSlots: 6000, globalSlots: 6000 })
})
