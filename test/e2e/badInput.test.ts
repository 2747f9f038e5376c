/**
 * Bad transactions and bad requests over HTTP against one running node. Every case gets the
 * exact JSON-RPC error (geth's wording, as src/execution/txDecode.ts and src/txpool/txPool.ts
 * produce it), and the node keeps serving: blocks go on, a valid transfer still mines, and
 * nothing committed before is lost.
 */
import { randomBytes } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import t, { type Test } from 'tap'
import { JsonRpcProvider, Wallet, type TransactionRequest } from 'ethers'
import { createCustomCommon, Hardfork, Mainnet } from '@ethereumjs/common'
import { RLP } from '@ethereumjs/rlp'
import { createLegacyTx } from '@ethereumjs/tx'
import { bigIntToUnpaddedBytes, bytesToBigInt, bytesToHex, hexToBytes, SECP256K1_ORDER } from '@ethereumjs/util'
import { DEV_ACCOUNTS } from '../../src/node/devAccounts.js'
import { rpc, rpcRaw, startNode, tempDir, waitFor, type NodeProcess } from '../helpers/nodeProcess.js'

const CHAIN_ID = 2100n
const GWEI = 10n ** 9n
const BLOCK_GAS_LIMIT = 50_000_000n
const MAX_TX_SIZE = 128 * 1024

let node: NodeProcess
const datadir = tempDir(t)
t.before(async () => {
  node = await startNode({ datadir })
})
t.teardown(() => node?.kill('SIGKILL'))

const blockNumber = async () => Number(await rpc(node.url, 'eth_blockNumber'))
const nonceOf = async (addr: string, tag = 'latest') => Number(await rpc(node.url, 'eth_getTransactionCount', [addr, tag]))

async function waitMined(hash: string): Promise<any> {
  return waitFor(() => rpc(node.url, 'eth_getTransactionReceipt', [hash]).then((r) => r ?? undefined), 30_000, `receipt of ${hash}`)
}

/** A signed legacy transfer (EIP-155) from a dev account, with sensible defaults. */
async function signed(from: number, tx: TransactionRequest = {}): Promise<string> {
  const w = new Wallet(DEV_ACCOUNTS[from]!.privateKey)
  return w.signTransaction({
    type: 0,
    chainId: CHAIN_ID,
    to: DEV_ACCOUNTS[9]!.address,
    value: 1n,
    gasLimit: 21000n,
    gasPrice: 2n * GWEI,
    nonce: await nonceOf(w.address),
    ...tx,
  })
}

/** What ethers makes of the node's answer (wallets branch on these codes). */
async function ethersCode(raw: string): Promise<string | undefined> {
  const provider = new JsonRpcProvider(node.url, Number(CHAIN_ID), { staticNetwork: true })
  try {
    await provider.broadcastTransaction(raw)
    return undefined
  } catch (e) {
    return (e as { code?: string }).code
  } finally {
    provider.destroy()
  }
}

/** Sends a raw tx expecting exactly `{ code, message }` (and no result). */
async function rejectsTx(t: Test, raw: string, message: string | RegExp, code = -32000): Promise<void> {
  const body = await rpcRaw(node.url, 'eth_sendRawTransaction', [raw])
  t.equal(body.result, undefined, 'no result')
  t.equal(body.error?.code, code, `code ${code}`)
  if (typeof message === 'string') t.equal(body.error?.message, message)
  else t.match(body.error?.message, message)
  t.same(Object.keys(body).sort(), ['error', 'id', 'jsonrpc'])
}

/** POSTs `body` as is; returns HTTP status and the parsed (or raw) answer. */
async function post(body: string | Buffer, contentType = 'application/json'): Promise<{ status: number; json: any; text: string }> {
  const res = await fetch(node.url, { method: 'POST', headers: { 'content-type': contentType }, body })
  const text = await res.text()
  let json: any
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, json, text }
}

/**
 * POSTs a large body in 64 KiB chunks. With `headFirst`, only the headers and the first chunk
 * go out and the server's answer is awaited (it can refuse by Content-Length alone); otherwise
 * the whole body is sent, chunked, and sending stops once the server answers.
 */
function postStreaming(body: Buffer, headFirst: boolean): Promise<{ status: number; text: string; sent: number }> {
  return new Promise((resolvePost, rejectPost) => {
    const headers: Record<string, string | number> = { 'content-type': 'application/json' }
    if (headFirst) headers['content-length'] = body.length
    const req = httpRequest(node.url, { method: 'POST', headers })
    let answered = false
    let sent = 0
    const timer = setTimeout(() => {
      req.destroy()
      rejectPost(new Error(`no answer within 10 s after ${sent} bytes`))
    }, 10_000)
    req.on('response', (res) => {
      answered = true
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (text += c))
      res.on('end', () => {
        clearTimeout(timer)
        req.destroy()
        resolvePost({ status: res.statusCode ?? 0, text, sent })
      })
    })
    req.on('error', (e) => {
      clearTimeout(timer)
      if (!answered) rejectPost(e)
    })
    const pump = () => {
      if (answered || req.destroyed) return
      if (sent >= body.length) return void req.end()
      const chunk = body.subarray(sent, sent + 64 * 1024)
      sent += chunk.length
      req.write(chunk, () => {
        if (!headFirst) setImmediate(pump)
      })
    }
    pump()
  })
}

