/**
 * The plain JSON-RPC client of the programs that talk to a node over HTTP without ethers' provider
 * machinery (the `nfc` subcommands through src/cli/rpcClient.ts, the traffic simulator, the
 * traffic and storage agents): one fetch per call, the JSON-RPC error thrown as `RpcFailure` with
 * its code and data, a node that cannot be asked as `RpcUnreachable` saying why; and the readings
 * of a failure every caller shares (`reasonOf`, `isUnreachable`).
 */

/** A JSON-RPC error answer: its code, message and data (e.g. `{ code: 'FLOW_WRONG_CYCLE' }`). */
export class RpcFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message)
  }
}

/**
 * The node could not be asked: no connection ("cannot reach URL: ECONNREFUSED", the socket error
 * kept as `cause`), no answer within the timeout, or an answer that is not JSON-RPC.
 */
export class RpcUnreachable extends Error {
  constructor(
    message: string,
    /** no connection was made (refused, no route, a port fetch will not use): nothing answers there */
    readonly noConnection: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}

/** JSON-RPC calls to the node at `url` (fetch, one request per call; `timeoutMs` bounds each). */
export class Rpc {
  private id = 0
  constructor(
    readonly url: string,
    private readonly timeoutMs?: number,
  ) {}

  /** the result, or throws RpcFailure with the JSON-RPC error, RpcUnreachable when there is none */
  async call<T>(method: string, params: unknown[] = []): Promise<T> {
    let res: Response
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: ++this.id, method, params }),
        signal: this.timeoutMs === undefined ? undefined : AbortSignal.timeout(this.timeoutMs),
      })
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } }
      const timedOut = err.name === 'TimeoutError'
      const why = timedOut ? `no answer within ${this.timeoutMs} ms` : (err.cause?.code ?? err.cause?.message ?? err.message)
      throw new RpcUnreachable(`cannot reach ${this.url}: ${why}`, !timedOut, { cause: err.cause ?? err })
    }
    const body = (await res.json().catch(() => null)) as { result?: T; error?: { code: number; message: string; data?: unknown } } | null
    if (body === null || typeof body !== 'object')
      throw new RpcUnreachable(`${this.url} answered HTTP ${res.status} without JSON-RPC (is it a NetFlowCoin node's RPC port?)`, false)
    if (body.error) throw new RpcFailure(body.error.code, body.error.message, body.error.data)
    return body.result as T
  }
}

/** The contract's revert reason in an ethers error (its Error(string)), else its short message, else its message. */
export function reasonOf(e: unknown): string {
  const err = e as { reason?: string | null; shortMessage?: string; message?: string } | null
  if (typeof err?.reason === 'string' && err.reason !== '') return err.reason
  return err?.shortMessage ?? err?.message ?? String(e)
}

/** Nothing answers at the node's address (no connection: refused, …), through fetch, ethers or this client. */
export function isUnreachable(e: unknown): boolean {
  if (e instanceof RpcUnreachable) return e.noConnection
  const err = e as { code?: string; cause?: { code?: string }; message?: string } | null
  return err?.cause?.code === 'ECONNREFUSED' || err?.code === 'ECONNREFUSED' || /ECONNREFUSED|fetch failed/.test(String(err?.message))
}
