/**
 * Parameters added after chains were running stay out of the genesis canonical form at their
 * default, so a data directory made before them keeps its genesis hash; set to anything else,
 * they are part of it.
 */
import t from 'tap'
import { createHash } from 'node:crypto'
import { canonicalGenesisJson } from '../../../src/chain/genesis.js'
import { DEFAULT_PARAMS } from '../../../src/chain/genesisSchema.js'
import { devGenesis } from '../../helpers/inProcessNode.js'

t.test('flowMaxRateBytesPerSec enters the genesis hash only off its default', async (t) => {
  const g = devGenesis()
  t.equal(g.params.flowMaxRateBytesPerSec, DEFAULT_PARAMS.flowMaxRateBytesPerSec, 'the dev genesis takes the default')
  const plain = canonicalGenesisJson(g)
  t.notMatch(plain, /flowMaxRateBytesPerSec/, 'at its default: not in the canonical form')
  const set = canonicalGenesisJson(devGenesis((x) => (x.params.flowMaxRateBytesPerSec = 1_000n)))
  t.match(set, /"flowMaxRateBytesPerSec":"1000"/, 'set: part of it')
  t.not(createHash('sha256').update(set).digest('hex'), createHash('sha256').update(plain).digest('hex'), 'so the hash differs')
  // every other parameter is still in the form
  for (const k of Object.keys(DEFAULT_PARAMS).filter((k) => k !== 'flowMaxRateBytesPerSec' && k !== 'flowAuditBps'))
    t.match(plain, `"${k}":`, `${k} in the form`)
})

t.test('flowAuditBps enters the genesis hash only off its default', async (t) => {
  const g = devGenesis()
  t.equal(g.params.flowAuditBps, DEFAULT_PARAMS.flowAuditBps, 'the dev genesis takes the default')
  const plain = canonicalGenesisJson(g)
  t.notMatch(plain, /flowAuditBps/, 'at its default: not in the canonical form')
  const set = canonicalGenesisJson(devGenesis((x) => (x.params.flowAuditBps = 10_000)))
  t.match(set, /"flowAuditBps":10000/, 'set: part of it')
  t.not(createHash('sha256').update(set).digest('hex'), createHash('sha256').update(plain).digest('hex'), 'so the hash differs')
})
