import t from 'tap'
import { resolve } from 'node:path'
import { loadGenesisFile, scanJson } from '../../../src/chain/genesis.js'
import { NfcError } from '../../../src/util/errors.js'

const FIX = resolve(import.meta.dirname, '../../fixtures/genesis')

function caught(fn: () => unknown): NfcError {
  try {
    fn()
  } catch (e) {
    if (e instanceof NfcError) return e
    throw e
  }
  throw new Error('expected a throw')
}

t.test('missing file: GENESIS_NOT_FOUND names the path', async (t) => {
  const e = caught(() => loadGenesisFile(resolve(FIX, 'nope.json')))
  t.equal(e.code, 'GENESIS_NOT_FOUND')
  t.match(e.message, /nope\.json/)
  t.equal(e.meta.path, resolve(FIX, 'nope.json'))
})

t.test('a directory is unreadable, not missing', async (t) => {
  const e = caught(() => loadGenesisFile(FIX))
  t.equal(e.code, 'GENESIS_UNREADABLE')
})

t.test('invalid JSON reports line:column', async (t) => {
  const e = caught(() => loadGenesisFile(resolve(FIX, 'trailingComma.json')))
  t.equal(e.code, 'GENESIS_BAD_JSON')
  t.equal(e.meta.line, 8, 'points at the comma')
  t.equal(e.meta.column, 96)
  t.match(e.message, /trailingComma\.json:8:96: invalid JSON: trailing comma/)
  t.match(e.message, /\n8 \| .*"2100000000000000000000000000" },\n {64}\^/, 'shows the line with a caret under the comma')

  const f = caught(() => loadGenesisFile(resolve(FIX, 'truncated.json')))
  t.equal(f.code, 'GENESIS_BAD_JSON')
  t.equal(f.meta.line, 5)
  t.equal(f.meta.column, 1)
  t.match(f.message, /truncated\.json:5:1: .*got end of file/)
})

t.test('duplicate JSON keys are reported (JSON.parse would drop one silently)', async (t) => {
  const e = caught(() => loadGenesisFile(resolve(FIX, 'duplicateKey.json')))
  t.equal(e.code, 'GENESIS_INVALID')
  const problems = e.meta.problems as string[]
  t.ok(
    problems.some((p) => p.includes('alloc.0x70997970c51812dc3a010c7d01b50e0d17dc79c8') && p.includes('lines 8 and 9')),
    problems.join('\n'),
  )
  t.ok(
    problems.some((p) => p.startsWith('alloc: balances sum to 1,050,000,000 NFC')),
    'and the resulting supply gap',
  )
})

t.test('a file with many problems lists them all', async (t) => {
  const e = caught(() => loadGenesisFile(resolve(FIX, 'manyProblems.json')))
  t.equal(e.code, 'GENESIS_INVALID')
  const problems = e.meta.problems as string[]
  const expect = [
    'unknown field chainID (did you mean chainId?)',
    'chainId: missing',
    'unknown field params.blockIntervalMS (did you mean params.blockIntervalMs?)',
    'params.blockGasLimit: 100 is out of range',
    'params.minGasPrice: an amount given as the JSON number',
    'witnesses: empty',
    'alloc.0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266: duplicate address (same account as alloc.0xF39FD6E51AAD88F6F4CE6AB8827279CFFFB92266',
    'alloc.0x70997970c51812dC3a010c7d01b50e0d17dc79c8: 0x70997970c51812dC3a010c7d01b50e0d17dc79c8 fails its EIP-55 checksum',
    'alloc.0x70997970c51812dC3a010c7d01b50e0d17dc79c8.code: odd number of hex digits',
    'alloc.0x0000000000000000000000000000000000001000.storage.0x01: storage key must be 32 bytes',
  ]
  for (const x of expect)
    t.ok(
      problems.some((p) => p.startsWith(x)),
      `${x}\n--- got:\n${problems.join('\n')}`,
    )
  t.equal(problems.length, expect.length)
  t.match(e.message, /manyProblems\.json \(10 problems\)/)
})

t.test('scanJson', async (t) => {
  t.same(scanJson('{"a":[1,-2.5e3,true,null,"x\\u00e9"]}'), { duplicates: [] })
  const cases: [string, number, RegExp][] = [
    ['', 0, /empty/],
    ['{"a":1} x', 8, /after the end/],
    ["{'a':1}", 1, /double-quoted property name/],
    ['{"a":01}', 6, /leading zeros/],
    ['{"a":0x10}', 6, /quote it/],
    ['{"a":"x\ny"}', 7, /control character/],
    ['{"a":1 // c\n}', 7, /comments/],
    ['[1,2,]', 4, /trailing comma/],
    ['{"a" 1}', 5, /expected ":"/],
    ['{"a":"b', 5, /unterminated string/],
  ]
  for (const [src, pos, msg] of cases) {
    const r = scanJson(src)
    t.equal(r.error?.pos, pos, JSON.stringify(src))
    t.match(r.error?.message, msg, JSON.stringify(src))
  }
  t.same(scanJson('{"a":{"b":1,"b":2}}').duplicates, [{ path: 'a.b', line: 1, firstLine: 1 }])
})
