/**
 * DESIGN §8 / issue 3: JSON-RPC requests per second over HTTP with concurrent keep-alive clients,
 * against a real in-process Node (RPC on an ephemeral port, no producer):
 *  - eth_blockNumber (target ≥ 10,000/s), eth_getBalance, and eth_call of an ERC-20
 *    `balanceOf` (target ≥ 2,000/s: test/fixtures/contracts/Token.sol compiled with solc, its
 *    runtime code and balances put in the genesis alloc);
 *  - each next to a bare fastify route returning a constant, measured in the same run with the
 *    same load generator.
 * The load generator runs in a worker thread (node:http, one keep-alive agent with
 * NFC_BENCH_RPC_CONNECTIONS sockets, default 32), so the server has the main thread to itself.
 *
 * Then eth_getLogs over NFC_BENCH_LOG_BLOCKS blocks (default 10,000; every 10th block holds one
 * ERC-20 transfer): queries per second of the node's `queryLogs`, next to the naive scan it
 * replaced (every header by number, then receipts and body of every bloom match), same chain.
 *
 * The eth_call figure is printed next to eth_blockNumber and to Anvil's eth_call on the same token
 * and requests (Anvil: the optional dev dependency the load group uses; NFC_BENCH_RPC_ANVIL=0 skips).
 *
 * NFC_BENCH_RPC_MS: measuring time per figure (default 5,000 ms). Before it, a warm-up of
 * NFC_BENCH_RPC_WARM_MS (default 1,000 ms) that also lasts until every request body has been
 * answered once: the first call of each of the 1,000 eth_call bodies costs ~3× a later one (JIT,
 * cold reads), and with a 500 ms warm-up most of that first pass fell inside the window.
 */
import http from 'node:http'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import { join } from 'node:path'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import { postText } from './httpPost.js'

const LOAD_ROLE = 'nfc-bench-rpc-load'

