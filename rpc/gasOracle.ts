/**
 * Tip suggestions for wallets, after geth's gas price oracle: the 60th percentile of the tips
 * paid in the last 20 blocks; 1 gwei when those blocks carry no transactions. The base fee is the
 * protocol minimum gas price and never moves.
 */
import type { NodeApi } from '../src/node/interface.js'
import { effectiveGasPrice } from '../src/execution/blockExecutor.js'

const BLOCKS = 20n
const PERCENTILE = 60
export const DEFAULT_TIP = 1_000_000_000n

let cache: { head: string; tip: bigint } | undefined

export async function suggestTip(node: NodeApi): Promise<bigint> {
  const head = node.head
  const key = Buffer.from(head.hash).toString('hex')
  if (cache?.head === key) return cache.tip
  const tips: bigint[] = []
  for (let n = head.header.number; n > 0n && n > head.header.number - BLOCKS; n--) {
    const h = await node.chain.headerByNumber(n)
    if (h === undefined) break
    const txs = (await node.chain.store.getTransactions(h.hash)) ?? []
    for (const tx of txs) tips.push(effectiveGasPrice(tx, h.header.baseFeePerGas) - h.header.baseFeePerGas)
  }
  tips.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  const tip = tips.length === 0 ? DEFAULT_TIP : tips[Math.floor(((tips.length - 1) * PERCENTILE) / 100)]
  cache = { head: key, tip }
  return tip
}
