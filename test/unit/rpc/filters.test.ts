/**
 * eth_newFilter, eth_newBlockFilter, eth_newPendingTransactionFilter, eth_getFilterChanges,
 * eth_getFilterLogs and eth_uninstallFilter over HTTP against a real in-process node, with the
 * filter methods served by their own RPC server (rpc/index.ts wiring is the lead's).
 */
import type { EventEmitter } from 'node:events'
import t, { type Test } from 'tap'
import { createLegacyTx, type TypedTransaction } from '@ethereumjs/tx'
import { Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import { Interface, getCreateAddress, id as keccakUtf8 } from 'ethers'
import { makeCommon } from '../../../src/execution/common.js'
import { silentLogger } from '../../../src/util/logger.js'
import { installFilterRegistry, REMOVED_BLOCK_EVENT, type FilterRegistryOptions } from '../../../rpc/filters/index.js'
import { allMethods } from '../../../rpc/index.js'
import { startRpcServer } from '../../../rpc/server.js'
import { devAddress, devKey, probeContract, startNode } from '../../helpers/inProcessNode.js'

const GWEI = 1_000_000_000n
const probe = probeContract()
const iface = new Interface(probe.abi as never)
const STORED = keccakUtf8('Stored(uint256,address,bytes)')
const PING = keccakUtf8('Ping(uint256)')
const ID = /^0x[1-9a-f][0-9a-f]{0,31}$/
const common = makeCommon(2100n)

/** A node, its filter registry (options as given) and an RPC server that serves the filter methods. */
async function setup(t: Test, opts: FilterRegistryOptions = {}, limits: { maxFilters?: number } = {}) {
  const n = await startNode(t)
  const registry = installFilterRegistry(n.node, opts)
  const server = await startRpcServer({
    host: '127.0.0.1',
    port: 0,
    ...limits,
    methods: allMethods(),
    context: { node: n.node, logger: silentLogger },
    logger: silentLogger,
  })
  t.teardown(() => server.close())
  let id = 0
  const raw = async (method: string, params: unknown[] = []): Promise<{ result?: any; error?: { code: number; message: string } }> => {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
    })
    return (await res.json()) as never
  }
  const rpc = async (method: string, params: unknown[] = []) => {
    const r = await raw(method, params)
    if (r.error !== undefined) throw new Error(`${method}: ${r.error.message}`)
    return r.result
  }
  const nonces = new Map<number, bigint>()
  const send = async (from: number, fields: { to?: string; data?: string | Uint8Array; gasLimit?: bigint }) => {
    const nonce = nonces.get(from) ?? 0n
    nonces.set(from, nonce + 1n)
    const data = typeof fields.data === 'string' ? hexToBytes(fields.data as `0x${string}`) : (fields.data ?? new Uint8Array())
    const tx: TypedTransaction = createLegacyTx(
      { nonce, gasPrice: GWEI, gasLimit: fields.gasLimit ?? 200_000n, to: fields.to ? new Address(hexToBytes(fields.to as `0x${string}`)) : undefined, data },
      { common },
    ).sign(devKey(from))
    return (await rpc('eth_sendRawTransaction', [bytesToHex(tx.serialize())])) as string
  }
  /** Deploys Probe from dev account 1 in a block of its own. */
  const deploy = async () => {
    await send(1, { data: probe.bytecode, gasLimit: 1_000_000n })
    await n.produceBlock()
    return getCreateAddress({ from: devAddress(1), nonce: 0 }).toLowerCase()
  }
  const store = (contract: string, v: number) => send(4, { to: contract, data: iface.encodeFunctionData('store', [v]) })
  return { ...n, registry, server, raw, rpc, send, deploy, store }
}

