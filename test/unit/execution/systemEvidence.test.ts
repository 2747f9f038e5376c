import t from 'tap'
import { Account, bytesToHex, hexToBytes } from '@ethereumjs/util'
import { getAddress, Interface } from 'ethers'
import { encodeHeader, signHeader, type BlockHeader } from '../../../src/chain/header.js'
import { INITIAL_TRUST, TRUST_VIOLATION } from '../../../src/consensus/dpos/params.js'
import { creditLock } from '../../../src/consensus/povf/engine.js'
import { coinSumsOf } from '../../../src/consensus/povf/locks.js'
import { DEFAULT_FLOW_CONFIG } from '../../../src/consensus/povf/params.js'
import { FLOW_REWARDS, FlowStore } from '../../../src/consensus/povf/store.js'
import { readRewards } from '../../../src/consensus/povf/views.js'
import { BEFORE_GENESIS_SLOT } from '../../../src/execution/system/evidence.js'
import { EVIDENCE_ALREADY_APPLIED, evidenceRefusal } from '../../../src/execution/system/evidencePrecheck.js'
import { devKey } from '../../helpers/inProcessNode.js'
import {
  abiJson,
  addrOf,
  CFG,
  DAY,
  EVIDENCE,
  evidenceIface as E,
  eventsOf,
  GENESIS_TIME,
  GWEI,
  hexOf,
  NFC,
  NODE_REGISTRY,
  outcome,
  registryIface as R,
  SHARED_POOL,
  STAKING,
  stakingIface as S,
  systemEnv,
  type SystemEnv,
} from '../../helpers/systemVm.js'

function header(i: number, timestamp: bigint, over: Partial<BlockHeader> = {}, key = devKey(i)): string {
  const h: BlockHeader = {
    parentHash: new Uint8Array(32).fill(1),
    number: 7n,
    timestamp,
    producer: hexToBytes(hexOf(i) as `0x${string}`),
    stateRoot: new Uint8Array(32).fill(2),
    transactionsRoot: new Uint8Array(32),
    receiptsRoot: new Uint8Array(32),
    logsBloom: new Uint8Array(256),
    gasLimit: 30_000_000n,
    gasUsed: 0n,
    baseFeePerGas: 1_000_000_000n,
    flowRoot: new Uint8Array(32),
    confirmationsRoot: new Uint8Array(32),
    signature: new Uint8Array(0),
    ...over,
  }
  return bytesToHex(encodeHeader(signHeader(h, key)))
}

async function candidate(env: SystemEnv, i: number): Promise<void> {
  if (outcome(await env.send(i, NODE_REGISTRY, R.encodeFunctionData('pledge', [1]), { value: CFG.rnPledge })) !== 'ok') throw new Error('pledge')
  if (outcome(await env.send(i, STAKING, S.encodeFunctionData('registerCandidate', [0, 'x']))) !== 'ok') throw new Error('register')
}

const F = new Interface(abiJson('IFlowRewards') as never)

const SLOT5 = GENESIS_TIME + 5n * CFG.intervalMs

t.test('double production: accepted once, with the penalty', async (t) => {
  const env = await systemEnv()
  await candidate(env, 1)
  const pool = await env.balance(SHARED_POOL)
  const a = header(1, SLOT5)
  const b = header(1, SLOT5, { stateRoot: new Uint8Array(32).fill(3) })
  const submit = (x: string, y: string, from = 7) => env.send(from, EVIDENCE, E.encodeFunctionData('submitDoubleProduction', [x, y]))

  const r = await submit(a, b)
  t.equal(outcome(r), 'ok')
  const slashed = (CFG.rnPledge * CFG.evidenceSlashBps) / 10_000n
  t.same(eventsOf(E, r), [{ name: 'EvidenceAccepted', args: [getAddress(hexOf(1)), 5n, 1n, slashed] }])
  t.equal((await env.store.getCandidate(hexOf(1))).trust, INITIAL_TRUST + TRUST_VIOLATION)
  t.equal((await env.store.getNode(hexOf(1))).pledge, CFG.rnPledge - slashed)
  t.equal(await env.balance(SHARED_POOL), pool + slashed, 'the slice goes to the shared pool')
  t.equal(await env.balance(NODE_REGISTRY), CFG.rnPledge - slashed)

  t.equal(outcome(await submit(b, a, 8)), 'revert: evidence already used', 'refused the second time')
  const c = header(1, SLOT5, { number: 8n })
  t.equal(outcome(await submit(a, c)), 'revert: evidence already used', 'one penalty per producer and slot')
})

