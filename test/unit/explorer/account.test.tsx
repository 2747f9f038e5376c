/**
 * Account view against a real node: balance, nonce, code, votes, pledge; history and flow
 * rewards (either from the node, or "not available" on -32601 while those methods are built);
 * the NB balance and the fuel escrows of a consumer (NB.convert / escrow / requestRelease sent to it).
 */
import t, { type Test } from 'tap'
import { Interface } from 'ethers'
import nbAbi from '../../../src/execution/system/abi/INB.json' with { type: 'json' }
import { SYSTEM_CONTRACTS } from '../../../src/chain/systemAddresses.js'
import { createRpcClient, RpcError, type RpcClient } from '../../../src/explorer/rpcClient.js'
import { formatLocalTime, formatNb } from '../../../src/explorer/format.js'
import { devGenesis, startNode, type InProcessNode } from '../../helpers/inProcessNode.js'
import { addContractTxs, chainWithTransfer, devAddress, KEY, NFC, press, renderApp, search, send, waitFrame } from './harness.js'

t.test('account view of a voter and of the witness', async (t) => {
  const { n } = await chainWithTransfer(t)
  const txs = await addContractTxs(n)
  const r = renderApp(t, { rpc: n.url, tab: 'Account' })
  let f = await waitFrame(r, 'No account selected')
  t.match(f, /5 Account/, 'the Account tab')
  await search(r, devAddress(2))
  f = await waitFrame(r, ['Account 0x', 'Balance', 'Votes'])
  t.match(f, new RegExp(`Account ${devAddress(2)}`), 'the address')
  t.match(f, /Nonce\s+1/, 'one transaction sent')
  t.match(f, /Code\s+none \(externally owned\)/, 'no code')
  t.match(f, /Votes\s+1,000 NFC on 1 candidate/, 'its vote')
  t.match(f, /Pledge\s+none/, 'no pledge (NodeRegistry.nodeOf)')
  // flow_getRewards and nfc_getTransactionsByAddress are being built in parallel: either answer is right
  t.match(f, /flow rewards: not available on this node|Flow rewards\s+locked 0 NFC\s+unlocking 0 NFC/, 'flow rewards, or that the node lacks them')
  t.match(f, /Balance\s+8,999\.\d+ NFC/, 'balance: 10,000 less the vote and the fee')
  await press(r, 'G')
  f = await waitFrame(r, /history: not available on this node|History, page 1/)
  if (/History, page 1/.test(f)) {
    t.match(f, new RegExp(`#3\\s+out →\\s+0x0000.*${txs.vote.slice(2, 12)}`), 'the vote, newest first, outgoing')
    // Enter on the history row opens the transaction
    await press(r, KEY.enter)
    await waitFrame(r, /Input: Staking\.vote/)
    await press(r, KEY.esc)
  } else t.pass('nfc_getTransactionsByAddress missing: said so')
  await press(r, 'g')
  await waitFrame(r, /Votes/)

  // the vote line opens the candidate (the witness): it has the genesis pledge
  await press(r, KEY.enter)
  f = await waitFrame(r, new RegExp(`Account ${devAddress(0)}`))
  f = await waitFrame(r, /Pledge\s+RN/)
  t.match(f, /Pledge\s+RN \(root node\)\s+100,000 NFC/, 'the witness pledged as RN')
  await press(r, KEY.esc)
  await waitFrame(r, new RegExp(`Account ${devAddress(2)}`))

  // a contract
  await search(r, txs.probe)
  f = await waitFrame(r, /Code\s+\d[\d,]* bytes/)
  t.pass('contract code size')
})

// ------------------------------------------------------------------ NB and fuel escrows

const nb = new Interface(nbAbi as never)
const callNb = async (n: InProcessNode, fn: string, args: unknown[]) =>
  nb.decodeFunctionResult(fn, await n.rpc('eth_call', [{ to: SYSTEM_CONTRACTS.nb, data: nb.encodeFunctionData(fn, args) }, 'latest']))
/** NB calls from dev account `from`, all in the next block (at `timestamp`, ms); fails the test on a failed one */
async function nbBlock(t: Test, n: InProcessNode, timestamp: bigint, calls: { from: number; fn: string; args?: unknown[]; value?: bigint }[]) {
  const hashes = []
  for (const c of calls)
    hashes.push(await send(n, c.from, { to: SYSTEM_CONTRACTS.nb, value: c.value, data: nb.encodeFunctionData(c.fn, c.args ?? []), gasLimit: 300_000n }))
  await n.produceBlock({ timestamp })
  for (const [i, h] of hashes.entries())
    t.equal((await n.rpc('eth_getTransactionReceipt', [h]))?.status, '0x1', `NB.${calls[i]!.fn} from dev ${calls[i]!.from}`)
}
/** the frame's lines from the "NB balance" line down to the next section ("History") */
const nbSection = (f: string) => f.slice(f.indexOf('NB balance'), f.indexOf('History') < 0 ? undefined : f.indexOf('History'))
/** the lines that show an escrow ("→ 0x… amount NB") */
const escrowRows = (f: string) =>
  nbSection(f)
    .split('\n')
    .filter((l) => /→ 0x[0-9a-f…]+\s+<?[\d,.]+ NB/.test(l))

