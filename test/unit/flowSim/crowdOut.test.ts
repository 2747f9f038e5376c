/**
 * The hooks of `nfc flow simulate --cheat crowd-out` (src/flowSim/cheats/crowdOut.ts), without a
 * node: every tick, provider 0 and consumer 0 sign CROWD_SESSIONS_PER_TICK receipts of fresh
 * sessions for the cycle the node reports then; the summary gets how many were tried and taken.
 */
import t from 'tap'
import { JsonRpcProvider } from 'ethers'
import { checkReceiptSignatures, type SignedReceipt } from '../../../src/flow/receipt.js'
import { CROWD_SESSIONS_PER_TICK, crowdOut } from '../../../src/flowSim/cheats/crowdOut.js'
import { deriveKey, party, type Rpc } from '../../../src/flowSim/node.js'
import type { SimSummary } from '../../../src/flowSim/types.js'

t.test('each tick: fresh doubly signed sessions of provider 0 in the current cycle; the counts in the summary', async (t) => {
  // never connected: the wallets only sign
  const provider = new JsonRpcProvider('http://127.0.0.1:9', undefined, { staticNetwork: true })
  t.teardown(() => provider.destroy())
  const parties = (role: string) => [0, 1].map((i) => party(deriveKey(5, role, i), provider))
  const consumers = parties('consumer')
  const providers = parties('provider')
  let cycle = 7
  const rpc = { call: async () => ({ cycle: `0x${cycle.toString(16)}` }) } as unknown as Rpc
  const cheat = crowdOut({
    opts: { rpc: '', consumers: 2, providers: 2, seconds: 1, seed: 5, funderKey: '' },
    rpc,
    provider,
    consumers,
    providers,
    log: () => {},
    progress: () => {},
  })
  const sent: SignedReceipt[] = []
  // the node takes the first 3 and refuses the rest
  const submit = async (r: SignedReceipt) => (sent.push(r), sent.length <= 3)
  await cheat.tick!({ tick: 0, cycle: 6n, chainId: 2100n, expiryHeight: 99n }, submit)
  cycle = 8
  await cheat.tick!({ tick: 1, cycle: 8n, chainId: 2100n, expiryHeight: 99n }, submit)
  t.equal(sent.length, 2 * CROWD_SESSIONS_PER_TICK, `${CROWD_SESSIONS_PER_TICK} a tick`)
  t.equal(new Set(sent.map((r) => Buffer.from(r.sessionId).toString('hex'))).size, sent.length, 'every one a fresh session')
  t.same(
    sent.map((r) => r.cycle),
    [...Array(CROWD_SESSIONS_PER_TICK).fill(7n), ...Array(CROWD_SESSIONS_PER_TICK).fill(8n)],
    'signed for the cycle the node reports at the time, not the tick’s',
  )
  for (const r of sent) {
    t.equal(r.provider, providers[0]!.address)
    t.equal(r.consumer, consumers[0]!.address)
    t.doesNotThrow(() => checkReceiptSignatures(r), 'signed by both')
  }
  const summary = {} as SimSummary
  t.equal(await cheat.finish!(summary), 0n, 'no bonus of its own')
  t.same(summary.crowd, { provider: providers[0]!.address, submitted: 16, accepted: 3 })
})
