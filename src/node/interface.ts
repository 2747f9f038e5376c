/**
 * What the edges (RPC, and through RPC the explorer) may ask of a running node. The RPC layer
 * imports these interfaces, never the Node class.
 */
import type { TxPool } from '../txpool/txPool.js'
import type { CallEnv, CallRequest } from '../execution/call.js'
import type { BlockHeader } from '../chain/header.js'
import type { Blockchain, Head } from './blockchain.js'
import type { Network } from '../p2p/network.js'
import type { SessionRecord } from '../flow/sideStore.js'
import type { SideChainInfo, SubmitResult } from '../flow/service.js'

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
  readonly chain: Blockchain
  readonly txpool: TxPool
  readonly head: Head
  sendRawTransaction(raw: Uint8Array): Promise<Uint8Array>
  call(req: CallRequest, on: Head): Promise<Uint8Array>
  estimateGas(req: CallRequest, on: Head): Promise<bigint>
  /** the environment a call runs in on top of a block (eth_createAccessList, tracing) */
  callEnv(header: BlockHeader, hash: Uint8Array): CallEnv
  /** eth_syncing: false, or the progress of a range sync */
  syncing(): false | { startingBlock: bigint; currentBlock: bigint; highestBlock: bigint }
  /** the node's wall clock (ms; injected in tests) */
  now(): number
  /** established P2P peers */
  readonly peerCount: number
  /** the P2P network service; null when P2P is off */
  readonly network: Network | null
  /** the flow side-chain service (null only while the node starts) */
  readonly flow: FlowApi | null
}