let committed: { hash: string; blockHash: string; blockNumber: string }

t.test('a transfer mines before the abuse starts', async (t) => {
  const raw = await signed(1)
  const hash = await rpc(node.url, 'eth_sendRawTransaction', [raw])
  const r = await waitMined(hash)
  t.equal(r.status, '0x1')
  committed = { hash, blockHash: r.blockHash, blockNumber: r.blockNumber }
})

t.test('malformed RLP', async (t) => {
  // 0xf8 0xff: a long list claiming 255 bytes, then 30 random bytes
  await rejectsTx(t, bytesToHex(Uint8Array.from([0xf8, 0xff, ...randomBytes(30)])), 'rlp: value size exceeds available input length')
  const valid = hexToBytes((await signed(1)) as `0x${string}`)
  await rejectsTx(t, bytesToHex(valid.subarray(0, valid.length - 10)), 'rlp: value size exceeds available input length')
  // a valid tx with a trailing byte
  await rejectsTx(t, bytesToHex(Uint8Array.from([...valid, 0x01])), 'rlp: input contains more than one value')
  // a string, not a list
  await rejectsTx(t, bytesToHex(RLP.encode(randomBytes(40))), 'rlp: expected input list for types.LegacyTx')
  // a typed envelope, truncated
  const typed = hexToBytes((await signed(1, { type: 2, gasPrice: undefined, maxFeePerGas: 3n * GWEI, maxPriorityFeePerGas: GWEI })) as `0x${string}`)
  t.equal(typed[0], 2)
  await rejectsTx(t, bytesToHex(typed.subarray(0, typed.length - 5)), 'rlp: value size exceeds available input length')
  await rejectsTx(t, '0x05c0', 'transaction type not supported')
  await rejectsTx(t, '0x', 'typed transaction too short')
  // random bytes: whatever the decoder says, it is an rlp/type error and nothing else
  for (let i = 0; i < 5; i++) {
    const body = await rpcRaw(node.url, 'eth_sendRawTransaction', [bytesToHex(randomBytes(64))])
    t.equal(body.error?.code, -32000)
    t.match(body.error?.message, /^(rlp: |transaction type not supported|typed transaction too short|invalid sender: invalid transaction v, r, s values)/)
  }
})

t.test('wrong chain id', async (t) => {
  await rejectsTx(t, await signed(1, { chainId: 1n }), 'invalid sender: invalid chain id for signer: have 1 want 2100')
  await rejectsTx(
    t,
    await signed(1, { chainId: 1n, type: 2, gasPrice: undefined, maxFeePerGas: 3n * GWEI, maxPriorityFeePerGas: GWEI }),
    'invalid sender: invalid chain id for signer: have 1 want 2100',
  )
})

t.test('high-s signature', async (t) => {
  const common = createCustomCommon({ chainId: Number(CHAIN_ID) }, Mainnet, { hardfork: Hardfork.Cancun })
  const tx = createLegacyTx(
    { nonce: BigInt(await nonceOf(DEV_ACCOUNTS[1]!.address)), gasPrice: 2n * GWEI, gasLimit: 21000n, to: DEV_ACCOUNTS[9]!.address as `0x${string}`, value: 1n },
    { common },
  ).sign(hexToBytes(DEV_ACCOUNTS[1]!.privateKey as `0x${string}`))
  const fields = tx.raw()
  // the valid tx is accepted by the decoder (sanity: only s and v change below)
  const s = bytesToBigInt(fields[8]!)
  const v = bytesToBigInt(fields[6]!)
  t.ok(s <= SECP256K1_ORDER / 2n, 'ethereumjs signs low-s')
  const highS = [...fields]
  highS[8] = bigIntToUnpaddedBytes(SECP256K1_ORDER - s)
  highS[6] = bigIntToUnpaddedBytes(v % 2n === 0n ? v - 1n : v + 1n) // the other recovery id
  await rejectsTx(t, bytesToHex(RLP.encode(highS)), 'invalid sender: invalid transaction v, r, s values')
  // pre-EIP-155 v (27/28) is refused over RPC, as geth does by default
  const unprotected = await new Wallet(DEV_ACCOUNTS[1]!.privateKey).signTransaction({
    type: 0,
    to: DEV_ACCOUNTS[9]!.address,
    value: 1n,
    gasLimit: 21000n,
    gasPrice: 2n * GWEI,
    nonce: await nonceOf(DEV_ACCOUNTS[1]!.address),
  })
  t.ok([27n, 28n].includes(bytesToBigInt((RLP.decode(hexToBytes(unprotected as `0x${string}`)) as Uint8Array[])[6]!)))
  await rejectsTx(t, unprotected, 'only replay-protected (EIP-155) transactions allowed over RPC')
})