t.test('eth_newBlockFilter: each new block hash once', async (t) => {
  const n = await setup(t)
  const id = await n.rpc('eth_newBlockFilter')
  t.match(id, ID, 'id is a 0x hex quantity of up to 16 bytes')
  t.same(await n.rpc('eth_getFilterChanges', [id]), [], 'nothing yet')
  const b1 = await n.produceBlock()
  const b2 = await n.produceBlock()
  t.same(await n.rpc('eth_getFilterChanges', [id]), [bytesToHex(b1.block.hash), bytesToHex(b2.block.hash)])
  t.same(await n.rpc('eth_getFilterChanges', [id]), [], 'changes are returned only once')
  const b3 = await n.produceBlock()
  t.same(await n.rpc('eth_getFilterChanges', [id]), [bytesToHex(b3.block.hash)])
  t.match(await n.raw('eth_newBlockFilter', [1]), { error: { code: -32602, message: 'too many arguments, want at most 0' } })
})

t.test('eth_newFilter: logs by address and topic, once; eth_getFilterLogs as eth_getLogs', async (t) => {
  const n = await setup(t)
  const contract = await n.deploy()
  const stored = await n.rpc('eth_newFilter', [{ address: contract, topics: [STORED] }])
  const ping = await n.rpc('eth_newFilter', [{ topics: [PING] }])
  const either = await n.rpc('eth_newFilter', [{ address: [contract], topics: [[STORED, PING]] }])
  const otherAddress = await n.rpc('eth_newFilter', [{ address: devAddress(9) }])
  const secondTopic = await n.rpc('eth_newFilter', [{ topics: [null, '0x' + '00'.repeat(31) + '07'] }])
  const oldRange = await n.rpc('eth_newFilter', [{ fromBlock: '0x0', toBlock: '0x1' }])
  for (const id of [stored, ping, either, otherAddress, secondTopic, oldRange]) t.match(id, ID)

  const txHash = await n.store(contract, 7)
  const b2 = await n.produceBlock()
  const logs = await n.rpc('eth_getLogs', [{ blockHash: bytesToHex(b2.block.hash) }])
  t.equal(logs.length, 2, 'Stored and Ping')
  const [storedLog, pingLog] = logs
  t.equal(storedLog.transactionHash, txHash)
  t.equal(storedLog.removed, false)

  t.same(await n.rpc('eth_getFilterChanges', [stored]), [storedLog], 'address + topic')
  t.same(await n.rpc('eth_getFilterChanges', [ping]), [pingLog], 'topic only')
  t.same(await n.rpc('eth_getFilterChanges', [either]), [storedLog, pingLog], 'OR of topics, address list')
  t.same(await n.rpc('eth_getFilterChanges', [otherAddress]), [], 'another address')
  t.same(await n.rpc('eth_getFilterChanges', [secondTopic]), [storedLog], 'second topic position (indexed value 7)')
  t.same(await n.rpc('eth_getFilterChanges', [oldRange]), [], 'a numeric toBlock below the new block excludes it')
  t.same(await n.rpc('eth_getFilterChanges', [stored]), [], 'each log once')

  await n.store(contract, 8)
  await n.produceBlock()
  t.equal((await n.rpc('eth_getFilterChanges', [stored])).length, 1)

  // eth_getFilterLogs runs the whole query again, whatever was polled
  const whole = await n.rpc('eth_newFilter', [{ fromBlock: '0x0', address: contract }])
  const all = await n.rpc('eth_getLogs', [{ fromBlock: '0x0', address: contract }])
  t.equal(all.length, 4)
  t.same(await n.rpc('eth_getFilterLogs', [whole]), all)
  t.same(await n.rpc('eth_getFilterLogs', [whole]), all, 'not consumed by reading')
  t.same(
    await n.rpc('eth_getFilterLogs', [stored]),
    [(await n.rpc('eth_getLogs', [{ address: contract, topics: [STORED] }]))[0]],
    'no fromBlock: latest only, as eth_getLogs',
  )
  const byHash = await n.rpc('eth_newFilter', [{ blockHash: bytesToHex(b2.block.hash) }])
  t.same(await n.rpc('eth_getFilterLogs', [byHash]), logs)

  t.match(await n.raw('eth_newFilter', [{ topics: 'x' }]), { error: { code: -32602, message: 'invalid argument 0: invalid topics in query' } })
  t.match(await n.raw('eth_newFilter', []), { error: { code: -32602, message: 'missing value for required argument 0' } })
})

