/**
 * The genesis documents of development chains: genesis/dev.json (one witness) and the devnets
 * of `nfc devnet` / `nfc genesis devnet` (N witnesses, one per node). One builder for both, so
 * the allocation (DESIGN §6) is written down once: dev accounts 0–9 with 10,000 NFC each, the
 * foundation, the team vesting pool (the team's 15% under a vesting grant to the team address:
 * 1-year cliff, then linear over 6 years), the two mining pools and the shared pool, plus the
 * NodeRegistry and Staking accounts holding the witnesses' pledges and self-votes. The
 * foundation account is also the genesis `foundation` (NB's price setter and post-cap receiver).
 *
 * The pledges and votes are taken from the foundation (then, past ~95 witnesses, from the team's
 * grant), so the supply still adds up and every dev account keeps its 10,000 NFC.
 *
 * Returns plain JSON documents (what a genesis file holds), not parsed `Genesis` values: they are
 * written to disk and then read back through the one validating parser.
 */
import { randomBytes } from 'node:crypto'
import { bytesToHex, toChecksumAddress } from '@ethereumjs/util'
import { DEFAULT_PARAMS, parseGenesis } from '../chain/genesis.js'
import { addressOf, publicKeyOf } from '../crypto/secp256k1.js'
import { NFC, POOLS, SYSTEM_CONTRACTS, TOTAL_SUPPLY } from '../execution/systemAddresses.js'
import { DEV_ACCOUNTS, DEV_FOUNDATION_INDEX, DEV_TEAM_INDEX } from '../node/devAccounts.js'

export interface WitnessDoc {
  address: string
  pledge: string
  votes: string
  bonusRatioBps: number
  url: string
}

export interface AccountDoc {
  balance: string
  label: string
}

export interface VestingDoc {
  address: string
  amount: string
  cliffSec: number
  durationSec: number
  label?: string
}

/** A genesis file as JSON (see docs/genesis.md). */
export interface GenesisDoc {
  name: string
  chainId: number
  timestamp: number
  params: Record<string, number | string>
  totalSupply: string
  witnesses: WitnessDoc[]
  alloc: Record<string, AccountDoc>
  foundation?: string
  vesting?: VestingDoc[]
}

export const DEV_CHAIN_ID = 2100
export const DEV_ACCOUNT_COUNT = 10
export const DEV_ACCOUNT_BALANCE = 10_000n * NFC
/** Self-vote of every development witness. */
export const DEV_WITNESS_VOTES = 1_000_000n * NFC
export const DEV_WITNESS_BONUS_RATIO_BPS = 1000
/**
 * Devnet overrides (DESIGN §3/§4); every other parameter keeps its mainnet default. Short flow
 * cycles and challenge windows so a developer sees traffic rewards within minutes.
 */
export const DEV_PARAMS = { blockIntervalMs: 1000, flowCycleSec: 60, flowChallengeSec: 30, electionCycleBlocks: 100 } as const
/** Most nodes of a devnet: one per witness seat, and at most 101 seats (params.witnessesPerRound). */
export const MAX_DEVNET_NODES = 101

// DESIGN §6: foundation 5%, team 15%, block mining 16%, traffic mining 64%.
const FOUNDATION = 105_000_000n * NFC
const TEAM = 315_000_000n * NFC
const BLOCK_MINING = 336_000_000n * NFC
const TRAFFIC_MINING = 1_344_000_000n * NFC
/** The team grant: nothing for 365 days, then linear over 6 × 365 days. */
export const TEAM_CLIFF_SEC = 31_536_000
export const TEAM_DURATION_SEC = 6 * 31_536_000

const nfc = (wei: bigint): string => `${(wei / NFC).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',')} NFC`

/**
 * A development genesis: the dev allocation plus `witnesses` (addresses), each with a pledge of
 * `params.rnPledge` (default 100,000 NFC) and a self-vote of 1,000,000 NFC.
 */