t.test('double production: every refusal', async (t) => {
  const env = await systemEnv()
  await candidate(env, 1)
  await candidate(env, 2)
  const submit = (x: string, y: string) => env.send(7, EVIDENCE, E.encodeFunctionData('submitDoubleProduction', [x, y])).then(outcome)
  const a = header(1, SLOT5)
  t.equal(await submit(a, a), 'revert: headers are identical')
  t.equal(await submit(a, header(1, SLOT5 + CFG.intervalMs)), 'revert: headers are for different slots')
  t.equal(await submit(a, header(2, SLOT5)), 'revert: headers are by different producers')
  t.equal(await submit(a, header(1, SLOT5, { number: 9n }, devKey(3))), 'revert: invalid header signature', 'forged: signed by another key')
  const tampered = header(1, SLOT5, { number: 9n })
  const bad = tampered.slice(0, -4) + (tampered.endsWith('00') ? '0101' : '0000') // flip the last signature bytes (recovery id)
  t.equal(await submit(a, bad), 'revert: invalid header signature', 'mangled signature')
  t.equal(await submit(a, '0x1234'), 'revert: invalid header encoding')
  t.equal(await submit(header(3, SLOT5), header(3, SLOT5, { number: 9n })), 'revert: producer is not a candidate')
  t.equal(await submit(header(1, GENESIS_TIME - 1_000n), header(1, GENESIS_TIME - 1_000n, { number: 9n })), 'revert: header is before genesis')
  const future = env.timeMs + 1_000n
  t.equal(await submit(header(1, future), header(1, future, { number: 9n })), 'revert: header is from the future')
  t.equal(
    outcome(await env.send(7, EVIDENCE, E.encodeFunctionData('submitDoubleProduction', [a, header(1, SLOT5, { number: 9n })]), { value: 1n })),
    'revert: function is not payable',
  )
})

t.test('invalid block: off the slot grid or before genesis', async (t) => {
  const env = await systemEnv()
  await candidate(env, 1)
  const submit = (h: string) => env.send(7, EVIDENCE, E.encodeFunctionData('submitInvalidBlock', [h]))
  t.equal(outcome(await submit(header(1, SLOT5))), 'revert: header is on the slot grid: no provable fault')
  const r = await submit(header(1, SLOT5 + 1n))
  t.equal(outcome(r), 'ok')
  const slashed = (CFG.rnPledge * CFG.evidenceSlashBps) / 10_000n
  t.same(eventsOf(E, r), [{ name: 'EvidenceAccepted', args: [getAddress(hexOf(1)), 5n, 2n, slashed] }])
  t.equal(outcome(await submit(header(1, SLOT5 + 2n))), 'revert: evidence already used')
  const pre = await submit(header(1, GENESIS_TIME - 7n))
  t.equal(outcome(pre), 'ok', 'before genesis')
  t.equal((eventsOf(E, pre)[0]!.args as bigint[])[1], BEFORE_GENESIS_SLOT)
  t.equal(outcome(await submit(header(1, GENESIS_TIME - 9_000n))), 'revert: evidence already used', 'every pre-genesis header shares one key')
  t.equal(outcome(await submit(header(1, env.timeMs + 1_001n))), 'revert: header is from the future')
  t.equal(outcome(await submit(header(1, SLOT5 + 3n, {}, devKey(2)))), 'revert: invalid header signature')
  t.equal((await env.store.getCandidate(hexOf(1))).trust, INITIAL_TRUST + 2n * TRUST_VIOLATION)
})

/** Sends the double-production evidence of `producer` for slot `slot` from dev account `from`. */
async function doubleProduction(env: SystemEnv, producer: number, slot: bigint, from = 7) {
  const t = GENESIS_TIME + slot * CFG.intervalMs
  const data = E.encodeFunctionData('submitDoubleProduction', [header(producer, t), header(producer, t, { number: 9n })])
  return env.send(from, EVIDENCE, data)
}

const nodeOf = async (env: SystemEnv, i: number) => {
  const r = await env.call(addrOf(9), NODE_REGISTRY, R.encodeFunctionData('nodeOf', [hexOf(i)]))
  const [, pledge, , withdrawn, withdrawable] = R.decodeFunctionResult('nodeOf', r.execResult.returnValue)
  return { pledge: pledge as bigint, withdrawn: withdrawn as bigint, withdrawable: withdrawable as bigint }
}

