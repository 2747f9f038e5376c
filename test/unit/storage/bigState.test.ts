/**
 * The big-state chain of the snapshot-sync bench (tools/bench/storage/bigState.ts), small: both
 * ways build a data directory that opens with the genesis file returned, at the head returned,
 * with every account funded and every contract slot stored; bad sizes are refused by name.
 */
import { readFileSync, rmSync } from 'node:fs'
import { dirname } from 'node:path'
import t from 'tap'
import { bytesToHex, setLengthLeft } from '@ethereumjs/util'
import { parseGenesis } from '../../../src/chain/genesis.js'
import { bigStateAccount, bigStateContract, buildBigState, extendBigState } from '../../../tools/bench/storage/bigState.js'
import { openChain } from '../../helpers/inProcessNode.js'

const ACCOUNTS = 120
const CONTRACTS = 2
const SLOTS = 3

for (const mode of ['genesis', 'blocks'] as const) {
  t.test(`${mode}: every account funded, every slot stored, the head as returned`, async (t) => {
    const lines: string[] = []
    const built = await buildBigState({
      mode,
      accounts: ACCOUNTS,
      contracts: CONTRACTS,
      slotsPerContract: SLOTS,
      tailBlocks: 2,
      onProgress: (l) => lines.push(l),
    })
    t.teardown(() => rmSync(dirname(built.datadir), { recursive: true, force: true }))
    t.equal(built.accounts, ACCOUNTS)
    t.equal(built.slots, CONTRACTS * SLOTS)
    t.match(lines.at(-1), new RegExp(`big state \\(${mode}\\): ${ACCOUNTS} accounts, head ${built.head.number}, in [\\d.]+ s`), 'a summary line')
    // genesis: the 2 tail blocks; blocks: the fan-out and store calls, packed by gas, fit one block; then the tail
    t.equal(built.head.number, mode === 'genesis' ? 2n : 3n, 'the head')

    const genesis = parseGenesis(JSON.parse(readFileSync(built.genesisFile, 'utf8')))
    const c = await openChain(t, built.datadir, genesis, () => Date.now())
    t.equal(bytesToHex(c.chain.head.hash), bytesToHex(built.head.hash), 'the data directory opens at that head')
    const state = await c.chain.stateAt(c.chain.head.header)
    for (const i of [0, ACCOUNTS - 1]) t.equal((await state.getAccount(bigStateAccount(i)))?.balance, 10n ** 15n, `account ${i} is funded`)
    t.equal(await state.getAccount(bigStateAccount(ACCOUNTS)), undefined, 'no more accounts than asked')
    for (let k = 0; k < CONTRACTS; k++) {
      const slot = setLengthLeft(Uint8Array.of(SLOTS - 1), 32)
      t.same(await state.getStorage(bigStateContract(k), slot), Uint8Array.of(SLOTS), `contract ${k}: slot ${SLOTS - 1} holds ${SLOTS}`)
    }
  })
}

t.test('extendBigState appends empty blocks to a built chain, which opens at the new head', async (t) => {
  const built = await buildBigState({ mode: 'blocks', accounts: 20, contracts: 0, slotsPerContract: 0 })
  t.teardown(() => rmSync(dirname(built.datadir), { recursive: true, force: true }))
  const lines: string[] = []
  const head = await extendBigState(built.datadir, built.genesisFile, 3, (l) => lines.push(l))
  t.equal(head.number, built.head.number + 3n, 'three blocks more')
  t.match(lines.at(-1), /3 of 3 empty blocks appended/, 'progress')
  const genesis = parseGenesis(JSON.parse(readFileSync(built.genesisFile, 'utf8')))
  const c = await openChain(t, built.datadir, genesis, () => Date.now())
  t.equal(bytesToHex(c.chain.head.hash), bytesToHex(head.hash), 'the data directory opens at that head')
  t.equal((await (await c.chain.stateAt(c.chain.head.header)).getAccount(bigStateAccount(19)))?.balance, 10n ** 15n, 'the state is still there')
  await t.rejects(extendBigState(built.datadir, built.genesisFile, -1), { name: 'RangeError', message: /blocks must be an integer ≥ 0, got -1/ })
})

t.test('bad sizes are refused by name', async (t) => {
  await t.rejects(buildBigState({ accounts: 0 }), { name: 'RangeError', message: 'buildBigState: accounts must be an integer ≥ 1, got 0' })
  await t.rejects(buildBigState({ contracts: 1.5 }), { message: /contracts must be an integer ≥ 0, got 1.5/ })
  await t.rejects(buildBigState({ tailBlocks: -1 }), { message: /tailBlocks must be an integer ≥ 0, got -1/ })
  await t.rejects(buildBigState({ mode: 'snap' as 'genesis' }), { message: "buildBigState: mode must be 'genesis' or 'blocks', got snap" })
})