const envInt = (name: string, def: number): number => {
  const v = process.env[name]
  const n = v === undefined ? def : Number(v)
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${v}`)
  return n
}

// ---------------------------------------------------------------------------------------------
// the load generator (worker thread)

interface LoadJob {
  url: string
  /** request bodies, sent in turn */
  bodies: string[]
  connections: number
  /** warm-up: at least this long, and until every body has been answered once */
  warmMs: number
  ms: number
}

/** the longest a warm-up waits for every body to be answered once before measuring anyway */
const MAX_WARM_MS = 60_000

interface LoadResult {
  requests: number
  errors: number
  seconds: number
  firstError?: string
}

async function runLoad(job: LoadJob): Promise<LoadResult> {
  const u = new URL(job.url)
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.connections })
  let measuring = false
  let stopped = false
  let requests = 0
  let errors = 0
  let firstError: string | undefined
  let next = 0
  let answered = 0
  const client = async () => {
    while (!stopped) {
      const body = job.bodies[next++ % job.bodies.length]!
      try {
        const text = await postText(agent, u, body)
        answered++
        if (text.includes('"error"')) throw new Error(text.slice(0, 300))
        if (measuring && !stopped) requests++
      } catch (e) {
        if (measuring && !stopped) errors++
        firstError ??= (e as Error).message
      }
    }
  }
  const clients = Array.from({ length: job.connections }, client)
  const warmStart = performance.now()
  await new Promise((r) => setTimeout(r, job.warmMs))
  while (answered < job.bodies.length && performance.now() - warmStart < MAX_WARM_MS) await new Promise((r) => setTimeout(r, 20))
  measuring = true
  const start = performance.now()
  await new Promise((r) => setTimeout(r, job.ms))
  stopped = true
  const seconds = (performance.now() - start) / 1000
  await Promise.all(clients)
  agent.destroy()
  return { requests, errors, seconds, firstError }
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === LOAD_ROLE) {
  parentPort!.on('message', (job: LoadJob) => {
    runLoad(job).then(
      (r) => parentPort!.postMessage(r),
      (e) => parentPort!.postMessage({ requests: 0, errors: 1, seconds: 0, firstError: String(e) }),
    )
  })
}

class LoadWorker {
  private readonly worker = new Worker(new URL(import.meta.url), { workerData: { role: LOAD_ROLE } })

  run(job: LoadJob): Promise<LoadResult> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error) => reject(e)
      this.worker.once('error', onError)
      this.worker.once('message', (r: LoadResult) => {
        this.worker.off('error', onError)
        resolve(r)
      })
      this.worker.postMessage(job)
    })
  }

  async close(): Promise<void> {
    await this.worker.terminate()
  }
}

// ---------------------------------------------------------------------------------------------
// the node under test (main thread)

interface Token {
  runtime: Uint8Array
  balancesSlot: bigint
  balanceOfSelector: string
  transferSelector: string
}

async function compileToken(packageRoot: string): Promise<Token> {
  const { hexToBytes } = await import('@ethereumjs/util')
  const solc = createRequire(import.meta.url)('solc') as { compile(input: string): string }
  const input = {
    language: 'Solidity',
    sources: { 'Token.sol': { content: readFileSync(join(packageRoot, 'test/fixtures/contracts/Token.sol'), 'utf8') } },
    settings: {
      evmVersion: 'cancun',
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { '*': { '*': ['evm.deployedBytecode.object', 'evm.methodIdentifiers', 'storageLayout'] } },
    },
  }
  const out = JSON.parse(solc.compile(JSON.stringify(input)))
  const errors = (out.errors ?? []).filter((e: { severity: string }) => e.severity === 'error')
  if (errors.length > 0) throw new Error(`solc: ${errors.map((e: { formattedMessage: string }) => e.formattedMessage).join('\n')}`)
  const c = out.contracts['Token.sol'].Token
  return {
    runtime: hexToBytes(`0x${c.evm.deployedBytecode.object}`),
    balancesSlot: BigInt(c.storageLayout.storage.find((s: { label: string }) => s.label === 'balanceOf').slot),
    balanceOfSelector: c.evm.methodIdentifiers['balanceOf(address)'],
    transferSelector: c.evm.methodIdentifiers['transfer(address,uint256)'],
  }
}

const TOKEN_ADDRESS = '0x00000000000000000000000000000000000be4c4'
const HOLDERS = 1_000
const TOKEN_FUNDS = 1_000_000n * 10n ** 18n

const pad32 = (hexNo0x: string) => hexNo0x.padStart(64, '0')

export async function run(): Promise<void> {
  const { progress, row } = await import('./report.js')
  const { bytesToHex, hexToBytes } = await import('@ethereumjs/util')
  const { core } = await import('../../src/core/index.js')
  const { parseGenesis } = await import('../../src/chain/genesis.js')
  const { startNode } = await import('../../src/cli/start.js')
  const { DEV_ACCOUNTS } = await import('../../src/node/devAccounts.js')
  const { silentLogger } = await import('../../src/util/logger.js')
  const { packageRoot } = await import('../../src/util/packageRoot.js')
  const Fastify = (await import('fastify')).default

  const MS = envInt('NFC_BENCH_RPC_MS', 5_000)
  const WARM_MS = envInt('NFC_BENCH_RPC_WARM_MS', 1_000)
  const CONNECTIONS = envInt('NFC_BENCH_RPC_CONNECTIONS', 32)
  const LOG_BLOCKS = envInt('NFC_BENCH_LOG_BLOCKS', 10_000)
  const root = packageRoot()!

  progress('rpc: compiling Token.sol…')
  const token = await compileToken(root)
  // holders: deterministic addresses, each with a token balance in the genesis alloc
  const holders = Array.from({ length: HOLDERS }, (_, i) => {
    const h = core.keccak256(new TextEncoder().encode(`rpc bench holder ${i}`)).slice(12)
    return bytesToHex(h)
  })
  const json = JSON.parse(readFileSync(join(root, 'genesis/dev.json'), 'utf8'))
  json.timestamp = 1_700_000_000_000
  const storage: Record<string, string> = {}
  const holderSlot = (h: string) => bytesToHex(core.keccak256(hexToBytes(`0x${pad32(h.slice(2))}${pad32(token.balancesSlot.toString(16))}`)))
  for (const h of holders) storage[holderSlot(h)] = `0x${TOKEN_FUNDS.toString(16)}`
  // the dev accounts hold tokens too (they send the transfers of the getLogs chain)
  for (const a of DEV_ACCOUNTS.slice(0, 10)) storage[holderSlot(a.address.toLowerCase())] = `0x${TOKEN_FUNDS.toString(16)}`
  json.alloc[TOKEN_ADDRESS] = { balance: '0', code: bytesToHex(token.runtime), storage, label: 'bench token' }
  const genesis = parseGenesis(json)

  const datadir = mkdtempSync(join(os.tmpdir(), 'nfc-bench-rpc-'))
  const running = await startNode({
    genesis,
    datadir,
    rpc: { host: '127.0.0.1', port: 0 },
    logger: silentLogger,
    recoverThreads: 0,
  })
  const node = running.node
  const rpcUrl = running.rpc!.url
  const bare = Fastify({ logger: false })
  const constant = '{"jsonrpc":"2.0","id":1,"result":"0x0"}'
  bare.post('/', (_req, reply) => {
    reply.type('application/json').send(constant)
  })
  await bare.listen({ host: '127.0.0.1', port: 0 })
  const bareUrl = `http://127.0.0.1:${(bare.server.address() as { port: number }).port}`
  const loader = new LoadWorker()

  const req = (method: string, params: unknown[]) => JSON.stringify({ jsonrpc: '2.0', id: 1, method, params })
  const measure = async (what: string, url: string, bodies: string[]): Promise<number> => {
    progress(`rpc: ${what} (${CONNECTIONS} connections, ${MS} ms after a warm-up over all ${bodies.length} bodies)…`)
    const r = await loader.run({ url, bodies, connections: CONNECTIONS, warmMs: WARM_MS, ms: MS })
    if (r.errors > 0 || r.requests === 0) {
      throw new Error(`${what}: ${r.errors} errors of ${r.requests + r.errors} requests; first: ${r.firstError}`)
    }
    return r.requests / r.seconds
  }

  try {
    // sanity: the call answers each holder's balance
    const check = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: req('eth_call', [{ to: TOKEN_ADDRESS, data: `0x${token.balanceOfSelector}${pad32(holders[0]!.slice(2))}` }, 'latest']),
    })
    const got = ((await check.json()) as { result?: string }).result
    if (got === undefined || BigInt(got) !== TOKEN_FUNDS) throw new Error(`balanceOf answered ${got}, expected ${TOKEN_FUNDS}`)

    const bareRate = await measure('bare fastify route', bareUrl, [req('eth_blockNumber', [])])
    const baseline = { name: 'bare fastify', value: bareRate }
    process.stdout.write(
      `   load generator: worker thread, node:http keep-alive agent, ${CONNECTIONS} connections, ${MS} ms per figure after a warm-up of ≥ ${WARM_MS} ms that answered every body once\n`,
    )

    const bn = await measure('eth_blockNumber', rpcUrl, [req('eth_blockNumber', [])])
    row({ name: 'eth_blockNumber over HTTP', value: bn, unit: 'req/s', baseline, target: '≥ 10,000/s', met: bn >= 10_000 })

    const balances = holders.map((h) => req('eth_getBalance', [h, 'latest']))
    const gb = await measure('eth_getBalance', rpcUrl, balances)
    row({ name: 'eth_getBalance over HTTP', value: gb, unit: 'req/s', baseline })

    const calls = holders.map((h) => req('eth_call', [{ to: TOKEN_ADDRESS, data: `0x${token.balanceOfSelector}${pad32(h.slice(2))}` }, 'latest']))
    const ec = await measure('eth_call balanceOf', rpcUrl, calls)
    row({ name: 'eth_call ERC-20 balanceOf over HTTP', value: ec, unit: 'req/s', baseline, target: '≥ 2,000/s', met: ec >= 2_000 })
    const anvil = await anvilCall(token, holders, calls, (url) => measure('Anvil eth_call balanceOf', url, calls), progress)
    if (typeof anvil === 'string') process.stdout.write(`   Anvil eth_call skipped: ${anvil}\n`)
    else row({ name: 'eth_call ERC-20 balanceOf over HTTP (vs Anvil)', value: ec, unit: 'req/s', baseline: { name: 'Anvil eth_call', value: anvil } })
    process.stdout.write(
      `   eth_call ${Math.round(ec)} req/s next to eth_blockNumber ${Math.round(bn)} req/s (same node, same run)` +
        (typeof anvil === 'string' ? '' : ` and Anvil's eth_call ${Math.round(anvil)} req/s`) +
        '\n',
    )

    await benchLogs(node, token, LOG_BLOCKS, progress, row)
  } finally {
    await loader.close()
    await bare.close()
    await running.close()
    rmSync(datadir, { recursive: true, force: true })
  }
}