t.test('NB balance and fuel escrows as a consumer', async (t) => {
  // blocks ten minutes in the past, so a release requested "now" is still ahead of the wall clock
  const start = Math.floor(Date.now() / 1000) * 1000 - 600_000
  const n = await startNode(t, { genesis: devGenesis((g) => void (g.timestamp = start)) })
  const consumer = 4
  const [p5, p6, p7] = [devAddress(5), devAddress(6), devAddress(7)]
  const at = (ms: number) => BigInt(start + ms)
  // 100 NFC → NB; an escrow for p7 asked back at once …
  await nbBlock(t, n, at(1000), [
    { from: consumer, fn: 'convert', value: 100n * NFC },
    { from: consumer, fn: 'escrow', args: [p7, NFC / 2n] },
    { from: consumer, fn: 'requestRelease', args: [p7] },
  ])
  const delay = Number((await callNb(n, 'escrowOf', [devAddress(consumer), p7]))[1]) - (start + 1000)
  t.ok(delay > 0 && delay < 300_000, 'the release delay of the dev chain (2 cycles + challenge) is minutes')
  // … and withdrawn once released (amount 0, no release: not shown); 2.5 NB for p5, 1 NB for p6
  await nbBlock(t, n, at(1000 + delay + 1000), [
    { from: consumer, fn: 'withdrawEscrow', args: [p7] },
    { from: consumer, fn: 'escrow', args: [p5, (5n * NFC) / 2n] },
    { from: consumer, fn: 'escrow', args: [p6, NFC] },
  ])
  // p6's release is requested in a block 5 s before the wall clock: withdrawable minutes from now
  await nbBlock(t, n, BigInt(Math.floor(Date.now() / 1000) * 1000 - 5000), [{ from: consumer, fn: 'requestRelease', args: [p6] }])
  const price = (await callNb(n, 'price', []))[0] as bigint
  const balance = (await callNb(n, 'balanceOf', [devAddress(consumer)]))[0] as bigint
  t.equal(balance, (100n * NFC * price) / NFC - (5n * NFC) / 2n - NFC, 'what convert gave, less the two escrows (p7 came back)')
  const releaseAt = Number((await callNb(n, 'escrowOf', [devAddress(consumer), p6]))[1])
  t.ok(releaseAt > Date.now(), 'the release of p6 is ahead')

  const r = renderApp(t, { rpc: n.url, tab: 'Account' })
  await waitFrame(r, 'No account selected')
  await search(r, devAddress(consumer))
  let f = await waitFrame(r, ['NB balance', /Fuel escrows\s+\S/])
  t.match(f, new RegExp(`NB balance\\s+${formatNb(balance).replace(/[.,]/g, '\\$&')}\\n`), 'the NB balance, as NB')
  t.match(f, /NB balance\s+[1-9][\d,]*(\.\d+)? NB/, 'a non-zero NB amount')
  t.match(f, /Fuel escrows\s+2 as consumer/, 'two escrows: the withdrawn one (amount 0, no release) is left out')
  let rows = escrowRows(f)
  t.equal(rows.length, 2, 'one line per provider with an escrow')
  const [first] = [p5, p6].sort()
  t.match(rows[0], new RegExp(`→ ${first!.slice(0, 10)}`), 'sorted by provider address')
  const rowOf = (p: string) => rows.find((l) => l.includes(p.slice(0, 10)) && l.includes(p.slice(-4))) ?? ''
  t.match(rowOf(p5), /→ 0x[0-9a-f]{4,}…[0-9a-f]{4,}\s+2\.5 NB$/, 'p5: 2.5 NB, no release')
  const when = formatLocalTime(releaseAt)
  t.match(
    rowOf(p6),
    new RegExp(`\\s1 NB  withdrawable from ${when} \\(in [1-9]\\d*m \\d\\ds\\)$`),
    'p6: 1 NB, withdrawable from its release time, and how long until then (100 columns)',
  )
  t.notOk(f.includes(p7.slice(0, 10)), 'the withdrawn escrow is not listed')
  t.comment('100 columns:\n' + nbSection(f))

  // 80 columns: the time stays, the wait and part of the address go; no line is wider
  Object.defineProperty(r.stdout, 'columns', { get: () => 80 })
  r.stdout.emit('resize')
  f = await waitFrame(r, new RegExp(`withdrawable from ${when}$`, 'm'))
  rows = escrowRows(f)
  const widest = f.split('\n').reduce((w, l) => (l.length > w.length ? l : w), '')
  t.ok(widest.length <= 80, `fits 80 columns (widest: "${widest}")`)
  t.match(
    rowOf(p6),
    new RegExp(`→ 0x[0-9a-f]{6,}…[0-9a-f]{6,}\\s+1 NB  withdrawable from ${when}$`),
    'p6 at 80 columns: abbreviated provider, amount, release time',
  )
  t.match(rowOf(p5), /2\.5 NB$/, 'p5 at 80 columns')
  t.comment('80 columns:\n' + nbSection(f))

  // Enter on an escrow line opens the provider
  // (the escrow lines are the selectable lines of this account; p5 or p6 first by address)
  await press(r, KEY.enter)
  f = await waitFrame(r, new RegExp(`Account ${first}`))
  t.pass('the first escrow line opens its provider')
  // an account without NB: 0, and no escrow lines
  f = await waitFrame(r, /Fuel escrows\s+\S/)
  t.match(f, /NB balance\s+0 NB\n/, 'no NB: 0 NB')
  t.match(f, /Fuel escrows\s+none\n/, 'no escrows: none')
  t.equal(escrowRows(f).length, 0, 'no escrow lines')
})