export function devGenesisDoc(opts: {
  name: string
  chainId: number
  timestamp: number
  params: Record<string, number | string>
  witnesses: string[]
}): GenesisDoc {
  const rnPledge = opts.params.rnPledge === undefined ? DEFAULT_PARAMS.rnPledge : BigInt(opts.params.rnPledge)
  const witnesses: WitnessDoc[] = opts.witnesses.map((address) => ({
    address,
    pledge: rnPledge.toString(),
    votes: DEV_WITNESS_VOTES.toString(),
    bonusRatioBps: DEV_WITNESS_BONUS_RATIO_BPS,
    url: '',
  }))
  const n = BigInt(witnesses.length)
  const pledged = n * rnPledge
  const voted = n * DEV_WITNESS_VOTES

  // The witnesses' NFC comes out of the foundation first, then the team.
  const devTotal = BigInt(DEV_ACCOUNT_COUNT) * DEV_ACCOUNT_BALANCE
  const foundationFree = FOUNDATION - devTotal
  const fromFoundation = pledged + voted < foundationFree ? pledged + voted : foundationFree
  const fromTeam = pledged + voted - fromFoundation
  if (fromTeam > TEAM) throw new Error(`${witnesses.length} witnesses need more NFC than the foundation and team hold`)

  const alloc: Record<string, AccountDoc> = {}
  const put = (addr: string, balance: bigint, label: string): void => {
    alloc[addr] = { balance: balance.toString(), label }
  }
  for (let i = 0; i < DEV_ACCOUNT_COUNT; i++) put(DEV_ACCOUNTS[i]!.address, DEV_ACCOUNT_BALANCE, `dev account ${i}`)
  const witnessNote =
    n === 0n ? '' : fromTeam === 0n ? " and the witnesses' pledges and votes" : " and the witnesses' pledges and votes (the rest of those from the team)"
  put(DEV_ACCOUNTS[DEV_FOUNDATION_INDEX]!.address, FOUNDATION - devTotal - fromFoundation, `foundation (5%, less the dev accounts${witnessNote})`)
  put(
    POOLS.teamVesting,
    TEAM - fromTeam,
    `team vesting pool: the team's 15%${fromTeam === 0n ? '' : `, less ${nfc(fromTeam)} of witness pledges and votes`}, vesting to the team address`,
  )
  put(POOLS.blockMining, BLOCK_MINING, 'block-mining pool Pb (16%)')
  put(POOLS.trafficMining, TRAFFIC_MINING, 'traffic-mining pool Pf (64%)')
  put(POOLS.shared, 0n, 'shared pool')
  const whose = n === 1n ? "the witness's" : `the ${n} witnesses'`
  const times = n === 1n ? '' : `${n} × `
  const source = fromTeam === 0n ? 'the foundation' : 'the foundation and the team'
  put(SYSTEM_CONTRACTS.nodeRegistry, pledged, `NodeRegistry: ${whose} RN pledge${n === 1n ? '' : 's'} (${times}${nfc(rnPledge)}), from ${source}`)
  put(SYSTEM_CONTRACTS.staking, voted, `Staking: ${whose} self-vote${n === 1n ? '' : 's'} (${times}${nfc(DEV_WITNESS_VOTES)}), from ${source}`)

  return {
    name: opts.name,
    chainId: opts.chainId,
    timestamp: opts.timestamp,
    params: { ...opts.params },
    totalSupply: TOTAL_SUPPLY.toString(),
    witnesses,
    foundation: DEV_ACCOUNTS[DEV_FOUNDATION_INDEX]!.address,
    vesting: [
      {
        address: DEV_ACCOUNTS[DEV_TEAM_INDEX]!.address,
        amount: (TEAM - fromTeam).toString(),
        cliffSec: TEAM_CLIFF_SEC,
        durationSec: TEAM_DURATION_SEC,
        label: 'team: 1-year cliff, then linear over 6 years',
      },
    ],
    alloc,
  }
}

export interface DevnetGenesis {
  doc: GenesisDoc
  /** witnessKeys[i]: 0x-hex private key of witness i (dev account i for i < 10, fresh otherwise) */
  witnessKeys: string[]
  /** indices of the witnesses whose key was generated here (not a dev account) */
  freshKeys: number[]
}

/** A fresh secp256k1 private key; rejects the (astronomically rare) invalid scalars. */
function freshKey(): Uint8Array {
  for (;;) {
    const k = new Uint8Array(randomBytes(32))
    try {
      publicKeyOf(k)
      return k
    } catch {
      // zero or ≥ n: draw again
    }
  }
}

/**
 * The genesis of an N-node devnet: `nfc-devnet-N`, chain id 2100 unless given, one witness
 * seat per node (W = N), 1 s blocks, 100-block election cycles, 60 s flow cycles (30 s challenges). Witness i is
 * dev account i for i < 10; the others get fresh keys from node:crypto (so a devnet of more than
 * 10 nodes differs each time it is generated, and its keys must be kept with it).
 */
export function devnetGenesis(opts: { nodes: number; chainId?: number; timestamp?: number; newKey?: () => Uint8Array }): DevnetGenesis {
  const { nodes } = opts
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_DEVNET_NODES) {
    throw new RangeError(`a devnet has 1 to ${MAX_DEVNET_NODES} nodes, not ${nodes}`)
  }
  const newKey = opts.newKey ?? freshKey
  const witnessKeys: string[] = []
  const witnesses: string[] = []
  const freshKeys: number[] = []
  for (let i = 0; i < nodes; i++) {
    if (i < DEV_ACCOUNT_COUNT) {
      witnessKeys.push(DEV_ACCOUNTS[i]!.privateKey)
      witnesses.push(DEV_ACCOUNTS[i]!.address)
    } else {
      const key = newKey()
      witnessKeys.push(bytesToHex(key))
      witnesses.push(toChecksumAddress(bytesToHex(addressOf(publicKeyOf(key)))))
      freshKeys.push(i)
    }
  }
  const doc = devGenesisDoc({
    name: `nfc-devnet-${nodes}`,
    chainId: opts.chainId ?? DEV_CHAIN_ID,
    timestamp: opts.timestamp ?? 0,
    params: { ...DEV_PARAMS, witnessesPerRound: nodes },
    witnesses,
  })
  parseGenesis(doc) // a bug here must never reach a file
  return { doc, witnessKeys, freshKeys }
}

/** The text of a genesis file: two-space JSON and a final newline, as the committed files. */
export function genesisFileText(doc: GenesisDoc): string {
  return `${JSON.stringify(doc, null, 2)}\n`
}

/**
 * The dev chain of `npm start` (genesis/dev.json): one witness, dev account 0, in a one-seat
 * schedule (W = 1) so it produces every slot, and every block is final as it is made.
 */
export function devChainGenesisDoc(): GenesisDoc {
  return devGenesisDoc({
    name: 'nfc-dev',
    chainId: DEV_CHAIN_ID,
    timestamp: 0,
    params: { ...DEV_PARAMS, witnessesPerRound: 1 },
    witnesses: [DEV_ACCOUNTS[0]!.address],
  })
}
