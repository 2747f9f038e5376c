/**
 * flow_getSession, flow_getSideChain, flow_getCheckpoint, flow_getRewards and flow_getStats on a
 * fresh dev chain (no traffic yet): shapes against rpc/openrpc.json, nulls for unknown things,
 * the committee drawn at the first block of cycle 0, and bad params. Values after real traffic
 * are checked in test/e2e/flowDevChain.test.ts.
 */
import t from 'tap'
import { sideChainIdOf } from '../../../../src/flow/checkpoint.js'
import { TRAFFIC_POOL } from '../../../../src/consensus/povf/curve.js'
import { devAddress, startNode } from '../../../helpers/inProcessNode.js'
import { documented, rpcError } from './documented.js'

const hex = (n: bigint) => '0x' + n.toString(16)
const toHex = (b: Uint8Array) => '0x' + Buffer.from(b).toString('hex')

t.test('flow_ views on a fresh chain', async (t) => {
  const n = await startNode(t)
  await n.produceBlock()
  await n.produceBlock()

  t.equal(await documented(t, n, 'flow_getSession', ['0x' + '07'.repeat(32)]), null, 'unknown session')
  t.equal((await rpcError(n, 'flow_getSession', ['0x07'])).code, -32602, 'short session id')

  const side = await documented(t, n, 'flow_getSideChain', [])
  t.same(side, {
    sideChainId: toHex(sideChainIdOf(0n)),
    cycle: '0x0',
    committee: [devAddress(0)],
    height: '0x0',
    headHash: '0x' + '00'.repeat(32),
    receipts: '0x0',
    pendingBytes: '0x0',
  })
  t.same(await documented(t, n, 'flow_getSideChain', ['0x0']), side, 'cycle 0 named')
  t.equal(await documented(t, n, 'flow_getSideChain', ['0x5']), null, 'a cycle not drawn')
  t.equal((await rpcError(n, 'flow_getSideChain', ['1'])).code, -32602)

  t.equal(await documented(t, n, 'flow_getCheckpoint', ['0x0']), null, 'no checkpoint yet')
  t.equal(await documented(t, n, 'flow_getCheckpoint', [toHex(sideChainIdOf(0n))]), null, 'by sideChainId')
  t.equal(await documented(t, n, 'flow_getCheckpoint', ['0x' + 'ee'.repeat(32)]), null, 'unknown sideChainId')
  t.equal((await rpcError(n, 'flow_getCheckpoint', [true])).code, -32602)

  t.same(await documented(t, n, 'flow_getRewards', [devAddress(2)]), {
    locked: '0x0',
    unlocking: '0x0',
    withdrawable: '0x0',
    withdrawn: '0x0',
    coinTime: '0x0',
  })
  t.equal((await rpcError(n, 'flow_getRewards', ['0x12'])).code, -32602)

  const stats = await documented(t, n, 'flow_getStats', [])
  t.same(stats, {
    cycle: '0x0',
    cumulativeBytes: '0x0',
    currentEB: '0x0',
    rewardPerGB: stats.rewardPerGB,
    trafficPoolRemaining: hex(TRAFFIC_POOL),
    checkpoints: '0x0',
    topProviders: [],
  })
  t.ok(BigInt(stats.rewardPerGB) > 0n, 'the curve pays something per GB at the start')
  t.equal((await rpcError(n, 'flow_getStats', [1])).code, -32602, 'takes no params')
})
