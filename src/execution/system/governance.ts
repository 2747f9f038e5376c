/**
 * Governance (0x…1006, DESIGN §14): stakers propose a change of a governed parameter or a grant
 * from the shared pool, and vote on it with their staked NFC. Records: src/consensus/gov/store.ts;
 * the rules (stake, passing, execution at a flow-cycle boundary after the timelock):
 * src/consensus/gov/engine.ts; the governable parameters and their bounds: gov/params.ts.
 *
 *  proposeParam(name, value) — the caller must have NFC staked (Σ of its Staking positions > 0);
 *     `name` must be a governed parameter and `value` within its bounds. Opens the vote until
 *     block time + govVotingSec and records all staked NFC as the quorum's base. Returns the id.
 *  proposeGrant(to, amount) — the same for a grant of `amount` wei from the shared pool to `to`;
 *     refused above the pool's balance now (checked again at execution: a grant the pool can no
 *     longer pay then fails and pays nothing).
 *  vote(id, support) — one vote per address per proposal, while the vote is open, weighted by the
 *     caller's stake now; the caller's unbonded stake cannot be withdrawn from Staking before the
 *     vote ends. The proposer votes like anyone else (proposing is not a vote).
 *  proposal(id) — its fields, `executableAtMs` (vote end + timelock), whether it passes with the
 *     votes so far, and its status: 0 open, 1 executed, 2 rejected, 3 failed (a grant the pool
 *     could not pay).
 *  settledBlock(id) — the block that settled it (executed, rejected or failed), 0 while open:
 *     execution has no transaction, so this and nfc_getParams' history (block, proposal) are its record.
 *  paramValue(name) — the value in force (for nfcPriceNb: NB's live price).
 *
 * No function executes a proposal: execution belongs to the per-block hook, at a flow-cycle
 * boundary, so every node executes it in the same block whatever transactions arrive.
 * No NFC is ever held here: the functions are not payable, and a grant moves NFC from the shared
 * pool straight to its recipient.
 */
import { BURN_ADDRESS } from '../../chain/systemAddresses.js'
import { flowOf } from '../../consensus/dpos/engine.js'
import { SHARED_POOL, type Addr } from '../../consensus/dpos/store.js'
import { executableAtMs, passes, stakeOf, totalStake } from '../../consensus/gov/engine.js'
import { GOVERNED_PARAMS, governedParam, PARAM_NFC_PRICE, paramRefusal } from '../../consensus/gov/params.js'
import { GOVERNANCE, GovStore, ProposalKind, type ProposalRecord } from '../../consensus/gov/store.js'
import { NbStore } from '../../consensus/povf/nbStore.js'
import { formatNfc } from '../../chain/genesisSchema.js'
import { ensure, event, fn, type CallContext, type SystemContract } from './contract.js'

export const GOVERNANCE_GAS = {
  /** a proposal's words, plus the per-item parts below */
  propose: 80_000n,
  vote: 40_000n,
  view: 2_600n,
  /** per Staking position of the caller read for its stake */
  perPosition: 2_100n,
  /** per candidate read for the total stake */
  perCandidate: 2_100n,
} as const

const ZERO: Addr = BURN_ADDRESS

export const Proposed = event('Proposed', [
  { name: 'id', type: 'uint256', indexed: true },
  { name: 'proposer', type: 'address', indexed: true },
  { name: 'kind', type: 'uint8' },
  { name: 'param', type: 'string' },
  { name: 'to', type: 'address' },
  { name: 'value', type: 'uint256' },
  { name: 'endsMs', type: 'uint256' },
] as const)
export const Voted = event('Voted', [
  { name: 'id', type: 'uint256', indexed: true },
  { name: 'voter', type: 'address', indexed: true },
  { name: 'support', type: 'bool' },
  { name: 'weight', type: 'uint256' },
] as const)

/** The caller's stake, gas charged per position first. */
async function callerStake(ctx: CallContext): Promise<bigint> {
  ctx.gas.use((await ctx.store.voterCandidates(ctx.sender).length()) * GOVERNANCE_GAS.perPosition)
  return stakeOf(ctx.store, ctx.sender)
}

async function open(ctx: CallContext, fields: Pick<ProposalRecord, 'kind' | 'param' | 'to' | 'value'>, paramName: string): Promise<[bigint]> {
  ensure((await callerStake(ctx)) > 0n, 'Governance: only stakers propose (no NFC staked in Staking)')
  ctx.gas.use((await ctx.store.candidates.length()) * GOVERNANCE_GAS.perCandidate)
  const stake = await totalStake(ctx.store)
  const gs = new GovStore(ctx.sm)
  await gs.ensureAccount()
  const id = await gs.count()
  const endsMs = ctx.call.blockTimeMs + flowOf(ctx.genesisCfg).gov.votingMs
  await gs.putProposal(id, { ...fields, proposer: ctx.sender, endsMs, stake })
  await gs.setCount(id + 1n)
  ctx.emit(Proposed, [id, ctx.sender, BigInt(fields.kind), paramName, fields.to, fields.value, endsMs])
  return [id]
}

async function proposeParam(ctx: CallContext, name: string, value: bigint): Promise<[bigint]> {
  const refusal = paramRefusal(name, value, ctx.genesisCfg)
  ensure(refusal === null, `Governance: ${refusal}`)
  const p = governedParam(name)!
  return open(ctx, { kind: ProposalKind.Param, param: BigInt(p.id), to: ZERO, value }, name)
}

