/** Dashboard (live numbers from a real node) and Flow (not available until flow_/nfc_ exist). */
import t from 'tap'
import { chainWithTransfer, press, renderApp, send, devAddress, waitFrame } from './harness.js'

t.test('dashboard: chain id, head, finalized, block time, throughput, gas, peers, sync; live', async (t) => {
  const { n } = await chainWithTransfer(t)
  const r = renderApp(t, { rpc: n.url })
  // the first frame with the numbers can come before the newHeads subscription is answered (the
  // client polls first, then subscribes): wait for the WebSocket mode too; it fails if it never comes
  let f = await waitFrame(r, ['Chain id', '2100', 'Head', '#2', /Heads\s+live \(WebSocket newHeads\)/])
  t.match(f, /Finalized\s+#2\s+\(0 behind head\)/, 'one witness: final at once')
  t.match(f, /Block time\s+1\.00 s\s+\(last 3 blocks\)/, 'one second slots')
  t.match(f, /Throughput\s+0\.50 tx\/s/, 'one tx over two seconds')
  t.match(f, /Gas used\s+7,000 per block/, '21,000 gas over three blocks')
  t.match(f, /Peers\s+0/, 'no peers')
  t.match(f, /Sync\s+in sync/, 'in sync')
  t.match(f, /Heads\s+live \(WebSocket newHeads\)/, 'heads over the WebSocket subscription')
  const before = r.frames.length
  await send(n, 1, { to: devAddress(2), value: 1n })
  await n.produceBlock()
  f = await waitFrame(r, /Head\s+#3/)
  t.match(f, /head #3/, 'status line follows too')
  t.ok(r.frames.length > before, 'rendered again, without restarting')
})

t.test('flow: the numbers when the node has flow_ / nfc_ methods, else "not available"', async (t) => {
  const { n } = await chainWithTransfer(t)
  const r = renderApp(t, { rpc: n.url })
  await press(r, '4')
  const has = (await n.rpcRaw('flow_getStats')).error?.code !== -32601
  if (!has) {
    await waitFrame(r, 'flow: not available on this node')
    t.pass('flow: not available on this node')
    return
  }
  let f = await waitFrame(r, ['Traffic', 'Cycle', 'Side-chain', 'Supply'])
  t.match(f, /Traffic pool\s+[\d,]+ NFC/, 'traffic pool from flow_getStats')
  t.match(f, /Reward rate\s+[\d.,]+ NFC per GB/, 'reward rate')
  t.match(f, /Id\s+0x[0-9a-f]{64}/, 'the side-chain of the cycle')
  t.notMatch(f, /checkpoint: /, 'flow_getCheckpoint called with its real parameters')
  await press(r, 'G')
  f = await waitFrame(r, /Total\s+2,100,000,000 NFC/)
  t.match(f, /Circulating\s+[\d,]+ NFC/, 'supply from nfc_getSupply')
})
