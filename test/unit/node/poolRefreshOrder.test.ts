/**
 * The pool takes head views in the order the node's refreshes began (Node.refreshPool). Opening
 * a head's state is async and nothing ordered two of them, so an older view could arrive last and
 * take the pool back: its nonces trailed the chain with the
 * newer block's transactions already dropped, and `eth_getTransactionCount(…, 'pending')` came
 * out one short — a wallet that waits for each receipt and asks for the pending nonce then sent a
 * transaction the pool refused as "nonce too low" (test/e2e/flowEconomics.test.ts, once in CI).
 * Reproduced here by holding the refresh of block 1 until block 2's has been applied.
 */
import t from 'tap'
import { createLegacyTx } from '@ethereumjs/tx'
import { Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import type { BlockHeader } from '../../../src/chain/header.js'
import { makeCommon } from '../../../src/execution/common.js'
import { devAddress, devGenesis, devKey, startNode } from '../../helpers/inProcessNode.js'

t.test("an older head's pool view arriving last does not take the pending nonce back", async (t) => {
  const genesis = devGenesis()
  const common = makeCommon(genesis.chainId)
  const transfer = (nonce: bigint) =>
    bytesToHex(
      createLegacyTx(
        { nonce, gasPrice: genesis.params.minGasPrice, gasLimit: 21_000n, to: new Address(hexToBytes(`0x${'cc'.repeat(20)}`)), value: 1n },
        { common },
      )
        .sign(devKey(1))
        .serialize(),
    )
  const n = await startNode(t, { genesis })
  const chain = n.node.chain
  // the state of block 1 opens only when released (the pool's view of it is what waits)
  let release: () => void = () => {}
  const gate = new Promise<void>((r) => (release = r))
  let heldDone: () => void = () => {}
  const held = new Promise<void>((r) => (heldDone = r))
  const stateAt = chain.stateAt.bind(chain)
  chain.stateAt = async (h: BlockHeader) => {
    if (h.number !== 1n) return stateAt(h)
    await gate
    const sm = await stateAt(h)
    setImmediate(heldDone) // after the view it makes has been handed on
    return sm
  }
  const produce = async () => {
    const ts = chain.head.header.timestamp + BigInt(genesis.params.blockIntervalMs)
    await chain.produceBlock(devKey(0), ts, n.node.txpool.selectForBlock(genesis.params.blockGasLimit))
  }
  await n.rpc('eth_sendRawTransaction', [transfer(0n)])
  await produce() // block 1 holds nonce 0; the pool's refresh for it waits at the gate
  await n.rpc('eth_sendRawTransaction', [transfer(1n)])
  await produce() // block 2 holds nonce 1; its refresh goes through
  const pending = () => n.rpc('eth_getTransactionCount', [devAddress(1), 'pending'])
  for (let i = 0; i < 200 && n.node.txpool.status().pending > 0; i++) await new Promise((r) => setTimeout(r, 5))
  t.equal(n.node.txpool.status().pending, 0, "block 2's refresh dropped both mined transactions")
  t.equal(await pending(), '0x2', 'pending nonce 2 after block 2')
  release()
  await held
  await new Promise((r) => setImmediate(r))
  t.equal(await n.rpc('eth_getTransactionCount', [devAddress(1), 'latest']), '0x2', 'latest: 2')
  t.equal(await pending(), '0x2', "block 1's view, arriving last, did not take the pending nonce back to 1")
  await n.rpc('eth_sendRawTransaction', [transfer(2n)])
  t.equal(await pending(), '0x3', 'and the next transaction (nonce 2) is taken')
})
