/**
 * eth_subscribe / eth_unsubscribe over a real WebSocket against a real in-process node:
 * newHeads, logs (address and topic filters, removed logs), newPendingTransactions, limits,
 * cleanup when the socket closes, and the HTTP error.
 */
import type { EventEmitter } from 'node:events'
import t, { type Test } from 'tap'
import { createLegacyTx } from '@ethereumjs/tx'
import { Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import { Interface, getCreateAddress, id as keccakUtf8 } from 'ethers'
import { makeCommon } from '../../../src/execution/common.js'
import { silentLogger } from '../../../src/util/logger.js'
import { installFilterRegistry, REMOVED_BLOCK_EVENT, type FilterRegistryOptions } from '../../../rpc/filters/index.js'
import { allMethods } from '../../../rpc/index.js'
import { startRpcServer } from '../../../rpc/server.js'
import { devAddress, devKey, probeContract, startNode } from '../../helpers/inProcessNode.js'
import { waitFor } from '../../helpers/nodeProcess.js'
import { wsClient } from './fixtures/rpcServer.js'

const GWEI = 1_000_000_000n
const probe = probeContract()
const iface = new Interface(probe.abi as never)
const STORED = keccakUtf8('Stored(uint256,address,bytes)')
const PING = keccakUtf8('Ping(uint256)')
const ID = /^0x[1-9a-f][0-9a-f]{0,31}$/
const common = makeCommon(2100n)

async function setup(t: Test, opts: FilterRegistryOptions = {}) {
  const n = await startNode(t)
  const registry = installFilterRegistry(n.node, opts)
  const server = await startRpcServer({
    host: '127.0.0.1',
    port: 0,
    methods: allMethods(),
    context: { node: n.node, logger: silentLogger },
    logger: silentLogger,
  })
  t.teardown(() => server.close())
  const nonces = new Map<number, bigint>()
  const send = async (from: number, fields: { to?: string; data?: string | Uint8Array; gasLimit?: bigint }) => {
    const nonce = nonces.get(from) ?? 0n
    nonces.set(from, nonce + 1n)
    const data = typeof fields.data === 'string' ? hexToBytes(fields.data as `0x${string}`) : (fields.data ?? new Uint8Array())
    const tx = createLegacyTx(
      { nonce, gasPrice: GWEI, gasLimit: fields.gasLimit ?? 200_000n, to: fields.to ? new Address(hexToBytes(fields.to as `0x${string}`)) : undefined, data },
      { common },
    ).sign(devKey(from))
    return (await n.rpc('eth_sendRawTransaction', [bytesToHex(tx.serialize())])) as string
  }
  const deploy = async () => {
    await send(1, { data: probe.bytecode, gasLimit: 1_000_000n })
    await n.produceBlock()
    return getCreateAddress({ from: devAddress(1), nonce: 0 }).toLowerCase()
  }
  const store = (contract: string, v: number) => send(4, { to: contract, data: iface.encodeFunctionData('store', [v]) })
  /** A WS client with a `call` that returns the whole response. */
  const client = async () => {
    const c = await wsClient(server.wsUrl)
    t.teardown(() => c.ws.terminate())
    let id = 0
    const call = async (method: string, params: unknown[] = []) => {
      c.ws.send(JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }))
      return c.next()
    }
    const subscribe = async (params: unknown[]) => {
      const r = await call('eth_subscribe', params)
      if (r.error) throw new Error(r.error.message)
      return r.result as string
    }
    return { ...c, call, subscribe }
  }
  return { ...n, registry, server, send, deploy, store, client }
}

/** Resolves once `cond` holds (no fixed sleeps) */
const until = (cond: () => boolean): Promise<unknown> => waitFor(cond, 20_000, 'the subscription count', 5)

const notification = (subscription: string, result: unknown) => ({ jsonrpc: '2.0', method: 'eth_subscription', params: { subscription, result } })

t.test('over HTTP: notifications not supported', async (t) => {
  const n = await setup(t)
  const post = async (method: string, params: unknown[]) =>
    (await (
      await fetch(n.server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      })
    ).json()) as any
  t.same((await post('eth_subscribe', ['newHeads'])).error, { code: -32601, message: 'notifications not supported' })
  t.same(
    (await post('eth_subscribe', ['bogus', 1, 2])).error,
    { code: -32601, message: 'notifications not supported' },
    'checked before the arguments, as geth',
  )
  t.same((await post('eth_unsubscribe', ['0x1'])).error, { code: -32000, message: 'subscription not found' })
  t.equal(n.registry.subscriptionCount, 0)
})

