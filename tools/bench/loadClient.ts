/**
 * The wallets of the `load` bench, in a worker thread of their own (so the node under test, when
 * it runs in the bench's main thread, does not share its event loop with its clients): each
 * wallet sends its presigned transfers over HTTP — even wallets as JSON-RPC batches, odd ones
 * one request each — then waits for its receipts as wallets do, polling
 * eth_getTransactionReceipt for its oldest unmined transaction (the next one right away once
 * one is in, after `pollMs` otherwise). A watcher polls eth_blockNumber to date each block as
 * the client first saw it. Times are performance.now() of this worker, ms.
 */
import http from 'node:http'
import { parentPort, workerData } from 'node:worker_threads'
import { postText } from './httpPost.js'

export interface LoadClientInput {
  url: string
  /** per wallet, its raw transactions (0x hex) in nonce order */
  wallets: string[][]
  batchSize: number
  pollMs: number
  /** stop waiting for receipts after this long (ms), or once no receipt came for `stallMs` with all sent */
  timeoutMs: number
  stallMs: number
  label: string
}

export interface LoadClientResult {
  startMs: number
  /** per tx (wallet-major order): when its send answered, when its receipt was seen, its block (-1: none) */
  sentMs: number[]
  receiptMs: number[]
  block: number[]
  /** [block number, first seen ms] as the head watcher saw them */
  heads: [number, number][]
  errors: string[]
  requests: number
  /** calls sent again after a -32005 "limit exceeded" answer */
  retries: number
  /** true when the run ended because no receipt came for `stallMs` */
  stalled: boolean
}

interface RpcAnswer {
  id?: number
  result?: unknown
  error?: { code: number; message: string }
}

async function main(input: LoadClientInput): Promise<LoadClientResult> {
  const { url, wallets, batchSize, pollMs, timeoutMs, stallMs, label } = input
  const total = wallets.reduce((n, w) => n + w.length, 0)
  const sentMs = new Array<number>(total).fill(-1)
  const receiptMs = new Array<number>(total).fill(-1)
  const block = new Array<number>(total).fill(-1)
  const heads: [number, number][] = []
  const errors: string[] = []
  let requests = 0
  let sent = 0
  let mined = 0
  let id = 0

  const target = new URL(url)
  const postOnce = (body: unknown): Promise<unknown> => {
    requests++
    return postText(agent, target, JSON.stringify(body)).then((text) => JSON.parse(text) as unknown)
  }
  // as wallets do (viem retries -32005 "limit exceeded" with a backoff): the calls a busy node
  // refused are sent again, up to SHED_RETRIES times; what is still refused then counts as an error
  let retries = 0
  const post = async (body: unknown): Promise<unknown> => {
    let answer = await postOnce(body)
    for (let k = 0; k < SHED_RETRIES; k++) {
      if (Array.isArray(body) && Array.isArray(answer)) {
        const shed = new Set((answer as RpcAnswer[]).filter((a) => a.error?.code === LIMIT_EXCEEDED).map((a) => a.id))
        if (shed.size === 0) break
        retries += shed.size
        await sleep(SHED_BACKOFF_MS << k)
        const again = (await postOnce((body as { id: number }[]).filter((c) => shed.has(c.id)))) as RpcAnswer[]
        const byId = new Map(again.map((a) => [a.id, a]))
        answer = (answer as RpcAnswer[]).map((a) => byId.get(a.id) ?? a)
      } else {
        if ((answer as RpcAnswer).error?.code !== LIMIT_EXCEEDED) break
        retries++
        await sleep(SHED_BACKOFF_MS << k)
        answer = await postOnce(body)
      }
    }
    return answer
  }
  const call = (method: string, params: unknown[]) => post({ jsonrpc: '2.0', id: ++id, method, params }) as Promise<RpcAnswer>
  const note = (e: unknown) => {
    if (errors.length < 20) errors.push(String(e instanceof Error ? e.message : JSON.stringify(e)))
  }

  const startMs = performance.now()
  let deadline = startMs + timeoutMs
  let done = false
  let lastMined = 0
  let lastProgressMs = startMs

  const watcher = (async () => {
    let last = -1
    while (!done && performance.now() < deadline) {
      try {
        const n = Number((await call('eth_blockNumber', [])).result)
        if (n > last) {
          heads.push([n, performance.now()])
          last = n
        }
      } catch (e) {
        note(e)
      }
      await sleep(25)
    }
  })()
  const progress = setInterval(() => {
    const t = performance.now()
    if (mined !== lastMined || sent < total) [lastMined, lastProgressMs] = [mined, t]
    // a node that stopped mining: end the run, the figures say how many were mined
    else if (t - lastProgressMs > stallMs) deadline = t
    parentPort?.postMessage({ progress: `load: ${label}: sent ${sent}/${total}, receipts ${mined}/${total}, head ${heads.at(-1)?.[0] ?? '?'}` })
  }, 1000)

  let base = 0
  const runs = wallets.map((raws, w) => {
    const first = base
    base += raws.length
    return wallet(w, raws, first)
  })

  async function wallet(w: number, raws: string[], first: number): Promise<void> {
    const hashes: (string | undefined)[] = []
    if (w % 2 === 0 && batchSize > 1) {
      for (let k = 0; k < raws.length; k += batchSize) {
        const chunk = raws.slice(k, k + batchSize)
        try {
          const answers = (await post(chunk.map((raw, j) => ({ jsonrpc: '2.0', id: k + j, method: 'eth_sendRawTransaction', params: [raw] })))) as RpcAnswer[]
          const t = performance.now()
          const byId = new Map(answers.map((a) => [a.id, a]))
          for (let j = 0; j < chunk.length; j++) {
            const a = byId.get(k + j)
            if (a?.error !== undefined || a?.result === undefined) note(a?.error ?? 'no answer')
            hashes[k + j] = a?.result as string | undefined
            sentMs[first + k + j] = t
          }
        } catch (e) {
          note(e)
        }
        sent += chunk.length
      }
    } else {
      for (let k = 0; k < raws.length; k++) {
        try {
          const a = await call('eth_sendRawTransaction', [raws[k]])
          if (a.error !== undefined) note(a.error)
          hashes[k] = a.result as string | undefined
          sentMs[first + k] = performance.now()
        } catch (e) {
          note(e)
        }
        sent++
      }
    }
    for (let k = 0; k < raws.length && performance.now() < deadline;) {
      const hash = hashes[k]
      if (hash === undefined) {
        k++
        continue
      }
      try {
        const a = await call('eth_getTransactionReceipt', [hash])
        const r = a.result as { blockNumber: string } | null | undefined
        if (r != null) {
          receiptMs[first + k] = performance.now()
          block[first + k] = Number(r.blockNumber)
          mined++
          k++
          continue
        }
        if (a.error !== undefined) note(a.error)
      } catch (e) {
        note(e)
      }
      await sleep(pollMs)
    }
  }

  await Promise.all(runs)
  done = true
  clearInterval(progress)
  await watcher
  return { startMs, sentMs, receiptMs, block, heads, errors, requests, retries, stalled: mined < total && performance.now() < startMs + timeoutMs }
}

const LIMIT_EXCEEDED = -32005
const SHED_RETRIES = 6
const SHED_BACKOFF_MS = 50
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** keep-alive connections, as many as the wallets have requests in flight (undici's fetch opens them the same way) */
const agent = new http.Agent({ keepAlive: true })

if (parentPort !== null) {
  main(workerData as LoadClientInput).then(
    (result) => parentPort!.postMessage({ result }),
    (e) => parentPort!.postMessage({ error: String((e as Error)?.stack ?? e) }),
  )
}