t.test('unsigned transaction', async (t) => {
  const fields = [
    bigIntToUnpaddedBytes(BigInt(await nonceOf(DEV_ACCOUNTS[1]!.address))),
    bigIntToUnpaddedBytes(2n * GWEI),
    bigIntToUnpaddedBytes(21000n),
    hexToBytes(DEV_ACCOUNTS[9]!.address as `0x${string}`),
    bigIntToUnpaddedBytes(1n),
    new Uint8Array(0),
  ]
  // six fields (no signature at all) and nine with v, r, s = 0
  await rejectsTx(t, bytesToHex(RLP.encode(fields)), 'invalid sender: invalid transaction v, r, s values')
  const empty = new Uint8Array(0)
  await rejectsTx(t, bytesToHex(RLP.encode([...fields, empty, empty, empty])), 'invalid sender: invalid transaction v, r, s values')
  await rejectsTx(
    t,
    bytesToHex(RLP.encode([...fields, bigIntToUnpaddedBytes(CHAIN_ID * 2n + 35n), empty, empty])),
    'invalid sender: invalid transaction v, r, s values',
  )
})

t.test('oversized transaction', async (t) => {
  const raw = await signed(1, { data: bytesToHex(new Uint8Array(MAX_TX_SIZE + 1).fill(1)), gasLimit: 5_000_000n })
  t.ok((raw.length - 2) / 2 > MAX_TX_SIZE)
  await rejectsTx(t, raw, /^oversized data: transaction size \d+, limit 131072$/)
})

t.test('nonce too low', async (t) => {
  // resend the transaction mined in the first test
  const tx = await rpc(node.url, 'eth_getTransactionByHash', [committed.hash])
  const raw = await signed(1, { nonce: Number(tx.nonce) })
  const state = await nonceOf(DEV_ACCOUNTS[1]!.address)
  await rejectsTx(t, raw, `nonce too low: address ${DEV_ACCOUNTS[1]!.address}, tx: ${Number(tx.nonce)} state: ${state}`)
  t.equal(await ethersCode(raw), 'NONCE_EXPIRED', 'ethers recognises it')
})

t.test('replacement underpriced and already known', async (t) => {
  // nonce + 1 (behind a gap) stays in the pool, so nothing races with block production
  const from = DEV_ACCOUNTS[2]!.address
  const nonce = await nonceOf(from)
  const queued = await signed(2, { nonce: nonce + 1, gasPrice: 5n * GWEI })
  const hash = await rpc(node.url, 'eth_sendRawTransaction', [queued])
  await rejectsTx(t, queued, 'already known')
  await rejectsTx(t, await signed(2, { nonce: nonce + 1, gasPrice: 5n * GWEI, value: 2n }), 'replacement transaction underpriced')
  const cheap = await signed(2, { nonce: nonce + 1, gasPrice: 5n * GWEI + 1n })
  await rejectsTx(t, cheap, 'replacement transaction underpriced')
  t.equal(await ethersCode(cheap), 'REPLACEMENT_UNDERPRICED', 'ethers recognises it')
  // a 10% bump replaces it; then fill the gap and both mine
  const replacement = await rpc(node.url, 'eth_sendRawTransaction', [await signed(2, { nonce: nonce + 1, gasPrice: 6n * GWEI })])
  t.not(replacement, hash)
  const gapFiller = await rpc(node.url, 'eth_sendRawTransaction', [await signed(2, { nonce })])
  await waitMined(gapFiller)
  const r = await waitMined(replacement)
  t.equal(r.status, '0x1')
  t.equal(await rpc(node.url, 'eth_getTransactionReceipt', [hash]), null, 'the replaced tx never mines')
})

t.test('insufficient funds', async (t) => {
  const poor = Wallet.createRandom()
  const raw = await poor.signTransaction({
    type: 0,
    chainId: CHAIN_ID,
    to: DEV_ACCOUNTS[9]!.address,
    value: 5n,
    gasLimit: 21000n,
    gasPrice: 2n * GWEI,
    nonce: 0,
  })
  const cost = 21000n * 2n * GWEI + 5n
  await rejectsTx(t, raw, `insufficient funds for gas * price + value: balance 0, tx cost ${cost}, overshot ${cost}`)
  t.equal(await ethersCode(raw), 'INSUFFICIENT_FUNDS', 'ethers recognises it')
})

