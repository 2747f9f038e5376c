/**
 * What the edges (RPC, and through RPC the explorer) may ask of a running node: `NodeApi`, the
 * one typed boundary between `rpc/` and `src/node/` (reth's `*-api` traits). `rpc/` imports this
 * file only (type-only), never the Node or Blockchain classes; `Node` implements `NodeApi`.
 */
import type { TxPool } from '../txpool/txPool.js'
import type { CallEnv, CallRequest } from '../execution/call.js'
import type { Blockchain, Head, NewBlockEvent } from './blockchain.js'
import type { PeerInfo } from '../p2p/network.js'
export type { HealthReport } from './health.js'
export type { BuildInfo } from './version.js'
import type { SessionRecord } from '../flow/sideStore.js'
import type { SideChainInfo, SubmitResult } from '../flow/service.js'
import type { PendingBlock, PendingHeader } from './pendingBlock.js'

export type { Head, NewBlockEvent, PendingBlock, PendingHeader }
export type { DurationSnapshot, SlotMetricsSnapshot } from './slotMetrics.js'
export type { TrafficCount, TrafficSnapshot } from '../p2p/traffic.js'

/**
 * The chain as RPC reads it: head and finality, the block store, state at a block, the DPoS
 * parameters and schedule, what tracing replays a block with, and the `block` / `removedBlock`
 * events filters and subscriptions listen to. Read-only: no import, no production.
 */
export type ChainApi = Pick<
  Blockchain,
  | 'head'
  | 'finalized'
  | 'store'
  | 'common'
  | 'genesis'
  | 'genesisTime'
  | 'dpos'
  | 'vm'
  | 'seats'
  | 'quorum'
  | 'slotOf'
  | 'headerByNumber'
  | 'stateAt'
  | 'beginHookFor'
  | 'on'
  | 'off'
>

/** The pending pool as RPC reads it (txpool_*, pending nonces, pending-tx filters). */
export type TxPoolApi = Pick<TxPool, 'status' | 'content' | 'get' | 'pendingNonce' | 'on'>

/** The P2P service as the admin_ methods use it. */
export interface PeersApi {
  readonly peers: PeerInfo[]
  readonly transport: {
    readonly nodeId: string
    readonly port: number
    addStaticPeer(url: string): void
    removeStaticPeer(url: string): void
  }
}

/** What flow_ RPC methods ask of the node's flow side-chain service. */
export interface FlowApi {
  /** the current flow cycle (null before the service saw a head) */
  readonly cycle: bigint | null
  /** flow_submitReceipt: the receipt JSON; throws the FlowError that refused it */
  submitReceipt(json: unknown): Promise<SubmitResult>
  /** the side-chain of a cycle (default: the current one) as this node knows it; null: none */
  sideChain(cycle?: bigint): Promise<SideChainInfo | null>
  /** the flow cycle a sideChainId names (null: none up to the current cycle) */
  cycleOf(sideChainId: Uint8Array): bigint | null
  /** this node's side-chain record of a session */
  session(sessionId: Uint8Array): Promise<SessionRecord | undefined>
}

export interface NodeInfo {
  chainId: bigint
  /** e.g. "nfc/v0.1.0/linux-x64/node20.20.2" */
  clientVersion: string
}

export interface NodeApi extends NodeInfo {
  readonly chain: ChainApi
  readonly txpool: TxPoolApi
  readonly head: Head
  sendRawTransaction(raw: Uint8Array): Promise<Uint8Array>
  /** on a block, or on top of the pending block */
  call(req: CallRequest, on: Head | 'pending'): Promise<Uint8Array>
  estimateGas(req: CallRequest, on: Head | 'pending'): Promise<bigint>
  /** the `pending` tag: the pool's next block executed on the head (cached, bounded work) */
  pendingBlock(): Promise<PendingBlock>
  /** the environment a call runs in on top of a block or of the pending block (eth_createAccessList, tracing) */
  callEnvOn(on: Head | 'pending'): Promise<CallEnv>
  /** eth_syncing: false, or the progress of a range sync */
  syncing(): false | { startingBlock: bigint; currentBlock: bigint; highestBlock: bigint }
  /** the node's wall clock (ms; injected in tests) */
  now(): number
  /** established P2P peers */
  readonly peerCount: number
  /** the P2P network service; null when P2P is off */
  readonly network: PeersApi | null
  /** the flow side-chain service (null only while the node starts) */
  readonly flow: FlowApi | null
}
