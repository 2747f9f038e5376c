/**
 * The one list widget: a column of pre-formatted lines, cut to the height there is, where the
 * lines that lead somewhere (`open`) can be selected with j/k or the arrows and opened with
 * Enter / l / →. Selection follows a line's key, so a list that grows at the top (new blocks)
 * does not move the cursor off the block the user is on.
 */
import { useRef, useState } from 'react'
import { Box, Text } from 'ink'
import { useKeys } from '../useKeys.js'
import type { Screen } from '../context.js'

export interface Line {
  text: string
  key?: string
  color?: string
  bold?: boolean
  dim?: boolean
  /** highlighted regardless of the cursor (e.g. the current slot's witness) */
  mark?: boolean
  open?: Screen
}

export interface ScrollerProps {
  lines: Line[]
  height: number
  active: boolean
  onOpen(screen: Screen): void
  /** extra keys the view handles (n/p paging …) */
  onKey?(input: string): void
}

const keyOf = (l: Line, i: number) => l.key ?? (l.open ? JSON.stringify(l.open) : `#${i}`)

export function Scroller({ lines, height, active, onOpen, onKey }: ScrollerProps) {
  const selectable = lines.map((l, i) => (l.open ? i : -1)).filter((i) => i >= 0)
  const [selKey, setSelKey] = useState<string | undefined>(undefined)
  const [selPos, setSelPos] = useState(0)
  const [top, setTop] = useState(0)

  // the selected position: where the selected key is now, else the same position as before
  let pos = selKey === undefined ? -1 : selectable.findIndex((i) => keyOf(lines[i]!, i) === selKey)
  if (pos < 0) pos = Math.min(selPos, selectable.length - 1)
  const selLine = pos >= 0 ? selectable[pos] : undefined
  const rows = Math.max(1, height)
  const maxTop = Math.max(0, lines.length - rows)
  const shownTop = Math.min(top, maxTop)

  // the handler reads and writes this ref, not the render's values: keys that arrive faster
  // than Ink re-renders (key repeat, a test writing several) must each move from the last one
  const cur = useRef({ pos, top: shownTop })
  cur.current = { pos, top: shownTop }

  // moving the cursor scrolls it into view; past the last selectable line, j/k just scroll
  const select = (p: number) => {
    if (selectable.length === 0) return
    const q = Math.max(0, Math.min(selectable.length - 1, p))
    const line = selectable[q]!
    let t = cur.current.top
    if (line < t) t = q === 0 ? 0 : line
    else if (line >= t + rows) t = line - rows + 1
    cur.current = { pos: q, top: t }
    setSelPos(q)
    setSelKey(keyOf(lines[line]!, line))
    setTop(t)
  }
  const scroll = (d: number) => {
    const t = Math.max(0, Math.min(maxTop, cur.current.top + d))
    cur.current = { ...cur.current, top: t }
    setTop(t)
  }
  useKeys((input, key) => {
    const page = Math.max(1, rows - 1)
    const last = selectable.length - 1
    const { pos, top } = cur.current
    const sel = pos >= 0 ? selectable[pos] : undefined
    if (key.downArrow || input === 'j') {
      if (pos < last) select(pos + 1)
      else scroll(1)
    } else if (key.upArrow || input === 'k') {
      if (pos > 0 && (sel === undefined || sel >= top)) select(pos - 1)
      else scroll(-1)
    } else if (key.pageDown || input === ' ') {
      if (pos < last) select(pos + page)
      else scroll(page)
    } else if (key.pageUp) {
      if (pos > 0) select(pos - page)
      else scroll(-page)
    } else if (input === 'g') {
      select(0)
      scroll(-lines.length)
    } else if (input === 'G') {
      select(last)
      scroll(lines.length)
    } else if (key.return || input === 'l' || key.rightArrow) {
      const at = pos >= 0 ? selectable[pos] : undefined
      const l = at === undefined ? undefined : lines[at]
      if (l?.open) onOpen(l.open)
    } else onKey?.(input)
  }, active)

  const shown = lines.slice(shownTop, shownTop + rows)
  return (
    <Box flexDirection="column" height={rows} overflow="hidden">
      {shown.map((l, j) => {
        const i = shownTop + j
        const selected = i === selLine
        return (
          <Text key={j} wrap="truncate" color={selected ? undefined : l.color} bold={l.bold || l.mark} dimColor={l.dim} inverse={selected}>
            {(l.open ? (selected ? '▶ ' : '  ') : '') + (l.text === '' ? ' ' : l.text)}
          </Text>
        )
      })}
    </Box>
  )
}
