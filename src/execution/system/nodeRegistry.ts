/**
 * NodeRegistry (0x…1001, DESIGN §6): pledges of NFC by the nodes that serve the network.
 *
 *  pledge(uint8 role) payable — role 1 (RN), 2 (CN) or 3 (EN). The first pledge must be at least
 *     the role's minimum (rnPledge, cnPledge, enPledge of the genesis); later pledges top it up
 *     and must name the same role (a node has one role; to change it, exit and withdraw first).
 *     The NFC stays in this account's balance (the EVM moved msg.value here before the call ran).
 *     Only RNs can become DPoS candidates (Staking.registerCandidate, DposStore.isActiveRN); CNs
 *     and RNs serve on flow committees, ENs provide traffic (PoVF).
 *  exit() — qualification ends at once: exitTime = block time, pledgeAtExit = pledge. A candidate
 *     that exits is dropped from its seat by the engine at the next block and is never eligible
 *     again while exited; Staking refuses new votes for it.
 *  withdrawPledge() — pays the linearly unlocked part:
 *       unlocked   = pledgeAtExit · min(now − exitTime, pledgeUnlockMs) / pledgeUnlockMs
 *       withdrawable = min(unlocked − withdrawn, pledge)
 *     (`pledge` is what is left: a slash after the exit lowers it, and the node then gets at most
 *     what is left). When nothing is left the record is cleared (role → 0, every field 0) and the
 *     address leaves the node list: it may pledge again from scratch. An exited node cannot pledge
 *     again before that.
 *  nodesByRole(uint8 role) view — the nodes of that role that have not exited (in node-list
 *     order; a slash may have left one below its minimum). Walks the whole node list: charged
 *     perNode for every listed node before the walk, like Staking.getCandidates.
 *  minPledge(uint8 role) view — the minimum first pledge of the role; reverts for an unknown role.
 */
import { flowOf, type DposConfig } from '../../consensus/dpos/engine.js'
import { NODE_REGISTRY, Role, type NodeRecord } from '../../consensus/dpos/store.js'
import { ensure, event, fn, type CallContext, type SystemContract } from './contract.js'

/** Gas (DESIGN §7 gas table, also in the file header of index.ts). */
export const NODE_REGISTRY_GAS = {
  pledge: 40_000n,
  exit: 25_000n,
  withdrawPledge: 30_000n,
  nodeOf: 2_600n,
  rnPledge: 2_600n,
  nodesByRole: 2_600n,
  /** nodesByRole: per node of the list walked (its role and exit words) */
  perNode: 400n,
  minPledge: 2_600n,
} as const

const ROLE_NAMES: Record<number, string> = { [Role.RN]: 'RN', [Role.CN]: 'CN', [Role.EN]: 'EN' }

/** The minimum first pledge of `role` (undefined for an unknown role). */
export function minPledgeOf(cfg: DposConfig, role: bigint): bigint | undefined {
  if (role === BigInt(Role.RN)) return cfg.rnPledge
  if (role === BigInt(Role.CN)) return flowOf(cfg).cnPledge
  if (role === BigInt(Role.EN)) return flowOf(cfg).enPledge
  return undefined
}

export const Pledged = event('Pledged', [
  { name: 'node', type: 'address', indexed: true },
  { name: 'role', type: 'uint8' },
  { name: 'amount', type: 'uint256' },
] as const)
export const Exited = event('Exited', [
  { name: 'node', type: 'address', indexed: true },
  { name: 'pledge', type: 'uint256' },
] as const)
export const PledgeWithdrawn = event('PledgeWithdrawn', [
  { name: 'node', type: 'address', indexed: true },
  { name: 'amount', type: 'uint256' },
] as const)

/** The part of an exited node's pledge it may withdraw at `nowMs`. */
export function withdrawableOf(n: NodeRecord, nowMs: bigint, unlockMs: bigint): bigint {
  if (n.role === Role.None || n.exitTime === 0n) return 0n
  const elapsed = nowMs > n.exitTime ? nowMs - n.exitTime : 0n
  const unlocked = unlockMs <= 0n || elapsed >= unlockMs ? n.pledgeAtExit : (n.pledgeAtExit * elapsed) / unlockMs
  const due = unlocked > n.withdrawn ? unlocked - n.withdrawn : 0n
  return due < n.pledge ? due : n.pledge
}

const CLEARED: NodeRecord = { role: Role.None, pledge: 0n, exitTime: 0n, pledgeAtExit: 0n, withdrawn: 0n }

async function pledge(ctx: CallContext, role: bigint): Promise<[]> {
  const min = minPledgeOf(ctx.cfg, role)
  ensure(min !== undefined, 'unknown role')
  const r = Number(role)
  const amount = ctx.call.value
  ensure(amount > 0n, 'pledge amount must be positive')
  const n = await ctx.store.getNode(ctx.sender)
  ensure(n.exitTime === 0n, 'node has exited: withdraw the whole pledge before pledging again')
  if (n.role === Role.None) {
    ensure(amount >= min, `pledge below the ${ROLE_NAMES[r]} minimum`)
  } else {
    ensure(n.role === r, 'already pledged in another role')
  }
  await ctx.store.putNode(ctx.sender, { role: r, pledge: n.pledge + amount })
  await ctx.store.nodes.add(ctx.sender)
  ctx.emit(Pledged, [ctx.sender, role, amount])
  return []
}