t.test('eth_newPendingTransactionFilter: hashes, or whole transactions', async (t) => {
  const n = await setup(t)
  const hashes = await n.rpc('eth_newPendingTransactionFilter')
  const full = await n.rpc('eth_newPendingTransactionFilter', [true])
  const h1 = await n.send(2, { to: devAddress(3), gasLimit: 21_000n })
  const h2 = await n.send(2, { to: devAddress(3), gasLimit: 21_000n })
  t.same(await n.rpc('eth_getFilterChanges', [hashes]), [h1, h2])
  t.same(await n.rpc('eth_getFilterChanges', [hashes]), [])
  const txs = await n.rpc('eth_getFilterChanges', [full])
  t.same(
    txs.map((x: { hash: string }) => x.hash),
    [h1, h2],
  )
  t.match(txs[0], { from: devAddress(2), to: devAddress(3), nonce: '0x0', blockHash: null, blockNumber: null })
  await n.produceBlock()
  t.same(await n.rpc('eth_getFilterChanges', [hashes]), [], 'mining is not a pending event')
  t.match(await n.raw('eth_newPendingTransactionFilter', ['yes']), { error: { code: -32602, message: /^invalid argument 0: / } })
})

t.test('eth_uninstallFilter and unknown ids', async (t) => {
  const n = await setup(t)
  const blocks = await n.rpc('eth_newBlockFilter')
  t.equal(await n.rpc('eth_uninstallFilter', [blocks]), true)
  t.equal(await n.rpc('eth_uninstallFilter', [blocks]), false, 'second time: false')
  const notFound = { error: { code: -32000, message: 'filter not found' } }
  t.match(await n.raw('eth_getFilterChanges', [blocks]), notFound, 'uninstalled')
  t.match(await n.raw('eth_getFilterChanges', ['0x1234']), notFound, 'never issued')
  t.match(await n.raw('eth_getFilterLogs', ['0x1234']), notFound)
  const other = await n.rpc('eth_newBlockFilter')
  t.match(await n.raw('eth_getFilterLogs', [other]), notFound, 'eth_getFilterLogs of a block filter (geth)')
  t.match(await n.raw('eth_getFilterChanges', [1]), { error: { code: -32602, message: 'invalid argument 0: cannot unmarshal non-string into filter id' } })
  t.match(await n.raw('eth_uninstallFilter', []), { error: { code: -32602, message: 'missing value for required argument 0' } })
})

t.test('idle filters expire; polling keeps them', async (t) => {
  let now = 1_000_000
  const n = await setup(t, { filterTimeoutMs: 60_000, now: () => now })
  const idle = await n.rpc('eth_newBlockFilter')
  const polled = await n.rpc('eth_newFilter', [{}])
  const pending = await n.rpc('eth_newPendingTransactionFilter')
  now += 59_999
  t.same(await n.rpc('eth_getFilterChanges', [polled]), [])
  t.same(await n.rpc('eth_getFilterLogs', [polled]), [], 'eth_getFilterLogs also counts as a poll')
  now += 1
  t.match(await n.raw('eth_getFilterChanges', [idle]), { error: { code: -32000, message: 'filter not found' } }, 'idle for the timeout')
  t.equal(await n.rpc('eth_uninstallFilter', [pending]), false, 'expired: nothing to uninstall')
  now += 59_998
  t.same(await n.rpc('eth_getFilterChanges', [polled]), [], 'its last poll reset the clock')
  t.equal(n.registry.filterCount, 1)
})

