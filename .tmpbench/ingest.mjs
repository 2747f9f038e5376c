// node ingest.mjs <root>  — 150 wallets × 60 transfers sent to an in-process node that does not produce; main-thread CPU of the sending
import { readFileSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { pathToFileURL } from 'node:url'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { Address, bytesToHex } from '@ethereumjs/util'
const root = process.argv[2]
const produce = process.argv[3] === 'produce'
const L = (p) => import(pathToFileURL(join(root, 'dist', p)).href)
const { startNode } = await L('src/cli/start.js')
const { parseGenesis } = await L('src/chain/genesis.js')
const { makeCommon } = await L('src/execution/common.js')
const { silentLogger } = await L('src/util/logger.js')
const { deriveAccounts } = await L('tools/bench/blocks.js')
const { DEV_WITNESS_KEY } = await L('src/node/devAccounts.js')
const { hexToBytes } = await import('@ethereumjs/util')
const { fundWallets } = await L('tools/bench/loadDevnet.js')
const wallets = deriveAccounts('nfc-load-wallet', 150)
const recipients = deriveAccounts('nfc-load-recipient', 64).map((a) => a.address)
const json = JSON.parse(readFileSync(join(root, 'genesis/dev.json'), 'utf8'))
fundWallets(json.alloc, wallets, 100n * 10n ** 18n)
json.timestamp = 0
const genesis = parseGenesis(json)
const common = makeCommon(genesis.chainId)
const raws = wallets.map((w, i) => Array.from({ length: 60 }, (_, nonce) => bytesToHex(createFeeMarket1559Tx({ chainId: genesis.chainId, nonce: BigInt(nonce), maxFeePerGas: 2n * 10n ** 9n, maxPriorityFeePerGas: 10n ** 9n, gasLimit: 21000n, to: new Address(recipients[(i * 7 + nonce) % 64]), value: 10n ** 12n }, { common }).sign(w.key).serialize())))
const datadir = mkdtempSync(join(os.tmpdir(), 'nfc-ingest-'))
const running = await startNode({ genesis, datadir, rpc: { host: '127.0.0.1', port: 0 }, logger: silentLogger, ...(produce ? { witnessKey: hexToBytes(DEV_WITNESS_KEY) } : {}), txpool: { globalSlots: 20000, accountSlots: 100, accountQueue: 100, globalQueue: 20000 } })
const cpu = () => { const f = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8'); const x = f.slice(f.lastIndexOf(')') + 2).split(' '); return (Number(x[11]) + Number(x[12])) * 10 }
if (produce) await new Promise((r) => running.node.producer.once('slot', r))
const c0 = cpu(); const t0 = performance.now()
const r = await new Promise((resolve, reject) => {
  const w = new Worker(join(root, 'dist/tools/bench/loadClient.js'), { workerData: { url: running.rpc.url, wallets: raws, batchSize: 20, pollMs: 250, timeoutMs: 60000, stallMs: 1, label: 'x' } })
  w.on('message', (m) => { if (m.result) resolve(m.result); if (m.error) reject(new Error(m.error)) })
  w.on('error', reject)
})
const sent = r.sentMs.filter((x) => x >= 0)
const lastSent = Math.max(...sent)
const c1 = cpu()
console.log(`${root}${produce ? ' (producing)' : ''}: ${sent.length} sent in ${((lastSent - r.startMs) / 1000).toFixed(2)} s (${Math.round(sent.length * 1000 / (lastSent - r.startMs))} tx/s), main thread ${c1 - c0} ms CPU = ${((c1 - c0) * 1000 / sent.length).toFixed(0)} µs/tx, errors ${r.errors.length} ${r.errors.slice(0, 2).join('|')}`)
await running.close()
rmSync(datadir, { recursive: true, force: true })
process.exit(0)
