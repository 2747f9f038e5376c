/** `?`: the keys. */
import { Scroller, type Line } from './scroller.js'

export const HELP_LINES: string[] = [
  'Keys',
  '  1 … 9, Tab          Dashboard / Blocks / Witnesses / Flow / Account /',
  '                      Gov(ernance) / Storage (deals, offers) / Channels (payment) / Names',
  '  j k, ↓ ↑            move (or scroll)            Space, PgDn / PgUp  a page',
  '  Enter, l, →         open the line under the cursor',
  '  Esc, h, ←           back',
  '  /                   search: block number, block or tx hash, address, name',
  '  n p                 next / previous page (Blocks, account history, proposals, deals,',
  '                      channels, names)',
  "  r                   a transaction's logs: raw topics and data too",
  '  g G                 first / last line',
  '  ?                   this help (any key closes it)',
  '  q                   quit',
]

export function HelpView({ height }: { height: number }) {
  const lines: Line[] = HELP_LINES.map((text, i) => ({ text, bold: i === 0, color: i === 0 ? 'cyan' : undefined }))
  return <Scroller lines={lines} height={height} active={false} onOpen={() => {}} />
}
