/**
 * /metrics of a witness node carries its own slots (src/node/slotMetrics.ts through NodeApi's
 * stats); a follower's carries none. Waits on the producer's events, asserts counts, never times.
 */
import { once } from 'node:events'
import t from 'tap'
import type { SlotOutcome } from '../../../src/node/producer.js'
import { devKey, startNode } from '../../helpers/inProcessNode.js'

async function scrape(url: string): Promise<string> {
  return (await fetch(url.replace(/\/?$/, '/metrics'))).text()
}

function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

t.test('a witness node exports its own slots, produced and missed, and its block start lateness', async (t) => {
  const n = await startNode(t, { witnessKey: devKey(0) })
  const producer = n.node.producer!
  let produced = 0
  while (produced < 2) {
    const [o] = (await once(producer, 'slot')) as [SlotOutcome]
    if (o.result === 'produced') produced++
  }
  const text = await scrape(n.url)
  const snap = producer.metrics.snapshot()
  t.ok(snap.produced >= 2, 'the producer counted its blocks')
  t.equal(value(text, 'nfc_producer_produced_blocks_total'), snap.produced, 'produced blocks as counted')
  t.equal(value(text, 'nfc_producer_own_slots_total'), snap.ownSlots, 'own slots as counted')
  t.equal(value(text, 'nfc_producer_missed_slots_total{reason="skipped"}'), snap.missedBy.skipped)
  t.equal(value(text, 'nfc_producer_missed_slots_total{reason="failed"}'), 0, 'no failed build')
  t.equal(value(text, 'nfc_producer_block_start_lateness_ms{stat="count"}'), snap.startLateness.count, 'one lateness sample per block')
  t.ok(value(text, 'nfc_producer_block_start_lateness_ms{stat="max"}')! >= 0, 'max lateness exported')
  t.ok(value(text, 'nfc_producer_block_build_ms{stat="p99"}') !== undefined, 'build time exported')
})

t.test('a follower exports no producer metrics', async (t) => {
  const n = await startNode(t)
  const text = await scrape(n.url)
  t.match(text, /nfc_head_block/, 'the node gauges are there')
  t.notMatch(text, /nfc_producer_/, 'no producer series')
})