/**
 * Anvil's eth_call rate on the same token (its runtime code and the holders' balances set with
 * anvil_setCode / anvil_setStorageAt) and the same request bodies; or why it did not run.
 * NFC_BENCH_RPC_ANVIL=0 skips it.
 */
async function anvilCall(
  token: Token,
  holders: string[],
  calls: string[],
  measure: (url: string) => Promise<number>,
  progress: (msg: string) => void,
): Promise<number | string> {
  if (process.env.NFC_BENCH_RPC_ANVIL === '0') return 'NFC_BENCH_RPC_ANVIL=0'
  const { anvilBinary, rpc, startAnvil } = await import('./anvil.js')
  const { bytesToHex, hexToBytes } = await import('@ethereumjs/util')
  const { core } = await import('../../src/core/index.js')
  const bin = anvilBinary()
  if ('skip' in bin) return bin.skip
  progress('rpc: starting Anvil')
  const anvil = await startAnvil(bin.path, 1, 30_000_000n)
  try {
    await rpc(anvil.url, 'anvil_setCode', [TOKEN_ADDRESS, bytesToHex(token.runtime)])
    const value = `0x${pad32(TOKEN_FUNDS.toString(16))}`
    for (const h of holders) {
      const slot = bytesToHex(core.keccak256(hexToBytes(`0x${pad32(h.slice(2))}${pad32(token.balancesSlot.toString(16))}`)))
      await rpc(anvil.url, 'anvil_setStorageAt', [TOKEN_ADDRESS, slot, value])
    }
    const got = (await rpc(anvil.url, 'eth_call', (JSON.parse(calls[0]!) as { params: unknown[] }).params)) as string
    if (BigInt(got) !== TOKEN_FUNDS) throw new Error(`Anvil's balanceOf answered ${got}, expected ${TOKEN_FUNDS}`)
    return await measure(anvil.url)
  } finally {
    await anvil.stop()
  }
}

