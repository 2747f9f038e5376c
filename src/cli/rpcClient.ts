/**
 * The one JSON-RPC client of the `nfc` subcommands that talk to a running node (gov, names,
 * flow channel, storage, the flow agents): util/jsonRpc.ts's `Rpc` with the CLI's timeout, and
 * the one line a subcommand prints when a call failed — "no node answers at URL" when nothing
 * listens there, else what the client, the node or the contract said. Contract calls and
 * transactions still go through ethers; their errors read the same way (`failureOf`).
 */
import { isUnreachable, reasonOf, Rpc, RpcFailure, RpcUnreachable } from '../util/jsonRpc.js'

export { isUnreachable, reasonOf, RpcFailure, RpcUnreachable }

/** How long a subcommand waits for one answer of the node. */
export const RPC_TIMEOUT_MS = 10_000

/** A client of the node at `url` (already normalized: statusCommand.ts normalizeRpcUrl). */
export function cliRpc(url: string, timeoutMs = RPC_TIMEOUT_MS): Rpc {
  return new Rpc(url, timeoutMs)
}

/** The line a subcommand prints (after "nfc <command>: ") for a failed call to the node at `url`. */
export function failureOf(e: unknown, url: string): string {
  return isUnreachable(e) ? `no node answers at ${url}` : reasonOf(e)
}
