/**
 * The one JSON-RPC client of the `nfc` subcommands (src/cli/rpcClient.ts on util/jsonRpc.ts), as an
 * operator meets it: a port nobody listens on, a port that answers something else than JSON-RPC,
 * a node that answers too late, a JSON-RPC error and a contract's revert reason each give one
 * line saying which, and a good answer is the result.
 */
import t, { type Test } from 'tap'
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { cliRpc, failureOf, RpcFailure, RpcUnreachable } from '../../../src/cli/rpcClient.js'
import { isUnreachable, reasonOf } from '../../../src/util/jsonRpc.js'

/** an HTTP server on an ephemeral port answering each request with `answer` */
async function serve(t: Test, answer: (body: string, res: ServerResponse) => void): Promise<string> {
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => answer(body, res))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
}

/** a port that was just free: nothing listens there */
async function deadUrl(): Promise<string> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as AddressInfo).port
  await new Promise<void>((r) => s.close(() => r()))
  return `http://127.0.0.1:${port}/`
}

const failure = async (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    (v) => {
      throw new Error(`answered ${JSON.stringify(v)}, want a failure`)
    },
    (e: unknown) => e,
  )

t.test('a port nobody listens on: unreachable, "no node answers at URL"', async (t) => {
  const url = await deadUrl()
  const e = await failure(cliRpc(url).call('eth_chainId'))
  t.ok(e instanceof RpcUnreachable)
  t.match((e as Error).message, new RegExp(`^cannot reach ${url.replace(/[.]/g, '\\.')}: ECONNREFUSED$`))
  t.ok(isUnreachable(e))
  t.equal(failureOf(e, url), `no node answers at ${url}`)
})

t.test('a port that answers HTML: said so, not a JSON parse error', async (t) => {
  const url = await serve(t, (_b, res) => {
    res.writeHead(404, { 'content-type': 'text/html' })
    res.end('<html>not here</html>')
  })
  const e = await failure(cliRpc(url).call('eth_chainId'))
  t.ok(e instanceof RpcUnreachable)
  t.equal(failureOf(e, url), `${url} answered HTTP 404 without JSON-RPC (is it a NetFlowCoin node's RPC port?)`)
  t.notOk(isUnreachable(e), 'something listens there')
})

t.test('a node that does not answer in time', async (t) => {
  const url = await serve(t, () => undefined)
  const e = await failure(cliRpc(url, 200).call('eth_chainId'))
  t.ok(e instanceof RpcUnreachable)
  t.equal(failureOf(e, url), `cannot reach ${url}: no answer within 200 ms`)
  t.notOk(isUnreachable(e), 'a connection was made')
})

t.test('a port fetch will not use: no node answers there either', async (t) => {
  const e = await failure(cliRpc('http://127.0.0.1:1/').call('eth_chainId'))
  t.equal((e as Error).message, 'cannot reach http://127.0.0.1:1/: bad port')
  t.equal(failureOf(e, 'http://127.0.0.1:1/'), 'no node answers at http://127.0.0.1:1/')
})

t.test("a JSON-RPC error: the node's message and code; a result: the result", async (t) => {
  const url = await serve(t, (body, res) => {
    const req = JSON.parse(body) as { id: number; method: string }
    res.writeHead(200, { 'content-type': 'application/json' })
    if (req.method === 'eth_chainId') res.end(JSON.stringify({ jsonrpc: '2.0', id: req.id, result: '0x834' }))
    else res.end(JSON.stringify({ jsonrpc: '2.0', id: req.id, error: { code: -32601, message: `the method ${req.method} does not exist` } }))
  })
  t.equal(await cliRpc(url).call('eth_chainId'), '0x834')
  const e = await failure(cliRpc(url).call('nfc_nope'))
  t.ok(e instanceof RpcFailure)
  t.equal((e as RpcFailure).code, -32601)
  t.equal(failureOf(e, url), 'the method nfc_nope does not exist')
})

t.test("an ethers error: the contract's revert reason, else its short message", async (t) => {
  t.equal(reasonOf({ reason: 'Governance: no proposal 9', shortMessage: 'execution reverted', message: 'long' }), 'Governance: no proposal 9')
  t.equal(reasonOf({ reason: '', shortMessage: 'execution reverted', message: 'long' }), 'execution reverted', 'an empty reason is no reason')
  t.equal(reasonOf({ reason: null, message: 'long' }), 'long')
  t.equal(reasonOf('plain'), 'plain')
})
