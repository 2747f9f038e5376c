import t from 'tap'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { getAddress } from 'ethers'
import { encodeHeader, signHeader, type BlockHeader } from '../../../src/chain/header.js'
import { INITIAL_TRUST, TRUST_VIOLATION } from '../../../src/consensus/dpos/params.js'
import { BEFORE_GENESIS_SLOT } from '../../../src/execution/system/evidence.js'
import { devKey } from '../../helpers/inProcessNode.js'
import {
  CFG,
  EVIDENCE,
  evidenceIface as E,
  eventsOf,
  GENESIS_TIME,
  hexOf,
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
