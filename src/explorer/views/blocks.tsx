/** Blocks: the newest blocks (following the head) or an older page (n / p), Enter opens one. */
import { useState } from 'react'
import { useExplorer } from '../context.js'
import { abbreviate, blockTimeMs, fit, formatAge, num, thousands } from '../format.js'
import { loadBlocks } from '../queries.js'
import { useLoader } from '../useLoader.js'
import { statusLines } from './common.js'
import { Scroller, type Line } from './scroller.js'

export function BlocksView({ height, active }: { height: number; active: boolean }) {
  const x = useExplorer()
  // 0: the page follows the head; k: starts k pages below it
  const [page, setPage] = useState(0)
  const count = Math.max(1, height - 1)
  const [anchor, setAnchor] = useState<bigint | undefined>(undefined)
  const top = page === 0 ? x.head : anchor === undefined ? undefined : anchor - BigInt(page * count)
  const { data, error, loading } = useLoader(
    () => (top === undefined || top < 0n ? Promise.resolve([]) : loadBlocks(x.client, top, count)),
    [top === undefined ? undefined : top.toString(), count],
  )
  const w = x.columns - 2
  const hashW = Math.max(12, Math.floor((w - 36) / 2))
  const header: Line = {
    text: `  ${fit('block', 10)}${fit('age', 9)}${fit('txs', 5, 'right')} ${fit('gas used', 11, 'right')}  ${fit('producer', hashW)} ${fit('hash', hashW)}`,
    dim: true,
  }
  let lines: Line[]
  if (data === undefined || (data.length === 0 && (loading || error))) lines = statusLines(loading, error, 'blocks')
  else {
    lines = [
      header,
      ...data.map((b) => {
        const t = blockTimeMs(b)
        return {
          key: b.hash,
          text: `${fit('#' + thousands(num(b.number)!), 10)}${fit(t === undefined ? '' : formatAge(x.now - t), 9)}${fit(String(b.transactions.length), 5, 'right')} ${fit(thousands(num(b.gasUsed) ?? 0), 11, 'right')}  ${fit(abbreviate(b.miner, hashW), hashW)} ${abbreviate(b.hash, hashW)}`,
          open: { kind: 'block' as const, ref: b.number },
          color: b.transactions.length > 0 ? 'green' : undefined,
        }
      }),
    ]
    if (page > 0) lines.push({ text: `page ${page + 1} (n older, p newer, p back to page 1 follows the head)`, dim: true })
  }
  return (
    <Scroller
      lines={lines}
      height={height}
      active={active}
      onOpen={x.open}
      onKey={(input) => {
        if (input === 'n' && top !== undefined && top - BigInt(count) >= 0n) {
          if (page === 0) setAnchor(x.head)
          setPage(page + 1)
        } else if (input === 'p' && page > 0) setPage(page - 1)
      }}
    />
  )
}
