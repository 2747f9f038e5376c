/**
 * Bad input against a real in-process node with a small admission bound: a flood of receipt polls
 * for unknown hashes and a batch far past the bound are answered (null or -32005, never a hang),
 * the refusals are counted in /metrics, and the node keeps answering and producing afterwards.
 * And a raw ws client speaking binary frames (as web3.py does) to a real node.
 */
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { WebSocket } from 'ws'
import { startNode as startFullNode } from '../../src/cli/start.js'
import { silentLogger } from '../../src/util/logger.js'
import { devGenesis, devKey, tempDir } from '../helpers/inProcessNode.js'

const call = (method: string, id: number, params: unknown[] = []) => ({ jsonrpc: '2.0', id, method, params })
const unknownHash = () => '0x' + randomBytes(32).toString('hex')

t.test('a flood of unknown receipt polls and a huge batch: answered, counted, the node stays live', async (t) => {
  const genesis = devGenesis()
  const running = await startFullNode({
    genesis,
    datadir: tempDir(t),
    rpc: { host: '127.0.0.1', port: 0, maxInflight: 16, maxBatch: 1000 },
    logger: silentLogger,
    recoverThreads: 0,
  })
  t.teardown(() => running.close())
  const url = running.rpc!.url
  const post = async (body: unknown) =>
    (await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as any

  // one batch of 1,000 polls: the first 16 get a slot and run (null: unknown), the other 984 are shed
  const batch = await post(Array.from({ length: 1000 }, (_, i) => call('eth_getTransactionReceipt', i, [unknownHash()])))
  t.equal(batch.length, 1000, 'every call answered')
  t.same(
    batch.slice(0, 16).map((r: any) => r.result),
    Array(16).fill(null),
  )
  t.same(new Set(batch.slice(16).map((r: any) => r.error?.code)), new Set([-32005]))
  t.same(
    batch.map((r: any) => r.id),
    Array.from({ length: 1000 }, (_, i) => i),
    'in order',
  )

  // 1,001 calls: over the batch limit, refused whole as before
  const tooBig = await post(Array.from({ length: 1001 }, (_, i) => call('eth_blockNumber', i)))
  t.same(tooBig, [{ jsonrpc: '2.0', id: 0, error: { code: -32600, message: 'batch too large' } }])

  // 400 single polls at once: each is answered with null or -32005, nothing else
  const singles = await Promise.all(Array.from({ length: 400 }, (_, i) => post(call('eth_getTransactionReceipt', i, [unknownHash()]))))
  const shedSingles = singles.filter((r) => r.error?.code === -32005).length
  t.equal(singles.filter((r) => r.result === null).length + shedSingles, 400, 'null or -32005')

  const metrics = await (await fetch(url + '/metrics')).text()
  const shed = Number(/^nfc_rpc_shed_total\{reason="inflight"\} (\d+)$/m.exec(metrics)?.[1] ?? 0)
  t.equal(shed, 984 + shedSingles, 'every refusal counted')
  t.match(metrics, /^nfc_rpc_inflight 0$/m, 'every slot given back')

  // still live: it answers and produces
  const before = BigInt((await post(call('eth_blockNumber', 1))).result)
  const chain = running.node.chain
  await chain.produceBlock(devKey(0), chain.head.header.timestamp + BigInt(genesis.params.blockIntervalMs), [])
  t.equal(BigInt((await post(call('eth_blockNumber', 2))).result), before + 1n)
})

t.test('a raw ws client speaking binary frames: answers and newHeads notifications in binary', async (t) => {
  const genesis = devGenesis()
  const running = await startFullNode({ genesis, datadir: tempDir(t), rpc: { host: '127.0.0.1', port: 0 }, logger: silentLogger, recoverThreads: 0 })
  t.teardown(() => running.close())
  const ws = new WebSocket(running.rpc!.wsUrl)
  t.teardown(() => ws.terminate())
  await new Promise((r) => ws.once('open', r))
  const frames: Array<{ json: any; binary: boolean }> = []
  const waiters: Array<() => void> = []
  ws.on('message', (d, binary) => {
    frames.push({ json: JSON.parse(d.toString()), binary })
    for (const w of waiters.splice(0)) w()
  })
  const frame = (n: number) =>
    new Promise<{ json: any; binary: boolean }>((resolve) => {
      const check = () => (frames.length >= n ? resolve(frames[n - 1]!) : waiters.push(check))
      check()
    })
  const sendBinary = (body: unknown) => ws.send(Buffer.from(JSON.stringify(body), 'utf8'), { binary: true })

  sendBinary(call('eth_chainId', 1))
  t.same(await frame(1), { json: { jsonrpc: '2.0', id: 1, result: '0x' + genesis.chainId.toString(16) }, binary: true })
  sendBinary(call('eth_subscribe', 2, ['newHeads']))
  const sub = await frame(2)
  t.equal(sub.binary, true)
  const chain = running.node.chain
  const built = await chain.produceBlock(devKey(0), chain.head.header.timestamp + BigInt(genesis.params.blockIntervalMs), [])
  const note = await frame(3)
  t.equal(note.binary, true, 'the notification in binary, as the client spoke')
  t.equal(note.json.params.subscription, sub.json.result)
  t.equal(note.json.params.result.hash, '0x' + Buffer.from(built.block.hash).toString('hex'))
  ws.send(JSON.stringify(call('eth_chainId', 3)))
  t.equal((await frame(4)).binary, false, 'a text frame is still answered in text')
})
