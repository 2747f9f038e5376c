/**
 * The flow store on a real MerkleStateManager: every record round-trips, lists shrink cleanly,
 * zero words leave the trie (an emptied record leaves the FlowRewards storage as it was).
 */
import t from 'tap'
import { MerkleStateManager } from '@ethereumjs/statemanager'
import { bytesToHex, KECCAK256_RLP } from '@ethereumjs/util'
import { Challenge, CpStatus, EntryStatus, FLOW_REWARDS, FlowStore, type EntryRecord } from '../../../../src/consensus/povf/store.js'
import { addr, hashOf } from '../../../helpers/dposHarness.js'

const entry = (i: number): EntryRecord => ({
  sessionId: hashOf(`s${i}`),
  consumer: addr(`c${i}`),
  provider: addr(`p${i}`),
  relays: [addr('r1'), addr('r2')].slice(0, i % 3),
  seq: BigInt(10 + i),
  prevTotal: 100n,
  total: 1_000n + BigInt(i),
  prevSeq: 3n,
  sampleRoot: hashOf(`root${i}`),
  receiptHash: hashOf(`rh${i}`),
  status: EntryStatus.Live,
  challenge: Challenge.None,
})

t.test('records round-trip', async (t) => {
  const sm = new MerkleStateManager()
  const fs = new FlowStore(sm)
  await fs.ensureAccount()
  t.equal(await fs.drawnCycle(), -1n, 'no committee drawn yet')
  t.equal(await fs.lastCycle(), -1n)
  await fs.setDrawnCycle(0n)
  t.equal(await fs.drawnCycle(), 0n, 'cycle 0 is distinguishable from none')

  const com = fs.committee(5n)
  for (const a of [addr('b'), addr('a')]) await com.add(a)
  t.strictSame(await com.all(), [addr('b'), addr('a')], 'committee keeps the shuffle order')
  t.strictSame(await fs.committee(6n).all(), [], 'per cycle')

  await fs.putCheckpoint(5n, {
    hash: hashOf('cp'),
    status: CpStatus.Pending,
    committedAt: 9n,
    challengeEndsMs: 77n,
    totalBytes: 1234n,
    totalsRoot: hashOf('tr'),
    sideChainId: hashOf('sc'),
    entryCount: 3n,
  })
  const cp = await fs.getCheckpoint(5n)
  t.equal(bytesToHex(cp.hash), bytesToHex(hashOf('cp')))
  t.equal(cp.status, CpStatus.Pending)
  t.equal(cp.committedAt, 9n)
  t.equal(await fs.committedAt(5n), 9n)
  t.equal(cp.challengeEndsMs, 77n)
  t.equal(cp.totalBytes, 1234n)
  t.equal(cp.entryCount, 3n)
  t.equal(cp.penalized, false)
  t.equal(bytesToHex(cp.seedHash), bytesToHex(new Uint8Array(32)), 'no seed yet')

  for (let i = 0; i < 3; i++) await fs.putEntry(5n, BigInt(i), entry(i))
  for (let i = 0; i < 3; i++) t.strictSame(await fs.getEntry(5n, BigInt(i)), entry(i), `entry ${i}`)
  await fs.setEntryField(5n, 1n, 'challenge', Challenge.Open)
  t.equal((await fs.getEntry(5n, 1n)).challenge, Challenge.Open)

  await fs.putSession(hashOf('s'), { seq: 4n, total: 99n })
  t.strictSame(await fs.getSession(hashOf('s')), { seq: 4n, total: 99n })
  t.strictSame(await fs.getSession(hashOf('other')), { seq: 0n, total: 0n })

  await fs.addProviderTotals(addr('p'), 10n, 3n)
  await fs.addProviderTotals(addr('p'), 5n, 1n)
  t.strictSame(await fs.providerTotals(addr('p')), { bytes: 15n, rewards: 4n })
  t.strictSame(await fs.providers.all(), [addr('p')], 'listed once')

  await fs.setTotals({ cumulativeBytes: 7n, minted: 8n })
  t.strictSame(await fs.totals(), { cumulativeBytes: 7n, minted: 8n })
})

t.test('pending queue is FIFO', async (t) => {
  const fs = new FlowStore(new MerkleStateManager())
  await fs.ensureAccount()
  for (const c of [0n, 2n, 3n]) await fs.enqueue(c)
  t.strictSame(await fs.pending(10n), [0n, 2n, 3n])
  t.strictSame(await fs.pending(2n), [0n, 2n], 'bounded')
  await fs.dequeue()
  t.strictSame(await fs.pending(10n), [2n, 3n])
})

t.test('locks: shrinking a list clears the words', async (t) => {
  const sm = new MerkleStateManager()
  const fs = new FlowStore(sm)
  await fs.ensureAccount()
  const a = addr('x')
  await fs.setLocks(a, [
    { amount: 5n, startMs: 1n, withdrawn: 0n, debt: -7n },
    { amount: 6n, startMs: 2n, withdrawn: 1n, debt: 8n },
  ])
  t.strictSame(
    await fs.getLocks(a),
    [
      { amount: 5n, startMs: 1n, withdrawn: 0n, debt: -7n },
      { amount: 6n, startMs: 2n, withdrawn: 1n, debt: 8n },
    ],
    'the bonus index debt is a signed word',
  )
  await fs.setLocks(a, [{ amount: 6n, startMs: 2n, withdrawn: 1n }])
  t.strictSame(await fs.getLocks(a), [{ amount: 6n, startMs: 2n, withdrawn: 1n, debt: 0n }], 'no debt: 0')
  await fs.setLocks(a, [])
  await fs.setBonusIndex({ a: 1n, b: 2n, seen: 3n })
  t.strictSame(await fs.bonusIndex(), { a: 1n, b: 2n, seen: 3n })
  await fs.setBonusIndex({ a: 0n, b: 0n, seen: 0n })
  await fs.setAddressSums(a, { sc: 3n, scs: 4n, withdrawn: 5n })
  t.strictSame(await fs.addressSums(a), { sc: 3n, scs: 4n, withdrawn: 5n })
  await fs.setAddressSums(a, { sc: 0n, scs: 0n, withdrawn: 0n })
  await fs.setNetworkSums({ sc: 1n, scs: 2n })
  t.strictSame(await fs.networkSums(), { sc: 1n, scs: 2n })
  await fs.setNetworkSums({ sc: 0n, scs: 0n })
  await sm.getStateRoot()
  const acc = await sm.getAccount(FLOW_REWARDS)
  t.equal(bytesToHex(acc!.storageRoot), bytesToHex(KECCAK256_RLP), 'every word cleared: empty storage trie')
})
