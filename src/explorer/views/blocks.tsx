/**
 * Blocks: the newest blocks (following the head) or an older page (n / p), Enter opens one. The
 * rows come from the block cache, so following the head costs one block per head.
 */
import { useState } from 'react'
import { useExplorer } from '../context.js'
import { abbreviate, blockTimeMs, fit, formatAge, num, thousands } from '../format.js'
import { loadBlocks } from '../queries.js'
import { useLoader } from '../useLoader.js'
import { statusLines } from './common.js'
import { Scroller, type Line } from './scroller.js'

/** the fixed columns of a row: block 10, age 9, txs 5, " " gas used 11, "  ", and " " between producer and hash */
const FIXED_COLUMNS = 10 + 9 + 5 + 1 + 11 + 2 + 1
/** the selection mark ("▶ ") in front of every row */
const MARK_COLUMNS = 2
const ADDRESS_CHARS = 42
const HASH_CHARS = 66
/** the narrowest an abbreviated hash stays recognisable ("0x1234…abcd") */
const MIN_HASH_COLUMNS = 12

/**
 * The producer and hash column widths for a terminal `columns` wide: what is left after the
 * fixed columns, shared evenly, each at most its whole value (an address, a hash) and the hash
 * taking what the producer does not need. A row is then at most `columns` wide (from 65 up; narrower, the screen cuts the hash).
 */
export function blockColumns(columns: number): { producerW: number; hashW: number } {
  const room = Math.max(2 * MIN_HASH_COLUMNS, columns - MARK_COLUMNS - FIXED_COLUMNS)
  const producerW = Math.min(ADDRESS_CHARS, Math.floor(room / 2))
  const hashW = Math.min(HASH_CHARS, room - producerW)
  return { producerW, hashW }
}

export function BlocksView({ height, active }: { height: number; active: boolean }) {
  const x = useExplorer()
  // 0: the page follows the head; k: starts k pages below it
  const [page, setPage] = useState(0)
  const count = Math.max(1, height - 1)
  const [anchor, setAnchor] = useState<bigint | undefined>(undefined)
  const top = page === 0 ? x.head : anchor === undefined ? undefined : anchor - BigInt(page * count)
  const { data, error, loading } = useLoader(
    () => (top === undefined || top < 0n ? Promise.resolve([]) : loadBlocks(x.chain, top, count)),
    [top === undefined ? undefined : top.toString(), count],
  )
  const { producerW, hashW } = blockColumns(x.columns)
  const header: Line = {
    text: `  ${fit('block', 10)}${fit('age', 9)}${fit('txs', 5, 'right')} ${fit('gas used', 11, 'right')}  ${fit('producer', producerW)} ${fit('hash', hashW)}`.trimEnd(),
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
          text: `${fit('#' + thousands(num(b.number)!), 10)}${fit(t === undefined ? '' : formatAge(x.now - t), 9)}${fit(String(b.transactions.length), 5, 'right')} ${fit(thousands(num(b.gasUsed) ?? 0), 11, 'right')}  ${fit(abbreviate(b.miner, producerW), producerW)} ${abbreviate(b.hash, hashW)}`,
          open: { kind: 'block' as const, ref: b.number },
          color: b.transactions.length > 0 ? 'green' : undefined,
        }
      }),
    ]
    if (page > 0)
      lines.push({
        text: `page ${page + 1}${loading ? ' loading…' : ''} (n older, p newer, p back to page 1 follows the head)`,
        dim: !loading,
        color: loading ? 'yellow' : undefined,
      })
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
