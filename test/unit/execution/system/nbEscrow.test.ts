/**
 * NB fuel escrow (DESIGN §5.1) through real transactions: escrow / requestRelease /
 * withdrawEscrow / escrowOf, their refusals, the release delay (2·cycleMs + challengeMs, ms),
 * totalSupply = Σ balances + Σ escrows, and the per-consumer list (escrowCount / escrowsOf). The
 * engine's side (fuel burned from the escrow) is in test/unit/consensus/povf/engine.test.ts.
 */
import t from 'tap'
import { getAddress, Interface } from 'ethers'
import { NbStore } from '../../../../src/consensus/povf/nbStore.js'
import { escrowReleaseDelayMs, MAX_ESCROWS_LISTED } from '../../../../src/execution/system/nb.js'
import { NB_GAS } from '../../../../src/execution/system/index.js'
import { devAddress } from '../../../helpers/inProcessNode.js'
import { NFC, outcome } from '../../../helpers/systemVm.js'
import { devAt, NB_ADDR, nbIface as N, tokenEnv, type TokenEnv } from '../../../helpers/tokenEnv.js'

const hex = (i: number) => devAddress(i).toLowerCase()
const CYCLE = 60_000n
const CHALLENGE = 10_000n
const DELAY = 2n * CYCLE + CHALLENGE
const ZERO = '0x' + '00'.repeat(20)

const logs = (iface: Interface, r: Awaited<ReturnType<TokenEnv['send']>>) =>
  r.receipt.logs.map(([, topics, data]) => {
    const p = iface.parseLog({ topics: topics.map((x) => '0x' + Buffer.from(x).toString('hex')), data: '0x' + Buffer.from(data).toString('hex') })
    return p === null ? null : { name: p.name, args: [...p.args] }
  })

async function view(env: TokenEnv, fn: string, args: unknown[] = []) {
  const r = await env.call(devAt(9), NB_ADDR, N.encodeFunctionData(fn, args), { isStatic: true })
  if (outcome(r) !== 'ok') throw new Error(`${fn}: ${outcome(r)}`)
  return N.decodeFunctionResult(fn, r.execResult.returnValue)
}

const escrowOf = async (env: TokenEnv, c: number, p: number) => {
  const [amount, releaseAt] = await view(env, 'escrowOf', [hex(c), hex(p)])
  return { amount: amount as bigint, releaseAt: releaseAt as bigint }
}
/** escrowsOf as one object per entry, in the order returned */
const escrowsOf = async (env: TokenEnv, c: number) => {
  const [providers, amounts, releaseAts] = await view(env, 'escrowsOf', [hex(c)])
  return (providers as string[]).map((p, i) => ({ provider: p.toLowerCase(), amount: (amounts as bigint[])[i]!, releaseAt: (releaseAts as bigint[])[i]! }))
}
const escrowCount = async (env: TokenEnv, c: number) => (await view(env, 'escrowCount', [hex(c)]))[0] as bigint
const balanceOf = async (env: TokenEnv, i: number) => (await view(env, 'balanceOf', [hex(i)]))[0] as bigint
const totalSupply = async (env: TokenEnv) => (await view(env, 'totalSupply'))[0] as bigint

const escrow = (env: TokenEnv, from: number, provider: string, amount: bigint) => env.send(from, NB_ADDR, N.encodeFunctionData('escrow', [provider, amount]))
const request = (env: TokenEnv, from: number, provider: string) => env.send(from, NB_ADDR, N.encodeFunctionData('requestRelease', [provider]))
const withdraw = (env: TokenEnv, from: number, provider: string) => env.send(from, NB_ADDR, N.encodeFunctionData('withdrawEscrow', [provider]))

/** dev 1 holds 10 NB (100 NFC converted), dev 2 is its provider */
async function setup(): Promise<TokenEnv> {
  const env = await tokenEnv({ cycleMs: CYCLE, challengeMs: CHALLENGE })
  const r = await env.send(1, NB_ADDR, N.encodeFunctionData('convert'), { value: 100n * NFC })
  if (outcome(r) !== 'ok') throw new Error(`convert: ${outcome(r)}`)
  return env
}