t.test('the expiry timer removes filters nobody calls about', async (t) => {
  const expired: string[] = []
  let done!: () => void
  const allGone = new Promise<void>((r) => (done = r))
  const n = await setup(t, {
    filterTimeoutMs: 20,
    onExpired: (id) => {
      expired.push(id)
      if (expired.length === 2) done()
    },
  })
  const blockListeners = n.node.chain.listenerCount('block')
  const ids = [await n.rpc('eth_newBlockFilter'), await n.rpc('eth_newPendingTransactionFilter')]
  await allGone
  t.same(expired.sort(), ids.sort())
  t.equal(n.registry.filterCount, 0)
  t.equal(n.node.chain.listenerCount('block'), blockListeners, 'listeners detached with the last filter')
})

t.test('at most maxFilters filters per node (-32005), from the server options', async (t) => {
  const n = await setup(t, {}, { maxFilters: 3 })
  const ids = [await n.rpc('eth_newBlockFilter'), await n.rpc('eth_newFilter', [{}]), await n.rpc('eth_newPendingTransactionFilter')]
  const over = await n.raw('eth_newBlockFilter')
  t.equal(over.error?.code, -32005)
  t.equal(over.error?.message, 'too many filters installed (limit 3)')
  t.equal(await n.rpc('eth_uninstallFilter', [ids[0]]), true)
  t.match(await n.rpc('eth_newBlockFilter'), ID, 'room again after an uninstall')
})

t.test('the default limit is 1,000', async (t) => {
  const n = await setup(t)
  const batch = Array.from({ length: 1000 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'eth_newBlockFilter', params: [] }))
  const res = await fetch(n.server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch) })
  const answers = (await res.json()) as Array<{ result?: string }>
  t.equal(new Set(answers.map((a) => a.result)).size, 1000, '1,000 distinct ids')
  t.equal((await n.raw('eth_newBlockFilter')).error?.code, -32005)
})

t.test('listeners: attached with the first filter, detached with the last', async (t) => {
  const n = await setup(t)
  const pool = n.node.txpool as unknown as { listeners: { pending: Set<unknown> } }
  const blockListeners = n.node.chain.listenerCount('block')
  const removedListeners = n.node.chain.listenerCount(REMOVED_BLOCK_EVENT as never) // the node's own (reorged txs back to the pool)
  const poolListeners = pool.listeners.pending.size
  const a = await n.rpc('eth_newBlockFilter')
  const b = await n.rpc('eth_newFilter', [{}])
  t.equal(n.node.chain.listenerCount('block'), blockListeners + 1, 'one listener however many filters')
  t.equal(n.node.chain.listenerCount(REMOVED_BLOCK_EVENT as never), removedListeners + 1)
  t.equal(pool.listeners.pending.size, poolListeners + 1)
  await n.rpc('eth_uninstallFilter', [a])
  t.equal(n.node.chain.listenerCount('block'), blockListeners + 1)
  await n.rpc('eth_uninstallFilter', [b])
  t.equal(n.node.chain.listenerCount('block'), blockListeners)
  t.equal(n.node.chain.listenerCount(REMOVED_BLOCK_EVENT as never), removedListeners)
  t.equal(pool.listeners.pending.size, poolListeners)
})

t.test('a block removed by a reorg: its logs again with removed: true, no block hash', async (t) => {
  const n = await setup(t)
  const contract = await n.deploy()
  const logs = await n.rpc('eth_newFilter', [{ address: contract }])
  const blocks = await n.rpc('eth_newBlockFilter')
  await n.store(contract, 5)
  const built = await n.produceBlock()
  const added = await n.rpc('eth_getFilterChanges', [logs])
  t.equal(added.length, 2)
  await n.rpc('eth_getFilterChanges', [blocks])
  // what the DPoS fork choice will emit for each block leaving the canonical chain
  ;(n.node.chain as unknown as EventEmitter).emit(REMOVED_BLOCK_EVENT, { block: built.block, receipts: built.receipts })
  t.same(
    await n.rpc('eth_getFilterChanges', [logs]),
    added.map((l: object) => ({ ...l, removed: true })),
  )
  t.same(await n.rpc('eth_getFilterChanges', [blocks]), [])
})
