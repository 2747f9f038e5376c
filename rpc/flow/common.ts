/** Shared by the flow_ methods: the node's flow service, the head state, number formatting. */
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import { rpcError, RpcErrorCode } from '../errors.js'
import { hexQ } from '../format.js'
import type { FlowApi, NodeApi } from '../../src/node/interface.js'
import type { Head } from '../../src/node/interface.js'

export function flowOfNode(node: NodeApi): FlowApi {
  if (node.flow === null) throw rpcError(RpcErrorCode.Limit, 'the flow service is not running on this node')
  return node.flow
}

/** the canonical head and its state: flow views are of the head (the chain's latest word) */
export async function headState(node: NodeApi): Promise<{ head: Head; state: MerkleStateManager }> {
  const head = node.head
  return { head, state: await node.chain.stateAt(head.header) }
}

export { hexQ }
