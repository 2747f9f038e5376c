/**
 * rpc/stateReads.ts: account reads cached per state root answer what a fresh state view answers,
 * follow a new head at once (a new root is a new cache entry), and keep old blocks' answers.
 */
import t from 'tap'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import { makeCommon } from '../../../src/execution/common.js'
import { devAddress, devKey, startNode } from '../../helpers/inProcessNode.js'

t.test('balances and nonces through the per-root cache', async (t) => {
  const n = await startNode(t)
  const who = devAddress(2)
  const fresh = async (addr: string) =>
    (await (await n.node.chain.stateAt(n.node.chain.head.header)).getAccount(new Address(hexToBytes(addr as `0x${string}`))))!
  const before = BigInt(await n.rpc('eth_getBalance', [who, 'latest']))
  t.equal(before, (await fresh(who)).balance, 'the same as a fresh view')
  const many = await Promise.all(Array.from({ length: 50 }, () => n.rpc('eth_getBalance', [who, 'latest'])))
  t.same(new Set(many), new Set(['0x' + before.toString(16)]), 'concurrent reads agree')

  const tx = createFeeMarket1559Tx(
    { nonce: 0n, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 10n ** 9n, gasLimit: 21_000n, to: new Address(hexToBytes(who as `0x${string}`)), value: 5n },
    { common: makeCommon(2100n) },
  ).sign(devKey(1))
  await n.rpc('eth_sendRawTransaction', [bytesToHex(tx.serialize())])
  const built = await n.produceBlock()
  t.equal(built.block.transactions.length, 1)

  t.equal(BigInt(await n.rpc('eth_getBalance', [who, 'latest'])), before + 5n, 'the new head is read at once')
  t.equal(BigInt(await n.rpc('eth_getBalance', [who, '0x0'])), before, 'the old block keeps its answer')
  t.equal(await n.rpc('eth_getTransactionCount', [devAddress(1), 'latest']), '0x1')
  t.equal(await n.rpc('eth_getTransactionCount', [devAddress(1), '0x0']), '0x0')
  t.equal(await n.rpc('eth_getBalance', ['0x000000000000000000000000000000000000dead', 'latest']), '0x0', 'an absent account')
})
