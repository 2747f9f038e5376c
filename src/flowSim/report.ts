/**
 * The end of a simulator run: each provider's rewards, the economics of the run's strategy (the
 * NFC its providers earned, coin-time bonus included, against the NB fuel its consumers burned,
 * valued in NFC at the oracle price × capFactor) and the printed summary with its economic table.
 */
import { Contract, formatEther, type JsonRpcProvider } from 'ethers'
import { SYSTEM_CONTRACTS } from '../chain/systemAddresses.js'
import { abi, type Rpc, type Session } from './node.js'
import type { Economics, Rewards, SimSummary } from './types.js'

/** capFactor the economic check applies (the genesis default, 1×: the simulator cannot read the chain's) */
export const CAP_FACTOR_BPS = 10_000n

/** An address's traffic rewards as flow_getRewards reports them. */
export async function rewardsOf(rpc: Rpc, address: string): Promise<Rewards> {
  const r = await rpc.call<{ locked: string; unlocking: string; withdrawable: string }>('flow_getRewards', [address])
  return { address, locked: BigInt(r.locked), unlocking: BigInt(r.unlocking), withdrawable: BigInt(r.withdrawable) }
}

/** The economics of a run: what its fuel escrows lost, valued at the oracle price × capFactor, against what its providers earned. */
export async function economicsOf(
  strategy: string,
  provider: JsonRpcProvider,
  sessions: Session[],
  escrowed: bigint[],
  rewardsNfc: bigint,
  bonusNfc: bigint,
): Promise<Economics> {
  const nb = new Contract(SYSTEM_CONTRACTS.nb, abi('NB'), provider)
  let fuelBurnedNb = 0n
  for (let i = 0; i < sessions.length; i++) {
    const [left] = (await nb.getFunction('escrowOf')(sessions[i]!.consumer.address, sessions[i]!.provider.address)) as [bigint, bigint]
    fuelBurnedNb += escrowed[i]! - left
  }
  const price = (await nb.getFunction('price')()) as bigint
  const limitNfc = (fuelBurnedNb * CAP_FACTOR_BPS * 10n ** 18n) / (price * 10_000n)
  return { strategy, fuelBurnedNb, limitNfc, rewardsNfc, bonusNfc, ok: rewardsNfc + bonusNfc <= limitNfc }
}

export function formatSummary(s: SimSummary): string {
  const mb = (b: bigint) => `${(Number(b) / 1e6).toFixed(2)} MB`
  const reward = (r: Rewards) =>
    `  ${r.address}: locked ${formatEther(r.locked)} NFC, unlocking ${formatEther(r.unlocking)}, withdrawable ${formatEther(r.withdrawable)}`
  const f = s.forger
  const c = s.crowd
  const lines = [
    `bytes: provider counted ${mb(s.bytes.providerSent)}, consumer counted ${mb(s.bytes.consumerReceived)}, receipted (min of both) ${mb(s.bytes.receipted)}, on the wire ${(s.bytes.wire / 1e6).toFixed(2)} MB`,
    `receipts: ${s.receipts.submitted} submitted, ${s.receipts.accepted} accepted, ${s.receipts.rejected} rejected`,
    ...Object.entries(s.receipts.reasons)
      .sort((a, b) => b[1] - a[1])
      .map(([reason, n]) => `  rejected ${n}× ${reason}`),
    s.rewardsApplied ? `rewards (checkpoint of cycle ${s.cycle} applied):` : `rewards (checkpoint of cycle ${s.cycle ?? '—'} not applied yet; figures so far):`,
    ...s.rewards.map(reward),
    ...(s.absent === undefined
      ? []
      : [
          `absent committee member ${s.absent.address}: pledge ${formatEther(s.absent.pledgeBefore)} → ${formatEther(s.absent.pledgeAfter)} NFC ` +
            `(slashed ${formatEther(s.absent.pledgeBefore - s.absent.pledgeAfter)})`,
        ]),
    ...(f === undefined
      ? []
      : [
          `forger (unfunded, unpledged; totals 2^256−1, 2^64 and 1 MiB): ${f.submitted} receipts submitted, ${f.accepted} accepted, ${f.submitted - f.accepted} refused`,
          reward(f.rewards),
        ]),
    ...(c === undefined
      ? []
      : [
          `crowd-out: provider ${c.provider} tried ${c.submitted} extra sessions, ${c.accepted} taken, ${c.submitted - c.accepted} refused ` +
            "(its share of each cycle's sessions, genesis flowProviderSessionShareBps)",
        ]),
    'slice audits (entries challenged / answered / voided):',
    ...s.audits.map((a) => `  ${a.address}${a.cheater ? ' (never answers)' : ''}: ${a.challenged} / ${a.answered} / ${a.voided}`),
    ...formatEconomics([s.economics]),
  ]
  return lines.join('\n')
}

/**
 * The economic table: per strategy, the NB fuel burned, what it may earn (its NFC value × capFactor)
 * and what it earned (rewards + coin-time bonus); a FAIL line for each strategy that earned more.
 */
export function formatEconomics(rows: readonly Economics[]): string[] {
  const nfc = (w: bigint) => formatEther(w)
  const lines = [
    `economics (capFactor ${Number(CAP_FACTOR_BPS) / 10_000}×): strategy | NB fuel burned | may earn (NFC) | rewards (NFC) | bonus (NFC) | check`,
    ...rows.map((r) => `  ${r.strategy} | ${nfc(r.fuelBurnedNb)} | ${nfc(r.limitNfc)} | ${nfc(r.rewardsNfc)} | ${nfc(r.bonusNfc)} | ${r.ok ? 'ok' : 'FAIL'}`),
  ]
  for (const r of rows) {
    if (!r.ok) lines.push(`FAIL: ${r.strategy} earned ${nfc(r.rewardsNfc + r.bonusNfc)} NFC, more than its fuel allows (${nfc(r.limitNfc)} NFC)`)
  }
  return lines
}
