import t, { type Test } from 'tap'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { canonicalGenesisJson, DEFAULT_PARAMS, formatNfc, loadGenesisFile, parseGenesis } from '../../../src/chain/genesis.js'
import { NFC, POOLS, TOTAL_SUPPLY } from '../../../src/execution/systemAddresses.js'
import { DEV_ACCOUNTS } from '../../../src/node/devAccounts.js'
import { NfcError } from '../../../src/util/errors.js'

const DEV_PATH = resolve(import.meta.dirname, '../../../genesis/dev.json')
const devText = readFileSync(DEV_PATH, 'utf8')
type Doc = Record<string, any>
const dev = (): Doc => JSON.parse(devText) as Doc
const A0 = DEV_ACCOUNTS[0]!.address
const A1 = DEV_ACCOUNTS[1]!.address

/** A minimal valid document: one account holding the whole supply. */
const minimal = (): Doc => ({
  name: 'nfc-test',
  chainId: 7,
  timestamp: 0,
  totalSupply: TOTAL_SUPPLY.toString(),
  witnesses: [A0],
  alloc: { [A0]: { balance: TOTAL_SUPPLY.toString() } },
})

/** Asserts GENESIS_INVALID and that, for each needle list, one problem line contains all of them. */
function invalid(t: Test, doc: unknown, ...needles: string[][]): string[] {
  let problems: string[] = []
  t.throws(() => parseGenesis(doc), { code: 'GENESIS_INVALID' })
  try {
    parseGenesis(doc)
  } catch (e) {
    t.ok(e instanceof NfcError)
    problems = (e as NfcError).meta.problems as string[]
    for (const p of problems) t.ok((e as Error).message.includes(p), 'message lists every problem')
  }
  for (const n of needles) {
    t.ok(
      problems.some((p) => n.every((x) => p.includes(x))),
      `a problem mentions ${n.map((x) => JSON.stringify(x)).join(' + ')}; got:\n${problems.join('\n')}`,
    )
  }
  return problems
}

t.test('genesis/dev.json parses and matches the dev allocation', async (t) => {
  const g = loadGenesisFile(DEV_PATH)
  t.equal(g.name, 'nfc-dev')
  t.equal(g.chainId, 2100n)
  t.equal(g.timestamp, 0)
  t.same(g.witnesses, ['0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'])
  t.equal(g.witnesses[0], A0)
  t.equal(g.totalSupply, TOTAL_SUPPLY)
  t.equal(g.alloc.reduce((s, [, a]) => s + a.balance, 0n), TOTAL_SUPPLY)
  t.same(g.params, { ...DEFAULT_PARAMS, blockIntervalMs: 1000, flowCycleSec: 300, electionCycleBlocks: 100 })
  t.equal(g.params.minGasPrice, 1_000_000_000n)
  t.equal(g.params.blockGasLimit, 30_000_000n)

  const bal = new Map(g.alloc.map(([a, acct]) => [a, acct.balance]))
  for (let i = 0; i < 10; i++) t.equal(bal.get(DEV_ACCOUNTS[i]!.address.toLowerCase()), 10_000n * NFC, `dev account ${i}`)
  t.equal(bal.get(DEV_ACCOUNTS[10]!.address.toLowerCase()), 105_000_000n * NFC - 100_000n * NFC, 'foundation')
  t.equal(bal.get(DEV_ACCOUNTS[11]!.address.toLowerCase()), 315_000_000n * NFC, 'team')
  t.equal(bal.get(POOLS.blockMining), 336_000_000n * NFC)
  t.equal(bal.get(POOLS.trafficMining), 1_344_000_000n * NFC)
  t.equal(bal.get(POOLS.shared), 0n)
  t.equal(g.alloc.length, 15)

  const addrs = g.alloc.map(([a]) => a)
  t.same(addrs, [...addrs].sort(), 'alloc sorted by address')
  t.ok(addrs.every((a) => a === a.toLowerCase()), 'alloc keys lowercase')
  t.equal(g.alloc.find(([a]) => a === A0.toLowerCase())![1].label, 'dev account 0')
})

