/**
 * The devnet genesis generator (src/cli/devnetGenesis.ts): what `nfc devnet`, `nfc genesis devnet`,
 * genesis/devnet-4.json and genesis/dev.json are made of.
 */
import t from 'tap'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { bytesToHex, toChecksumAddress } from '@ethereumjs/util'
import { canonicalGenesisJson, loadGenesisFile, parseGenesis } from '../../../src/chain/genesis.js'
import { devChainGenesisDoc, devnetGenesis, genesisFileText } from '../../../src/cli/devnetGenesis.js'
import { addressOf, publicKeyOf } from '../../../src/crypto/secp256k1.js'
import { NFC, POOLS, SYSTEM_CONTRACTS, TOTAL_SUPPLY } from '../../../src/execution/systemAddresses.js'
import { DEV_ACCOUNTS } from '../../../src/node/devAccounts.js'

const ROOT = resolve(import.meta.dirname, '../../..')
const RN_PLEDGE = 100_000n * NFC
const VOTES = 1_000_000n * NFC

/** A deterministic key source for the fresh witnesses (i ≥ 10). */
function counterKeys(): () => Uint8Array {
  let n = 0
  return () => {
    const k = new Uint8Array(32)
    k[31] = ++n
    return k
  }
}

for (const nodes of [1, 4, 21, 101]) {
  t.test(`${nodes} node${nodes === 1 ? '' : 's'}`, async (t) => {
    const { doc, witnessKeys, freshKeys } = devnetGenesis({ nodes, newKey: counterKeys() })
    const g = parseGenesis(doc)
    t.equal(g.name, `nfc-devnet-${nodes}`)
    t.equal(g.chainId, 2100n)
    t.equal(g.timestamp, 0)
    t.equal(g.params.witnessesPerRound, nodes, 'W = N')
    t.equal(g.params.blockIntervalMs, 1000)
    t.equal(g.params.electionCycleBlocks, 100)
    t.equal(g.params.flowCycleSec, 60, 'rewards within minutes')
    t.equal(g.params.flowChallengeSec, 30)
    t.equal(g.params.rnPledge, RN_PLEDGE, 'rnPledge default')
    t.equal(g.witnesses.length, nodes)
    t.equal(witnessKeys.length, nodes)
    t.same(
      freshKeys,
      Array.from({ length: Math.max(0, nodes - 10) }, (_, i) => 10 + i),
    )
    g.witnesses.forEach((w, i) => {
      t.same(
        { pledge: w.pledge, votes: w.votes, bonusRatioBps: w.bonusRatioBps, url: w.url },
        { pledge: RN_PLEDGE, votes: VOTES, bonusRatioBps: 1000, url: '' },
      )
      const fromKey = toChecksumAddress(bytesToHex(addressOf(publicKeyOf(Buffer.from(witnessKeys[i]!.slice(2), 'hex')))))
      t.equal(w.address, fromKey, `witness ${i} is its key's address`)
      if (i < 10) t.equal(w.address, DEV_ACCOUNTS[i]!.address, `witness ${i} is dev account ${i}`)
    })
    t.equal(new Set(g.witnesses.map((w) => w.address)).size, nodes, 'distinct witnesses')

    const bal = new Map(g.alloc.map(([a, acct]) => [a, acct.balance]))
    t.equal(
      g.alloc.reduce((s, [, a]) => s + a.balance, 0n),
      TOTAL_SUPPLY,
      'the supply adds up',
    )
    for (let i = 0; i < 10; i++) t.equal(bal.get(DEV_ACCOUNTS[i]!.address.toLowerCase()), 10_000n * NFC, `dev account ${i} keeps 10,000 NFC`)
    t.equal(bal.get(SYSTEM_CONTRACTS.nodeRegistry), BigInt(nodes) * RN_PLEDGE, 'NodeRegistry holds the pledges')
    t.equal(bal.get(SYSTEM_CONTRACTS.staking), BigInt(nodes) * VOTES, 'Staking holds the votes')
    t.equal(bal.get(POOLS.blockMining), 336_000_000n * NFC)
    t.equal(bal.get(POOLS.trafficMining), 1_344_000_000n * NFC)
    const foundation = bal.get(DEV_ACCOUNTS[10]!.address.toLowerCase())!
    const team = bal.get(POOLS.teamVesting)!
    t.equal(bal.get(DEV_ACCOUNTS[11]!.address.toLowerCase()), undefined, 'the team address holds nothing at genesis')
    t.same(
      g.vesting,
      [{ address: DEV_ACCOUNTS[11]!.address.toLowerCase(), amount: team, cliffMs: 31_536_000_000n, durationMs: 6n * 31_536_000_000n }],
      'the team grant = the vesting pool',
    )
    t.equal(g.foundation, DEV_ACCOUNTS[10]!.address.toLowerCase())
    t.equal(
      foundation + team,
      420_000_000n * NFC - 100_000n * NFC - BigInt(nodes) * (RN_PLEDGE + VOTES),
      'the witnesses are funded by the foundation (and team)',
    )
    if (nodes <= 95) t.equal(team, 315_000_000n * NFC, 'the team is untouched while the foundation suffices')
    else {
      t.equal(foundation, 0n, 'the foundation is used up first')
      t.match(doc.alloc[POOLS.teamVesting]!.label, /less .* of witness pledges and votes/)
    }
    t.match(doc.alloc[SYSTEM_CONTRACTS.nodeRegistry]!.label, /NodeRegistry/)
    t.match(doc.alloc[SYSTEM_CONTRACTS.staking]!.label, /Staking/)
  })
}

t.test('chain id, timestamp; fresh keys by default are random', async (t) => {
  const g = parseGenesis(devnetGenesis({ nodes: 2, chainId: 4242, timestamp: 1_800_000_000_000 }).doc)
  t.equal(g.chainId, 4242n)
  t.equal(g.timestamp, 1_800_000_000_000)
  const a = devnetGenesis({ nodes: 11 })
  const b = devnetGenesis({ nodes: 11 })
  t.not(a.doc.witnesses[10]!.address, b.doc.witnesses[10]!.address, 'fresh keys come from node:crypto')
  t.equal(a.doc.witnesses[9]!.address, b.doc.witnesses[9]!.address)
  t.throws(() => devnetGenesis({ nodes: 0 }), RangeError)
  t.throws(() => devnetGenesis({ nodes: 102 }), RangeError)
  t.throws(() => devnetGenesis({ nodes: 1.5 }), RangeError)
})

t.test('genesis/devnet-4.json is what the generator makes', async (t) => {
  const file = resolve(ROOT, 'genesis/devnet-4.json')
  t.equal(readFileSync(file, 'utf8'), genesisFileText(devnetGenesis({ nodes: 4 }).doc), 'byte for byte (regenerate: npx tsx tools/genesis/makeDevnet.ts 4)')
  const g = loadGenesisFile(file)
  t.equal(g.witnesses.length, 4)
  t.equal(g.timestamp, 0)
})

t.test('genesis/dev.json is what the generator makes for the one dev witness', async (t) => {
  const doc = devChainGenesisDoc()
  t.equal(readFileSync(resolve(ROOT, 'genesis/dev.json'), 'utf8'), genesisFileText(doc), 'byte for byte (regenerate: tools/genesis/makeDev.ts)')
  t.equal(canonicalGenesisJson(loadGenesisFile(resolve(ROOT, 'genesis/dev.json'))), canonicalGenesisJson(parseGenesis(doc)))
})
