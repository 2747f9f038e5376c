/**
 * The plain JSON-RPC client of the programs that talk to a node over HTTP without ethers' provider
 * machinery (the traffic simulator, the traffic agents): one fetch per call, the JSON-RPC error
 * thrown as `RpcFailure` with its code and data.
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

/** JSON-RPC calls to the node at `url` (fetch, one request per call). */
export class Rpc {
  private id = 0
  constructor(readonly url: string) {}

  /** the result, or throws RpcFailure with the JSON-RPC error */
  async call<T>(method: string, params: unknown[] = []): Promise<T> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++this.id, method, params }),
    })
    const body = (await res.json()) as { result?: T; error?: { code: number; message: string; data?: unknown } }
    if (body.error) throw new RpcFailure(body.error.code, body.error.message, body.error.data)
    return body.result as T
  }
}
