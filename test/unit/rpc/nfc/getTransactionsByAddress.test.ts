/**
 * nfc_getTransactionsByAddress over HTTP on a real in-process dev node: real signed transactions
 * from two accounts (transfers both ways, a self-send, a contract creation) in produced blocks,
 * paged with limit 2 and the cursor; order, direction and fields against eth_getTransactionByHash
 * and eth_getTransactionReceipt; the result schema of rpc/openrpc.json; bad params.
 */
import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import { Ajv } from 'ajv'
import { Wallet } from 'ethers'
import { DEV_ACCOUNTS } from '../../../../src/node/devAccounts.js'
import { devAddress, repoRoot, startNode, type InProcessNode } from '../../../helpers/inProcessNode.js'

const METHOD = 'nfc_getTransactionsByAddress'
const A = devAddress(1)
const B = devAddress(2)
const C = devAddress(3)
/** init code that deploys the 1-byte runtime 0x00 */
const INIT_CODE = '0x60016000f3'

const openrpc = JSON.parse(fs.readFileSync(path.join(repoRoot, 'rpc', 'openrpc.json'), 'utf8'))
const ajv = new Ajv({ strict: false, allErrors: true })
ajv.addSchema({ $id: 'openrpc.json', components: openrpc.components }, 'openrpc.json')
const resultSchema = openrpc.methods.find((m: { name: string }) => m.name === METHOD).result.schema
const validate = ajv.compile(JSON.parse(JSON.stringify(resultSchema).replace(/"\$ref":"#\//g, '"$ref":"openrpc.json#/')))

interface Entry {
  hash: string
  blockNumber: string
  transactionIndex: string
  from: string
  to: string | null
  contractAddress: string | null
  direction: 'in' | 'out' | 'self'
}

async function page(t: Test, n: InProcessNode, params: unknown[]): Promise<{ transactions: Entry[]; next: string | null }> {
  const r = await n.rpc(METHOD, params)
  t.ok(validate(r), `${JSON.stringify(params)} matches the OpenRPC result schema ${ajv.errorsText(validate.errors)}`)
  return r
}

async function errorOf(n: InProcessNode, params: unknown[]) {
  const r = await n.rpcRaw(METHOD, params)
  if (r.error === undefined) throw new Error(`${JSON.stringify(params)} answered ${JSON.stringify(r.result)}, want an error`)
  return r.error
}

/** signs and sends a type-2 transaction from dev account `from`; returns its hash */
async function send(n: InProcessNode, from: number, to: string | null, data = '0x'): Promise<string> {
  const wallet = new Wallet(DEV_ACCOUNTS[from]!.privateKey)
  const sender = devAddress(from)
  const call = { from: sender, ...(to === null ? {} : { to }), data, value: '0x1' }
  const gasLimit = BigInt(await n.rpc('eth_estimateGas', [call]))
  const baseFee = BigInt((await n.rpc('eth_getBlockByNumber', ['latest', false])).baseFeePerGas)
  const raw = await wallet.signTransaction({
    type: 2,
    chainId: 2100,
    nonce: Number(await n.rpc('eth_getTransactionCount', [sender, 'pending'])),
    to,
    value: 1n,
    data,
    gasLimit,
    maxPriorityFeePerGas: 1n,
    maxFeePerGas: 2n * baseFee + 1n,
  })
  return n.rpc('eth_sendRawTransaction', [raw])
}

/** the entry an account should see for a mined transaction, from the eth_ methods */
async function expectedEntry(n: InProcessNode, who: string, hash: string): Promise<Entry> {
  const tx = await n.rpc('eth_getTransactionByHash', [hash])
  const receipt = await n.rpc('eth_getTransactionReceipt', [hash])
  t.equal(receipt.status, '0x1', `${hash} succeeded`)
  const sent = tx.from === who
  const received = (tx.to ?? receipt.contractAddress) === who
  return {
    hash,
    blockNumber: tx.blockNumber,
    transactionIndex: tx.transactionIndex,
    from: tx.from,
    to: tx.to,
    contractAddress: receipt.contractAddress,
    direction: sent && received ? 'self' : sent ? 'out' : 'in',
  }
}

const newestFirst = (a: Entry, b: Entry) =>
  Number(BigInt(b.blockNumber) - BigInt(a.blockNumber)) || Number(BigInt(b.transactionIndex) - BigInt(a.transactionIndex))

t.test('nfc_getTransactionsByAddress on a dev node', async (t) => {
  const n = await startNode(t)
  await n.produceBlock()
  const mined: string[] = []
  // sends one after another (each reads the pending nonce), then one block with all of them
  const block = async (...sends: (() => Promise<string>)[]) => {
    for (const s of sends) mined.push(await s())
    const built = await n.produceBlock()
    t.equal(built.rejected.length, 0, `block ${built.block.header.number} took every transaction`)
    t.equal(built.block.transactions.length, sends.length)
  }
  await block(
    () => send(n, 1, B),
    () => send(n, 2, A),
  )
  await block(
    () => send(n, 1, null, INIT_CODE),
    () => send(n, 3, devAddress(4)),
  )
  await block(
    () => send(n, 1, A),
    () => send(n, 2, A),
    () => send(n, 1, B),
  )
  const creation = await n.rpc('eth_getTransactionReceipt', [mined[2]])
  const contract: string = creation.contractAddress
  t.match(contract, /^0x[0-9a-f]{40}$/, 'the creation made a contract')

  const relevant = async (who: string) => {
    const out: Entry[] = []
    for (const hash of mined) {
      const tx = await n.rpc('eth_getTransactionByHash', [hash])
      const receipt = await n.rpc('eth_getTransactionReceipt', [hash])
      if (tx.from === who || (tx.to ?? receipt.contractAddress) === who) out.push(await expectedEntry(n, who, hash))
    }
    return out.sort(newestFirst)
  }

  await t.test('the whole history at once (default limit), newest first', async (t) => {
    const want = await relevant(A)
    t.equal(want.length, 6)
    t.same(want.map((e) => e.direction).sort(), ['in', 'in', 'out', 'out', 'out', 'self'], 'two received, three sent (one a creation), one to itself')
    t.same(await page(t, n, [A]), { transactions: want, next: null })
    t.same(await page(t, n, [A, {}]), { transactions: want, next: null }, 'empty options')
    t.same(await page(t, n, [A, { limit: null, cursor: null }]), { transactions: want, next: null }, 'null fields are absent')
    t.same(await page(t, n, [A.toUpperCase().replace('0X', '0x')]), { transactions: want, next: null }, 'any case of address')
    const made = want.find((e) => e.hash === mined[2])!
    t.same([made.to, made.contractAddress, made.direction], [null, contract, 'out'], 'the creation: to null, the contract, out')
  })

  await t.test('pages of 2 with the cursor', async (t) => {
    const want = await relevant(A)
    const pages: Entry[][] = []
    let cursor: string | null = null
    for (let i = 0; i < 10; i++) {
      const r = await page(t, n, [A, { limit: 2, cursor }])
      pages.push(r.transactions)
      t.equal(typeof r.next === 'string' || r.next === null, true)
      if (r.next === null) break
      cursor = r.next
    }
    t.same(
      pages.map((p) => p.length),
      [2, 2, 2],
      'three full pages; the last has next: null',
    )
    t.same(pages.flat(), want, 'in order, nothing repeated or skipped')
    const b = await relevant(B)
    t.equal(b.length, 4)
    const first = await page(t, n, [B, { limit: 3 }])
    t.same(first.transactions, b.slice(0, 3))
    t.type(first.next, 'string')
    t.same(await page(t, n, [B, { limit: 3, cursor: first.next }]), { transactions: b.slice(3), next: null })
  })

  await t.test('the created contract, an uninvolved account, an account without history', async (t) => {
    t.same(await page(t, n, [contract]), { transactions: [await expectedEntry(n, contract, mined[2])], next: null })
    t.same(
      (await page(t, n, [C])).transactions.map((e) => e.direction),
      ['out'],
    )
    t.same(
      (await page(t, n, [devAddress(4)])).transactions.map((e) => e.direction),
      ['in'],
    )
    t.same(await page(t, n, ['0x000000000000000000000000000000000000beef']), { transactions: [], next: null })
  })

  await t.test('bad params are -32602 with a clear message', async (t) => {
    const invalid = (message: string) => ({ code: -32602, message })
    t.same(await errorOf(n, []), invalid('missing value for required argument 0'))
    t.same(await errorOf(n, ['0x12']), invalid('invalid argument 0: hex string has length 2, want 40 for common.Address'))
    t.same(await errorOf(n, [A.slice(2)]), invalid('invalid argument 0: hex string without 0x prefix'))
    t.same(await errorOf(n, [7]), invalid('invalid argument 0: cannot unmarshal non-string into common.Address'))
    const badLimit = (v: string) => invalid(`invalid argument 1: field "limit": want an integer from 1 to 100, got ${v}`)
    t.same(await errorOf(n, [A, { limit: 0 }]), badLimit('0'))
    t.same(await errorOf(n, [A, { limit: 101 }]), badLimit('101'))
    t.same(await errorOf(n, [A, { limit: 2.5 }]), badLimit('2.5'))
    t.same(await errorOf(n, [A, { limit: '0x2' }]), badLimit('"0x2"'))
    const badCursor = invalid('invalid argument 1: field "cursor": not a cursor of this method (pass the `next` of the previous page, or null)')
    for (const cursor of ['abc', '0x12', '0x' + 'g'.repeat(24), '0x' + '0'.repeat(25), 5, {}]) {
      t.same(await errorOf(n, [A, { cursor }]), badCursor, `cursor ${JSON.stringify(cursor)}`)
    }
    t.same(await errorOf(n, [A, 'latest']), invalid('invalid argument 1: cannot unmarshal string into options object {limit, cursor}'))
    t.same(await errorOf(n, [A, [2]]), invalid('invalid argument 1: cannot unmarshal array into options object {limit, cursor}'))
    t.same(await errorOf(n, [A, {}, 1]), invalid('too many arguments, want at most 2'))
  })
})