t.test('escrow: balance → escrow of the pair, event, supply unchanged', async (t) => {
  const env = await setup()
  const r = await escrow(env, 1, hex(2), 3n * NFC)
  t.equal(outcome(r), 'ok')
  t.equal(r.execResult.executionGasUsed, NB_GAS.escrow, 'escrow costs its fixed gas')
  t.same(logs(N, r), [{ name: 'Escrowed', args: [getAddress(hex(1)), getAddress(hex(2)), 3n * NFC, 3n * NFC] }])
  t.equal(await balanceOf(env, 1), 7n * NFC, 'taken from the balance')
  t.same(await escrowOf(env, 1, 2), { amount: 3n * NFC, releaseAt: 0n })
  t.same(await escrowOf(env, 2, 1), { amount: 0n, releaseAt: 0n }, 'per ordered pair')
  t.same(await escrowOf(env, 1, 3), { amount: 0n, releaseAt: 0n }, 'per provider')
  const r2 = await escrow(env, 1, hex(2), 2n * NFC)
  t.same(logs(N, r2), [{ name: 'Escrowed', args: [getAddress(hex(1)), getAddress(hex(2)), 2n * NFC, 5n * NFC] }], 'total after the top-up')
  t.equal(outcome(await escrow(env, 1, hex(3), NFC)), 'ok', 'another provider, another escrow')
  t.same(await escrowOf(env, 1, 3), { amount: NFC, releaseAt: 0n })
  t.equal(await balanceOf(env, 1), 4n * NFC)
  t.equal(await totalSupply(env), 10n * NFC, 'escrowed NB is still NB')
  const nb = new NbStore(env.sm)
  t.equal(
    await nb.totalSupply(),
    (await nb.balanceOf(hex(1))) + (await nb.escrowOf(hex(1), hex(2))).amount + (await nb.escrowOf(hex(1), hex(3))).amount,
    'totalSupply = Σ balances + Σ escrows',
  )
})

t.test('escrow: refusals', async (t) => {
  const env = await setup()
  t.equal(outcome(await escrow(env, 1, hex(2), 0n)), 'revert: NB: escrow amount is zero')
  t.equal(outcome(await escrow(env, 1, ZERO, NFC)), 'revert: NB: escrow for the zero address')
  t.equal(outcome(await escrow(env, 1, hex(1), NFC)), 'revert: NB: escrow for oneself')
  t.equal(outcome(await escrow(env, 1, hex(2), 10n * NFC + 1n)), 'revert: NB: escrow amount exceeds balance')
  t.equal(outcome(await escrow(env, 3, hex(2), 1n)), 'revert: NB: escrow amount exceeds balance', 'no NB at all')
  t.equal(outcome(await env.send(1, NB_ADDR, N.encodeFunctionData('escrow', [hex(2), 1n]), { value: 1n })), 'revert: function is not payable')
  t.same(await escrowOf(env, 1, 2), { amount: 0n, releaseAt: 0n }, 'nothing moved')
  t.equal(await balanceOf(env, 1), 10n * NFC)
  t.equal(outcome(await escrow(env, 1, hex(2), 10n * NFC)), 'ok', 'the whole balance may go in')
})

t.test('requestRelease: now + 2·cycleMs + challengeMs, once', async (t) => {
  const env = await setup()
  t.equal(escrowReleaseDelayMs(env.cfg.flow!), DELAY)
  t.equal(outcome(await request(env, 1, hex(2))), 'revert: NB: no escrow for this provider')
  await escrow(env, 1, hex(2), 4n * NFC)
  env.timeMs += 1_250n // off the second: the contract sees the exact ms
  const now = env.timeMs
  const r = await request(env, 1, hex(2))
  t.equal(outcome(r), 'ok')
  t.equal(r.execResult.executionGasUsed, NB_GAS.requestRelease)
  t.same(logs(N, r), [{ name: 'ReleaseRequested', args: [getAddress(hex(1)), getAddress(hex(2)), now + DELAY] }])
  t.same(await escrowOf(env, 1, 2), { amount: 4n * NFC, releaseAt: now + DELAY })

  env.timeMs += 30_000n
  const again = await request(env, 1, hex(2))
  t.equal(outcome(again), 'ok')
  t.same(logs(N, again), [], 'a second request emits nothing')
  t.equal((await escrowOf(env, 1, 2)).releaseAt, now + DELAY, 'and keeps the earlier time')
})

