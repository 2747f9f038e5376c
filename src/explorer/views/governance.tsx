/**
 * Governance (DESIGN §14): the rules, every governed parameter (value in force, genesis value,
 * the bounds a proposal must respect, its executed changes) and the proposals newest first, a
 * page at a time (n / p), with their votes, quorum and status at the chain's time. Enter on a
 * proposal (or on a change) opens the proposal.
 */
import { useExplorer } from '../context.js'
import { abbreviate, formatAge, formatBps, formatNb, formatNfc, thousands } from '../format.js'
import { loadGovernance, proposalStatus, proposalTally, PROPOSALS_PAGE, type GovRules, type Proposal } from '../govQueries.js'
import { cells, field, heading } from './common.js'
import { PagedView } from './pagedView.js'
import type { Line } from './scroller.js'

/** A governed parameter's value in its unit (src/chain/genesisSchema.ts); an unknown one as the integer. */
export function paramValue(name: string, v: bigint): string {
  if (name === 'fuelPricePerGb') return `${formatNb(v)}/GB`
  if (name === 'nfcPriceNb') return `${formatNb(v)}/NFC`
  if (name === 'flowCapFactorBps') return formatBps(v)
  if (name === 'cnPledge' || name === 'enPledge') return formatNfc(v)
  return thousands(v)
}

/** a / b as a percentage ("0%" when b is 0) */
export const share = (a: bigint, b: bigint): string => (b === 0n ? '0%' : formatBps((a * 10_000n) / b))

export function rulesLine(r: GovRules): string {
  return `vote ${formatAge(r.votingSec * 1000)}, timelock ${formatAge(r.timelockSec * 1000)}, quorum ${formatBps(r.quorumBps)} of stake, majority > ${formatBps(r.majorityBps)}`
}

/** What a proposal does, in one short phrase. */
export function proposalWhat(p: Proposal, toWidth = 14): string {
  return p.kind === 'param' ? `${p.param} → ${paramValue(p.param, p.value)}` : `grant ${formatNfc(p.value, 2)} → ${abbreviate(p.to, toWidth)}`
}

export const STATUS_COLORS: Record<string, string> = { voting: 'yellow', approved: 'green', executed: 'green', defeated: 'red', rejected: 'red', failed: 'red' }

export function GovernanceView({ height, active }: { height: number; active: boolean }) {
  const x = useExplorer()
  return (
    <PagedView
      what="governance"
      first={0}
      load={(cursor) => loadGovernance(x.client, cursor)}
      deps={[]}
      height={height}
      active={active}
      render={(g, _page, cursor) => {
        const lines: Line[] = [
          heading('Governance'),
          field('Rules', rulesLine(g.rules)),
          field('', `proposed values within genesis ÷/× ${g.rules.rangeFactor}`, 16, { dim: true }),
        ]
        lines.push(heading('Parameters'))
        for (const p of g.params) {
          const changed = p.value !== p.genesis
          lines.push({
            text: cells(
              [p.name, 18],
              [paramValue(p.name, p.value), 26],
              [changed ? `genesis ${paramValue(p.name, p.genesis)}` : 'as in genesis', x.columns - 48],
            ),
            color: changed ? 'green' : undefined,
          })
          lines.push({ text: `  ${cells(['', 16], [`bounds ${paramValue(p.name, p.min)} … ${paramValue(p.name, p.max)}`, x.columns - 22])}`, dim: true })
          for (const h of p.history) {
            lines.push({
              text: `  ${cells(['', 16], [`changed to ${paramValue(p.name, h.value)} in block #${thousands(h.block)} by proposal #${h.proposal}`, x.columns - 24])}`,
              open: { kind: 'proposal', id: h.proposal.toString() },
              key: `h${p.name}${h.proposal}`,
            })
          }
        }
        const whatW = Math.max(16, x.columns - 3 - (6 + 10 + 9 + 10))
        lines.push(heading(`Proposals (${thousands(g.count)})${g.count > 0n ? '  Enter: details' : ''}`))
        if (g.count === 0n) lines.push({ text: 'none yet (nfc gov propose)', dim: true })
        else lines.push({ text: `  ${cells(['id', 5], ['status', 9], ['proposal', whatW], ['for', 8, 'right'], ['quorum', 9])}`, dim: true })
        for (const p of g.proposals) {
          const status = proposalStatus(p, g.nowMs)
          const t = proposalTally(p, g.rules)
          lines.push({
            key: `p${p.id}`,
            text: cells(
              [`#${p.id}`, 5],
              [status, 9],
              [proposalWhat(p), whatW],
              [share(p.yes, t.cast), 8, 'right'],
              [t.quorum ? 'reached' : status === 'voting' ? 'not yet' : 'missed', 9],
            ),
            color: STATUS_COLORS[status],
            open: { kind: 'proposal', id: p.id.toString() },
          })
        }
        return { lines, next: BigInt((cursor + 1) * PROPOSALS_PAGE) < g.count ? cursor + 1 : null }
      }}
    />
  )
}
