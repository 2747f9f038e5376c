/**
 * eth_feeHistory(blockCount, newestBlock, rewardPercentiles): base fees, gas used ratios and, per
 * block, the tips at the requested percentiles weighted by gas used (as geth computes them);
 * an empty block reports 0 for every percentile, never null. The blob fields (baseFeePerBlobGas,
 * blocks + 1 entries, and blobGasUsedRatio) are zeros: no blobs on this chain.
 */
import { InvalidParamsError } from '../errors.js'
import { requireBlock } from '../blocks.js'
import { hexQ } from '../format.js'
import { arrayOf, blockNumberOrTag, defineMethod, optional, quantityAsNumber, required, type Validator } from '../params.js'
import { effectiveGasPrice } from '../../src/execution/blockExecutor.js'

const MAX_BLOCKS = 1024

const percentile: Validator<number> = (v) => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 100) {
    throw new InvalidParamsError('reward percentile must be a number between 0 and 100')
  }
  return v
}

/** blockCount may be a hex quantity or (as many clients send) a plain number */
const blockCount: Validator<number> = (v) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : quantityAsNumber(v))

export const eth_feeHistory = defineMethod(
  'eth_feeHistory',
  [required(blockCount), required(blockNumberOrTag), optional(arrayOf(percentile, { max: 100 }))],
  async ([count, newest, percentiles], ctx) => {
    const node = ctx.node
    for (let i = 1; i < (percentiles?.length ?? 0); i++) {
      if (percentiles![i] < percentiles![i - 1])
        throw new InvalidParamsError(`invalid reward percentile: #${i - 1}:${percentiles![i - 1]} > #${i}:${percentiles![i]}`)
    }
    const last = await requireBlock(node, newest)
    const n = BigInt(Math.min(count, MAX_BLOCKS))
    const oldest = last.header.number + 1n - n < 0n ? 0n : last.header.number + 1n - n
    const baseFees: string[] = []
    const ratios: number[] = []
    const rewards: string[][] = []
    for (let number = oldest; number <= last.header.number && n > 0n; number++) {
      const h = (await node.chain.headerByNumber(number))!
      baseFees.push(hexQ(h.header.baseFeePerGas))
      ratios.push(Number(h.header.gasUsed) / Number(h.header.gasLimit))
      if (percentiles !== undefined) {
        const txs = (await node.chain.store.getTransactions(h.hash)) ?? []
        const receipts = (await node.chain.store.getReceipts(h.hash)) ?? []
        const paid = txs
          .map((tx, i) => ({ tip: effectiveGasPrice(tx, h.header.baseFeePerGas) - h.header.baseFeePerGas, gas: receipts[i]?.gasUsed ?? 0n }))
          .sort((a, b) => (a.tip < b.tip ? -1 : a.tip > b.tip ? 1 : 0))
        rewards.push(
          percentiles.map((p) => {
            if (paid.length === 0) return '0x0'
            const threshold = (h.header.gasUsed * BigInt(Math.round(p * 1000))) / 100_000n
            let sum = 0n
            for (const t of paid) {
              sum += t.gas
              if (sum >= threshold) return hexQ(t.tip)
            }
            return hexQ(paid[paid.length - 1].tip)
          }),
        )
      }
    }
    // the base fee of the block after the newest: constant, it is the protocol minimum
    if (n > 0n) baseFees.push(hexQ(last.header.baseFeePerGas))
    const out: Record<string, unknown> = {
      oldestBlock: hexQ(n > 0n ? oldest : 0n),
      baseFeePerGas: baseFees,
      gasUsedRatio: ratios,
      // EIP-4844's fields, as geth sends them: the chain carries no blobs, so zeros of the same lengths
      baseFeePerBlobGas: baseFees.map(() => '0x0'),
      blobGasUsedRatio: ratios.map(() => 0),
    }
    if (percentiles !== undefined) out.reward = rewards
    return out
  },
)
