/**
 * What the storage agents need of the chain (the StorageDeals contract 0x…1008 and its RPC
 * reads), as an interface: rpcDeals.ts implements it over JSON-RPC, tests may give their own.
 */

/** a deal's state on chain (IStorageDeals status 1–5) */
export type DealStatus = 'posted' | 'active' | 'completed' | 'cancelled' | 'slashed'

/** IStorageDeals' status numbers (0: no such deal) */
export const DEAL_STATUS: Record<number, DealStatus> = { 1: 'posted', 2: 'active', 3: 'completed', 4: 'cancelled', 5: 'slashed' }

/** a deal as the chain holds it */
export interface ChainDeal {
  id: string
  client: string
  provider: string
  /** 0x hex */
  root: string
  size: number
  periods: number
  status: DealStatus
  /** NB escrowed for the whole term */
  price: bigint
  /** NB released to the provider so far */
  paid: bigint
  /** NFC (wei) the provider holds as collateral */
  collateral: bigint
  /** the first period of the term (proofs are due from it), or null before acceptance */
  startPeriod: bigint | null
  /** the period of its last accepted proof, or null */
  lastProvenPeriod: bigint | null
}

/** a provider's standing offer */
export interface StorageOffer {
  provider: string
  endpoint: string
  /** NB per MiB per period */
  pricePerMiBPeriod: bigint
  /** the largest file it takes */
  maxBytes: number
}

export interface DealChain {
  /** the agent's account (lower-case 0x) */
  readonly address: string
  /** deal `id`, or null when there is none */
  deal(id: string): Promise<ChainDeal | null>
  /** the period the chain's head is in */
  period(): Promise<bigint>
  /** the chunk indexes deal `id` must prove for `period` (an error before they are known) */
  challenge(id: string, period: bigint): Promise<number[]>
  /** accepts deal `id` with the collateral; resolves with the mined transaction's hash */
  accept(id: string): Promise<string>
  /** submits the proof of `period`; resolves with the mined transaction's hash */
  prove(id: string, period: bigint, chunks: Uint8Array[], proofs: Uint8Array[][]): Promise<string>
}

/** true once a deal will never need a proof again */
export function isEnded(s: DealStatus): boolean {
  return s === 'completed' || s === 'cancelled' || s === 'slashed'
}
