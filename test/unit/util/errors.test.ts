import t from 'tap'
import { NfcError, isNfcError } from '../../../src/util/errors.js'

t.test('NfcError keeps code, message and meta', async (t) => {
  const e = new NfcError('X_CODE', 'went wrong', { a: 1 })
  t.equal(e.code, 'X_CODE')
  t.equal(e.message, 'went wrong')
  t.same(e.meta, { a: 1 })
  t.ok(isNfcError(e))
  t.notOk(isNfcError(new Error('plain')))
})
