/**
 * eth_sendRawTransactionSync (EIP-7966) against a real in-process node: the answer is the receipt
 * eth_getTransactionReceipt gives once the block is made; a timeout is error 4 with the hash; a
 * transaction behind a nonce gap is error 5 at once; a refused one is eth_sendRawTransaction's error.
 */
import t from 'tap'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import { makeCommon } from '../../../../src/execution/common.js'
import { devAddress, devKey, startNode } from '../../../helpers/inProcessNode.js'

const common = makeCommon(2100n)

/** resolves when the next transaction enters the node's pool */
const pooled = (n: { node: { txpool: { on(e: 'added', fn: () => void): () => void } } }) =>
  new Promise<void>((resolve) => {
    const off = n.node.txpool.on('added', () => {
      off()
      resolve()
    })
  })
const transfer = (nonce: bigint, value = 1n) =>
  bytesToHex(
    createFeeMarket1559Tx(
      {
        nonce,
        maxFeePerGas: 10n ** 10n,
        maxPriorityFeePerGas: 10n ** 9n,
        gasLimit: 21_000n,
        to: new Address(hexToBytes(devAddress(2) as `0x${string}`)),
        value,
      },
      { common },
    )
      .sign(devKey(1))
      .serialize(),
  )

t.test('eth_sendRawTransactionSync', async (t) => {
  const n = await startNode(t)

  await t.test('returns the receipt, exactly as eth_getTransactionReceipt does, when the block is made', async (t) => {
    const added = pooled(n)
    const answer = n.rpcRaw('eth_sendRawTransactionSync', [transfer(0n), 30_000])
    await added
    const built = await n.produceBlock()
    const res = await answer
    t.equal(res.error, undefined)
    const hash = bytesToHex(built.block.transactions[0]!.hash())
    t.equal(res.result.transactionHash, hash)
    t.equal(res.result.status, '0x1')
    t.same(res.result, await n.rpc('eth_getTransactionReceipt', [hash]))
  })

  await t.test('an already mined transaction answers at once', async (t) => {
    // the same bytes again: the pool refuses a known transaction, as eth_sendRawTransaction does
    const again = await n.rpcRaw('eth_sendRawTransactionSync', [transfer(0n)])
    t.equal(again.error?.code, -32000)
  })

  await t.test('timeout: error 4 with the transaction hash as data; the transaction stays in the pool', async (t) => {
    const raw = transfer(1n)
    const res = await n.rpcRaw('eth_sendRawTransactionSync', [raw, '0x1'])
    t.equal(res.error?.code, 4)
    t.match(res.error?.message, /not mined within 1 ms/)
    const hash = res.error?.data as string
    t.match(hash, /^0x[0-9a-f]{64}$/)
    t.ok(n.node.txpool.get(hash), 'still pooled')
    await n.produceBlock()
    t.equal((await n.rpc('eth_getTransactionReceipt', [hash])).status, '0x1', 'and mined later')
  })

  await t.test('a nonce gap: error 5 at once, with the hash', async (t) => {
    const res = await n.rpcRaw('eth_sendRawTransactionSync', [transfer(9n), 60_000])
    t.equal(res.error?.code, 5)
    t.match(res.error?.data, /^0x[0-9a-f]{64}$/)
  })

  await t.test('bad input', async (t) => {
    t.equal((await n.rpcRaw('eth_sendRawTransactionSync', ['0x1234'])).error?.code, -32000, 'undecodable transaction: the pool error')
    t.equal((await n.rpcRaw('eth_sendRawTransactionSync', [])).error?.code, -32602)
    t.equal((await n.rpcRaw('eth_sendRawTransactionSync', ['0x12', 1, 2])).error?.code, -32602, 'too many arguments')
  })

  t.equal(n.node.chain.listenerCount('block') > 0, true, 'the node keeps its own listeners')
  const before = n.node.chain.listenerCount('block')
  const waiting = n.rpcRaw('eth_sendRawTransactionSync', [transfer(2n), 60_000])
  await pooled(n)
  await n.produceBlock()
  t.equal((await waiting).result.status, '0x1')
  t.equal(n.node.chain.listenerCount('block'), before, 'no listener left behind')
})
