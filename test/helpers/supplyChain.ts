/**
 * Fixture of the supply-invariant run (test/slow/supplyInvariant.test.ts): a dev genesis made for
 * a fast token economy — 100 ms blocks, 2 s flow cycles, a 1 s challenge window, locks of seconds,
 * a small NB burn cap — with generated actors funded from the foundation's allocation (so the
 * genesis still holds exactly 2,100,000,000 NFC and passes the genesis validator), plus a walk
 * over the whole account trie of a state.
 */
import fs from 'node:fs'
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import { Address, bytesToHex, createAccountFromRLP, hexToBytes, toChecksumAddress } from '@ethereumjs/util'
import { parseGenesis, type Genesis } from '../../src/chain/genesis.js'
import { NFC } from '../../src/chain/systemAddresses.js'
import { addressOf, publicKeyOf } from '../../src/crypto/secp256k1.js'
import { devGenesisPath } from './inProcessNode.js'
import { randomBytes } from './prng.js'

export type Kind = 'dev' | 'consumer' | 'poor' | 'provider' | 'relay' | 'cn' | 'team' | 'fresh' | 'staker' | 'grantee'

export interface Actor {
  name: string
  kind: Kind
  key: Uint8Array
  /** lowercase 0x address */
  addr: string
  address: Address
}

export function actorOf(name: string, kind: Kind, key: Uint8Array): Actor {
  const address = new Address(addressOf(publicKeyOf(key)))
  return { name, kind, key, addr: address.toString(), address }
}

/** A key from `rand` (a valid secp256k1 scalar: retried in the astronomically rare other case). */
export function generatedKey(rand: () => number): Uint8Array {
  for (;;) {
    const k = randomBytes(rand, 32)
    if (k.some((b) => b !== 0) && k[0]! < 0xff) return k
  }
}

/** Parameters of the run (genesis units: seconds and wei). */
export const SUPPLY_PARAMS = {
  blockIntervalMs: 100,
  flowCycleSec: 2,
  flowChallengeSec: 1,
  flowCommitteeSize: 3,
  flowSampleLagBlocks: 2,
  flowLogThresholdBytes: '2000000000',
  flowLockSec: 3,
  flowUnlockSec: 6,
  unbondingDelaySec: 1,
  pledgeUnlockSec: 2,
  cnPledge: (200n * NFC).toString(),
  enPledge: (50n * NFC).toString(),
  nbConvertMinBalance: (1_000n * NFC).toString(),
  nbBurnCap: (300n * NFC).toString(),
  electionCycleBlocks: 100,
  witnessesPerRound: 1,
  // names: terms of seconds, so names expire and are registered again within a run
  nameLockPerYear: (1_000_000n * NFC).toString(),
  nameMinTermSec: 1,
  nameMaxTermSec: 60,
  // storage deals: 1-second proof periods (10 blocks), so deals are proved, paid, slashed and end within a run
  storageProofPeriodSec: 1,
  storageCollateral: NFC.toString(),
  // governance: 3-second votes, a 1-second timelock (proposals settle at the 2-second flow-cycle
  // boundaries ~40 blocks after they are made), a 15% quorum the big stakers reach or miss
  govVotingSec: 3,
  govTimelockSec: 1,
  govQuorumBps: 1_500,
  // payment channels: a 1-second challenge period, so channels close and are withdrawn within a run
  channelChallengeSec: 1,
}

/**
 * The dev genesis (fixed time) with SUPPLY_PARAMS, the team grant vesting from second 10 over
 * 2,000 s, and `funded` accounts allocated from the foundation's balance; validated.
 */
export function supplyGenesis(funded: readonly { addr: string; balance: bigint }[]): Genesis {
  const json = JSON.parse(fs.readFileSync(devGenesisPath, 'utf8'))
  json.timestamp = 1_700_000_000_000
  json.name = 'nfc-supply-invariant'
  Object.assign(json.params, SUPPLY_PARAMS)
  json.vesting[0].cliffSec = 10
  json.vesting[0].durationSec = 2_000
  const foundation = toChecksumAddress(json.foundation)
  let taken = 0n
  for (const f of funded) {
    const key = toChecksumAddress(f.addr)
    if (json.alloc[key] !== undefined) throw new Error(`${key} is already allocated`)
    json.alloc[key] = { balance: f.balance.toString(), label: 'supply-invariant actor' }
    taken += f.balance
  }
  const fa = json.alloc[foundation]
  fa.balance = (BigInt(fa.balance) - taken).toString()
  return parseGenesis(json)
}

/** Σ balances and the number of accounts of the whole account trie of a state view. */
export async function walkAccounts(view: MerkleStateManager): Promise<{ sum: bigint; accounts: number; hashedKeys: Set<string> }> {
  const trie = (view as unknown as { _trie: { getValueMap(): Promise<{ values: Record<string, string> }> } })._trie
  const { values } = await trie.getValueMap()
  let sum = 0n
  let accounts = 0
  const hashedKeys = new Set<string>()
  for (const [k, v] of Object.entries(values)) {
    sum += createAccountFromRLP(hexToBytes(v as `0x${string}`)).balance
    accounts++
    hashedKeys.add(k.toLowerCase())
  }
  return { sum, accounts, hashedKeys }
}

export const hexAddr = (a: Address): string => bytesToHex(a.bytes)
