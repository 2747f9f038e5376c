/**
 * eth_getLogs from the log index: the block-range limit (geth's wording), the same logs as a
 * block-by-block scan, and blocks without an index entry still answered.
 */
import t from 'tap'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { Interface, getCreateAddress } from 'ethers'
import { makeGetLogs, logsInRange } from '../../../rpc/eth/getLogs.js'
import { logFilter } from '../../../rpc/params.js'
import { indexedBlocks } from '../../../src/chain/logIndex.js'
import { devAddress, devKey, probeContract, startNode } from '../../helpers/inProcessNode.js'
import { limits } from './fixtures/rpcServer.js'

t.test('eth_getLogs over an indexed chain', async (t) => {
  const n = await startNode(t)
  const probe = probeContract()
  const iface = new Interface(probe.abi as never)
  const common = n.node.chain.common
  const contract = getCreateAddress({ from: devAddress(1), nonce: 0 }).toLowerCase() as `0x${string}`
  const sign = (nonce: bigint, to: `0x${string}` | undefined, data: Uint8Array) =>
    createFeeMarket1559Tx({ nonce, to, data, gasLimit: 2_000_000n, maxFeePerGas: 2_000_000_000n, maxPriorityFeePerGas: 0n }, { common }).sign(devKey(1))
  await n.rpc('eth_sendRawTransaction', [bytesToHex(sign(0n, undefined, probe.bytecode).serialize())])
  await n.produceBlock()
  let nonce = 1n
  for (let b = 0; b < 40; b++) {
    if (b % 4 === 0) {
      const data = hexToBytes(iface.encodeFunctionData('store', [BigInt(b)]) as `0x${string}`)
      await n.rpc('eth_sendRawTransaction', [bytesToHex(sign(nonce++, contract, data).serialize())])
    }
    await n.produceBlock()
  }
  const head = n.node.head.header.number
  t.equal(head, 41n)

  const indexed = []
  for await (const b of indexedBlocks(n.node.chain.store.db, 0n, head)) indexed.push(b)
  t.equal(indexed.length, 42, 'every block, genesis included, has an index entry')
  t.equal(indexed.filter((b) => b.bloom !== undefined).length, 10, 'blooms only for the blocks with logs')

  const all = await n.rpc('eth_getLogs', [{ fromBlock: '0x0', toBlock: 'latest', address: contract }])
  t.equal(all.length, 20, 'store() emits 2 logs, 10 times')
  t.same(
    all.map((l: any) => Number(l.blockNumber)),
    [2, 2, 6, 6, 10, 10, 14, 14, 18, 18, 22, 22, 26, 26, 30, 30, 34, 34, 38, 38],
  )
  for (const l of all) {
    const tx = await n.rpc('eth_getTransactionByHash', [l.transactionHash])
    t.equal(tx.blockHash, l.blockHash, `log of block ${Number(l.blockNumber)}: its transaction hash is right`)
  }
  const ctx = { node: n.node, logger: undefined as never, limits }
  const f = logFilter({ address: contract })
  t.same(await logsInRange(n.node, f, 0n, head), all, 'logsInRange = eth_getLogs')
  t.same(
    await logsInRange(n.node, f, 7n, 21n),
    all.filter((l: any) => Number(l.blockNumber) >= 7 && Number(l.blockNumber) <= 21),
  )

  // the range limit (geth's wording), applied after clamping to the head
  const narrow = makeGetLogs({ maxBlockRange: 10 })
  await t.rejects(Promise.resolve(narrow.handler([logFilter({ fromBlock: '0x0', toBlock: '0xa' })], ctx)), {
    code: 'RPC_LIMIT',
    message: 'query exceeds max block range 10',
  })
  t.same(await narrow.handler([logFilter({ fromBlock: '0x1', toBlock: '0xa', address: contract })], ctx), all.slice(0, 6), '10 blocks are allowed')
  t.same(
    await narrow.handler([logFilter({ fromBlock: '0x25', toBlock: '0x2710', address: contract })], ctx),
    all.slice(18),
    'toBlock past the head is clamped first',
  )
  const wide = await n.rpcRaw('eth_getLogs', [{ fromBlock: '0x0', toBlock: '0x2710' }])
  t.notOk(wide.error, 'the default limit is 10,000 blocks: 0..head is fine')
  // the result limit
  await t.rejects(Promise.resolve(makeGetLogs({ maxResults: 5 }).handler([logFilter({ fromBlock: '0x0', address: contract })], ctx)), {
    code: 'RPC_LIMIT',
    message: 'query returned more than 5 results',
  })

  // blocks without index entries (a datadir from before the index) are read the old way
  const db = n.node.chain.store.db
  for (const b of indexed.filter((b) => b.number >= 5n && b.number <= 15n)) {
    const k = new Uint8Array(9)
    k[0] = 0x6c
    new DataView(k.buffer).setBigUint64(1, b.number)
    await db.del(k)
  }
  t.same(await logsInRange(n.node, f, 0n, head), all, 'same logs with a hole in the index')
})