async function proposeGrant(ctx: CallContext, to: Addr, amount: bigint): Promise<[bigint]> {
  ensure(to !== ZERO, 'Governance: grant to the zero address')
  ensure(amount > 0n, 'Governance: grant of 0')
  const pool = await ctx.store.balanceOf(SHARED_POOL)
  ensure(amount <= pool, `Governance: grant of ${formatNfc(amount)} exceeds the shared pool (${formatNfc(pool)})`)
  return open(ctx, { kind: ProposalKind.Grant, param: 0n, to, value: amount }, '')
}

async function existing(gs: GovStore, id: bigint): Promise<ProposalRecord> {
  ensure(id < (await gs.count()), `Governance: no proposal ${id}`)
  return gs.getProposal(id)
}

async function vote(ctx: CallContext, id: bigint, support: boolean): Promise<[]> {
  const gs = new GovStore(ctx.sm)
  const p = await existing(gs, id)
  ensure(ctx.call.blockTimeMs < p.endsMs, `Governance: voting on proposal ${id} ended at ${p.endsMs} ms`)
  ensure(!(await gs.hasVoted(id, ctx.sender)), `Governance: ${ctx.sender} already voted on proposal ${id}`)
  const weight = await callerStake(ctx)
  ensure(weight > 0n, 'Governance: only stakers vote (no NFC staked in Staking)')
  await gs.markVoted(id, ctx.sender)
  // the stake that voted stays in Staking until the vote ends (engine.ts: one NFC, one count)
  await gs.extendVoteLock(ctx.sender, p.endsMs)
  await gs.putProposal(id, support ? { yes: p.yes + weight } : { no: p.no + weight })
  ctx.emit(Voted, [id, ctx.sender, support, weight])
  return []
}

type ProposalOut = [Addr, bigint, string, Addr, bigint, bigint, bigint, bigint, bigint, bigint, boolean, bigint]

async function proposal(ctx: CallContext, id: bigint): Promise<ProposalOut> {
  const p = await existing(new GovStore(ctx.sm), id)
  const gov = flowOf(ctx.genesisCfg).gov
  const name = p.kind === ProposalKind.Param ? (GOVERNED_PARAMS[Number(p.param)]?.name ?? '') : ''
  return [p.proposer, BigInt(p.kind), name, p.to, p.value, p.endsMs, executableAtMs(p, gov), p.yes, p.no, p.stake, passes(p, gov), BigInt(p.status)]
}

async function paramValue(ctx: CallContext, name: string): Promise<[bigint]> {
  const p = governedParam(name)
  ensure(p !== undefined, `Governance: ${paramRefusal(name, 0n, ctx.genesisCfg)}`)
  return [p.id === PARAM_NFC_PRICE ? await new NbStore(ctx.sm).price(flowOf(ctx.cfg)) : p.read(ctx.cfg)]
}

const view = GOVERNANCE_GAS.view

export const governance: SystemContract = {
  name: 'Governance',
  address: GOVERNANCE,
  events: [Proposed, Voted],
  functions: [
    fn({
      name: 'proposeParam',
      inputs: ['string', 'uint256'],
      outputs: ['uint256'],
      mutability: 'nonpayable',
      gas: GOVERNANCE_GAS.propose,
      run: (ctx, [name, value]) => proposeParam(ctx, name, value),
    }),
    fn({
      name: 'proposeGrant',
      inputs: ['address', 'uint256'],
      outputs: ['uint256'],
      mutability: 'nonpayable',
      gas: GOVERNANCE_GAS.propose,
      run: (ctx, [to, amount]) => proposeGrant(ctx, to, amount),
    }),
    fn({
      name: 'vote',
      inputs: ['uint256', 'bool'],
      outputs: [],
      mutability: 'nonpayable',
      gas: GOVERNANCE_GAS.vote,
      run: (ctx, [id, support]) => vote(ctx, id, support),
    }),
    fn({
      name: 'proposalCount',
      inputs: [],
      outputs: ['uint256'],
      mutability: 'view',
      gas: view,
      run: async (ctx) => [await new GovStore(ctx.sm).count()],
    }),
    fn({
      name: 'proposal',
      inputs: ['uint256'],
      outputs: ['address', 'uint8', 'string', 'address', 'uint256', 'uint256', 'uint256', 'uint256', 'uint256', 'uint256', 'bool', 'uint8'],
      mutability: 'view',
      gas: view,
      run: (ctx, [id]) => proposal(ctx, id),
    }),
    fn({
      name: 'settledBlock',
      inputs: ['uint256'],
      outputs: ['uint256'],
      mutability: 'view',
      gas: view,
      run: async (ctx, [id]) => [(await existing(new GovStore(ctx.sm), id)).settledBlock],
    }),
    fn({
      name: 'hasVoted',
      inputs: ['uint256', 'address'],
      outputs: ['bool'],
      mutability: 'view',
      gas: view,
      run: async (ctx, [id, voter]) => [await new GovStore(ctx.sm).hasVoted(id, voter)],
    }),
    fn({
      name: 'paramValue',
      inputs: ['string'],
      outputs: ['uint256'],
      mutability: 'view',
      gas: view,
      run: (ctx, [name]) => paramValue(ctx, name),
    }),
  ],
}
