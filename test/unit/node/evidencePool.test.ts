/**
 * DESIGN §12: the first valid evidence is applied; a duplicate is refused by the pool before it
 * executes. A node's eth_sendRawTransaction path (Node.sendRawTransaction, what the RPC method
 * calls) takes the first double-production proof, the next block applies it, and the same proof
 * from another account is then refused with "evidence already applied" (JSON-RPC −32000): not
 * pooled, no nonce used, no gas spent.
 */
import t from 'tap'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { Address, hexToBytes } from '@ethereumjs/util'
import { devnetGenesis } from '../../../src/cli/devnetGenesis.js'
import { encodeHeader, signHeader, type BlockHeader } from '../../../src/chain/header.js'
import { parseGenesis } from '../../../src/chain/genesis.js'
import { SYSTEM_CONTRACTS } from '../../../src/chain/systemAddresses.js'
import { encodeCall } from '../../../src/execution/system/abi.js'
import { EVIDENCE_ALREADY_APPLIED } from '../../../src/execution/system/evidencePrecheck.js'
import { Node } from '../../../src/node/node.js'
import { TxPoolErrorCode } from '../../../src/txpool/errors.js'
import { silentLogger } from '../../../src/util/logger.js'
import { toJsonRpcError } from '../../../rpc/errors.js'
import { devAddress, devKey, tempDir } from '../../helpers/inProcessNode.js'

const T = 1_800_000_000_000

function header(timestamp: bigint, number: bigint): Uint8Array {
  const h: BlockHeader = {
    parentHash: new Uint8Array(32).fill(1),
    number,
    timestamp,
    producer: hexToBytes(devAddress(0) as `0x${string}`),
    stateRoot: new Uint8Array(32).fill(2),
    transactionsRoot: new Uint8Array(32),
    receiptsRoot: new Uint8Array(32),
    logsBloom: new Uint8Array(256),
    gasLimit: 30_000_000n,
    gasUsed: 0n,
    baseFeePerGas: 1_000_000_000n,
    flowRoot: new Uint8Array(32),
    confirmationsRoot: new Uint8Array(32),
    signature: new Uint8Array(0),
  }
  return encodeHeader(signHeader(h, devKey(0)))
}

t.test('a duplicate double-production proof is refused at eth_sendRawTransaction once the first is applied', async (t) => {
  const genesis = parseGenesis(devnetGenesis({ nodes: 1, timestamp: T }).doc)
  // the node's clock sits before genesis: its slot producer sleeps, the test makes the blocks
  const node = await Node.init({ genesis, datadir: tempDir(t), witnessKey: devKey(0), logger: silentLogger, now: () => T - 3_600_000, recoverThreads: 1 })
  t.teardown(() => node.close())
  await node.chain.produceBlock(devKey(0), BigInt(T) + 1000n, [])

  const slot1 = BigInt(T) + 1000n
  const data = encodeCall('submitDoubleProduction(bytes,bytes)', [header(slot1, 1n), header(slot1, 2n)])
  const evidenceTx = (from: number) =>
    createFeeMarket1559Tx(
      {
        nonce: 0n,
        to: new Address(hexToBytes(SYSTEM_CONTRACTS.evidence as `0x${string}`)),
        data,
        gasLimit: 300_000n,
        maxFeePerGas: 10_000_000_000n,
        maxPriorityFeePerGas: 1_000_000_000n,
        chainId: node.chain.common.chainId(),
      },
      { common: node.chain.common },
    )
      .sign(devKey(from))
      .serialize()

  await node.sendRawTransaction(evidenceTx(1))
  const block = await node.chain.produceBlock(devKey(0), BigInt(T) + 2000n, node.txpool.selectForBlock(genesis.params.blockGasLimit))
  t.equal(block.block.transactions.length, 1, 'the first proof is in the next block')
  t.equal(block.receipts[0]!.status, 1, 'and applied')

  const state = async () => {
    const sm = await node.chain.stateAt(node.chain.head.header)
    const acct = await sm.getAccount(new Address(hexToBytes(devAddress(2) as `0x${string}`)))
    return { nonce: acct?.nonce ?? 0n, balance: acct?.balance ?? 0n }
  }
  const before = await state()
  const err = await node.sendRawTransaction(evidenceTx(2)).then(
    () => undefined,
    (e: unknown) => e,
  )
  t.match(err, { code: TxPoolErrorCode.PRECHECK_REFUSED, message: EVIDENCE_ALREADY_APPLIED }, 'refused by the pool')
  t.match(toJsonRpcError(err, silentLogger, { method: 'eth_sendRawTransaction' }), { code: -32000, message: 'evidence already applied' })
  t.equal(node.txpool.status().pending + node.txpool.status().queued, 0, 'nothing pooled')
  t.same(await state(), before, 'no nonce used, no gas spent')
})
