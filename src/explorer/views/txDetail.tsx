/**
 * One transaction: status (with the revert reason when it failed), where it is, from/to (Enter
 * opens the account or block line under the cursor), value, gas and fee, the input decoded when
 * an ABI knows it, and the logs (decoded when an ABI knows the event).
 */
import { useRef } from 'react'
import { useExplorer } from '../context.js'
import { abbreviate, big, blockTimeMs, clip, formatGwei, formatNfc, formatTimeAndAge, num, thousands } from '../format.js'
import { loadTx } from '../queries.js'
import { useLoader } from '../useLoader.js'
import { field, heading, statusLines } from './common.js'
import { Scroller, type Line } from './scroller.js'

export function TxDetailView({ hash, height, active }: { hash: string; height: number; active: boolean }) {
  const x = useExplorer()
  // until mined, re-ask on every head; then once more and never again
  const mined = useRef(false)
  const { data: d, error, loading } = useLoader(() => loadTx(x.client, hash, x.decoder), [hash, mined.current ? 'mined' : x.head])
  mined.current = d?.receipt != null
  let lines: Line[]
  if (d === undefined || d === null) {
    lines = d === null ? [{ text: `no transaction ${hash} on this node`, color: 'yellow' }] : statusLines(loading, error, 'transaction')
  } else {
    const { tx, receipt: r, block } = d
    const w = x.columns - 18
    const status = r === null ? 'pending' : big(r.status) === 1n ? 'success' : 'failed'
    const t = block ? blockTimeMs(block) : undefined
    const gasUsed = big(r?.gasUsed)
    const price = big(r?.effectiveGasPrice ?? tx.gasPrice)
    const toName = x.decoder.contractName(tx.to)
    lines = [
      heading('Transaction'),
      field('Hash', abbreviate(tx.hash, w)),
      field('Status', status, 16, { color: status === 'success' ? 'green' : status === 'failed' ? 'red' : 'yellow', bold: true }),
    ]
    if (d.revertReason !== undefined) lines.push(field('Revert reason', clip(d.revertReason, w), 16, { color: 'red' }))
    if (tx.blockNumber) {
      lines.push(
        field('Block', `#${thousands(num(tx.blockNumber)!)}  (index ${num(tx.transactionIndex)})`, 16, {
          open: { kind: 'block', ref: tx.blockNumber },
          key: 'block',
        }),
      )
    }
    if (t !== undefined) lines.push(field('Time', formatTimeAndAge(t, x.now)))
    lines.push(
      field('From', abbreviate(tx.from, w), 16, { open: { kind: 'account', address: tx.from }, key: 'from' }),
      tx.to
        ? field('To', `${abbreviate(tx.to, w - (toName ? toName.length + 3 : 0))}${toName ? `  (${toName})` : ''}`, 16, {
            open: { kind: 'account', address: tx.to },
            key: 'to',
          })
        : field(
            'To',
            r?.contractAddress ? `create → ${abbreviate(r.contractAddress, w - 9)}` : 'contract creation',
            16,
            r?.contractAddress ? { open: { kind: 'account', address: r.contractAddress }, key: 'to' } : {},
          ),
      field('Value', formatNfc(tx.value, 18)),
      field('Nonce', String(num(tx.nonce))),
      field('Gas', `${gasUsed === undefined ? '—' : thousands(gasUsed)} used of ${thousands(big(tx.gas) ?? 0n)} limit`),
      field('Gas price', formatGwei(price)),
      field('Fee', gasUsed === undefined || price === undefined ? '—' : formatNfc(gasUsed * price, 18)),
      field('Type', String(num(tx.type) ?? 0)),
    )
    // input
    const call = x.decoder.input(tx.to, tx.input)
    if (call) {
      lines.push(heading(`Input: ${call.contract}.${call.signature}`))
      for (const a of call.args) lines.push({ text: clip(`  ${a.name} (${a.type}) = ${a.value}`, x.columns - 2) })
    } else if (tx.input && tx.input !== '0x') {
      lines.push(heading(`Input (${(tx.input.length - 2) / 2} bytes, no ABI knows it)`))
      lines.push({ text: clip('  ' + tx.input, x.columns - 2), dim: true })
    } else lines.push(field('Input', 'none'))
    // logs
    const logs: Record<string, any>[] = r?.logs ?? []
    lines.push({
      ...heading(`Logs (${logs.length})${logs.length > 0 ? '  Enter: all of them in full' : ''}`),
      ...(logs.length > 0 ? { open: { kind: 'logs' as const, hash: tx.hash }, key: 'logs' } : {}),
    })
    logs.forEach((log, i) => {
      const ev = x.decoder.log({ address: log.address, topics: log.topics, data: log.data })
      const from = `${abbreviate(log.address, 20)}${x.decoder.contractName(log.address) ? ` (${x.decoder.contractName(log.address)})` : ''}`
      if (ev) {
        lines.push({ text: clip(`  ${i}: ${from}  ${ev.contract}.${ev.name}`, x.columns - 2), key: `log${i}` })
        for (const a of ev.args) lines.push({ text: clip(`       ${a.name} = ${a.value}`, x.columns - 2), key: `log${i}.${a.name}` })
      } else {
        lines.push({ text: clip(`  ${i}: ${from}`, x.columns - 2), key: `log${i}` })
        log.topics.forEach((topic: string, j: number) =>
          lines.push({ text: clip(`       topic${j} ${topic}`, x.columns - 2), dim: true, key: `log${i}.t${j}` }),
        )
        lines.push({ text: clip(`       data ${log.data}`, x.columns - 2), dim: true, key: `log${i}.d` })
      }
    })
    if (error !== undefined) lines.push({ text: `last refresh failed: ${error}`, color: 'red' })
  }
  return <Scroller lines={lines} height={height} active={active} onOpen={x.open} />
}
