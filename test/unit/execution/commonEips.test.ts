import t from 'tap'
import { createCustomCommon, Hardfork, Mainnet } from '@ethereumjs/common'
import { makeCommon } from '../../../src/execution/common.js'

// every EIP number ethereumjs knows of, and some it does not
const candidates = Array.from({ length: 8000 }, (_, i) => i)

function agrees(common: { isActivatedEIP(eip: number): boolean }): number {
  const list = (common as unknown as { _activatedEIPsCache: number[] })._activatedEIPsCache
  let wrong = 0
  for (const eip of candidates) if (common.isActivatedEIP(eip) !== list.includes(eip)) wrong++
  return wrong
}

t.test('isActivatedEIP answers as the activated list, across commons, hardfork changes and extra EIPs', async (t) => {
  const ours = makeCommon(2100n)
  t.equal(agrees(ours), 0, 'the chain common (Cancun)')
  t.ok(ours.isActivatedEIP(1153), 'Cancun has EIP-1153')
  t.notOk(ours.isActivatedEIP(7702), 'and not Prague EIP-7702')
  const other = createCustomCommon({ chainId: 5 }, Mainnet, { hardfork: Hardfork.London })
  t.equal(agrees(other), 0, 'another common (London)')
  t.notOk(other.isActivatedEIP(1153), 'London lacks EIP-1153')
  t.ok(ours.isActivatedEIP(1153), 'asking one common does not change the other')
  other.setHardfork(Hardfork.Prague)
  t.equal(agrees(other), 0, 'after a hardfork change')
  t.ok(other.isActivatedEIP(7702), 'Prague has EIP-7702')
  const copy = ours.copy()
  copy.setEIPs([7702])
  t.equal(agrees(copy), 0, 'a copy with an extra EIP')
  t.ok(copy.isActivatedEIP(7702))
  t.notOk(ours.isActivatedEIP(7702), 'the original unchanged')
})