t.test('canonical JSON is deterministic and ignores key order and labels', async (t) => {
  const a = parseGenesis(dev())
  const shuffled = dev()
  shuffled.alloc = Object.fromEntries(Object.entries(shuffled.alloc as Doc).reverse().map(([k, v]) => [k.toLowerCase(), { ...v, label: 'x' }]))
  const b = parseGenesis({ alloc: shuffled.alloc, ...shuffled })
  t.equal(canonicalGenesisJson(a), canonicalGenesisJson(b))
  const c = JSON.parse(canonicalGenesisJson(a))
  t.equal(c.totalSupply, '2100000000000000000000000000')
  t.equal(c.params.minGasPrice, '1000000000')
  t.equal(c.chainId, '2100')
  t.same(Object.keys(c), [...Object.keys(c)].sort())
  t.notMatch(canonicalGenesisJson(a), /label|\s/)
})

t.test('defaults, hex amounts, code and storage', async (t) => {
  const d = minimal()
  d.alloc = {
    [A0]: { balance: `0x${(TOTAL_SUPPLY - 5n).toString(16)}` },
    [POOLS.shared]: { balance: '5', nonce: 1, code: '0x6001600055', storage: { ['0x' + '0'.repeat(63) + '1']: '0x02', ['0x' + 'ab'.repeat(32)]: '0x00', ['0x' + '0'.repeat(64)]: '0x0100' } },
  }
  const g = parseGenesis(d)
  t.same(g.params, DEFAULT_PARAMS)
  t.equal(g.params.flowCycleSec, 3600)
  t.equal(g.params.electionCycleBlocks, 604800)
  t.equal(g.params.unbondingDelaySec, 259200)
  const pool = g.alloc.find(([a]) => a === POOLS.shared)![1]
  t.equal(pool.nonce, 1n)
  t.same(Array.from(pool.code!), [0x60, 0x01, 0x60, 0x00, 0x55])
  t.equal(pool.storage.length, 2, 'zero value dropped')
  t.same(Array.from(pool.storage[0]![0]), new Array(32).fill(0), 'sorted by key')
  t.same(Array.from(pool.storage[0]![1]), [1, 0], 'value unpadded')
  t.same(Array.from(pool.storage[1]![1]), [2])
  t.equal(g.alloc.find(([a]) => a === A0.toLowerCase())![1].code, undefined)
})

t.test('missing chainId and wrong types', async (t) => {
  const d = minimal()
  delete d.chainId
  invalid(t, d, ['chainId', 'missing'])
  invalid(t, { ...minimal(), chainId: '2100' }, ['chainId', 'integer', 'remove the quotes'])
  invalid(t, { ...minimal(), chainId: 0 }, ['chainId', 'out of range'])
  invalid(t, { ...minimal(), chainId: 1.5 }, ['chainId', 'integer'])
  invalid(t, { ...minimal(), name: 42 }, ['name', 'the number 42'])
  invalid(t, { ...minimal(), params: [] }, ['params', 'expected an object'])
  invalid(t, { ...minimal(), witnesses: A0 }, ['witnesses', 'expected an array'])
  invalid(t, { ...minimal(), alloc: [] }, ['alloc', 'expected an object'])
  invalid(t, { ...minimal(), timestamp: '0' }, ['timestamp', 'integer'])
  invalid(t, { ...minimal(), timestamp: 1_700_000_000 }, ['timestamp', 'looks like seconds', '1700000000000'])
  invalid(t, [], ['top level', 'an array'])
  const noTs = minimal()
  delete noTs.timestamp
  invalid(t, noTs, ['timestamp', 'missing'])
  invalid(t, { ...minimal(), alloc: { [A0]: { balance: TOTAL_SUPPLY.toString(), label: 5 } } }, [`alloc.${A0}.label`, 'expected a string'])
  invalid(t, { ...minimal(), alloc: { [A0]: TOTAL_SUPPLY.toString() } }, [`alloc.${A0}`, 'expected an account object'])
})

