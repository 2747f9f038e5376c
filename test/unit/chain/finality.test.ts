import t from 'tap'
import { finalizedNumber, quorum } from '../../../src/chain/finality.js'

t.test('quorum is ⌊2n/3⌋+1', async (t) => {
  t.same([1, 2, 3, 4, 5, 6, 7, 21].map(quorum), [1, 2, 3, 3, 4, 5, 5, 15])
})

t.test('finalizedNumber: the quorum-th highest confirmation of the occupied seats, capped at the head', async (t) => {
  const seats = ['a', 'b', 'c', 'd']
  const by = (o: Record<string, bigint>) => new Map(Object.entries(o))
  t.equal(finalizedNumber(seats, by({ a: 10n, b: 9n, c: 7n, d: 3n }), 20n), 7n, 'quorum 3 of 4: the third highest')
  t.equal(finalizedNumber(seats, by({ a: 10n, b: 9n }), 20n), -1n, 'two witnesses without confirmations: nothing final')
  t.equal(finalizedNumber(seats, by({ a: 30n, b: 30n, c: 30n }), 12n), 12n, 'never above the head')
  t.equal(finalizedNumber(['a', null, 'b', null], by({ a: 5n, b: 4n }), 9n), 4n, 'vacant seats do not count (n = 2, quorum 2)')
  t.equal(finalizedNumber(['a'], by({ a: 6n }), 9n), 6n, 'one witness finalises alone')
  t.equal(finalizedNumber([null, null], by({}), 9n), undefined, 'no occupied seat: undefined')
  t.equal(finalizedNumber(seats, by({ x: 50n, a: 1n, b: 1n, c: 1n }), 9n), 1n, 'an unseated confirmer does not count')
})
