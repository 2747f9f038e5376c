/**
 * The name views the RPC serves (src/consensus/names/views.ts) on a real VM state: resolveName's
 * NAME_UNKNOWN / NAME_EXPIRED, and listNames' pages, owner filter and bounded scan.
 */
import t from 'tap'
import { ZeroHash } from 'ethers'
import { DEFAULT_NAMES_CONFIG, lockFor } from '../../../../src/consensus/names/rules.js'
import { NAMES } from '../../../../src/consensus/names/store.js'
import { listNames, resolveName } from '../../../../src/consensus/names/views.js'
import { DAY, hexOf, namesIface as N, outcome, systemEnv } from '../../../helpers/systemVm.js'

const TERM = 30n * DAY

t.test('resolveName and listNames', async (t) => {
  const env = await systemEnv()
  const reg = (from: number, name: string) =>
    env.send(from, NAMES, N.encodeFunctionData('register', [name, TERM, ZeroHash, '']), { value: lockFor(DEFAULT_NAMES_CONFIG, TERM) })
  for (const [i, name] of ['aaa', 'bbb', 'ccc', 'ddd', 'eee'].entries()) t.equal(outcome(await reg(i % 2 === 0 ? 1 : 2, name)), 'ok')
  const now = env.timeMs

  t.equal((await resolveName(env.sm, 'ccc', now)).owner, hexOf(1))
  await t.rejects(resolveName(env.sm, 'zzz', now), { code: 'NAME_UNKNOWN', message: 'unknown name: zzz' })
  const exp = (await resolveName(env.sm, 'aaa', now)).expiresAtMs
  await t.rejects(resolveName(env.sm, 'aaa', exp), { code: 'NAME_EXPIRED', message: /^name expired: aaa \(at / })

  const names = (p: { names: { name: string }[] }) => p.names.map((v) => v.name)
  const all = await listNames(env.sm, now, { offset: 0n, limit: 25 })
  t.same([names(all), all.next], [['aaa', 'bbb', 'ccc', 'ddd', 'eee'], null])
  const p1 = await listNames(env.sm, now, { offset: 0n, limit: 2 })
  t.same([names(p1), p1.next], [['aaa', 'bbb'], 2n])
  const mine = await listNames(env.sm, now, { offset: 0n, limit: 25, owner: hexOf(2) })
  t.same([names(mine), mine.next], [['bbb', 'ddd'], null])
  // a bounded scan: an owner page stops after maxScan positions and says where to go on
  const scan1 = await listNames(env.sm, now, { offset: 0n, limit: 25, owner: hexOf(2), maxScan: 3 })
  t.same([names(scan1), scan1.next], [['bbb'], 3n])
  const scan2 = await listNames(env.sm, now, { offset: scan1.next!, limit: 25, owner: hexOf(2), maxScan: 3 })
  t.same([names(scan2), scan2.next], [['ddd'], null])
  t.same((await listNames(env.sm, exp, { offset: 0n, limit: 1 })).names[0]!.status, 'expired')
  t.same(await listNames(env.sm, now, { offset: 99n, limit: 5 }), { names: [], next: null }, 'past the end')
})
