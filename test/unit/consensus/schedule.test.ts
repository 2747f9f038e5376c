import { keccak_256 } from '@noble/hashes/sha3.js'
import t from 'tap'
import {
  activationRound,
  missedBetween,
  roundOfSlot,
  roundOrder,
  roundStartSlot,
  scheduledWitness,
  slotAt,
  slotOwner,
  slotStartMs,
  type Seat,
} from '../../../src/consensus/dpos/schedule.js'
import { shuffle } from '../../../src/consensus/dpos/shuffle.js'

const seed = keccak_256(new TextEncoder().encode('schedule test'))

t.test('slots and rounds', async (t) => {
  const g = 1_700_000_000_000n
  t.equal(slotAt(g, g, 1000n), 0n)
  t.equal(slotAt(g + 999n, g, 1000n), 0n)
  t.equal(slotAt(g + 1000n, g, 1000n), 1n)
  t.equal(slotAt(g + 123_456n, g, 1000n), 123n)
  t.equal(slotAt(g + 10n, g, 3n), 3n)
  t.equal(slotStartMs(123n, g, 1000n), g + 123_000n)
  t.throws(() => slotAt(g - 1n, g, 1000n), { code: 'DPOS_BEFORE_GENESIS' })
  t.throws(() => slotAt(g, g, 0n), { code: 'DPOS_BAD_ARG' })
  t.equal(roundOfSlot(0n, 21), 0n)
  t.equal(roundOfSlot(20n, 21), 0n)
  t.equal(roundOfSlot(21n, 21), 1n)
  t.equal(roundOfSlot(604_800n, 21n), 28_800n)
  t.equal(roundStartSlot(3n, 4), 12n)
  t.throws(() => roundOfSlot(1n, 0), { code: 'DPOS_BAD_ARG' })
  t.throws(() => roundOfSlot(-1n, 4), { code: 'DPOS_BAD_ARG' })
})

t.test('round order and scheduled witness', async (t) => {
  const ws = ['a', 'b', 'c', 'd']
  const order = roundOrder(seed, ws, 4)
  t.strictSame(order, shuffle(seed, ws))
  t.strictSame([...order].sort(), ws)
  for (let s = 0n; s < 12n; s++) t.equal(scheduledWitness(s, order), order[Number(s % 4n)])
  // fewer witnesses than seats: vacant seats (null) are shuffled in
  const sparse = roundOrder(seed, ['a', 'b'], 4)
  t.equal(sparse.length, 4)
  t.equal(sparse.filter((x) => x === null).length, 2)
  t.strictSame(sparse, shuffle(seed, ['a', 'b', null, null]))
  t.throws(() => roundOrder(seed, ['a', 'b', 'c'], 2), { code: 'DPOS_TOO_MANY_WITNESSES' })
  t.throws(() => roundOrder(seed, ['a', 'a'], 2), { code: 'DPOS_DUPLICATE_ADDRESS' })
  t.throws(() => scheduledWitness(0n, []), { code: 'DPOS_BAD_ARG' })
})

t.test('missed-slot rule: everyone produces → the order', async (t) => {
  const order: Seat[] = ['w0', 'w1', 'w2', 'w3']
  const start = 40n
  const produced = [40n, 41n, 42n, 43n]
  for (let i = 0; i < 4; i++) {
    const r = slotOwner(order, start, produced, start + BigInt(i))
    t.equal(r.owner, order[i], `slot ${i}`)
    t.strictSame(r.missed, [])
  }
})

t.test('missed-slot rule: one misses → the next slot goes to the next witness', async (t) => {
  const order: Seat[] = ['w0', 'w1', 'w2', 'w3']
  const start = 40n
  const produced = [40n, 42n, 43n] // w1 silent in slot 41
  t.equal(slotOwner(order, start, produced, 41n).owner, 'w1', 'w1 owned its slot')
  const r = slotOwner(order, start, produced, 42n)
  t.equal(r.owner, 'w2', 'slot 42 belongs to the witness after w1')
  t.strictSame(r.missed, [{ slot: 41n, witness: 'w1' }])
  t.equal(slotOwner(order, start, produced, 43n).owner, 'w3')
  // history never changes who owns a slot — only who is punished
  for (const hist of [[], [40n], [40n, 41n, 42n], [41n, 43n]]) {
    t.equal(slotOwner(order, start, hist, 43n).owner, 'w3', `history ${hist.join(',')}`)
  }
  const all = slotOwner(order, start, [], 43n)
  t.strictSame(
    all.missed.map((m) => m.witness),
    ['w0', 'w1', 'w2'],
  )
  // vacant seats are never punished
  t.strictSame(
    slotOwner(['w0', null, 'w2', 'w3'], start, [], 43n).missed.map((m) => m.witness),
    ['w0', 'w2'],
  )
  t.equal(slotOwner(['w0', null, 'w2', 'w3'], start, [], 41n).owner, null)
  t.throws(() => slotOwner(order, start, [], 44n), { code: 'DPOS_SLOT_NOT_IN_ROUND' })
  t.throws(() => slotOwner(order, start, [], 39n), { code: 'DPOS_SLOT_NOT_IN_ROUND' })
})

t.test('missedBetween: the owners of the empty slots between parent and child, across rounds', async (t) => {
  const orders: Record<string, Seat[]> = { '0': ['a', 'b', 'c'], '1': ['c', null, 'a'], '2': ['b', 'a', 'c'] }
  const orderOf = (r: bigint): Seat[] => orders[r.toString()]!
  t.strictSame(missedBetween(0n, 1n, 3, orderOf), [], 'consecutive slots: nobody missed')
  t.strictSame(missedBetween(0n, 2n, 3, orderOf), [{ slot: 1n, witness: 'b' }])
  t.strictSame(missedBetween(1n, 7n, 3, orderOf), [
    { slot: 2n, witness: 'c' },
    { slot: 3n, witness: 'c' },
    { slot: 5n, witness: 'a' },
    { slot: 6n, witness: 'b' },
  ])
  t.throws(() => missedBetween(5n, 5n, 3, orderOf), { code: 'DPOS_BAD_ARG' })
  t.throws(() => missedBetween(0n, 5n, 3, () => ['a']), { code: 'DPOS_BAD_ARG' })
})

t.test('a new election applies from the round after the last block of the cycle', async (t) => {
  // no missed slots, C = 100 blocks, W = 4: last block 99 in slot 99 (round 24) → round 25 = slot 100
  t.equal(activationRound(99n, 4), 25n)
  t.equal(roundStartSlot(activationRound(99n, 4), 4), 100n)
  // mainnet: 604,800 = 21 · 28,800
  t.equal(roundStartSlot(activationRound(604_799n, 21), 21), 604_800n)
  // slots were missed, the last block of the cycle sits mid-round: the round finishes first
  t.equal(activationRound(101n, 4), 26n)
})
