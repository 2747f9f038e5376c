/**
 * The composition root (Lodestar's cli building `BeaconNode`): the one place that knows both the
 * node and the JSON-RPC layer. It builds the node (database, chain, pool, flow, P2P, producer —
 * `Node.init`), then the RPC server on top of it, handing the server the node as its `NodeApi`;
 * `close()` stops them in reverse: the RPC (and its filters and subscriptions), then the node.
 * `nfc node`, the in-process test nodes and the benchmarks all start a node through here.
 */
import { Node, type NodeOptions } from '../node/node.js'
import { NodeErrorCode } from '../node/errors.js'
import { nodeHealth } from '../node/health.js'
import { buildInfo } from '../node/version.js'
import { NfcError } from '../util/errors.js'
import { rpcDefaults, type RpcServerOptions } from '../../rpc/config.js'
import { closeFilterRegistry } from '../../rpc/filters/index.js'
import { allMethods } from '../../rpc/index.js'
import { startRpcServer, type RpcServer } from '../../rpc/server.js'

/**
 * JSON-RPC over HTTP and WebSocket on one port. The limits, CORS origins and host allow-list
 * default to geth's (`rpcDefaults` in rpc/config.ts) when absent.
 */
export type RpcOptions = { host: string; port: number } & Partial<
  Pick<
    RpcServerOptions,
    | 'maxBodyBytes'
    | 'maxBatch'
    | 'maxResponseBytes'
    | 'maxSubscriptionsPerConnection'
    | 'maxFilters'
    | 'maxInflight'
    | 'maxLagMs'
    | 'wsMaxBufferedBytes'
    | 'cors'
    | 'vhosts'
  >
> & {
    /** GET /health reports "no peers" as unhealthy (a node on a network; not the dev chain) */
    healthRequiresPeers?: boolean
  }

export interface StartOptions extends NodeOptions {
  /** the JSON-RPC server; null: no RPC */
  rpc: RpcOptions | null
}

export interface RunningNode {
  readonly node: Node
  /** null when started without RPC */
  readonly rpc: RpcServer | null
  /** Stops the RPC server (its filters and subscriptions too), then the node. */
  close(): Promise<void>
}

export async function startNode(opts: StartOptions): Promise<RunningNode> {
  const { rpc: rpcOpts, ...nodeOpts } = opts
  const node = await Node.init({ ...nodeOpts, witnessStats: rpcOpts !== null })
  let rpc: RpcServer | null = null
  if (rpcOpts !== null) {
    try {
      rpc = await startRpcServer({
        host: rpcOpts.host,
        port: rpcOpts.port,
        methods: allMethods(),
        context: { node, logger: opts.logger.child('rpc') },
        logger: opts.logger.child('rpc'),
        maxBodyBytes: rpcOpts.maxBodyBytes ?? rpcDefaults.maxBodyBytes,
        maxBatch: rpcOpts.maxBatch ?? rpcDefaults.maxBatch,
        maxResponseBytes: rpcOpts.maxResponseBytes ?? rpcDefaults.maxResponseBytes,
        maxSubscriptionsPerConnection: rpcOpts.maxSubscriptionsPerConnection ?? rpcDefaults.maxSubscriptionsPerConnection,
        maxFilters: rpcOpts.maxFilters ?? rpcDefaults.maxFilters,
        maxInflight: rpcOpts.maxInflight ?? rpcDefaults.maxInflight,
        maxLagMs: rpcOpts.maxLagMs ?? rpcDefaults.maxLagMs,
        wsMaxBufferedBytes: rpcOpts.wsMaxBufferedBytes ?? rpcDefaults.wsMaxBufferedBytes,
        cors: rpcOpts.cors ?? [...rpcDefaults.cors],
        vhosts: rpcOpts.vhosts ?? [...rpcDefaults.vhosts],
        // read at each scrape
        nodeStats: () => node.stats(),
        health: () => nodeHealth(node, { requirePeers: rpcOpts.healthRequiresPeers === true }),
        buildInfo: buildInfo(),
      })
    } catch (e) {
      await node.close()
      throw new NfcError(NodeErrorCode.RpcListen, `cannot serve JSON-RPC on ${rpcOpts.host}:${rpcOpts.port}: ${(e as Error).message}`)
    }
  }
  const server = rpc
  let closing: Promise<void> | undefined
  const close = () =>
    (closing ??= (async () => {
      await server?.close()
      closeFilterRegistry(node)
      await node.close()
    })())
  return { node, rpc, close }
}