t.test('intrinsic gas too low', async (t) => {
  await rejectsTx(t, await signed(1, { gasLimit: 20000n }), 'intrinsic gas too low: gas 20000, minimum needed 21000')
})

t.test('exceeds block gas limit', async (t) => {
  await rejectsTx(t, await signed(1, { gasLimit: BLOCK_GAS_LIMIT + 1n }), 'exceeds block gas limit')
})

t.test('bad request bodies', async (t) => {
  const parseError = { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } }
  for (const body of ['{"jsonrpc":"2.0","id":1,"method":"eth_blockNu', 'garbage \x00\x01 not json', '', '{"a":']) {
    const res = await post(body)
    t.equal(res.status, 200, `HTTP 200 for ${JSON.stringify(body)}`)
    t.same(res.json, parseError)
  }
  const bin = await post(randomBytes(4096))
  t.same(bin.json, parseError, 'random binary')

  const unknown = await rpcRaw(node.url, 'eth_noSuchMethod', [], 7)
  t.same(unknown, {
    jsonrpc: '2.0',
    id: 7,
    error: { code: -32601, message: 'the method eth_noSuchMethod does not exist/is not available' },
  })

  const badHex = await rpcRaw(node.url, 'eth_getBalance', ['0xnothex', 'latest'], 8)
  t.equal(badHex.id, 8)
  t.equal(badHex.error?.code, -32602)
  t.match(badHex.error?.message, /^invalid argument 0: /)
  const missing = await rpcRaw(node.url, 'eth_getBalance', [], 9)
  t.same(missing.error, { code: -32602, message: 'missing value for required argument 0' })
  const badRaw = await rpcRaw(node.url, 'eth_sendRawTransaction', ['0xzz'])
  t.equal(badRaw.error?.code, -32602)
  const badTag = await rpcRaw(node.url, 'eth_getBlockByNumber', ['0x01', false])
  t.same(badTag.error, { code: -32602, message: 'invalid argument 0: hex number with leading zero digits' })

  const invalid = await post(JSON.stringify({ jsonrpc: '1.0', id: 3, method: 'eth_blockNumber' }))
  t.same(invalid.json, { jsonrpc: '2.0', id: 3, error: { code: -32600, message: 'invalid request: jsonrpc must be "2.0"' } })

  // 6 MiB: over the 5 MiB limit, with and without a Content-Length
  const huge = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_sendRawTransaction', params: ['0x' + 'ab'.repeat(3 * 1024 * 1024)] }))
  t.ok(huge.length > 6 * 1024 * 1024)
  const tooLarge = { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'request body too large (limit 5242880 bytes)' } }
  const byLength = await postStreaming(huge, true)
  t.equal(byLength.status, 413, 'HTTP 413 from the Content-Length alone')
  t.same(JSON.parse(byLength.text), tooLarge)
  const chunked = await postStreaming(huge, false)
  t.equal(chunked.status, 413, 'HTTP 413 for a chunked body')
  t.same(JSON.parse(chunked.text), tooLarge)
  // an ordinary client sends the whole body at once; the server drains it before answering,
  // so the client reads the 413 instead of a reset (several times: the race was intermittent)
  for (let i = 0; i < 5; i++) {
    let seen: string
    try {
      const res = await post(huge)
      seen = `${res.status} ${res.text}`
    } catch (e) {
      seen = `connection error: ${((e as Error).cause as Error | undefined)?.message ?? (e as Error).message}`
    }
    t.match(seen, /^413 /, `fetch() of a 6 MiB body reads the 413 (try ${i + 1})`)
  }
  t.match(await blockNumber(), Number, 'still answering')

  const wrongType = await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber' }), 'text/plain')
  t.equal(wrongType.status, 415)
})

t.test('the node kept serving and lost nothing', async (t) => {
  const head = await blockNumber()
  await waitFor(async () => (await blockNumber()) > head, 20_000, 'a new block')
  const r = await rpc(node.url, 'eth_getTransactionReceipt', [committed.hash])
  t.equal(r.blockHash, committed.blockHash, 'the first receipt is still there')
  const b = await rpc(node.url, 'eth_getBlockByNumber', [committed.blockNumber, false])
  t.equal(b.hash, committed.blockHash)
  const hash = await rpc(node.url, 'eth_sendRawTransaction', [await signed(1)])
  t.equal((await waitMined(hash)).status, '0x1', 'a valid transfer still mines')
  t.notMatch(node.stderr(), /internal error|uncaught|unhandled/i, 'no internal errors in the log')
  t.equal(node.proc.exitCode, null, 'still running')
  t.equal(await node.stop(), 0)
})
