/**
 * A DPoS chain driven on a real MerkleStateManager (in-memory trie, with the account and storage
 * caches the node's world state has: without them every read walks the trie, and a 250-block
 * test spent most of its time there): genesis alloc balances,
 * writeGenesisState, then blocks through beginBlock/endBlock with made-up hashes. The expected
 * seeds are tracked independently of the engine (from the blocks the harness made).
 */
import { Caches, MerkleStateManager } from '@ethereumjs/statemanager'
import { Account, Address, hexToBytes } from '@ethereumjs/util'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { beginBlock, endBlock, scheduleFor, type BeginResult, type BlockInfo, type DposConfig } from '../../src/consensus/dpos/engine.js'
import { writeGenesisState, type GenesisWitnessInput } from '../../src/consensus/dpos/genesisState.js'
import { BLOCK_POOL_WEI } from '../../src/consensus/dpos/rewards.js'
import { BLOCK_MINING_POOL, DposStore, NODE_REGISTRY, Role, STAKING, type Addr } from '../../src/consensus/dpos/store.js'
import { NFC } from '../../src/execution/systemAddresses.js'

const utf8 = new TextEncoder()

export function addr(tag: string): Addr {
  let h = ''
  for (const b of keccak_256(utf8.encode(tag)).subarray(0, 20)) h += b.toString(16).padStart(2, '0')
  return `0x${h}`
}

export function hashOf(tag: string): Uint8Array {
  return keccak_256(utf8.encode(tag))
}

export const GENESIS_TIME = 1_700_000_000_000n
export const RN_PLEDGE = 1_000n * NFC

export function config(over: Partial<DposConfig> = {}): DposConfig {
  return {
    W: 21,
    cycleBlocks: 63n,
    intervalMs: 1_000n,
    genesisTime: GENESIS_TIME,
    genesisHash: hashOf('genesis'),
    rnPledge: RN_PLEDGE,
    unbondingDelayMs: 3n * 86_400_000n,
    pledgeUnlockMs: 180n * 86_400_000n,
    evidenceSlashBps: 500n,
    ...over,
  }
}

export function witnessInputs(n: number, votes = (i: number) => BigInt(100 + i) * NFC): GenesisWitnessInput[] {
  return Array.from({ length: n }, (_, i) => ({
    address: addr(`w${i}`),
    pledge: 2n * RN_PLEDGE,
    votes: votes(i),
    bonusRatioBps: 2_000,
    url: `https://w${i}.example`,
  }))
}

export async function balance(sm: MerkleStateManager, a: Address): Promise<bigint> {
  return (await sm.getAccount(a))?.balance ?? 0n
}

async function credit(sm: MerkleStateManager, a: Address, amount: bigint): Promise<void> {
  const acc = (await sm.getAccount(a)) ?? new Account()
  acc.balance += amount
  await sm.putAccount(a, acc)
}

/** Genesis state: the alloc balances the genesis validator would require, then writeGenesisState. */
export async function genesisState(witnesses: GenesisWitnessInput[], cfg: DposConfig): Promise<MerkleStateManager> {
  const sm = new MerkleStateManager({ caches: new Caches() })
  await credit(sm, BLOCK_MINING_POOL, BLOCK_POOL_WEI)
  await credit(
    sm,
    STAKING,
    witnesses.reduce((s, w) => s + w.votes, 0n),
  )
  await credit(
    sm,
    NODE_REGISTRY,
    witnesses.reduce((s, w) => s + w.pledge, 0n),
  )
  await writeGenesisState(sm, witnesses, cfg)
  return sm
}

/** Registers a candidate the way the Staking/NodeRegistry contracts would (balances included). */
export async function registerCandidate(sm: MerkleStateManager, a: Addr, votes: bigint, pledge = 2n * RN_PLEDGE): Promise<void> {
  const store = new DposStore(sm)
  await store.putNode(a, { role: Role.RN, pledge })
  await store.nodes.add(a)
  await store.putCandidate(a, { registered: true, votes, trust: 28_800n, bonusBps: 0n, pendingBonusBps: 0n })
  await store.candidates.add(a)
  await store.putPosition(a, a, { votes, debt: 0n })
  await store.voterCandidates(a).add(a)
  await credit(sm, STAKING, votes)
  await credit(sm, NODE_REGISTRY, pledge)
}

export interface Made {
  number: bigint
  slot: bigint
  hash: Uint8Array
  producer: Addr
  begin: BeginResult
  elected: Addr[] | null
}

export class Chain {
  number = 0n
  parentHash: Uint8Array
  parentTimestamp: bigint
  /** hash of the first block of each round (genesis for round 0) */
  readonly firstOfRound = new Map<bigint, Uint8Array>()

  constructor(
    readonly sm: MerkleStateManager,
    readonly cfg: DposConfig,
  ) {
    this.parentHash = cfg.genesisHash
    this.parentTimestamp = cfg.genesisTime
    this.firstOfRound.set(0n, cfg.genesisHash)
  }

  get store(): DposStore {
    return new DposStore(this.sm)
  }

  parentSlot(): bigint {
    return (this.parentTimestamp - this.cfg.genesisTime) / this.cfg.intervalMs
  }

  /** the seed §4 gives round r on this chain, computed from the blocks made */
  expectedSeed(r: bigint): Uint8Array {
    if (r <= 1n) return this.cfg.genesisHash
    return this.firstOfRound.get(r - 1n) ?? this.expectedSeed(r - 1n)
  }

  info(slot: bigint, producer: Addr, confirmations: BlockInfo['confirmations'] = []): BlockInfo {
    return {
      number: this.number + 1n,
      timestamp: this.cfg.genesisTime + slot * this.cfg.intervalMs,
      producer,
      parentHash: this.parentHash,
      parentTimestamp: this.parentTimestamp,
      confirmations,
    }
  }

  schedule(slot: bigint) {
    return scheduleFor(this.sm, this.parentHash, this.parentTimestamp, slot, this.cfg)
  }

  /** makes a block in `slot` (by its owner unless `producer` is given) */
  async make(slot: bigint, opts: { producer?: Addr; confirmations?: BlockInfo['confirmations'] } = {}): Promise<Made> {
    const producer = opts.producer ?? (await this.schedule(slot)).owner
    if (producer === null) throw new Error(`slot ${slot} is vacant`)
    const info = this.info(slot, producer, opts.confirmations)
    const begin = await beginBlock(this.sm, info, this.cfg)
    const { elected } = await endBlock(this.sm, info, this.cfg)
    const hash = hashOf(`block ${info.number} slot ${slot}`)
    const round = slot / BigInt(this.cfg.W)
    if (!this.firstOfRound.has(round)) this.firstOfRound.set(round, hash)
    this.number = info.number
    this.parentHash = hash
    this.parentTimestamp = info.timestamp
    return { number: info.number, slot, hash, producer, begin, elected }
  }
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex')
}

export { hexToBytes }
