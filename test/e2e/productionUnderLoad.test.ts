/**
 * Production comes first (DESIGN §9, issue 14): a real dev node process under a bounded wallet
 * load — 20 wallets × 20 transfers over HTTP (batches and single requests), each wallet polling
 * eth_getTransactionReceipt until its transfers are mined — misses none of its own slots, by its
 * own count (/metrics nfc_producer_missed_slots_total). Counts only, never a time.
 */
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { Address, bytesToHex } from '@ethereumjs/util'
import { addressOf, publicKeyOf } from '../../src/crypto/secp256k1.js'
import { makeCommon } from '../../src/execution/common.js'
import { DEV_ACCOUNTS, DEV_FOUNDATION_INDEX } from '../../src/node/devAccounts.js'
import { DEV_GENESIS, rpc, startNode, tempDir, waitFor } from '../helpers/nodeProcess.js'

const WALLETS = 20
const TXS = 20
const FUNDS = 10n ** 20n
const GWEI = 10n ** 9n

async function metric(url: string, prefix: string): Promise<number> {
  const text = await (await fetch(url.replace(/\/?$/, '/metrics'))).text()
  return text
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0)
}

/**
 * What a wrong nonce came from, in a few lines (CI keeps only a failure's first lines): the block
 * of each of the account's transfers (by nonce), its nonce at each block since, and the head.
 */
async function explainNonce(url: string, address: string, hashes: string[]): Promise<string[]> {
  const head = Number(await rpc(url, 'eth_blockNumber'))
  const minedIn: string[] = []
  const blocks: number[] = []
  for (const [nonce, h] of hashes.entries()) {
    const r = (await rpc(url, 'eth_getTransactionReceipt', [h])) as { blockNumber: string; status: string } | null
    minedIn.push(`${nonce}@${r === null ? 'none' : `${Number(r.blockNumber)}${r.status === '0x1' ? '' : '!'}`}`)
    if (r !== null) blocks.push(Number(r.blockNumber))
  }
  const nonces: string[] = []
  for (let n = Math.max(0, Math.min(head, ...blocks) - 1); n <= head; n++) {
    nonces.push(`${n}:${Number(await rpc(url, 'eth_getTransactionCount', [address, `0x${n.toString(16)}`]))}`)
  }
  const latest = Number(await rpc(url, 'eth_getTransactionCount', [address, 'latest']))
  return [`mined (nonce@block) ${minedIn.join(' ')}`, `nonce by block ${nonces.join(' ')}`, `head ${head}, latest nonce now ${latest}`]
}