t.test('slashing reaches an exited pledge: in its unlock period and after the unlock finished, not withdrawn', async (t) => {
  const env = await systemEnv()
  await candidate(env, 1)
  await candidate(env, 2)
  const exit = (i: number) => env.send(i, NODE_REGISTRY, R.encodeFunctionData('exit'))
  t.equal(outcome(await exit(1)), 'ok')
  t.equal(outcome(await exit(2)), 'ok')
  // node 1: half way through its unlock, half withdrawn already
  env.advance(90n * DAY)
  t.equal(outcome(await env.send(1, NODE_REGISTRY, R.encodeFunctionData('withdrawPledge'))), 'ok')
  t.equal((await nodeOf(env, 1)).pledge, CFG.rnPledge / 2n)
  const r1 = await doubleProduction(env, 1, 5n)
  t.equal(outcome(r1), 'ok', 'evidence of a slot before the exit, months later')
  const slashed1 = ((CFG.rnPledge / 2n) * CFG.evidenceSlashBps) / 10_000n
  t.equal((eventsOf(E, r1)[0]!.args as bigint[])[3], slashed1, 'a slice of what is left')
  // node 2: its unlock finished long ago, nothing withdrawn yet
  env.advance(400n * DAY)
  t.equal((await nodeOf(env, 2)).withdrawable, CFG.rnPledge, 'all unlocked')
  const r2 = await doubleProduction(env, 2, 6n)
  t.equal(outcome(r2), 'ok', 'evidence is accepted as long as the stake exists')
  const slashed2 = (CFG.rnPledge * CFG.evidenceSlashBps) / 10_000n
  t.equal((eventsOf(E, r2)[0]!.args as bigint[])[3], slashed2, 'the slice is taken after the unlock too')
  t.equal((await nodeOf(env, 2)).withdrawable, CFG.rnPledge - slashed2, 'the node withdraws only what is left')
  const before = await env.balance(addrOf(2))
  const w = await env.send(2, NODE_REGISTRY, R.encodeFunctionData('withdrawPledge'))
  t.equal(outcome(w), 'ok')
  t.equal(await env.balance(addrOf(2)), before + CFG.rnPledge - slashed2 - w.totalGasSpent * GWEI)
  t.equal((await nodeOf(env, 1)).withdrawable, CFG.rnPledge / 2n - slashed1, 'node 1 gets the rest of what is left')
})

t.test('slashing reaches locked traffic rewards: the same slice of every unwithdrawn lock, coin-time kept exact', async (t) => {
  const env = await systemEnv()
  await candidate(env, 1)
  const fs = new FlowStore(env.sm)
  await fs.ensureAccount()
  const { lockMs, unlockMs } = DEFAULT_FLOW_CONFIG
  // two rewards: one still locked, one half unlocked and partly withdrawn
  const old = env.timeMs - lockMs - unlockMs / 2n
  await creditLock(fs, hexOf(1), 1_000n * NFC, old, 50n * NFC)
  await creditLock(fs, hexOf(1), 300n * NFC, env.timeMs, 0n)
  await env.sm.putAccount(FLOW_REWARDS, new Account(1n, 1_300n * NFC))
  t.equal(outcome(await env.send(1, FLOW_REWARDS, F.encodeFunctionData('withdraw', [200n * NFC]))), 'ok')
  const before = await readRewards(env.sm, hexOf(1), env.timeMs, CFG)
  t.same(before, { locked: 300n * NFC, unlocking: 500n * NFC, withdrawable: 300n * NFC, withdrawn: 200n * NFC, coinTime: before.coinTime })
  const pool = await env.balance(SHARED_POOL)
  const held = await env.balance(FLOW_REWARDS)
  const budget = await fs.bonusBudget(hexOf(1))

  const r = await doubleProduction(env, 1, 5n)
  t.equal(outcome(r), 'ok')
  const unwithdrawn = 1_100n * NFC
  const fromRewards = (unwithdrawn * CFG.evidenceSlashBps) / 10_000n
  const fromPledge = (CFG.rnPledge * CFG.evidenceSlashBps) / 10_000n
  t.equal((eventsOf(E, r)[0]!.args as bigint[])[3], fromPledge + fromRewards, 'the event counts both')
  t.equal(held - (await env.balance(FLOW_REWARDS)), fromRewards, 'taken from the FlowRewards account')
  t.equal((await env.balance(SHARED_POOL)) - pool, fromPledge + fromRewards, 'to the shared pool')
  const after = await readRewards(env.sm, hexOf(1), env.timeMs, CFG)
  t.equal(after.locked, 270n * NFC)
  t.equal(after.unlocking, 450n * NFC)
  t.equal(after.withdrawable, 270n * NFC)
  t.equal(after.withdrawn, 200n * NFC, 'what was paid stays paid')
  t.ok(budget > 0n, `a coin-time bonus budget was left (${budget} wei)`)
  const cut = (budget * CFG.evidenceSlashBps + 9_999n) / 10_000n
  t.equal(await fs.bonusBudget(hexOf(1)), budget - cut, 'the bonus budget loses the same share (rounded up)')
  t.equal(after.locked + after.unlocking + after.withdrawable, unwithdrawn - fromRewards)
  // coin-time sums: exactly the locks' own sums, per address and network-wide
  const sums = coinSumsOf(await fs.getLocks(hexOf(1)))
  const own = await fs.addressSums(hexOf(1))
  t.same([own.sc, own.scs], [sums.sumC, sums.sumCS])
  t.same(await fs.networkSums(), { sc: sums.sumC, scs: sums.sumCS })
  // the rest can still be withdrawn in full
  t.equal(outcome(await env.send(1, FLOW_REWARDS, F.encodeFunctionData('withdraw', [after.withdrawable]))), 'ok')
  env.advance(lockMs + unlockMs)
  const last = await readRewards(env.sm, hexOf(1), env.timeMs, CFG)
  t.equal(outcome(await env.send(1, FLOW_REWARDS, F.encodeFunctionData('withdraw', [last.withdrawable]))), 'ok')
  t.same(await fs.getLocks(hexOf(1)), [], 'every lock paid out')
  t.same(await fs.networkSums(), { sc: 0n, scs: 0n })
})

