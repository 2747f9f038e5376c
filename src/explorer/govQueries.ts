/** What the governance views ask the node: nfc_getParams and Governance.proposal(id) over eth_call (DESIGN §14). */
import { Interface, type InterfaceAbi } from 'ethers'
import governanceAbi from '../execution/system/abi/IGovernance.json' with { type: 'json' }
import { SYSTEM_CONTRACTS } from '../chain/systemAddresses.js'
import type { RpcClient } from './rpcClient.js'
import { big } from './format.js'
import { bigs, headTime, must } from './systemQueries.js'

const governance = new Interface(governanceAbi as InterfaceAbi)

// ------------------------------------------------------------------ governance

export interface GovParam {
  name: string
  value: bigint
  genesis: bigint
  min: bigint
  max: bigint
  /** executed changes, oldest first */
  history: { block: bigint; proposal: bigint; value: bigint }[]
}

export interface GovRules {
  votingSec: number
  timelockSec: number
  quorumBps: number
  majorityBps: number
  rangeFactor: number
}

export const PROPOSAL_STATUS = ['open', 'executed', 'rejected', 'failed'] as const

/** A proposal as Governance.proposal(id) answers it. */
export interface Proposal {
  id: bigint
  proposer: string
  kind: 'param' | 'grant'
  param: string
  to: string
  value: bigint
  endsMs: bigint
  executableAtMs: bigint
  yes: bigint
  no: bigint
  /** all NFC staked when it was proposed */
  stake: bigint
  /** quorum and majority met by the votes so far */
  passing: boolean
  status: (typeof PROPOSAL_STATUS)[number]
}

export interface Governance {
  params: GovParam[]
  rules: GovRules
  /** proposals made so far (ids 0 … count − 1) */
  count: bigint
  /** the page asked for, newest first */
  proposals: Proposal[]
  /** the head block's time, ms */
  nowMs: bigint
}

/** proposals per page of the governance view */
export const PROPOSALS_PAGE = 20

/** nfc_getParams as JSON */
export interface ParamsJson {
  params: { name: string; value: string; genesis: string; min: string; max: string; history: { block: string; proposal: string; value: string }[] }[]
  rules: GovRules
  proposals: string
}

/** Decodes Governance.proposal(id)'s answer (the eth_call result). */
export function proposalOf(id: bigint, data: string): Proposal {
  const r = governance.decodeFunctionResult('proposal', data)
  return {
    id,
    proposer: (r[0] as string).toLowerCase(),
    kind: Number(r[1]) === 1 ? 'param' : 'grant',
    param: r[2] as string,
    to: (r[3] as string).toLowerCase(),
    value: r[4] as bigint,
    endsMs: r[5] as bigint,
    executableAtMs: r[6] as bigint,
    yes: r[7] as bigint,
    no: r[8] as bigint,
    stake: r[9] as bigint,
    passing: r[10] as boolean,
    status: PROPOSAL_STATUS[Number(r[11])] ?? 'open',
  }
}

/** The eth_call request of Governance.proposal(id) at the head. */
export const proposalCall = (id: bigint) => ({
  method: 'eth_call',
  params: [{ to: SYSTEM_CONTRACTS.governance, data: governance.encodeFunctionData('proposal', [id]) }, 'latest'],
})

/** The parameters, the rules and page `page` (0 = newest) of the proposals, newest first. */
export async function loadGovernance(client: RpcClient, page: number, pageSize = PROPOSALS_PAGE): Promise<Governance> {
  const [params, head] = await client.batch([{ method: 'nfc_getParams' }, { method: 'eth_getBlockByNumber', params: ['latest', false] }])
  const p = must<ParamsJson>(params)
  const count = big(p.proposals) ?? 0n
  const ids: bigint[] = []
  for (let id = count - 1n - BigInt(page * pageSize); id >= 0n && ids.length < pageSize; id--) ids.push(id)
  const answers = ids.length === 0 ? [] : await client.batch(ids.map(proposalCall))
  return {
    params: p.params.map((q) => ({
      name: q.name,
      ...bigs(q, ['value', 'genesis', 'min', 'max'] as const),
      history: q.history.map((h) => bigs(h, ['block', 'proposal', 'value'] as const)),
    })),
    rules: p.rules,
    count,
    proposals: ids.map((id, i) => proposalOf(id, must<string>(answers[i]))),
    nowMs: headTime(head),
  }
}

/**
 * One proposal with the parameters (its target's value in force) and the rules, and the block that
 * settled it (Governance.settledBlock: executed, rejected or failed there; undefined while open);
 * null when there is no such id.
 */
export async function loadProposal(
  client: RpcClient,
  id: bigint,
): Promise<(Omit<Governance, 'proposals'> & { proposal: Proposal; settledBlock: bigint | undefined }) | null> {
  const g = await loadGovernance(client, 0, 0)
  if (id >= g.count) return null
  const [answer, settled] = await client.batch([
    proposalCall(id),
    { method: 'eth_call', params: [{ to: SYSTEM_CONTRACTS.governance, data: governance.encodeFunctionData('settledBlock', [id]) }, 'latest'] },
  ])
  const block = BigInt(must<string>(settled))
  return { ...g, proposal: proposalOf(id, must<string>(answer)), settledBlock: block === 0n ? undefined : block }
}

/** The status a reader cares about, from the stored one and the chain's time (as `nfc gov list`). */
export function proposalStatus(p: Proposal, nowMs: bigint): 'voting' | 'approved' | 'defeated' | 'executed' | 'rejected' | 'failed' {
  if (p.status !== 'open') return p.status
  if (nowMs < p.endsMs) return 'voting'
  return p.passing ? 'approved' : 'defeated'
}

/** Quorum and majority of `p`'s votes under `rules` (src/consensus/gov/engine.ts `passes`). */
export function proposalTally(p: Proposal, rules: GovRules): { cast: bigint; quorum: boolean; majority: boolean } {
  const cast = p.yes + p.no
  return { cast, quorum: cast * 10_000n >= BigInt(rules.quorumBps) * p.stake, majority: p.yes * 10_000n > BigInt(rules.majorityBps) * cast }
}

/** The block that executed parameter proposal `id` (from the parameters' history), if it was. */
export function executedIn(params: GovParam[], id: bigint): bigint | undefined {
  for (const p of params) for (const h of p.history) if (h.proposal === id) return h.block
  return undefined
}