t.test('amounts: JSON numbers are refused with a hint to quote them', async (t) => {
  invalid(t, { ...minimal(), alloc: { [A0]: { balance: 1e27 } } }, [`alloc.${A0}.balance`, 'JSON number', 'quote'])
  invalid(t, { ...minimal(), totalSupply: 2.1e27 }, ['totalSupply', 'JSON number', 'precision'])
  invalid(t, { ...minimal(), params: { minGasPrice: 1000000000 } }, ['params.minGasPrice', 'JSON number', '"1000000000"'])
  invalid(t, { ...minimal(), alloc: { [A0]: { balance: '1.5e27' } } }, [`alloc.${A0}.balance`, 'whole wei'])
  invalid(t, { ...minimal(), alloc: { [A0]: { balance: '-1' } } }, [`alloc.${A0}.balance`, 'not a valid balance'])
  invalid(t, { ...minimal(), alloc: { [A0]: {} } }, [`alloc.${A0}.balance`, 'missing'])
})

t.test('addresses: checksum, format, duplicates', async (t) => {
  const bad = A0.replace('9Fd6', '9fd6') // mixed case, wrong checksum
  invalid(t, { ...minimal(), witnesses: [bad] }, ['witnesses[0]', 'EIP-55'])
  invalid(t, { ...minimal(), alloc: { [bad]: { balance: TOTAL_SUPPLY.toString() } } }, [`alloc.${bad}`, 'EIP-55'])
  invalid(t, { ...minimal(), witnesses: ['0x1234'] }, ['witnesses[0]', '40 hex digits'])
  invalid(t, { ...minimal(), alloc: { 'f39fd6e51aad88f6f4ce6ab8827279cfffb92266': { balance: TOTAL_SUPPLY.toString() } } }, ['alloc.f39fd6e51aad88f6f4ce6ab8827279cfffb92266', '0x prefix'])
  // all-lowercase and all-uppercase skip the checksum
  const g = parseGenesis({ ...minimal(), witnesses: [A0.toLowerCase()], alloc: { ['0x' + A0.slice(2).toUpperCase()]: { balance: TOTAL_SUPPLY.toString() } } })
  t.same(g.witnesses, [A0], 'witnesses come back checksummed')
  const half = (TOTAL_SUPPLY / 2n).toString()
  invalid(
    t,
    { ...minimal(), alloc: { [A0]: { balance: half }, [A0.toLowerCase()]: { balance: half } } },
    [`alloc.${A0.toLowerCase()}`, 'duplicate address', `alloc.${A0}`],
  )
})

t.test('unknown fields, with suggestions', async (t) => {
  invalid(t, { ...minimal(), params: { blockIntervalMS: 1000 } }, ['unknown field params.blockIntervalMS', 'did you mean params.blockIntervalMs?'])
  invalid(t, { ...minimal(), witness: [A0] }, ['unknown field witness', 'did you mean witnesses?'])
  invalid(t, { ...minimal(), alloc: { [A0]: { balance: TOTAL_SUPPLY.toString(), balanse: '1' } } }, [`unknown field alloc.${A0}.balanse`, `did you mean alloc.${A0}.balance?`])
  invalid(t, { ...minimal(), blockGasLimit: 30000000 }, ['unknown field blockGasLimit', 'belongs in params'])
  const p = invalid(t, { ...minimal(), zzzzzzzz: 1 }, ['unknown field zzzzzzzz', 'allowed here'])
  t.notOk(p.some((x) => x.includes('did you mean')), 'no suggestion when nothing is close')
})

t.test('supply: sum of balances and the fixed total', async (t) => {
  const d = minimal()
  d.alloc[A1] = { balance: NFC.toString() }
  invalid(t, d, ['alloc', 'sum to 2,100,000,001 NFC', '2100000001000000000000000000 wei', 'over by 1 NFC'])
  const e = minimal()
  e.totalSupply = (TOTAL_SUPPLY + NFC).toString()
  e.alloc[A0].balance = e.totalSupply
  invalid(t, e, ['totalSupply', '2,100,000,001 NFC', '2,100,000,000 NFC (2100000000000000000000000000 wei)'])
  const f = minimal()
  f.alloc[A0].balance = (TOTAL_SUPPLY - 1n).toString()
  invalid(t, f, ['alloc', 'short by 0.000000000000000001 NFC (1 wei)'])
  t.equal(formatNfc(1_234_567n * NFC + NFC / 2n), '1,234,567.5 NFC')
})