t.test('newHeads: header JSON without transactions, for ["newHeads"] and ["newHeads", {}]', async (t) => {
  const n = await setup(t)
  const c = await n.client()
  const a = await c.subscribe(['newHeads'])
  const b = await c.subscribe(['newHeads', {}])
  t.match(a, ID)
  t.not(a, b)
  await n.send(2, { to: devAddress(3), gasLimit: 21_000n })
  const built = await n.produceBlock()
  const first = await c.next()
  const second = await c.next()
  t.equal(first.params.subscription, a)
  t.equal(second.params.subscription, b)
  t.same(second.params.result, first.params.result)
  const head = first.params.result
  t.notOk('transactions' in head, 'no transactions field')
  const { transactions, uncles: _u, size: _s, ...expected } = await n.rpc('eth_getBlockByNumber', ['0x1', false])
  t.equal(transactions.length, 1, 'the block had a transaction')
  t.same(head, expected, 'every other header field as eth_getBlockByNumber')
  t.equal(head.hash, bytesToHex(built.block.hash))
  t.same(notification(a, head), first, 'the eth_subscription envelope')
})

t.test('logs: address and topic filters, each log as eth_getLogs, removed on reorg', async (t) => {
  const n = await setup(t)
  const contract = await n.deploy()
  const c = await n.client()
  const all = await c.subscribe(['logs'])
  const stored = await c.subscribe(['logs', { address: contract, topics: [STORED] }])
  const ping = await c.subscribe(['logs', { address: [contract], topics: [PING] }])
  const elsewhere = await c.subscribe(['logs', { address: devAddress(9) }])
  const heads = await c.subscribe(['newHeads']) // last: its notification closes each block's batch
  await n.store(contract, 7)
  const built = await n.produceBlock()
  const logs = await n.rpc('eth_getLogs', [{ blockHash: bytesToHex(built.block.hash) }])
  t.equal(logs.length, 2)
  const got: any[] = []
  for (let m = await c.next(); m.params.subscription !== heads; m = await c.next()) got.push(m)
  t.same(got, [notification(all, logs[0]), notification(all, logs[1]), notification(stored, logs[0]), notification(ping, logs[1])])
  t.notOk(
    got.some((m) => m.params.subscription === elsewhere),
    'another address: nothing',
  )

  ;(n.node.chain as unknown as EventEmitter).emit(REMOVED_BLOCK_EVENT, { block: built.block, receipts: built.receipts })
  const removed = await c.next()
  t.same(removed, notification(all, { ...logs[0], removed: true }), 'removed logs come again with removed: true')
  t.equal((await c.next()).params.result.removed, true)
  t.same(await c.next(), notification(stored, { ...logs[0], removed: true }))
  t.same(await c.next(), notification(ping, { ...logs[1], removed: true }))
  await n.produceBlock()
  t.equal((await c.next()).params.subscription, heads, 'no newHeads for a removed block; the next head follows')
})

t.test('newPendingTransactions: hashes, or whole transactions with true', async (t) => {
  const n = await setup(t)
  const c = await n.client()
  const hashes = await c.subscribe(['newPendingTransactions'])
  const full = await c.subscribe(['newPendingTransactions', true])
  const hash = await n.send(2, { to: devAddress(3), gasLimit: 21_000n })
  t.same(await c.next(), notification(hashes, hash))
  const tx = await c.next()
  t.equal(tx.params.subscription, full)
  t.match(tx.params.result, { hash, from: devAddress(2), to: devAddress(3), nonce: '0x0', blockHash: null })
  t.same(tx.params.result, await n.rpc('eth_getTransactionByHash', [hash]), 'as eth_getTransactionByHash of a pending tx')
})

