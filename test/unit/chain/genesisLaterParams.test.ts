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

const GOV = ['govVotingSec', 'govTimelockSec', 'govQuorumBps', 'govMajorityBps', 'govRangeFactor'] as const
const LATER = [
  'flowMaxRateBytesPerSec',
  'flowSignDeadlineSec',
  'flowSelfDealingWindowCycles',
  'flowAuditBps',
  'flowProviderSessionShareBps',
  ...GOV,
  'nameLockPerYear',
  'nameMinTermSec',
  'nameMaxTermSec',
  'channelChallengeSec',
  'storageProofPeriodSec',
  'storageProofLeaves',
  'storageCollateral',
  'storageSlashBps',
  'storageMaxActiveDeals',
]
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

t.test('the governance parameters (issue 20) enter the genesis hash only off their default', async (t) => {
  const g = devGenesis()
  const plain = canonicalGenesisJson(g)
  for (const k of GOV) {
    t.equal(g.params[k], DEFAULT_PARAMS[k], `${k}: the dev genesis takes the default`)
    t.notMatch(plain, k, `${k}: at its default, not in the canonical form`)
    t.match(canonicalGenesisJson(devGenesis((x) => (x.params[k] = 6_000))), `"${k}":6000`, `${k}: set, part of it`)
  }
  const bad: [string, unknown][] = [
    ['govVotingSec', 0],
    ['govTimelockSec', -1],
    ['govQuorumBps', 10_001],
    ['govMajorityBps', 4_999],
    ['govMajorityBps', 10_000],
    ['govRangeFactor', 0],
    ['govRangeFactor', '10'],
  ]
  for (const [k, v] of bad) {
    t.throws(
      () => parseGenesis({ ...JSON.parse(fs.readFileSync(DEV_PATH, 'utf8')), params: { [k]: v } }),
      { code: 'GENESIS_INVALID', message: new RegExp(`params\\.${k}`) },
      `${k} = ${JSON.stringify(v)} is refused`,
    )
  }
})

t.test('the Names parameters (issue 20) enter the genesis hash only off their defaults', async (t) => {
  const g = devGenesis()
  const plain = canonicalGenesisJson(g)
  for (const k of ['nameLockPerYear', 'nameMinTermSec', 'nameMaxTermSec'] as const) {
    t.equal(g.params[k], DEFAULT_PARAMS[k], `the dev genesis takes the default ${k}`)
    t.notMatch(plain, k, `${k} at its default: not in the canonical form`)
  }
  t.match(canonicalGenesisJson(devGenesis((x) => (x.params.nameLockPerYear = 7n))), /"nameLockPerYear":"7"/, 'set: part of it')
  t.match(canonicalGenesisJson(devGenesis((x) => (x.params.nameMinTermSec = 1))), /"nameMinTermSec":1/)
  const dev = JSON.parse(fs.readFileSync(DEV_PATH, 'utf8'))
  t.throws(() => parseGenesis({ ...dev, params: { nameMinTermSec: 100, nameMaxTermSec: 99 } }), {
    code: 'GENESIS_INVALID',
    message: /params\.nameMinTermSec: 100 is above params\.nameMaxTermSec \(99\); a name's shortest term cannot exceed its longest/,
  })
  for (const bad of [0, -1, 1.5, '7']) {
    t.throws(
      () => parseGenesis({ ...dev, params: { nameMinTermSec: bad } }),
      { code: 'GENESIS_INVALID', message: /params\.nameMinTermSec/ },
      `${JSON.stringify(bad)} is refused`,
    )
  }
  t.throws(
    () => parseGenesis({ ...dev, params: { nameLockPerYear: 5 } }),
    { code: 'GENESIS_INVALID', message: /params\.nameLockPerYear/ },
    'an amount is a string',
  )
})

t.test('flowProviderSessionShareBps (issue 16 crowd-out) enters the genesis hash only off its default; bad values refused', async (t) => {
  const g = devGenesis()
  t.equal(g.params.flowProviderSessionShareBps, 1_000, 'the dev genesis takes the default: 10 %')
  const plain = canonicalGenesisJson(g)
  t.notMatch(plain, /flowProviderSessionShareBps/, 'at its default: not in the canonical form')
  const set = canonicalGenesisJson(devGenesis((x) => (x.params.flowProviderSessionShareBps = 2_500)))
  t.match(set, /"flowProviderSessionShareBps":2500/, 'set: part of it')
  t.not(createHash('sha256').update(set).digest('hex'), createHash('sha256').update(plain).digest('hex'), 'so the hash differs')
  for (const bad of [0, 10_001, 1.5, '7']) {
    t.throws(
      () => parseGenesis({ ...JSON.parse(fs.readFileSync(DEV_PATH, 'utf8')), params: { flowProviderSessionShareBps: bad } }),
      { code: 'GENESIS_INVALID', message: /params\.flowProviderSessionShareBps/ },
      `${JSON.stringify(bad)} is refused`,
    )
  }
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

t.test('the storage-deal parameters (issue 20) enter the genesis hash only off their defaults', async (t) => {
  const plain = canonicalGenesisJson(devGenesis())
  for (const k of ['storageProofPeriodSec', 'storageProofLeaves', 'storageCollateral', 'storageSlashBps', 'storageMaxActiveDeals'])
    t.notMatch(plain, k, `${k}: not in the form`)
  t.match(canonicalGenesisJson(devGenesis((x) => (x.params.storageProofPeriodSec = 10))), /"storageProofPeriodSec":10/, 'set: part of it')
  for (const [k, bad] of [
    ['storageProofPeriodSec', 0],
    ['storageProofLeaves', 65],
    ['storageSlashBps', 10_001],
    ['storageMaxActiveDeals', 0],
    ['storageCollateral', '-1'],
  ] as const) {
    t.throws(
      () => parseGenesis({ ...JSON.parse(fs.readFileSync(DEV_PATH, 'utf8')), params: { [k]: bad } }),
      { code: 'GENESIS_INVALID', message: new RegExp(`params\\.${k}`) },
      `${k} = ${JSON.stringify(bad)} is refused`,
    )
  }
})
