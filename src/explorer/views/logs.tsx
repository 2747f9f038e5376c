/**
 * A transaction's logs in full: for each, the emitting contract (Enter opens it), the event and
 * its arguments decoded when an ABI knows it (the system contracts' or an `--abi` one), the raw
 * topics and data (in 32-byte words) otherwise — or for every log after `r`. Long values wrap
 * under themselves instead of being cut.
 */
import { useRef, useState } from 'react'
import { useExplorer } from '../context.js'
import { abbreviate, num, thousands, wrap } from '../format.js'
import { loadReceipt } from '../queries.js'
import { useLoader } from '../useLoader.js'
import { heading, statusLines } from './common.js'
import { Scroller, type Line } from './scroller.js'
import type { Decoder } from '../decode.js'

/** hex characters in one 32-byte word of log data */
const WORD_HEX_CHARS = 64

export interface RawLog {
  address: string
  topics: string[]
  data: string
}

/** The lines of log `i`, fitted to `columns` (the selection mark takes 2). */
export function logLines(log: RawLog, i: number, decoder: Decoder, columns: number, raw: boolean): Line[] {
  const width = columns - 2
  const name = decoder.contractName(log.address)
  const ev = decoder.log(log)
  const out: Line[] = [
    {
      text: `${i}: ${abbreviate(log.address, width - 4 - String(i).length - (name ? name.length + 3 : 0))}${name ? `  (${name})` : ''}`,
      bold: true,
      open: { kind: 'account', address: log.address },
      key: `log${i}`,
    },
  ]
  const more = (text: string, extra: Partial<Line> = {}) => out.push({ text, ...extra })
  if (ev !== undefined) {
    more(`   ${ev.contract}.${ev.name}`, { color: 'green' })
    for (const a of ev.args) for (const l of wrap(a.value, width, `     ${a.name} (${a.type}) = `, '       ')) more(l)
  } else more('   no ABI knows this event', { dim: true })
  if (ev === undefined || raw) {
    log.topics.forEach((topic, j) => wrap(topic, width, `     topic${j} `, '            ').forEach((l) => more(l, { dim: true })))
    const hex = log.data.startsWith('0x') ? log.data.slice(2) : log.data
    if (hex.length === 0) more('     data    (none)', { dim: true })
    for (let w = 0; w * WORD_HEX_CHARS < hex.length; w++) {
      const word = hex.slice(w * WORD_HEX_CHARS, (w + 1) * WORD_HEX_CHARS)
      wrap(word, width, `     data[${w}] `, '             ').forEach((l) => more(l, { dim: true }))
    }
  }
  return out
}

export function LogsView({ hash, height, active }: { hash: string; height: number; active: boolean }) {
  const x = useExplorer()
  const [raw, setRaw] = useState(false)
  // until mined, re-ask on every head; then never again
  const mined = useRef(false)
  const { data: r, error, loading } = useLoader(() => loadReceipt(x.client, hash), [hash, mined.current ? 'mined' : x.head])
  mined.current = r != null
  let lines: Line[]
  if (r === undefined) lines = statusLines(loading, error, 'logs')
  else if (r === null) lines = [{ text: `no receipt for ${abbreviate(hash, x.columns - 20)} yet (pending or unknown)`, color: 'yellow' }]
  else {
    const logs: RawLog[] = Array.isArray(r.logs) ? r.logs : []
    lines = [
      heading(`Logs of ${abbreviate(hash, x.columns - 30)}  (${thousands(logs.length)})`),
      { text: `block #${thousands(num(r.blockNumber) ?? 0)}   r: ${raw ? 'decoded only' : 'raw topics and data too'}`, dim: true },
    ]
    if (logs.length === 0) lines.push({ text: 'none', dim: true })
    logs.forEach((log, i) => lines.push(...logLines(log, i, x.decoder, x.columns, raw)))
    if (error !== undefined) lines.push({ text: `last refresh failed: ${error}`, color: 'red' })
  }
  return (
    <Scroller
      lines={lines}
      height={height}
      active={active}
      onOpen={x.open}
      onKey={(input) => {
        if (input === 'r') setRaw(!raw)
      }}
    />
  )
}