t.test('more than 8 escrows: "+N more"; a failed escrowsOf: said in that section only', async (t) => {
  const n = await startNode(t)
  const providers = Array.from({ length: 10 }, (_, i) => '0x' + (0xa0 + i).toString(16).padStart(40, '0'))
  const hashes = [await send(n, 8, { to: SYSTEM_CONTRACTS.nb, value: 100n * NFC, data: nb.encodeFunctionData('convert', []), gasLimit: 300_000n })]
  for (const p of providers) hashes.push(await send(n, 8, { to: SYSTEM_CONTRACTS.nb, data: nb.encodeFunctionData('escrow', [p, 1n]), gasLimit: 300_000n }))
  // a second escrow for the same provider: one line (listed once), the total
  hashes.push(await send(n, 8, { to: SYSTEM_CONTRACTS.nb, data: nb.encodeFunctionData('escrow', [providers[0], NFC]), gasLimit: 300_000n }))
  await n.produceBlock()
  for (const h of hashes) t.equal((await n.rpc('eth_getTransactionReceipt', [h]))?.status, '0x1', 'NB call succeeded')

  const r = renderApp(t, { rpc: n.url, tab: 'Account' })
  await waitFrame(r, 'No account selected')
  await search(r, devAddress(8))
  const f = await waitFrame(r, /Fuel escrows\s+\S/)
  t.match(f, /Fuel escrows\s+10 as consumer/, 'ten providers, eleven escrows')
  const rows = escrowRows(f)
  t.equal(rows.length, 8, 'eight shown')
  t.match(rows[0], /→ 0x0{36}00a0\s+1 NB$/, 'the lowest address first, its two escrows summed (1 NB + 1 wei shows as 1 NB)')
  t.match(rows[1], /→ 0x0{36}00a1\s+<0\.000001 NB$/, 'then the next; 1 wei says it is too small to show')
  t.match(f, /\n\s*\+2 more\n/, 'the other two: +2 more')

  // the same node, but its answer to the escrowsOf eth_call is an error
  const real = createRpcClient(n.url)
  const escrowsOf = nb.getFunction('escrowsOf')!.selector
  const isEscrowsOf = (c: { method: string; params?: unknown[] }) =>
    c.method === 'eth_call' && String((c.params?.[0] as { data?: string })?.data).startsWith(escrowsOf)
  const refusing: RpcClient = {
    ...real,
    batch: async (calls) => {
      const answers = await real.batch(calls)
      return answers.map((a, i) => (isEscrowsOf(calls[i]!) ? new RpcError(-32000, 'execution reverted: no escrowsOf here') : a))
    },
  }
  t.teardown(() => real.close())
  const r2 = renderApp(t, { rpc: n.url, client: refusing, tab: 'Account' })
  await waitFrame(r2, 'No account selected')
  await search(r2, devAddress(8))
  const g = await waitFrame(r2, /Fuel escrows\s+\S/)
  t.match(g, /Fuel escrows\s+unavailable \(escrowsOf: execution reverted: no escrowsOf here\)/, 'the section says why')
  t.match(g, /NB balance\s+8\.999999 NB/, 'the NB balance still shows (100 NFC × 0.1 less 1 NB and 10 wei of escrows)')
  t.match(g, /Votes\s/, 'the rest of the view still renders')
  t.equal(escrowRows(g).length, 0, 'no escrow lines')
})
