/**
 * One governance proposal: what it changes (the parameter's value in force beside the proposed
 * one) or grants, who proposed it, the votes for and against weighted by stake, quorum and
 * majority against the rules, the status at the chain's time, the end of the vote and of the
 * timelock, and the block that executed a parameter change. Enter opens the proposer, the
 * grant's recipient or the executing block.
 */
import { useExplorer } from '../context.js'
import { abbreviate, formatBps, formatLocalTime, formatNfc, formatWhen, thousands } from '../format.js'
import { hexQ } from '../queries.js'
import { executedIn, loadProposal, proposalStatus, proposalTally } from '../govQueries.js'
import { useLoader } from '../useLoader.js'
import { useHeadRefresh } from '../useHeadRefresh.js'
import { field, heading, statusLines } from './common.js'
import { paramValue, share, STATUS_COLORS } from './governance.js'
import { Scroller, type Line } from './scroller.js'

const STATUS_TEXT: Record<string, string> = {
  voting: 'voting',
  approved: 'approved: executed at the first flow-cycle boundary after the timelock',
  defeated: 'defeated: settled (rejected) at the next boundary after the timelock',
  executed: 'executed',
  rejected: 'rejected',
  failed: 'failed: the shared pool could not pay the grant',
}

export function ProposalView({ id, height, active }: { id: string; height: number; active: boolean }) {
  const x = useExplorer()
  const head = useHeadRefresh()
  const { data: d, error, loading } = useLoader(() => loadProposal(x.client, BigInt(id)), [id, head])
  let lines: Line[]
  if (d === undefined || d === null)
    lines = d === null ? [{ text: `no proposal #${id} on this chain`, color: 'yellow' }] : statusLines(loading, error, 'proposal')
  else {
    const p = d.proposal
    const now = Number(d.nowMs)
    const status = proposalStatus(p, d.nowMs)
    const t = proposalTally(p, d.rules)
    const w = x.columns - 18
    const inForce = d.params.find((q) => q.name === p.param)
    const block = d.settledBlock ?? executedIn(d.params, p.id)
    lines = [heading(`Proposal #${p.id}`), field('Kind', p.kind === 'param' ? 'parameter change' : 'grant from the shared pool')]
    if (p.kind === 'param') {
      lines.push(field('Parameter', p.param))
      lines.push(field('Value', `${paramValue(p.param, p.value)}${inForce ? `   (in force: ${paramValue(p.param, inForce.value)})` : ''}`))
    } else {
      lines.push(field('Recipient', abbreviate(p.to, w), 16, { open: { kind: 'account', address: p.to }, key: 'to' }))
      lines.push(field('Amount', formatNfc(p.value)))
    }
    lines.push(
      field('Proposer', abbreviate(p.proposer, w), 16, { open: { kind: 'account', address: p.proposer }, key: 'proposer' }),
      field('Status', STATUS_TEXT[status] ?? status, 16, { color: STATUS_COLORS[status], bold: true }),
      field('Votes for', `${formatNfc(p.yes, 2)}  (${share(p.yes, t.cast)} of votes cast)`),
      field('Votes against', `${formatNfc(p.no, 2)}  (${share(p.no, t.cast)})`),
      field('Stake', `${formatNfc(p.stake, 2)} staked when proposed`),
      field('Quorum', `${share(t.cast, p.stake)} of the stake voted, ${formatBps(d.rules.quorumBps)} needed: ${t.quorum ? 'reached' : 'not reached'}`, 16, {
        color: t.quorum ? 'green' : undefined,
      }),
      field('Majority', `${share(p.yes, t.cast)} for, more than ${formatBps(d.rules.majorityBps)} needed: ${t.majority ? 'yes' : 'no'}`),
      field('Voting ends', formatWhen(Number(p.endsMs), now)),
      field('Timelock ends', formatWhen(Number(p.executableAtMs), now)),
    )
    if (block !== undefined) {
      const label = p.status === 'executed' ? 'Executed' : 'Settled'
      lines.push(field(label, `in block #${thousands(block)}`, 16, { open: { kind: 'block', ref: hexQ(block) }, key: 'executed' }))
    }
    lines.push(field('Chain time', formatLocalTime(now), 16, { dim: true }))
    if (error !== undefined) lines.push({ text: `last refresh failed: ${error}`, color: 'red' })
  }
  return <Scroller lines={lines} height={height} active={active} onOpen={x.open} />
}
