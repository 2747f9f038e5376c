/** One block: its header fields and its transactions (Enter opens one; the parent and producer lines open too). */
import { useExplorer } from '../context.js'
import { abbreviate, blockTimeMs, clip, fit, formatGwei, formatNfc, formatTimeAndAge, num, thousands } from '../format.js'
import { loadBlock } from '../queries.js'
import { useLoader } from '../useLoader.js'
import { field, heading, statusLines } from './common.js'
import { Scroller, type Line } from './scroller.js'

/** the method column of a transaction row (a decoded name, "transfer", "create" or a selector) */
const METHOD_COLUMNS = 14

export function BlockDetailView({ blockRef, height, active }: { blockRef: string; height: number; active: boolean }) {
  const x = useExplorer()
  const { data: b, error, loading } = useLoader(() => loadBlock(x.client, blockRef), [blockRef])
  let lines: Line[]
  if (b === undefined || b === null) {
    lines = b === null ? [{ text: `no block ${blockRef} on this node`, color: 'yellow' }] : statusLines(loading, error, 'block')
  } else {
    const w = x.columns - 18
    const t = blockTimeMs(b)
    // mark 2, separators 6, value 14, method METHOD_COLUMNS: the rest is shared by hash, from and to
    const txW = Math.max(10, Math.floor((x.columns - 22 - METHOD_COLUMNS) / 3))
    lines = [
      heading(`Block #${thousands(num(b.number)!)}`),
      field('Hash', abbreviate(b.hash, w)),
      field('Parent', abbreviate(b.parentHash, w), 16, num(b.number)! > 0 ? { open: { kind: 'block', ref: b.parentHash }, key: 'parent' } : {}),
      field('Time', t === undefined ? '—' : formatTimeAndAge(t, x.now)),
      field('Producer', abbreviate(b.miner, w), 16, { open: { kind: 'account', address: b.miner }, key: 'producer' }),
      field('Gas used', `${thousands(num(b.gasUsed) ?? 0)} of ${thousands(num(b.gasLimit) ?? 0)}`),
      field('Base fee', formatGwei(b.baseFeePerGas)),
      field('Size', `${thousands(num(b.size) ?? 0)} bytes`),
      heading(`Transactions (${b.transactions.length})`),
    ]
    if (b.transactions.length === 0) lines.push({ text: 'none', dim: true })
    for (const tx of b.transactions as Record<string, any>[]) {
      const call = x.decoder.input(tx.to, tx.input)
      const what = call ? call.name : tx.to === null ? 'create' : tx.input && tx.input !== '0x' ? tx.input.slice(0, 10) : 'transfer'
      lines.push({
        key: tx.hash,
        text: `${fit(abbreviate(tx.hash, txW), txW)} ${fit(abbreviate(tx.from, txW), txW)} → ${fit(abbreviate(tx.to ?? 'create', txW), txW)} ${fit(formatNfc(tx.value, 4), 14, 'right')} ${clip(what, METHOD_COLUMNS)}`,
        open: { kind: 'tx', hash: tx.hash },
      })
    }
  }
  return <Scroller lines={lines} height={height} active={active} onOpen={x.open} />
}