t.test('eth_unsubscribe and bad arguments', async (t) => {
  const n = await setup(t)
  const c = await n.client()
  const other = await n.client()
  const a = await c.subscribe(['newHeads'])
  const b = await c.subscribe(['newHeads'])
  t.same((await other.call('eth_unsubscribe', [a])).error, { code: -32000, message: 'subscription not found' }, "another connection's id")
  t.equal((await c.call('eth_unsubscribe', [a])).result, true)
  t.same((await c.call('eth_unsubscribe', [a])).error, { code: -32000, message: 'subscription not found' }, 'second time')
  await n.produceBlock()
  t.equal((await c.next()).params.subscription, b, 'only the remaining subscription is notified')

  const err = async (params: unknown[]) => (await c.call('eth_subscribe', params)).error
  t.same(await err(['nope']), { code: -32601, message: 'no "nope" subscription in eth namespace' })
  t.same(await err([]), { code: -32602, message: 'expected subscription name as first argument' })
  t.same(await err(['logs', { topics: 'x' }]), { code: -32602, message: 'invalid argument 1: invalid topics in query' })
  t.same(await err(['newHeads', 1]), { code: -32602, message: 'invalid argument 1: cannot unmarshal non-object into newHeads options' })
  t.same(await err(['newHeads', {}, 1]), { code: -32602, message: 'too many arguments, want at most 2' })
  t.same(await err(['newPendingTransactions', 'yes']), { code: -32602, message: 'invalid argument 1: cannot unmarshal string into bool' })
  t.equal(n.registry.subscriptionCount, 1)
})

t.test('at most 128 subscriptions per connection (-32005); others unaffected', async (t) => {
  const n = await setup(t)
  const c = await n.client()
  const batch = Array.from({ length: 128 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'eth_subscribe', params: ['newHeads'] }))
  c.ws.send(JSON.stringify(batch))
  const answers = (await c.next()) as Array<{ result?: string }>
  t.equal(new Set(answers.map((a) => a.result)).size, 128)
  const over = await c.call('eth_subscribe', ['logs'])
  t.equal(over.error.code, -32005)
  t.equal(over.error.message, 'too many subscriptions on this connection (limit 128)')
  const other = await n.client()
  t.match(await other.subscribe(['newHeads']), ID, 'the limit is per connection')
  t.equal((await c.call('eth_unsubscribe', [answers[0]!.result])).result, true)
  t.match(await c.subscribe(['newHeads']), ID, 'room again after an unsubscribe')
})

t.test('subscriptions end, and listeners go, when the socket closes', async (t) => {
  const n = await setup(t)
  const pool = n.node.txpool as unknown as { listeners: { pending: Set<unknown> } }
  const blockListeners = n.node.chain.listenerCount('block')
  const removedListeners = n.node.chain.listenerCount(REMOVED_BLOCK_EVENT as never) // the node's own
  const poolListeners = pool.listeners.pending.size
  const a = await n.client()
  const b = await n.client()
  await a.subscribe(['newHeads'])
  await a.subscribe(['logs'])
  await a.subscribe(['newPendingTransactions'])
  const kept = await b.subscribe(['newHeads'])
  t.equal(n.registry.subscriptionCount, 4)
  t.equal(n.node.chain.listenerCount('block'), blockListeners + 1)
  a.ws.close()
  await a.closed
  await until(() => n.registry.subscriptionCount === 1)
  t.pass("the closed connection's subscriptions are gone")
  await n.produceBlock()
  t.equal((await b.next()).params.subscription, kept, 'the other connection still gets its heads')
  b.ws.terminate()
  await b.closed
  await until(() => n.registry.subscriptionCount === 0)
  t.equal(n.node.chain.listenerCount('block'), blockListeners, 'block listener detached')
  t.equal(n.node.chain.listenerCount(REMOVED_BLOCK_EVENT as never), removedListeners)
  t.equal(pool.listeners.pending.size, poolListeners, 'pool listener detached')
})

t.test('a notification never overtakes the eth_subscribe answer', async (t) => {
  const n = await setup(t)
  const sent: unknown[] = []
  const connection = { id: 1, send: (m: unknown) => void sent.push(m), onClose: () => {} }
  const built = await n.produceBlock()
  const id = n.registry.subscribe(connection, 'newHeads')
  // a block landing in the same turn, before the dispatcher could have sent the answer
  n.node.chain.emit('block', { block: built.block, receipts: built.receipts })
  t.same(sent, [], 'held back while the answer is on its way')
  await new Promise((r) => setImmediate(r))
  t.equal(sent.length, 1, 'then delivered')
  t.match(sent[0], { params: { subscription: id, result: { hash: bytesToHex(built.block.hash) } } })
})
