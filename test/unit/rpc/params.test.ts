import t, { type Test } from 'tap'
import { InvalidParamsError } from '../../../rpc/errors.js'
import {
  address,
  addressBytes,
  arrayOf,
  blockNumberOrTag,
  blockTag,
  bool,
  callObject,
  data,
  defineMethod,
  hash,
  hashHex,
  logFilter,
  optional,
  quantity,
  quantityAsNumber,
  required,
  uint64,
  type Validator,
} from '../../../rpc/params.js'

/** The message a validator throws, or fails the test. */
function reason(t: Test, v: Validator<unknown>, input: unknown): string {
  try {
    v(input)
  } catch (e) {
    t.type(e, InvalidParamsError)
    return (e as Error).message
  }
  t.fail(`accepted ${JSON.stringify(input)}`)
  return ''
}

const addr = '0x' + 'Ab'.repeat(20)
const h32 = '0x' + '11'.repeat(32)

t.test('quantity', async (t) => {
  t.equal(quantity('0x0'), 0n)
  t.equal(quantity('0x1f'), 31n)
  t.equal(quantity('0X1F'), 31n)
  t.equal(quantity('0x' + 'f'.repeat(64)), (1n << 256n) - 1n)
  t.equal(reason(t, quantity, '0x'), 'hex string "0x"')
  t.equal(reason(t, quantity, '0x01'), 'hex number with leading zero digits')
  t.equal(reason(t, quantity, '0x00'), 'hex number with leading zero digits')
  t.equal(reason(t, quantity, '12'), 'hex string without 0x prefix')
  t.equal(reason(t, quantity, ''), 'empty hex string')
  t.equal(reason(t, quantity, '0xg1'), 'invalid hex string')
  t.equal(reason(t, quantity, '0x1' + '0'.repeat(64)), 'hex number > 256 bits')
  t.equal(reason(t, quantity, 12), 'cannot unmarshal non-string into quantity')
  t.equal(reason(t, quantity, null), 'cannot unmarshal non-string into quantity')
})

t.test('uint64 and quantityAsNumber', async (t) => {
  t.equal(uint64('0xffffffffffffffff'), 2n ** 64n - 1n)
  t.equal(reason(t, uint64, '0x10000000000000000'), 'hex number > 64 bits')
  t.equal(quantityAsNumber('0x1fffffffffffff'), Number.MAX_SAFE_INTEGER)
  t.equal(reason(t, quantityAsNumber, '0x20000000000000'), 'hex number > 53 bits')
  t.equal(reason(t, quantityAsNumber, 5), 'cannot unmarshal non-string into quantity')
})

t.test('data', async (t) => {
  t.same(data('0x'), new Uint8Array())
  t.same(data(''), new Uint8Array(), 'geth accepts "" as empty bytes')
  t.same(data('0x00ff'), new Uint8Array([0, 255]))
  t.equal(reason(t, data, '0x0'), 'hex string of odd length')
  t.equal(reason(t, data, '00ff'), 'hex string without 0x prefix')
  t.equal(reason(t, data, '0xzz'), 'invalid hex string')
  t.equal(reason(t, data, [1]), 'cannot unmarshal non-string into data')
})

t.test('address and hash', async (t) => {
  t.equal(address(addr), addr.toLowerCase())
  t.equal(addressBytes(addr).length, 20)
  t.equal(reason(t, address, '0x' + 'ab'.repeat(19)), 'hex string has length 38, want 40 for common.Address')
  t.equal(reason(t, address, 'ab'.repeat(20)), 'hex string without 0x prefix')
  t.equal(reason(t, address, '0x' + 'zz'.repeat(20)), 'invalid hex string')
  t.equal(hash(h32).length, 32)
  t.equal(hashHex('0x' + 'AA'.repeat(32)), '0x' + 'aa'.repeat(32))
  t.equal(reason(t, hash, '0x' + '11'.repeat(33)), 'hex string has length 66, want 64 for common.Hash')
})

t.test('bool and arrayOf', async (t) => {
  t.equal(bool(true), true)
  t.equal(reason(t, bool, 'true'), 'cannot unmarshal string into bool')
  t.same(arrayOf(quantity)(['0x1', '0x2']), [1n, 2n])
  t.equal(reason(t, arrayOf(quantity), ['0x1', '0x01']), 'invalid element at index 1: hex number with leading zero digits')
  t.equal(reason(t, arrayOf(quantity, { max: 1 }), ['0x1', '0x2']), 'too many elements, want at most 1')
})

t.test('blockTag', async (t) => {
  for (const tag of ['latest', 'pending', 'safe', 'finalized', 'earliest']) t.same(blockTag(tag), { tag })
  t.same(blockTag('0x10'), { number: 16n })
  t.same(blockTag(h32), { hash: hash(h32), requireCanonical: false })
  t.same(blockTag({ blockHash: h32, requireCanonical: true }), { hash: hash(h32), requireCanonical: true })
  t.same(blockTag({ blockNumber: '0x2' }), { number: 2n })
  t.same(blockTag({ blockNumber: 'finalized' }), { tag: 'finalized' })
  t.equal(reason(t, blockTag, 'newest'), 'hex string without 0x prefix')
  t.equal(reason(t, blockTag, '0x01'), 'hex number with leading zero digits')
  t.equal(reason(t, blockTag, '0x8000000000000000'), 'block number larger than int64')
  t.equal(reason(t, blockTag, 5), 'cannot unmarshal number into block number or hash')
  t.equal(reason(t, blockTag, { blockHash: h32, blockNumber: '0x1' }), 'cannot specify both BlockHash and BlockNumber, choose one or the other')
  t.equal(reason(t, blockTag, {}), 'neither blockHash nor blockNumber specified')
  t.equal(reason(t, blockTag, { blockHash: '0x12' }), 'field "blockHash": hex string has length 2, want 64 for common.Hash')
  t.equal(reason(t, blockTag, { blockHash: h32, requireCanonical: 'yes' }), 'field "requireCanonical": cannot unmarshal string into bool')
  t.equal(reason(t, blockNumberOrTag, h32), 'hex number > 64 bits', 'a hash is not a block number')
})