t.test('code and storage', async (t) => {
  const acct = (x: Doc): Doc => ({ ...minimal(), alloc: { [A0]: { balance: TOTAL_SUPPLY.toString(), ...x } } })
  invalid(t, acct({ code: '0x600' }), [`alloc.${A0}.code`, 'odd number of hex digits'])
  invalid(t, acct({ code: '0x60zz' }), [`alloc.${A0}.code`, 'non-hex character "z"'])
  invalid(t, acct({ code: '6001' }), [`alloc.${A0}.code`, '0x-prefixed'])
  invalid(t, acct({ storage: { '0x01': '0x01' } }), [`alloc.${A0}.storage.0x01`, 'storage key must be 32 bytes'])
  invalid(t, acct({ storage: { ['0x' + '1'.repeat(64)]: '0x' + '1'.repeat(66) } }), [`alloc.${A0}.storage.0x${'1'.repeat(64)}`, 'at most 32 bytes'])
  invalid(t, acct({ storage: { ['0x' + 'a'.repeat(64)]: '0x1', ['0x' + 'A'.repeat(64)]: '0x2' } }), ['duplicate storage key'])
  invalid(t, acct({ storage: [] }), [`alloc.${A0}.storage`, 'expected an object'])
  invalid(t, acct({ nonce: -1 }), [`alloc.${A0}.nonce`, 'out of range'])
})

t.test('param ranges', async (t) => {
  const withP = (params: Doc): Doc => ({ ...minimal(), params })
  invalid(t, withP({ blockIntervalMs: 50 }), ['params.blockIntervalMs', 'out of range', '100 to 60000'])
  invalid(t, withP({ blockGasLimit: 4999 }), ['params.blockGasLimit', 'out of range', '5000'])
  invalid(t, withP({ blockGasLimit: (2n ** 63n + 1n).toString() }), ['params.blockGasLimit', 'out of range'])
  t.equal(parseGenesis(withP({ blockGasLimit: '0x' + (2n ** 63n).toString(16) })).params.blockGasLimit, 2n ** 63n)
  invalid(t, withP({ maxTxSizeBytes: 4 * 1024 * 1024 + 1 }), ['params.maxTxSizeBytes', '1024 to 4194304'])
  invalid(t, withP({ witnessesPerRound: 102 }), ['params.witnessesPerRound', '1 to 101'])
  invalid(t, withP({ electionCycleBlocks: 0 }), ['params.electionCycleBlocks', 'out of range'])
  invalid(t, withP({ flowCycleSec: '300' }), ['params.flowCycleSec', 'remove the quotes'])
})

t.test('witnesses: non-empty, unique, at most witnessesPerRound', async (t) => {
  invalid(t, { ...minimal(), witnesses: [] }, ['witnesses', 'empty'])
  const w = minimal()
  delete w.witnesses
  invalid(t, w, ['witnesses', 'missing'])
  invalid(t, { ...minimal(), witnesses: [A0, A0.toLowerCase()] }, ['witnesses[1]', 'duplicate of witnesses[0]'])
  invalid(t, { ...minimal(), params: { witnessesPerRound: 1 }, witnesses: [A0, A1] }, ['witnesses', '2 listed', 'params.witnessesPerRound is 1'])
})

t.test('all problems are reported at once', async (t) => {
  const d = dev()
  delete d.chainId
  d.params.blockIntervalMS = 5
  d.params.blockGasLimit = 1
  d.witnesses = []
  d.alloc[A0].balance = 10000
  const problems = invalid(
    t,
    d,
    ['chainId', 'missing'],
    ['params.blockIntervalMS', 'did you mean params.blockIntervalMs?'],
    ['params.blockGasLimit', 'out of range'],
    ['witnesses', 'empty'],
    [`alloc.${A0}.balance`, 'JSON number'],
  )
  t.equal(problems.length, 5, 'no bogus supply-sum problem when a balance could not be read')
  t.throws(() => parseGenesis(d), { message: /invalid genesis \(5 problems\):\n {2}- / })
})