t.test('20 wallets × 20 transfers with receipt polling: every transfer mined, no own slot missed', async (t) => {
  const dir = tempDir(t)
  const keys = Array.from({ length: WALLETS }, (_, i) => createHash('sha256').update(`nfc-e2e-load-${i}`).digest())
  const addresses = keys.map((k) => bytesToHex(addressOf(publicKeyOf(k))))
  const json = JSON.parse(readFileSync(DEV_GENESIS, 'utf8')) as { alloc: Record<string, { balance: string }> }
  const foundation = Object.keys(json.alloc).find((a) => a.toLowerCase() === DEV_ACCOUNTS[DEV_FOUNDATION_INDEX]!.address.toLowerCase())!
  json.alloc[foundation]!.balance = (BigInt(json.alloc[foundation]!.balance) - FUNDS * BigInt(WALLETS)).toString()
  for (const a of addresses) json.alloc[a] = { balance: FUNDS.toString() }
  const genesisFile = join(dir, 'genesis.json')
  writeFileSync(genesisFile, JSON.stringify(json))

  const node = await startNode({ datadir: join(dir, 'data'), genesis: genesisFile })
  t.teardown(() => node.stop())
  // the producer is in its stride once a block is in
  await waitFor(async () => Number(await rpc(node.url, 'eth_blockNumber')) >= 1, 30_000, 'the first block')
  const missedBefore = await metric(node.url, 'nfc_producer_missed_slots_total{')
  const ownBefore = await metric(node.url, 'nfc_producer_own_slots_total ')

  const common = makeCommon(2100n)
  const to = new Address(new Uint8Array(20).fill(0x42))
  const raw = keys.map((key) =>
    Array.from({ length: TXS }, (_, nonce) =>
      bytesToHex(
        createFeeMarket1559Tx(
          { chainId: 2100n, nonce: BigInt(nonce), maxFeePerGas: 2n * GWEI, maxPriorityFeePerGas: GWEI, gasLimit: 21_000n, to, value: 1n },
          { common },
        )
          .sign(key)
          .serialize(),
      ),
    ),
  )
  const post = async (body: unknown) =>
    (await fetch(node.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json() as Promise<any>

  // a wallet as viem's transport behaves: a call the node sheds (-32005, busy) is sent again a moment
  // later; any other error is the test's failure, said at once
  const SHED = -32005
  const settle = (a: any, what: string): string | undefined => {
    if (a.error?.code === SHED) return undefined
    if (a.error !== undefined || typeof a.result !== 'string') throw new Error(`${what}: ${JSON.stringify(a.error ?? a.result)}`)
    return a.result
  }
  const hashesOf: string[][] = []
  const wallet = async (w: number): Promise<number> => {
    const hashes: (string | undefined)[] = raw[w]!.map(() => undefined)
    for (let round = 0; hashes.includes(undefined); round++) {
      if (round > 0) await new Promise((r) => setTimeout(r, 200))
      if (round === 50) throw new Error(`wallet ${w}: the node shed its transactions 50 times`)
      const todo = hashes.flatMap((h, i) => (h === undefined ? [i] : []))
      if (w % 2 === 0) {
        const answers = (await post(todo.map((i) => ({ jsonrpc: '2.0', id: i, method: 'eth_sendRawTransaction', params: [raw[w]![i]] })))) as any[]
        for (const a of answers) hashes[a.id] = settle(a, `wallet ${w} transfer ${a.id}`)
      } else {
        for (const i of todo)
          hashes[i] = settle(await post({ jsonrpc: '2.0', id: i, method: 'eth_sendRawTransaction', params: [raw[w]![i]] }), `wallet ${w} transfer ${i}`)
      }
    }
    hashesOf[w] = hashes as string[]
    let mined = 0
    for (const h of hashesOf[w]!) {
      // a wallet waiting for its receipt: poll until it is there (null, not mined yet, is no receipt:
      // waitFor takes any value but undefined and false)
      await waitFor(
        async () => (await post({ jsonrpc: '2.0', id: 1, method: 'eth_getTransactionReceipt', params: [h] })).result ?? undefined,
        60_000,
        `receipt ${h}`,
        200,
      )
      mined++
    }
    return mined
  }
  const mined = await Promise.all(keys.map((_, w) => wallet(w)))
  t.equal(
    mined.reduce((a, b) => a + b, 0),
    WALLETS * TXS,
    'every transfer mined',
  )
  for (const a of addresses.slice(0, 3)) {
    const nonce = Number(await rpc(node.url, 'eth_getTransactionCount', [a, 'latest']))
    // the explanation goes in the failure's own lines, which CI keeps
    const why =
      nonce === TXS
        ? {}
        : {
            explain: await explainNonce(node.url, a, hashesOf[addresses.indexOf(a)]!),
            nodeWarnings: node
              .stderr()
              .split('\n')
              .filter((l) => /warn|error|fail/i.test(l))
              .slice(-8),
          }
    t.equal(nonce, TXS, `nonce of ${a}`, why)
  }

  const own = (await metric(node.url, 'nfc_producer_own_slots_total ')) - ownBefore
  const missed = (await metric(node.url, 'nfc_producer_missed_slots_total{')) - missedBefore
  t.ok(own > 0, `the witness owned slots during the load (${own})`)
  const why = `skipped ${await metric(node.url, 'nfc_producer_missed_slots_total{reason="skipped"}')}, failed ${await metric(node.url, 'nfc_producer_missed_slots_total{reason="failed"}')} since start`
  t.equal(missed, 0, `and missed none of them (${why})`)
})
