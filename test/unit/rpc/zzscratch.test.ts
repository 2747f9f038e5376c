import t from 'tap'
import { startNode, devAddress } from '../../helpers/inProcessNode.js'
t.test('x', async (t) => {
  const n = await startNode(t)
  const show = async (m: string, p: unknown[] = []) => console.log(m, JSON.stringify(p), JSON.stringify(await n.rpcRaw(m, p)))
  await show('dpos_getWitnesses'); await show('dpos_getCandidates'); await show('dpos_getSchedule'); await show('dpos_getTrust', [devAddress(0)]); await show('dpos_getTrust', [devAddress(1)])
  await show('dpos_getVotes', [devAddress(0)]); await show('dpos_getFinalized')
  await n.produceBlock(); await n.produceBlock()
  await show('dpos_getWitnesses'); await show('dpos_getWitnesses', ['0x0']); await show('dpos_getFinalized'); await show('dpos_getSchedule')
  await show('admin_addPeer', ['ws://127.0.0.1:3000']); await show('admin_addPeer', ['http://x']); await show('admin_peers'); await show('admin_nodeInfo'); await show('admin_removePeer', ['ws://a:1'])
  await show('eth_syncing'); await show('net_peerCount'); await show('dpos_getTrust', ['0x12']); await show('dpos_getWitnesses', ['bogus']); await show('dpos_getFinalized', [1])
  await show('eth_getBlockByNumber', ['finalized', false])
})
