/**
 * Team vesting (DESIGN §6), served by the FlowRewards contract (0x…1002): flowRewards.ts includes
 * `vestingFunctions` in its function list and `vestingEvents` in its events.
 *
 * The grants are genesis data (FlowConfig.vesting, from the genesis `vesting` list), so the only
 * record kept is what each address has claimed: the word slotOf('vest.claimed', addr) of the
 * FlowRewards account. Payouts come from POOLS.teamVesting, which genesis funds with exactly
 * Σ grant amounts (the genesis validator checks it).
 *
 *   vested(t)  = 0 before genesisTime + cliffMs, then amount × min(t − genesisTime − cliffMs,
 *                durationMs) / durationMs (floor; durationMs 0 = all at the cliff)
 *   claimable  = Σ vested over the address's grants − claimed
 *
 *  claimVested() — pays the caller's claimable NFC; reverts "nothing vested to claim" when 0.
 *  vestingOf(address) view → (amount, claimed, claimable), summed over its grants.
 */
import { Address, hexToBytes } from '@ethereumjs/util'
import { POOLS, SYSTEM_CONTRACTS } from '../../chain/systemAddresses.js'
import { flowOf } from '../../consensus/dpos/engine.js'
import { slotOf, Words, type Addr, type StateAccess } from '../../consensus/dpos/store.js'
import type { VestingGrant } from '../../consensus/povf/params.js'
import { ensure, event, fn, type CallContext, type SystemFunction } from './contract.js'

export const VESTING_GAS = { claimVested: 30_000n, vestingOf: 2_600n } as const

export const TEAM_VESTING_POOL = new Address(hexToBytes(POOLS.teamVesting))
const FLOW_REWARDS = new Address(hexToBytes(SYSTEM_CONTRACTS.flowRewards))

export const VestingClaimed = event('VestingClaimed', [
  { name: 'account', type: 'address', indexed: true },
  { name: 'amount', type: 'uint256' },
] as const)

/** What one grant has vested at `nowMs`. */
export function vestedOf(g: VestingGrant, genesisTime: bigint, nowMs: bigint): bigint {
  const start = genesisTime + g.cliffMs
  if (nowMs < start) return 0n
  const elapsed = nowMs - start
  if (g.durationMs <= 0n || elapsed >= g.durationMs) return g.amount
  return (g.amount * elapsed) / g.durationMs
}

/** Σ amount and Σ vested over the grants of `a` (lowercase). */
export function vestingTotals(grants: readonly VestingGrant[], a: Addr, genesisTime: bigint, nowMs: bigint): { amount: bigint; vested: bigint } {
  let amount = 0n
  let vested = 0n
  for (const g of grants) {
    if (g.address !== a) continue
    amount += g.amount
    vested += vestedOf(g, genesisTime, nowMs)
  }
  return { amount, vested }
}

const claimedSlot = (a: Addr): Uint8Array => slotOf('vest.claimed', hexToBytes(a as `0x${string}`))

/** What `a` has claimed so far. */
export function claimedOf(sm: StateAccess, a: Addr): Promise<bigint> {
  return new Words(sm, FLOW_REWARDS).get(claimedSlot(a))
}

async function vestingOf(ctx: CallContext, a: Addr): Promise<[bigint, bigint, bigint]> {
  const t = vestingTotals(flowOf(ctx.cfg).vesting, a, ctx.cfg.genesisTime, ctx.call.blockTimeMs)
  const claimed = await claimedOf(ctx.sm, a)
  return [t.amount, claimed, t.vested > claimed ? t.vested - claimed : 0n]
}

async function claimVested(ctx: CallContext): Promise<[]> {
  const [, claimed, claimable] = await vestingOf(ctx, ctx.sender)
  ensure(claimable > 0n, 'nothing vested to claim')
  ensure((await ctx.store.balanceOf(TEAM_VESTING_POOL)) >= claimable, 'team vesting pool short')
  await new Words(ctx.sm, FLOW_REWARDS).set(claimedSlot(ctx.sender), claimed + claimable)
  await ctx.store.transfer(TEAM_VESTING_POOL, ctx.call.caller, claimable)
  ctx.emit(VestingClaimed, [ctx.sender, claimable])
  return []
}

export const vestingFunctions: readonly SystemFunction[] = [
  fn({ name: 'claimVested', inputs: [], outputs: [], mutability: 'nonpayable', gas: VESTING_GAS.claimVested, run: (ctx) => claimVested(ctx) }),
  fn({
    name: 'vestingOf',
    inputs: ['address'],
    outputs: ['uint256', 'uint256', 'uint256'],
    mutability: 'view',
    gas: VESTING_GAS.vestingOf,
    run: (ctx, [a]) => vestingOf(ctx, a),
  }),
]

export const vestingEvents = [VestingClaimed] as const
