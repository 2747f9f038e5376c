/**
 * The O(1) lookups answer byte for byte what the whole-block path answers (issue 14): the same
 * JSON for every receipt and transaction method, from the receipt records (cached and cold) and,
 * after the records are deleted as in a data directory written before them, from the old path.
 */
import t from 'tap'
import { createFeeMarket1559Tx, createLegacyTx, type TypedTransaction } from '@ethereumjs/tx'
import { Address, bytesToHex, createContractAddress, hexToBytes } from '@ethereumjs/util'
import { Interface } from 'ethers'
import { openDatabase } from '../../../src/chain/blockStore.js'
import { makeCommon } from '../../../src/execution/common.js'
import { devAddress, devKey, probeContract, startNode, tempDir, type InProcessNode } from '../../helpers/inProcessNode.js'
import path from 'node:path'

const common = makeCommon(2100n)
const probe = probeContract()
const iface = new Interface(probe.abi as never)
const R = 0x52

async function answers(n: InProcessNode, hashes: string[], blocks: string[]): Promise<string> {
  const out: unknown[] = []
  for (const h of hashes) out.push(await n.rpc('eth_getTransactionReceipt', [h]), await n.rpc('eth_getTransactionByHash', [h]))
  for (const b of blocks) {
    out.push(await n.rpc('eth_getBlockReceipts', [b]))
    for (let i = 0; i < 6; i++) {
      out.push(await n.rpc('eth_getTransactionByBlockNumberAndIndex', [b, `0x${i.toString(16)}`]))
      const blk = await n.rpc('eth_getBlockByNumber', [b, false])
      out.push(await n.rpc('eth_getTransactionByBlockHashAndIndex', [blk.hash, `0x${i.toString(16)}`]))
    }
  }
  return JSON.stringify(out)
}

t.test('receipt and transaction lookups: records, cold records and the old path give the same JSON', async (t) => {
  const datadir = tempDir(t)
  let n = await startNode(t, { datadir })
  const to = new Address(hexToBytes(devAddress(7) as `0x${string}`))
  const deployer = new Address(hexToBytes(devAddress(1) as `0x${string}`))
  const contract = createContractAddress(deployer, 0n)
  const send = async (tx: TypedTransaction) => (await n.rpc('eth_sendRawTransaction', [bytesToHex(tx.serialize())])) as string
  const fee = { maxFeePerGas: 10_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n }
  const hashes: string[] = []
  // block 1: a deployment and transfers; block 2: calls that log (two logs each), a transfer between them, a revert
  hashes.push(await send(createFeeMarket1559Tx({ nonce: 0n, gasLimit: 1_000_000n, data: probe.bytecode, ...fee }, { common }).sign(devKey(1))))
  hashes.push(await send(createLegacyTx({ nonce: 0n, gasPrice: 2_000_000_000n, gasLimit: 21_000n, to, value: 5n }, { common }).sign(devKey(2))))
  await n.produceBlock()
  const call = (nonce: bigint, fn: string, args: unknown[]) =>
    createFeeMarket1559Tx(
      { nonce, gasLimit: 200_000n, to: contract, data: hexToBytes(iface.encodeFunctionData(fn, args) as `0x${string}`), ...fee },
      { common },
    ).sign(devKey(3))
  hashes.push(await send(call(0n, 'store', [7])))
  hashes.push(await send(createLegacyTx({ nonce: 1n, gasPrice: 2_000_000_000n, gasLimit: 21_000n, to, value: 5n }, { common }).sign(devKey(2))))
  hashes.push(await send(call(1n, 'store', [8])))
  hashes.push(await send(call(2n, 'fail', ['no'])))
  await n.produceBlock()
  const blocks = ['0x1', '0x2']
  const r = await n.rpc('eth_getTransactionReceipt', [hashes[4]])
  t.same(
    r.logs.map((l: { logIndex: string }) => l.logIndex),
    ['0x2', '0x3'],
    'the second logging call of block 2 has log indexes 2 and 3',
  )
  t.equal(r.contractAddress, null)
  t.equal((await n.rpc('eth_getTransactionReceipt', [hashes[0]])).contractAddress, contract.toString(), 'the deployment names its contract')

  const cached = await answers(n, hashes, blocks)
  await n.close()
  n = await startNode(t, { datadir })
  const cold = await answers(n, hashes, blocks)
  t.equal(cold, cached, 'cold records answer as the cache did')
  await n.close()

  // a data directory from before the records: delete them
  const db = await openDatabase(path.join(datadir, 'chaindata'))
  let deleted = 0
  for await (const k of db.keys({ gte: Uint8Array.of(R), lt: Uint8Array.of(R + 1) })) {
    await db.del(k)
    deleted++
  }
  await db.close()
  t.equal(deleted, hashes.length, 'one record per transaction was stored')
  n = await startNode(t, { datadir })
  t.equal(await answers(n, hashes, blocks), cached, 'the old path answers the same')
})
