/**
 * Parameters added after chains were running stay out of the genesis canonical form at their
 * default, so a data directory made before them keeps its genesis hash; set to anything else,
 * they are part of it.
 */
import t from 'tap'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { canonicalGenesisJson, parseGenesis } from '../../../src/chain/genesis.js'
import { DEFAULT_PARAMS } from '../../../src/chain/genesisSchema.js'
import { devGenesis } from '../../helpers/inProcessNode.js'

const LATER = ['flowMaxRateBytesPerSec', 'flowSignDeadlineSec', 'flowSelfDealingWindowCycles', 'flowAuditBps', 'channelChallengeSec']
const DEV_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../genesis/dev.json')

t.test('flowMaxRateBytesPerSec enters the genesis hash only off its default', async (t) => {
  const g = devGenesis()
  t.equal(g.params.flowMaxRateBytesPerSec, DEFAULT_PARAMS.flowMaxRateBytesPerSec, 'the dev genesis takes the default')
  const plain = canonicalGenesisJson(g)
  t.notMatch(plain, /flowMaxRateBytesPerSec/, 'at its default: not in the canonical form')
  const set = canonicalGenesisJson(devGenesis((x) => (x.params.flowMaxRateBytesPerSec = 1_000n)))
  t.match(set, /"flowMaxRateBytesPerSec":"1000"/, 'set: part of it')
  t.not(createHash('sha256').update(set).digest('hex'), createHash('sha256').update(plain).digest('hex'), 'so the hash differs')
  // every other parameter is still in the form
  for (const k of Object.keys(DEFAULT_PARAMS).filter((k) => !LATER.includes(k))) t.match(plain, `"${k}":`, `${k} in the form`)
})

t.test('flowSelfDealingWindowCycles (issue 16) enters the genesis hash only off its default', async (t) => {
  const g = devGenesis()
  t.equal(g.params.flowSelfDealingWindowCycles, 720, 'the dev genesis takes the default: 720 cycles')
  t.notMatch(canonicalGenesisJson(g), /flowSelfDealingWindowCycles/, 'at its default: not in the canonical form')
  t.match(canonicalGenesisJson(devGenesis((x) => (x.params.flowSelfDealingWindowCycles = 5))), /"flowSelfDealingWindowCycles":5/, 'set: part of it')
  for (const bad of [0, -1, 1.5, '7']) {
    t.throws(
      () => parseGenesis({ ...JSON.parse(fs.readFileSync(DEV_PATH, 'utf8')), params: { flowSelfDealingWindowCycles: bad } }),
      { code: 'GENESIS_INVALID', message: /params\.flowSelfDealingWindowCycles/ },
      `${JSON.stringify(bad)} is refused`,
    )
  }
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

t.test('channelChallengeSec (issue 19) enters the genesis hash only off its default', async (t) => {
  const g = devGenesis()
  t.equal(g.params.channelChallengeSec, 86_400, 'the dev genesis takes the default: 1 day')
  t.notMatch(canonicalGenesisJson(g), /channelChallengeSec/, 'at its default: not in the canonical form')
  t.match(canonicalGenesisJson(devGenesis((x) => (x.params.channelChallengeSec = 5))), /"channelChallengeSec":5/, 'set: part of it')
  for (const bad of [-1, 1.5, '7']) {
    t.throws(
      () => parseGenesis({ ...JSON.parse(fs.readFileSync(DEV_PATH, 'utf8')), params: { channelChallengeSec: bad } }),
      { code: 'GENESIS_INVALID', message: /params\.channelChallengeSec/ },
      `${JSON.stringify(bad)} is refused`,
    )
  }
})
