/**
 * The shapes every JSON-RPC method and transport share. A method is a plain object: a name,
 * a `params` step that turns raw JSON into typed values (or throws InvalidParamsError), and
 * a handler that gets those values plus the context of the call.
 */
import type { NodeApi } from '../src/node/interface.js'
import type { Logger } from '../src/util/logger.js'

/** What a handler sees. `connection` is set for WebSocket calls only. */
export interface RpcContext {
  /** The running node as the RPC layer may see it: `NodeApi`, nothing else of src/node. */
  node: NodeApi
  logger: Logger
  connection?: RpcConnection
}

/** One WebSocket client; subscriptions push to it with `send`. */
export interface RpcConnection {
  id: number
  /** Serialises `message` as JSON and sends it if the socket is still open; never throws. */
  send(message: unknown): void
  /** Called once when the socket closes (or at once if it already has). */
  onClose(cb: () => void): void
}

export interface RpcMethod<P extends unknown[] = unknown[], R = unknown> {
  name: string
  /** validates and converts raw JSON params; throws InvalidParams with a precise message ("invalid argument 0: hex string without 0x prefix") */
  params(raw: unknown[]): P
  handler(params: P, ctx: RpcContext): Promise<R> | R
}

export type JsonRpcId = string | number | null

export interface JsonRpcErrorObject {
  code: number
  message: string
  data?: unknown
}

export type JsonRpcResponse = { jsonrpc: '2.0'; id: JsonRpcId; result: unknown } | { jsonrpc: '2.0'; id: JsonRpcId; error: JsonRpcErrorObject }