async function exit(ctx: CallContext): Promise<[]> {
  const n = await ctx.store.getNode(ctx.sender)
  ensure(n.role !== Role.None, 'not a pledged node')
  ensure(n.exitTime === 0n, 'node has already exited')
  // exitTime 0 means "active": a block at time 0 cannot exist after genesis, but be exact
  const now = ctx.call.blockTimeMs > 0n ? ctx.call.blockTimeMs : 1n
  await ctx.store.putNode(ctx.sender, { exitTime: now, pledgeAtExit: n.pledge, withdrawn: 0n })
  ctx.emit(Exited, [ctx.sender, n.pledge])
  return []
}

async function withdrawPledge(ctx: CallContext): Promise<[]> {
  const n = await ctx.store.getNode(ctx.sender)
  ensure(n.role !== Role.None, 'not a pledged node')
  ensure(n.exitTime !== 0n, 'exit first: the pledge unlocks after exit')
  const amount = withdrawableOf(n, ctx.call.blockTimeMs, ctx.cfg.pledgeUnlockMs)
  ensure(amount > 0n || n.pledge === 0n, 'nothing to withdraw yet')
  const left = n.pledge - amount
  if (left === 0n) {
    await ctx.store.putNode(ctx.sender, CLEARED)
    await ctx.store.nodes.remove(ctx.sender)
  } else {
    await ctx.store.putNode(ctx.sender, { pledge: left, withdrawn: n.withdrawn + amount })
  }
  ensure((await ctx.store.balanceOf(NODE_REGISTRY)) >= amount, 'NodeRegistry balance short')
  await ctx.store.transfer(NODE_REGISTRY, ctx.call.caller, amount)
  ctx.emit(PledgeWithdrawn, [ctx.sender, amount])
  return []
}

export const nodeRegistry: SystemContract = {
  name: 'NodeRegistry',
  address: NODE_REGISTRY,
  events: [Pledged, Exited, PledgeWithdrawn],
  functions: [
    fn({
      name: 'pledge',
      inputs: ['uint8'],
      outputs: [],
      mutability: 'payable',
      gas: NODE_REGISTRY_GAS.pledge,
      run: (ctx, [role]) => pledge(ctx, role),
    }),
    fn({ name: 'exit', inputs: [], outputs: [], mutability: 'nonpayable', gas: NODE_REGISTRY_GAS.exit, run: (ctx) => exit(ctx) }),
    fn({
      name: 'withdrawPledge',
      inputs: [],
      outputs: [],
      mutability: 'nonpayable',
      gas: NODE_REGISTRY_GAS.withdrawPledge,
      run: (ctx) => withdrawPledge(ctx),
    }),
    fn({
      name: 'nodeOf',
      inputs: ['address'],
      outputs: ['uint8', 'uint256', 'uint256', 'uint256', 'uint256'],
      mutability: 'view',
      gas: NODE_REGISTRY_GAS.nodeOf,
      run: async (ctx, [node]) => {
        const n = await ctx.store.getNode(node)
        return [BigInt(n.role), n.pledge, n.exitTime, n.withdrawn, withdrawableOf(n, ctx.call.blockTimeMs, ctx.cfg.pledgeUnlockMs)]
      },
    }),
    fn({
      name: 'rnPledge',
      inputs: [],
      outputs: ['uint256'],
      mutability: 'view',
      gas: NODE_REGISTRY_GAS.rnPledge,
      run: async (ctx) => [ctx.cfg.rnPledge],
    }),
    fn({
      name: 'nodesByRole',
      inputs: ['uint8'],
      outputs: ['address[]'],
      mutability: 'view',
      gas: NODE_REGISTRY_GAS.nodesByRole,
      run: async (ctx, [role]) => {
        ensure(minPledgeOf(ctx.cfg, role) !== undefined, 'unknown role')
        ctx.gas.use((await ctx.store.nodes.length()) * NODE_REGISTRY_GAS.perNode)
        const out: string[] = []
        for (const a of await ctx.store.nodes.all()) {
          const n = await ctx.store.getNode(a)
          if (BigInt(n.role) === role && n.exitTime === 0n) out.push(a)
        }
        return [out]
      },
    }),
    fn({
      name: 'minPledge',
      inputs: ['uint8'],
      outputs: ['uint256'],
      mutability: 'view',
      gas: NODE_REGISTRY_GAS.minPledge,
      run: async (ctx, [role]) => {
        const min = minPledgeOf(ctx.cfg, role)
        ensure(min !== undefined, 'unknown role')
        return [min]
      },
    }),
  ],
}