t.test('withdrawEscrow: not before releaseAt, exactly at it; the rest goes back', async (t) => {
  const env = await setup()
  await escrow(env, 1, hex(2), 4n * NFC)
  t.equal(outcome(await withdraw(env, 1, hex(2))), 'revert: NB: no escrow release requested')
  await request(env, 1, hex(2))
  const { releaseAt } = await escrowOf(env, 1, 2)
  env.timeMs = releaseAt - 1n
  t.equal(outcome(await withdraw(env, 1, hex(2))), 'revert: NB: escrow is not released yet', '1 ms early')
  // the engine burned part of the escrow meanwhile (a pending release does not protect it)
  t.equal(await new NbStore(env.sm).burnEscrow(hex(1), hex(2), NFC), NFC)
  env.timeMs = releaseAt
  const bal0 = await balanceOf(env, 1)
  const r = await withdraw(env, 1, hex(2))
  t.equal(outcome(r), 'ok', 'at exactly releaseAt')
  t.equal(r.execResult.executionGasUsed, NB_GAS.withdrawEscrow)
  t.equal(N.decodeFunctionResult('withdrawEscrow', r.execResult.returnValue)[0], 3n * NFC, 'returns the remainder')
  t.same(logs(N, r), [{ name: 'EscrowReleased', args: [getAddress(hex(1)), getAddress(hex(2)), 3n * NFC] }])
  t.equal(await balanceOf(env, 1), bal0 + 3n * NFC, 'back in the balance')
  t.same(await escrowOf(env, 1, 2), { amount: 0n, releaseAt: 0n }, 'cleared')
  t.equal(await totalSupply(env), 9n * NFC, 'only the burned NB left the supply')
  t.equal(outcome(await withdraw(env, 1, hex(2))), 'revert: NB: no escrow release requested', 'once')
  t.equal(outcome(await withdraw(env, 3, hex(2))), 'revert: NB: no escrow release requested', 'another consumer has none')
})

t.test('escrow after a request cancels the release', async (t) => {
  const env = await setup()
  await escrow(env, 1, hex(2), 4n * NFC)
  await request(env, 1, hex(2))
  const first = (await escrowOf(env, 1, 2)).releaseAt
  t.ok(first > 0n)
  t.equal(outcome(await escrow(env, 1, hex(2), NFC)), 'ok')
  t.same(await escrowOf(env, 1, 2), { amount: 5n * NFC, releaseAt: 0n }, 'releaseAt back to 0')
  env.timeMs = first
  t.equal(outcome(await withdraw(env, 1, hex(2))), 'revert: NB: no escrow release requested', 'the old time no longer counts')
  const now = env.timeMs
  await request(env, 1, hex(2))
  t.equal((await escrowOf(env, 1, 2)).releaseAt, now + DELAY, 'a new request starts a new delay')
})

t.test('NbStore.burnEscrow: at most the escrow, lowers the supply, leaves the balance', async (t) => {
  const env = await setup()
  await escrow(env, 1, hex(2), 2n * NFC)
  const nb = new NbStore(env.sm)
  t.equal(await nb.burnEscrow(hex(1), hex(2), 0n), 0n)
  t.equal(await nb.burnEscrow(hex(1), hex(3), NFC), 0n, 'another pair has no escrow')
  t.equal(await nb.burnEscrow(hex(1), hex(2), NFC / 2n), NFC / 2n)
  t.equal(await nb.burnEscrow(hex(1), hex(2), 5n * NFC), (3n * NFC) / 2n, 'at most the escrow')
  t.equal(await nb.burnEscrow(hex(1), hex(2), 1n), 0n)
  t.equal(await nb.balanceOf(hex(1)), 8n * NFC, 'the balance is untouched')
  t.equal(await nb.totalSupply(), 8n * NFC)
})

t.test('escrowsOf: a consumer with none; the list grows once per provider', async (t) => {
  const env = await setup()
  const none = await env.call(devAt(9), NB_ADDR, N.encodeFunctionData('escrowsOf', [hex(1)]), { isStatic: true })
  t.equal(outcome(none), 'ok')
  t.same(
    [...N.decodeFunctionResult('escrowsOf', none.execResult.returnValue)].map((a) => [...a]),
    [[], [], []],
    'no escrows: three empty arrays',
  )
  t.equal(none.execResult.executionGasUsed, NB_GAS.view, 'an empty list costs the view price')
  t.equal(await escrowCount(env, 1), 0n)

  await escrow(env, 1, hex(3), 2n * NFC)
  await escrow(env, 1, hex(2), NFC)
  await escrow(env, 1, hex(3), NFC)
  t.equal(await escrowCount(env, 1), 2n, 'two providers, three escrows')
  t.same(
    await escrowsOf(env, 1),
    [
      { provider: hex(3), amount: 3n * NFC, releaseAt: 0n },
      { provider: hex(2), amount: NFC, releaseAt: 0n },
    ],
    'in list order (first escrow first), the second escrow to dev 3 not listed again',
  )
  const r = await env.call(devAt(9), NB_ADDR, N.encodeFunctionData('escrowsOf', [hex(1)]), { isStatic: true })
  t.equal(r.execResult.executionGasUsed, NB_GAS.view + 2n * NB_GAS.perEscrow, 'the view price plus perEscrow per escrow')
  t.same(await escrowsOf(env, 2), [], 'the provider has none as a consumer')
  await request(env, 1, hex(2))
  t.equal((await escrowsOf(env, 1))[1]!.releaseAt, (await escrowOf(env, 1, 2)).releaseAt, 'a pending release shows')
})

