/**
 * One account: balance, nonce, code size, DPoS votes, NodeRegistry pledge, flow rewards, NB
 * balance and fuel escrows, and its transaction history a page at a time (n older, p newer; Enter
 * opens a transaction). Methods a node may not have yet (flow_getRewards,
 * nfc_getTransactionsByAddress) say so.
 */
import { useRef } from 'react'
import { useExplorer, type Screen } from '../context.js'
import { abbreviate, fit, formatAge, formatLocalTime, formatNb, formatNfc, num, thousands } from '../format.js'
import { HISTORY_PAGE, loadAccount, type Escrow, type Escrows, type Part } from '../queries.js'
import { useLoader } from '../useLoader.js'
import { useHeadRefresh } from '../useHeadRefresh.js'
import { usePages } from '../usePages.js'
import { field, heading, partProblem, statusLines } from './common.js'
import { Scroller, type Line } from './scroller.js'

const ROLES = ['none', 'RN (root node)', 'CN', 'EN']
/** escrow lines shown at most; the rest is "+N more" */
const ESCROWS_SHOWN = 8

/** The value column for a Part that did not come. */
const unavailable = (p: Part<unknown> & { ok: false }): string => (p.missing ? 'not available on this node' : `unavailable (${p.error})`)

/**
 * The fuel escrows, one line per provider: the provider (cut to the room left), the amount and, when
 * a release is pending, when it can be withdrawn — with the time left too where the width allows.
 */
function escrowLines(p: Part<Escrows>, columns: number, now: number): Line[] {
  if (!p.ok) return [field('Fuel escrows', unavailable(p))]
  const { escrows, unchecked } = p.value
  const notChecked = unchecked > 0 ? `, ${thousands(unchecked)} more provider(s) not checked` : ''
  const out = [field('Fuel escrows', `${escrows.length === 0 ? 'none' : `${thousands(escrows.length)} as consumer`}${notChecked}`)]
  const shown = escrows.slice(0, ESCROWS_SHOWN)
  const amounts = shown.map((e) => formatNb(e.amount))
  const amountW = Math.max(0, ...amounts.map((s) => s.length))
  const release = (e: Escrow, withWait: boolean): string => {
    if (e.releaseAt === 0n) return ''
    const t = Number(e.releaseAt)
    const wait = !withWait ? '' : t > now ? ` (in ${formatAge(t - now)})` : ' (now)'
    return `withdrawable from ${formatLocalTime(t)}${wait}`
  }
  // the room after the selection mark ("▶ ") with one column spare; "  → " + address + "  " + amount [+ "  " + release]
  const room = columns - 3
  const addressRoom = (withWait: boolean) => {
    const rel = Math.max(0, ...shown.map((e) => release(e, withWait).length))
    return room - 4 - 2 - amountW - (rel > 0 ? 2 + rel : 0)
  }
  const withWait = addressRoom(true) >= 20
  const aw = Math.max(13, Math.min(42, addressRoom(withWait)))
  shown.forEach((e, i) => {
    const rel = release(e, withWait)
    out.push({
      text: `  → ${fit(abbreviate(e.provider, aw), aw)}  ${fit(amounts[i]!, amountW, 'right')}${rel ? '  ' + rel : ''}`.trimEnd(),
      open: { kind: 'account', address: e.provider },
      key: `escrow${e.provider}`,
    })
  })
  if (escrows.length > shown.length) out.push({ text: `  +${thousands(escrows.length - shown.length)} more`, dim: true })
  return out
}

/** Lines that open the account's storage deals, payment channels and names (the lists filtered to it). */
function relatedLines(address: string): Line[] {
  const link = (label: string, text: string, open: Screen, key: string): Line => field(label, `${text} ›`, 16, { open, key })
  return [
    link('Storage deals', 'as client', { kind: 'deals', client: address }, 'dealsClient'),
    link('', 'as provider', { kind: 'deals', provider: address }, 'dealsProvider'),
    link('Channels', 'as consumer or provider', { kind: 'channels', address }, 'channels'),
    link('Names', 'owned', { kind: 'names', owner: address }, 'names'),
  ]
}

