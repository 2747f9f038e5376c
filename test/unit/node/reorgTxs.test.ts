/**
 * A reorg's transactions go back to the pool oldest block first (src/node/reorgTxs.ts): every
 * sender's nonces return in order, so a reorg of full blocks does not fill the pool's queue with
 * later nonces and lose what it then refuses.
 */
import t from 'tap'
import { createLegacyTx, type TypedTransaction } from '@ethereumjs/tx'
import { Address, hexToBytes } from '@ethereumjs/util'
import { makeCommon } from '../../../src/execution/common.js'
import { ReorgTxs } from '../../../src/node/reorgTxs.js'
import { TxPool } from '../../../src/txpool/txPool.js'
import { devGenesis, devKey } from '../../helpers/inProcessNode.js'

const genesis = devGenesis()
const common = makeCommon(genesis.chainId)
const to = new Address(hexToBytes(`0x${'cc'.repeat(20)}`))
const transfers = (from: number, nonces: number[]): TypedTransaction[] =>
  nonces.map((n) => createLegacyTx({ nonce: BigInt(n), gasPrice: genesis.params.minGasPrice, gasLimit: 21_000n, to, value: 1n }, { common }).sign(devKey(from)))
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i)

/** a pool with room for `globalQueue` queued transactions, every sender at nonce 0 and funded */
const pool = (globalQueue: number) =>
  new TxPool(
    { common, minGasPrice: genesis.params.minGasPrice, blockGasLimit: genesis.params.blockGasLimit, globalQueue },
    { getNonce: async () => 0n, getBalance: async () => 10n ** 24n },
  )

/** two senders, three removed blocks, reported newest first as the chain does */
const older = [...transfers(1, range(0, 10)), ...transfers(2, range(0, 10))]
const middle = [...transfers(1, range(10, 20)), ...transfers(2, range(10, 20))]
const newest = [...transfers(1, range(20, 30)), ...transfers(2, range(20, 30))]

t.test('oldest block first, each block in its order', async (t) => {
  const r = new ReorgTxs()
  r.removed(newest)
  r.removed([])
  r.removed(middle)
  r.removed(older)
  t.equal(r.size, 3, 'empty blocks are not kept')
  t.same(r.take(), [...older, ...middle, ...newest])
  t.equal(r.size, 0, 'taken: forgotten')
  t.same(r.take(), [])
})

t.test('back into a pool with little queue room: all executable, none refused (newest first lost some)', async (t) => {
  const addAll = async (p: TxPool, txs: TypedTransaction[]) => {
    let refused = 0
    for (const tx of txs) await p.add(tx).catch(() => refused++)
    return refused
  }
  const r = new ReorgTxs()
  for (const b of [newest, middle, older]) r.removed(b)
  const inOrder = pool(8)
  t.equal(await addAll(inOrder, r.take()), 0, 'none refused')
  t.same(inOrder.status(), { pending: 60, queued: 0 }, 'all 60 executable')

  const reported = pool(8)
  const lost = await addAll(reported, [...newest, ...middle, ...older])
  t.ok(lost > 0, `in the order the chain reports blocks, ${lost} were refused for want of queue room`)
})