t.test('pool pre-check: evidence already applied at the head is refused, anything else goes to the contract', async (t) => {
  const env = await systemEnv()
  await candidate(env, 1)
  const refusal = (data: string) => evidenceRefusal(env.sm, hexToBytes(data as `0x${string}`), CFG)
  const a = header(1, SLOT5)
  const b = header(1, SLOT5, { number: 9n })
  const double = E.encodeFunctionData('submitDoubleProduction', [a, b])
  const offGrid = E.encodeFunctionData('submitInvalidBlock', [header(1, SLOT5 + 1n)])
  t.equal(await refusal(double), undefined, 'not applied yet: may go in')
  t.equal(await refusal(offGrid), undefined)

  t.equal(outcome(await env.send(7, EVIDENCE, double)), 'ok')
  t.equal(await refusal(double), EVIDENCE_ALREADY_APPLIED, 'the same proof again')
  t.equal(await refusal(E.encodeFunctionData('submitDoubleProduction', [b, a])), EVIDENCE_ALREADY_APPLIED, 'the headers swapped')
  t.equal(await refusal(offGrid), EVIDENCE_ALREADY_APPLIED, 'another kind of proof for the same (producer, slot)')
  t.equal(await refusal(E.encodeFunctionData('submitInvalidBlock', [header(1, SLOT5 + CFG.intervalMs + 1n)])), undefined, 'the next slot is another offence')
  t.equal(await refusal(E.encodeFunctionData('submitDoubleProduction', [header(2, SLOT5), header(2, SLOT5, { number: 9n })])), undefined, 'another producer')
  const pre = E.encodeFunctionData('submitInvalidBlock', [header(1, GENESIS_TIME - 7n)])
  t.equal(outcome(await env.send(7, EVIDENCE, pre)), 'ok')
  t.equal(await refusal(E.encodeFunctionData('submitInvalidBlock', [header(1, GENESIS_TIME - 9_000n)])), EVIDENCE_ALREADY_APPLIED, 'one key before genesis')
  // what does not decode is the contract's to refuse, with its own reason
  t.equal(await refusal('0x'), undefined)
  t.equal(await refusal('0x1234'), undefined)
  t.equal(await refusal(E.encodeFunctionData('submitDoubleProduction', ['0x1234', b])), undefined, 'a header that does not decode')
  t.equal(await refusal(double.slice(0, 40)), undefined, 'truncated calldata')
  t.equal(await refusal(E.encodeFunctionData('submitFraudProof', ['0x12'])), undefined, 'a fraud proof that does not decode')
  t.equal(await refusal(E.encodeFunctionData('challengeSlice', [0n, 0n])), undefined, 'other functions are not pre-checked')
})