export function AccountView({ address, height, active }: { address?: string; height: number; active: boolean }) {
  const x = useExplorer()
  // an empty block that this account did not produce changes nothing shown but pending rewards: skip it (refreshed every 10 s)
  // (and on the next head after a failed load: the last answer is from the render before)
  const failed = useRef(false)
  const head = useHeadRefresh((b) => b.miner?.toLowerCase() === address?.toLowerCase(), failed.current)
  // the history's pages: null (newest), then each page's next
  const pages = usePages<string | null>(null)
  const cursor = pages.cursor
  const {
    data: a,
    error,
    loading,
  } = useLoader(() => (address === undefined ? Promise.resolve(undefined) : loadAccount(x.client, address, cursor, HISTORY_PAGE)), [address, cursor, head])
  failed.current = error !== undefined
  if (address === undefined) {
    const hint: Line[] = [
      { text: 'No account selected.' },
      { text: 'Press / and type an address (0x + 40 hex), or open one from a block or transaction.', dim: true },
    ]
    return <Scroller lines={hint} height={height} active={active} onOpen={x.open} />
  }
  let lines: Line[]
  if (a === undefined) lines = statusLines(loading, error, 'account')
  else {
    lines = [
      heading(`Account ${abbreviate(a.address, x.columns - 10)}`),
      field('Balance', a.balance === undefined ? '—' : formatNfc(a.balance, 18)),
      field('Nonce', a.nonce === undefined ? '—' : thousands(a.nonce)),
      field(
        'Code',
        a.codeSize === undefined
          ? '—'
          : a.codeSize === 0
            ? 'none (externally owned)'
            : `${thousands(a.codeSize)} bytes${x.decoder.contractName(a.address) ? ` (system contract ${x.decoder.contractName(a.address)})` : ''}`,
      ),
    ]
    // votes
    const votesProblem = partProblem(a.votes, 'votes')
    if (votesProblem) lines.push(field('Votes', votesProblem.replace(/^votes: /, '')))
    else if (a.votes.ok) {
      const v = a.votes.value
      lines.push(field('Votes', `${formatNfc(v.total ?? '0x0')} on ${v.positions?.length ?? 0} candidate(s)`))
      for (const p of v.positions ?? []) {
        lines.push({
          text: `  → ${abbreviate(p.candidate, 24)}  ${formatNfc(p.votes)}  reward ${formatNfc(p.pendingReward ?? '0x0')}`,
          open: { kind: 'account', address: p.candidate },
          key: `vote${p.candidate}`,
        })
      }
      for (const u of v.unbonding ?? []) {
        const t = num(u.releaseTime)
        lines.push({ text: `  unbonding ${formatNfc(u.amount)} until ${t === undefined ? '?' : formatLocalTime(t)}`, dim: true })
      }
    }
    // pledge
    if (!a.pledge.ok) lines.push(field('Pledge', partProblem(a.pledge, 'pledge')!.replace(/^pledge: /, '')))
    else {
      const p = a.pledge.value
      lines.push(
        field(
          'Pledge',
          p.role === 0 && p.pledge === 0n
            ? 'none'
            : `${ROLES[p.role] ?? `role ${p.role}`}  ${formatNfc(p.pledge)}${p.exitTime > 0n ? `  exited ${formatLocalTime(Number(p.exitTime))}, ${formatNfc(p.withdrawable)} withdrawable` : ''}`,
        ),
      )
    }
    // flow rewards
    if (!a.rewards.ok) lines.push({ text: a.rewards.missing ? 'flow rewards: not available on this node' : `flow rewards: ${a.rewards.error}`, dim: true })
    else {
      const r = a.rewards.value ?? {}
      lines.push(field('Flow rewards', `locked ${formatNfc(r.locked ?? '0x0')}  unlocking ${formatNfc(r.unlocking ?? '0x0')}`))
      lines.push(field('', `withdrawable ${formatNfc(r.withdrawable ?? '0x0')}  withdrawn ${formatNfc(r.withdrawn ?? '0x0')}`))
    }
    // NB: the fuel token, and what the account holds in escrow for its providers
    lines.push(field('NB balance', a.nb.ok ? formatNb(a.nb.value) : unavailable(a.nb)))
    lines.push(...escrowLines(a.escrows, x.columns, x.now))
    lines.push(...relatedLines(a.address))
    // history
    if (!a.history.ok) lines.push({ text: a.history.missing ? 'history: not available on this node' : `history: ${a.history.error}`, dim: true })
    else {
      const h = a.history.value ?? { transactions: [], next: null }
      const txs = h.transactions ?? []
      const more = [pages.page > 1 ? 'p newer' : '', h.next ? 'n older' : ''].filter(Boolean).join(', ')
      lines.push(heading(`History, page ${pages.page}${more ? ` (${more})` : ''}`))
      if (txs.length === 0) lines.push({ text: 'no transactions', dim: true })
      const hw = Math.max(12, Math.min(66, x.columns - 44))
      for (const t of txs) {
        const other = t.direction === 'in' ? t.from : t.to
        const arrow = t.direction === 'in' ? 'in  ←' : t.direction === 'out' ? 'out →' : 'self ↺'
        lines.push({
          key: `h${t.hash}`,
          text: `${fit('#' + thousands(num(t.blockNumber) ?? 0), 10)} ${fit(arrow, 6)} ${fit(abbreviate(other ?? 'create', 20), 20)} ${abbreviate(t.hash, hw)}`,
          open: { kind: 'tx', hash: t.hash },
        })
      }
    }
    if (error !== undefined) lines.push({ text: `last refresh failed: ${error}`, color: 'red' })
  }
  const history = a?.history.ok ? a.history.value : undefined
  return (
    <Scroller
      lines={lines}
      height={height}
      active={active}
      onOpen={x.open}
      onKey={(input) => {
        pages.onKey(input, history?.next)
      }}
    />
  )
}