t.test('escrowsOf: withdrawEscrow removes the provider, the last one takes its place', async (t) => {
  const env = await setup()
  await escrow(env, 1, hex(2), NFC)
  await escrow(env, 1, hex(3), 2n * NFC)
  await escrow(env, 1, hex(4), 3n * NFC)
  await request(env, 1, hex(2))
  env.timeMs = (await escrowOf(env, 1, 2)).releaseAt
  t.equal(outcome(await withdraw(env, 1, hex(2))), 'ok')
  t.equal(await escrowCount(env, 1), 2n)
  t.same(
    await escrowsOf(env, 1),
    [
      { provider: hex(4), amount: 3n * NFC, releaseAt: 0n },
      { provider: hex(3), amount: 2n * NFC, releaseAt: 0n },
    ],
    'dev 4 moved into the first place; both keep their amounts',
  )
  // the moved entry's index was updated: removing it clears the right place
  await request(env, 1, hex(4))
  env.timeMs = (await escrowOf(env, 1, 4)).releaseAt
  t.equal(outcome(await withdraw(env, 1, hex(4))), 'ok')
  t.same(await escrowsOf(env, 1), [{ provider: hex(3), amount: 2n * NFC, releaseAt: 0n }], 'dev 3 alone')
  t.equal(outcome(await escrow(env, 1, hex(2), NFC)), 'ok', 'a provider withdrawn from can be escrowed for again')
  t.same(
    (await escrowsOf(env, 1)).map((e) => e.provider),
    [hex(3), hex(2)],
    'and is listed again, at the end',
  )
})

t.test('escrowsOf: an escrow burned down to 0 stays listed until it is withdrawn', async (t) => {
  const env = await setup()
  await escrow(env, 1, hex(2), NFC)
  await escrow(env, 1, hex(3), NFC)
  t.equal(await new NbStore(env.sm).burnEscrow(hex(1), hex(2), 5n * NFC), NFC, 'the engine burned it all')
  t.same(
    await escrowsOf(env, 1),
    [
      { provider: hex(2), amount: 0n, releaseAt: 0n },
      { provider: hex(3), amount: NFC, releaseAt: 0n },
    ],
    'still listed, at 0',
  )
  t.equal(outcome(await request(env, 1, hex(2))), 'ok', 'a listed escrow at 0 can be released')
  t.equal(outcome(await request(env, 1, hex(4))), 'revert: NB: no escrow for this provider', 'an unlisted one cannot')
  env.timeMs = (await escrowOf(env, 1, 2)).releaseAt
  const r = await withdraw(env, 1, hex(2))
  t.equal(outcome(r), 'ok')
  t.equal(N.decodeFunctionResult('withdrawEscrow', r.execResult.returnValue)[0], 0n, 'nothing to return')
  t.same(await escrowsOf(env, 1), [{ provider: hex(3), amount: NFC, releaseAt: 0n }], 'cleared from the list')
})

t.test(`escrowsOf: at most the first ${MAX_ESCROWS_LISTED}; escrowCount has them all`, async (t) => {
  const env = await setup()
  const list = new NbStore(env.sm).escrowProviders(hex(1))
  const providers = Array.from({ length: MAX_ESCROWS_LISTED + 4 }, (_, i) => '0x' + (0x1000 + i).toString(16).padStart(40, '0'))
  for (const p of providers) await list.add(p)
  t.equal(await escrowCount(env, 1), BigInt(providers.length))
  const got = await escrowsOf(env, 1)
  t.equal(got.length, MAX_ESCROWS_LISTED, 'cut at the cap')
  t.same(
    got.map((e) => e.provider),
    providers.slice(0, MAX_ESCROWS_LISTED),
    'the first ones of the list',
  )
  const r = await env.call(devAt(9), NB_ADDR, N.encodeFunctionData('escrowsOf', [hex(1)]), { isStatic: true })
  t.equal(r.execResult.executionGasUsed, NB_GAS.view + BigInt(MAX_ESCROWS_LISTED) * NB_GAS.perEscrow, 'gas for the entries returned only')
})