// ---------------------------------------------------------------------------------------------
// eth_getLogs over a long chain

type NodeT = import('../../src/node/node.js').Node

async function benchLogs(
  node: NodeT,
  token: Token,
  blocks: number,
  progress: typeof import('./report.js').progress,
  row: typeof import('./report.js').row,
): Promise<void> {
  const { createFeeMarket1559Tx } = await import('@ethereumjs/tx')
  const { hexToBytes } = await import('@ethereumjs/util')
  const { DEV_ACCOUNTS, DEV_WITNESS_KEY } = await import('../../src/node/devAccounts.js')
  const { logFilter } = await import('../../rpc/params.js')
  const getLogs = (await import('../../rpc/eth/getLogs.js')) as Record<string, any>

  const chain = node.chain
  const interval = BigInt(chain.genesis.params.blockIntervalMs)
  const senders = DEV_ACCOUNTS.slice(1, 10).map((a) => hexToBytes(a.privateKey as `0x${string}`))
  const nonces = senders.map(() => 0n)
  const start = chain.head.header.number
  const t0 = performance.now()
  for (let i = 1; i <= blocks; i++) {
    const txs = []
    if (i % 10 === 0) {
      const s = (i / 10) % senders.length
      const to = DEV_ACCOUNTS[i % 10]!.address.toLowerCase().slice(2)
      txs.push(
        createFeeMarket1559Tx(
          {
            nonce: nonces[s]!++,
            to: TOKEN_ADDRESS,
            gasLimit: 100_000n,
            maxFeePerGas: 2n * 10n ** 9n,
            maxPriorityFeePerGas: 0n,
            data: hexToBytes(`0x${token.transferSelector}${pad32(to)}${pad32('1')}`),
          },
          { common: chain.common },
        ).sign(senders[s]!),
      )
    }
    const built = await chain.produceBlock(hexToBytes(DEV_WITNESS_KEY as `0x${string}`), chain.head.header.timestamp + interval, txs)
    if (built.rejected.length > 0) throw new Error(`block ${i}: a transfer was rejected: ${built.rejected[0]!.error}`)
    if (i % 500 === 0) progress(`rpc: building the getLogs chain: ${i}/${blocks} blocks`)
  }
  process.stdout.write(`   getLogs chain: ${blocks} blocks (every 10th with one ERC-20 transfer) built in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`)

  const transferTopic = '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef'
  const head = chain.head.header.number
  const range = { fromBlock: `0x${(start + 1n).toString(16)}`, toBlock: `0x${head.toString(16)}` }
  const filters = {
    all: logFilter({ ...range, address: TOKEN_ADDRESS, topics: [transferTopic] }),
    none: logFilter({ ...range, address: '0x00000000000000000000000000000000deadbeef' }),
  }
  const ctx = { node, logger: undefined as never }
  const viaMethod = async (f: unknown) => (await getLogs.eth_getLogs.handler([f], ctx)) as unknown[]
  const naive = async (f: ReturnType<typeof logFilter>) => naiveScan(node, f, start + 1n, head)

  const expected = (await naive(filters.all)).length
  const got = (await viaMethod(filters.all)).length
  if (got !== expected) throw new Error(`eth_getLogs found ${got} logs, the naive scan ${expected}`)
  const rate = async (fn: () => Promise<unknown>, ms = 2_000) => {
    await fn()
    let n = 0
    const t = performance.now()
    while (performance.now() - t < ms) {
      await fn()
      n++
    }
    return (n * 1000) / (performance.now() - t)
  }
  for (const [name, f] of Object.entries(filters)) {
    progress(`rpc: eth_getLogs (${name})…`)
    const before = await rate(() => naive(f))
    const after = await rate(() => viaMethod(f))
    const count = name === 'all' ? `${expected} logs` : 'no match'
    row({
      name: `eth_getLogs ${blocks} blocks, ${count}`,
      value: after,
      unit: 'query/s',
      baseline: { name: 'per-block header+receipts+body scan', value: before },
    })
  }
}

