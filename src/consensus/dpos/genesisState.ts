/**
 * The DPoS records of the genesis state (DESIGN §4, §6): the genesis witnesses as registered RN
 * candidates holding their seats for cycle 0.
 *
 * - STAKING, NODE_REGISTRY, FLOW_REWARDS, NB and EVIDENCE exist with nonce ≥ 1 (balances kept): a non-zero nonce
 *   keeps EIP-161 empty-account cleanup from deleting their storage, and putStorage needs the
 *   account to exist. Their genesis balances (Σ votes, Σ pledges) come from the alloc, which the
 *   genesis validator checks; nothing here moves value.
 * - Each witness: node {role RN, pledge}; candidate {registered, bonus ratio in force = pending
 *   = the given one, votes, trust 28,800} with its url; a self-vote position (the witness votes
 *   its own `votes`, debt 0 — the reward index starts at 0).
 * - Seats = the witnesses in genesis order padded with null to W; no standby; no pending
 *   election; cycle 0; the round record all zero (engine.ts reads round ≤ 1 as the genesis hash).
 * - NB: no words. Its supply starts at 0, and its oracle-price word left at 0 reads as the
 *   genesis nfcPriceNb (NbStore.price), so the genesis state needs no copy of a parameter the
 *   genesis file already commits to. Vesting keeps no genesis words either: the grants are
 *   genesis data (FlowConfig.vesting) and only claims are recorded (vestingFunctions.ts).
 */
import { Account } from '@ethereumjs/util'
import { NfcError } from '../../util/errors.js'
import { normalizeAddress } from './election.js'
import { DposError } from './errors.js'
import { INITIAL_TRUST } from './params.js'
import { toBonusRatioBps } from './rewards.js'
import { DposStore, EVIDENCE, NODE_REGISTRY, Role, STAKING, type Addr, type StateAccess } from './store.js'
import { NB } from '../povf/nbStore.js'
import { FLOW_REWARDS } from '../povf/store.js'

export interface GenesisWitnessInput {
  address: string
  pledge: bigint
  votes: bigint
  bonusRatioBps: number
  url: string
}

export async function writeGenesisState(sm: StateAccess, witnesses: readonly GenesisWitnessInput[], cfg: { W: number }): Promise<void> {
  if (witnesses.length > cfg.W) {
    throw new NfcError(DposError.BAD_GENESIS_WITNESSES, `${witnesses.length} genesis witnesses for ${cfg.W} seats`, { count: witnesses.length, W: cfg.W })
  }
  const seen = new Set<Addr>()
  for (const w of witnesses) {
    const a = normalizeAddress(w.address)
    if (seen.has(a)) throw new NfcError(DposError.BAD_GENESIS_WITNESSES, `genesis witness ${a} listed twice`, { address: a })
    seen.add(a)
    if (w.pledge < 0n || w.votes < 0n) throw new NfcError(DposError.BAD_GENESIS_WITNESSES, `negative pledge or votes for ${a}`, { address: a })
  }

  for (const account of [STAKING, NODE_REGISTRY, FLOW_REWARDS, NB, EVIDENCE]) {
    const acc = (await sm.getAccount(account)) ?? new Account()
    if (acc.nonce === 0n) {
      acc.nonce = 1n
      await sm.putAccount(account, acc)
    }
  }

  const store = new DposStore(sm)
  const seats: (Addr | null)[] = []
  for (const w of witnesses) {
    const a = normalizeAddress(w.address)
    const bps = toBonusRatioBps(w.bonusRatioBps)
    await store.putNode(a, { role: Role.RN, pledge: w.pledge })
    await store.nodes.add(a)
    await store.putCandidate(a, { registered: true, bonusBps: bps, pendingBonusBps: bps, votes: w.votes, trust: INITIAL_TRUST })
    await store.setUrl(a, w.url)
    await store.candidates.add(a)
    await store.putPosition(a, a, { votes: w.votes, debt: 0n })
    await store.voterCandidates(a).add(a)
    seats.push(a)
  }
  while (seats.length < cfg.W) seats.push(null)
  await store.setSeats(seats)
  await store.setStandby([])
  await store.setPending(null)
  await store.setCycle(0n)
  await store.setRound({ round: 0n, seed: new Uint8Array(32), roundFirst: new Uint8Array(32) })
}