t.test('callObject', async (t) => {
  const c = callObject({
    from: addr,
    to: null,
    gas: '0x5208',
    maxFeePerGas: '0x3b9aca00',
    maxPriorityFeePerGas: '0x1',
    value: '0xde0b6b3a7640000',
    nonce: '0x7',
    input: '0x1234',
    data: '0x1234',
    accessList: [{ address: addr, storageKeys: [h32] }],
    chainId: '0x539',
    type: '0x2',
    blobVersionedHashes: [],
    someFutureField: { tolerated: true },
  })
  t.same(c, {
    from: addr.toLowerCase(),
    gas: 21000n,
    maxFeePerGas: 1_000_000_000n,
    maxPriorityFeePerGas: 1n,
    value: 10n ** 18n,
    nonce: 7n,
    data: new Uint8Array([0x12, 0x34]),
    accessList: [{ address: addr.toLowerCase(), storageKeys: [h32] }],
    chainId: 1337n,
    type: 2,
  })
  t.notOk('to' in c, 'null to = create')
  t.same(callObject({ data: '0xab' }).data, new Uint8Array([0xab]))
  t.same(callObject({}), {})
  t.equal(
    reason(t, callObject, { data: '0x12', input: '0x34' }),
    'both "data" and "input" are set and not equal. Please use "input" to pass transaction call data',
  )
  t.equal(reason(t, callObject, { gasPrice: '0x1', maxFeePerGas: '0x1' }), 'both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified')
  t.equal(reason(t, callObject, { gas: '0x01' }), 'field "gas": hex number with leading zero digits')
  t.equal(reason(t, callObject, { to: '0x12' }), 'field "to": hex string has length 2, want 40 for common.Address')
  t.equal(reason(t, callObject, { value: 1 }), 'field "value": cannot unmarshal non-string into quantity')
  t.equal(
    reason(t, callObject, { accessList: [{ address: addr, storageKeys: ['0x1'] }] }),
    'field "accessList": invalid access tuple at index 0: field "storageKeys": ' +
      'invalid storage key at index 0: hex string has length 1, want 64 for common.Hash',
  )
  t.equal(reason(t, callObject, 'x'), 'cannot unmarshal string into transaction arguments')
})

t.test('logFilter', async (t) => {
  const topic = '0x' + 'dd'.repeat(32)
  t.same(logFilter({}), { addresses: [], topics: [] })
  t.same(logFilter({ fromBlock: '0x1', toBlock: 'latest', address: addr, topics: [topic, null, [topic, h32]] }), {
    fromBlock: { number: 1n },
    toBlock: { tag: 'latest' },
    addresses: [addr.toLowerCase()],
    topics: [[topic], null, [topic, h32]],
  })
  t.same(logFilter({ blockHash: h32, address: [addr, addr] }).addresses.length, 2)
  t.same(logFilter({ topics: [[], [topic, null]] }).topics, [null, null], 'empty list and null in OR list match anything')
  t.equal(reason(t, logFilter, { blockHash: h32, fromBlock: '0x1' }), 'cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other')
  t.equal(reason(t, logFilter, { address: [addr, '0x12'] }), 'invalid address at index 1: hex string has length 2, want 40 for common.Address')
  t.equal(reason(t, logFilter, { address: 5 }), 'invalid addresses in query')
  t.equal(reason(t, logFilter, { topics: [null, null, null, null, null] }), 'exceed max topics')
  t.equal(reason(t, logFilter, { topics: [null, '0x12'] }), 'invalid topic 1: hex has invalid length 1 after decoding; expected 32 for topic')
  t.equal(reason(t, logFilter, { topics: [[topic, 5]] }), 'invalid topic 0: cannot unmarshal non-string into topic')
  t.equal(reason(t, logFilter, { fromBlock: 'soon' }), 'field "fromBlock": hex string without 0x prefix')
  t.equal(reason(t, logFilter, []), 'cannot unmarshal array into filter criteria')
})

t.test('defineMethod positional rules', async (t) => {
  const m = defineMethod('x_y', [required(quantity), optional(bool)], ([n, b]) => [n, b])
  t.same(m.params(['0x1']), [1n, undefined])
  t.same(m.params(['0x1', null]), [1n, undefined])
  t.same(m.params(['0x1', true]), [1n, true])
  const msg = (raw: unknown[]) => {
    try {
      m.params(raw)
    } catch (e) {
      t.type(e, InvalidParamsError)
      return (e as Error).message
    }
    return 'accepted'
  }
  t.equal(msg([]), 'missing value for required argument 0')
  t.equal(msg([null]), 'missing value for required argument 0')
  t.equal(msg(['0x1', true, 3]), 'too many arguments, want at most 2')
  t.equal(msg(['1']), 'invalid argument 0: hex string without 0x prefix')
  t.equal(msg(['0x1', 'no']), 'invalid argument 1: cannot unmarshal string into bool')
})
