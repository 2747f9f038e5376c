import t from 'tap'
import { PovfErrorCode } from '../../../../src/consensus/povf/errors.js'
import { splitTrafficReward } from '../../../../src/consensus/povf/split.js'
import { prng } from '../../../helpers/prng.js'

t.test('hand-computed splits', async (t) => {
  // r = 10000: provider 9000, relays 600 → 2 relays 300 each, shared 400
  t.same(splitTrafficReward(10_000n, 2), { provider: 9000n, perRelay: 300n, shared: 400n })
  // no relays: the 6% goes to the shared pool → 1000
  t.same(splitTrafficReward(10_000n, 0), { provider: 9000n, perRelay: 0n, shared: 1000n })
  // r = 999: provider ⌊899.1⌋ = 899, relays ⌊59.94⌋ = 59 → 3 relays ⌊19.67⌋ = 19 each (57),
  // shared = 999 − 899 − 57 = 43 (4% = 39.96, plus the roundings)
  t.same(splitTrafficReward(999n, 3), { provider: 899n, perRelay: 19n, shared: 43n })
  t.same(splitTrafficReward(0n, 4), { provider: 0n, perRelay: 0n, shared: 0n })
  t.same(splitTrafficReward(1n, 1), { provider: 0n, perRelay: 0n, shared: 1n })
})

t.test('the parts always sum to the reward', async (t) => {
  const rand = prng(42)
  let ok = true
  for (let i = 0; i < 2000; i++) {
    const r = BigInt(Math.floor(rand() * 2 ** 40)) * BigInt(Math.floor(rand() * 2 ** 40)) + BigInt(i)
    const n = i % 5
    const s = splitTrafficReward(r, n)
    if (s.provider + BigInt(n) * s.perRelay + s.shared !== r) ok = false
    if (s.provider < 0n || s.perRelay < 0n || s.shared < 0n) ok = false
    if (s.provider !== (r * 9000n) / 10_000n) ok = false
  }
  t.ok(ok)
})

t.test('bad inputs', async (t) => {
  t.throws(() => splitTrafficReward(-1n, 1), { code: PovfErrorCode.POVF_BAD_ARG })
  t.throws(() => splitTrafficReward(1n, -1), { code: PovfErrorCode.POVF_BAD_ARG })
  t.throws(() => splitTrafficReward(1n, 1.5), { code: PovfErrorCode.POVF_BAD_ARG })
})