/** What eth_getLogs did before the index: every header by number, receipts and body of each bloom match. */
async function naiveScan(node: NodeT, f: any, from: bigint, to: bigint): Promise<unknown[]> {
  const { formatLog, hex } = await import('../../rpc/format.js')
  const { bloomMayContain } = await import('../../src/chain/bloom.js')
  const { hexToBytes } = await import('@ethereumjs/util')
  const out: unknown[] = []
  const bloomOk = (b: Uint8Array) =>
    (f.addresses.length === 0 || f.addresses.some((a: string) => bloomMayContain(b, hexToBytes(a as `0x${string}`)))) &&
    f.topics.every((alts: string[] | null) => alts === null || alts.some((t) => bloomMayContain(b, hexToBytes(t as `0x${string}`))))
  for (let n = from; n <= to; n++) {
    const found = await node.chain.headerByNumber(n)
    if (found === undefined || !bloomOk(found.header.logsBloom)) continue
    const receipts = (await node.chain.store.getReceipts(found.hash)) ?? []
    const txs = (await node.chain.store.getTransactions(found.hash)) ?? []
    let logIndex = 0
    receipts.forEach((r, txIndex) => {
      for (const log of r.logs) {
        const okAddr = f.addresses.length === 0 || f.addresses.includes(hex(log.address))
        const okTopics =
          f.topics.length <= log.topics.length && f.topics.every((alts: string[] | null, i: number) => alts === null || alts.includes(hex(log.topics[i]!)))
        if (okAddr && okTopics) {
          out.push(formatLog(log, { blockHash: found.hash, blockNumber: n, txHash: txs[txIndex]!.hash(), txIndex, logIndex }))
        }
        logIndex++
      }
    })
  }
  return out
}
