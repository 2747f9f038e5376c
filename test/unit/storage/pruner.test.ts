import { spawn } from 'node:child_process'
import path from 'node:path'
import t from 'tap'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { devnetGenesis } from '../../../src/cli/devnetGenesis.js'
import { decodeBlock, encodeBlock, type Block } from '../../../src/chain/block.js'
import { parseGenesis } from '../../../src/chain/genesis.js'
import { addressOf, publicKeyOf } from '../../../src/crypto/secp256k1.js'
import type { Blockchain } from '../../../src/node/blockchain.js'
import { DEV_ACCOUNTS } from '../../../src/node/devAccounts.js'
import { finalityStalled, oldestStateKept, STATE_BLOCKS_KEPT, STATE_BLOCKS_KEPT_MAX, StatePruner } from '../../../src/storage/pruner.js'
import { markState } from '../../../src/state/trieWalk.js'
import { createLogger } from '../../../src/util/logger.js'
import { devGenesis, openChain, repoRoot, tempDir } from '../../helpers/inProcessNode.js'
import { dbReader, incompleteRoots, produceChurn, TEST_BLOCKS_KEPT, trieNodeCount } from '../../helpers/pruneChurn.js'

const NOW = () => 1_700_000_000_500
const KEPT = { stateBlocksKept: TEST_BLOCKS_KEPT }
/** blocks per round of churn: past the kept window */
const ROUND_BLOCKS = 40

t.test('oldestStateKept: the last 128 blocks, or down to the final block when it is older', async (t) => {
  t.equal(oldestStateKept(10n, 10n), 0n, 'a young chain keeps everything')
  t.equal(oldestStateKept(1000n, 999n), 1000n - STATE_BLOCKS_KEPT + 1n, 'the window')
  t.equal(oldestStateKept(1000n, 500n), 500n, 'a final block below the window')
})

t.test('oldestStateKept: finality stalled past STATE_BLOCKS_KEPT_MAX blocks keeps the window only', async (t) => {
  const head = 10_000n
  const lastWithin = head - STATE_BLOCKS_KEPT_MAX + 1n
  t.notOk(finalityStalled(head, lastWithin), `${STATE_BLOCKS_KEPT_MAX} blocks from the final one up: not stalled`)
  t.equal(oldestStateKept(head, lastWithin), lastWithin, 'everything from the final block up, at the bound')
  t.ok(finalityStalled(head, lastWithin - 1n), 'one block more: stalled')
  t.equal(oldestStateKept(head, lastWithin - 1n), head - STATE_BLOCKS_KEPT + 1n, 'stalled: the newest 128 blocks only')
  t.equal(oldestStateKept(head, 0n, 16n, 48n), head - 15n, 'the bounds given')
})

t.test('finality stalled: only the newest blocks and the final block keep their state, and one warning says so', async (t) => {
  // an archive chain (no pruner of its own) whose final block this pruner is told is stuck at block 2
  const c = await openChain(t, tempDir(t), devGenesis(), NOW, { archive: true })
  await produceChurn(c.chain, 4)
  const final = (await c.chain.headerByNumber(2n))!.header
  const warnings: string[] = []
  const logger = createLogger({ level: 'warn', write: (line) => warnings.push(line) })
  const host = { head: () => c.chain.head.header, finalized: () => final, exclusive: <T>(fn: () => Promise<T>) => fn() }
  const maxKept = 24n
  const pruner = new StatePruner(c.db, c.chain.state.store, c.chain.store, host, logger, TEST_BLOCKS_KEPT, maxKept)
  t.teardown(() => pruner.close())

  await produceChurn(c.chain, 16)
  await pruner.collect()
  t.equal(pruner.oldestKept(), 2n, `head ${c.chain.head.header.number}: within ${maxKept} blocks of the final one, all of them kept`)
  t.same(warnings, [], 'no warning yet')

  await produceChurn(c.chain, 20)
  const head = c.chain.head.header.number
  const r = await pruner.collect()
  t.ok(r.deleted > 0, `the pass deleted ${r.deleted} nodes`)
  const oldest = pruner.oldestKept()
  t.equal(oldest, head - TEST_BLOCKS_KEPT + 1n, `head ${head}, final 2: the newest ${TEST_BLOCKS_KEPT} blocks only`)
  t.same(await incompleteRoots(c.chain, c.db, oldest), [], 'every block of the window is complete')
  await t.resolves(markState(dbReader(c.db), bytesToHex(final.stateRoot).slice(2), new Set()), "the final block's state is whole")
  t.doesNotThrow(() => pruner.checkAvailable(final), 'and answers')
  const between = (await c.chain.headerByNumber(3n))!.header
  await t.rejects(markState(dbReader(c.db), bytesToHex(between.stateRoot).slice(2), new Set()), { code: 'STATE_MISSING_NODE' }, 'block 3 is collected')
  t.throws(() => pruner.checkAvailable(between), { code: 'STATE_PRUNED' }, 'and a query says pruned')

  await produceChurn(c.chain, 8)
  await pruner.collect()
  t.equal(warnings.length, 1, 'one warning for the stall, not one a pass')
  t.match(warnings[0], /finality stalled: no final block for \d+ blocks; keeping the state of the newest 16 blocks and of the final block 2 only/)
})

t.test('with churn, a pruning chain stays flat while an archive chain grows; retained roots stay whole', async (t) => {
  const pruned = await openChain(t, tempDir(t), devGenesis(), NOW, KEPT)
  const archive = await openChain(t, tempDir(t), devGenesis(), NOW, { archive: true })
  const counts = { pruned: [] as number[], archive: [] as number[] }
  for (let round = 0; round < 3; round++) {
    for (const c of [pruned, archive]) await produceChurn(c.chain, ROUND_BLOCKS)
    await pruned.chain.pruneState()
    t.equal(await archive.chain.pruneState(), undefined, 'an archive chain has no pruner')
    counts.pruned.push(await trieNodeCount(pruned.db))
    counts.archive.push(await trieNodeCount(archive.db))
  }
  t.comment(`trie nodes after 1, 2, 3 rounds of ${ROUND_BLOCKS} blocks: pruned ${counts.pruned.join('/')}, archive ${counts.archive.join('/')}`)
  const [, p200, p300] = counts.pruned
  const [, a200, a300] = counts.archive
  // past the 128-block window the pruned store holds the state plus 128 blocks of changes: flat
  t.ok(p300! <= p200! * 1.05, `pruned: ${p200} nodes after round 2, ${p300} after round 3`)
  t.ok(a300! - a200! > ROUND_BLOCKS * 5, `archive grows by more than 5 nodes a block (${a200} → ${a300})`)
  t.ok(p300! * 2 < a300!, 'pruned holds far fewer nodes than archive')

  const head = pruned.chain.head.header.number
  const oldest = pruned.chain.oldestStateKept()
  t.ok(oldest > 1n, `blocks below ${oldest} are pruned`)
  t.same(await incompleteRoots(pruned.chain, pruned.db, oldest), [], `every retained root (blocks ${oldest}…${head}) is complete`)
  t.same(await incompleteRoots(archive.chain, archive.db, 0n), [], 'every archive root is complete')

  const old = (await pruned.chain.headerByNumber(1n))!.header
  await t.rejects(
    markState(dbReader(pruned.db), bytesToHex(old.stateRoot).slice(2), new Set()),
    { code: 'STATE_MISSING_NODE' },
    "block 1's state really is gone",
  )
  await t.rejects(
    pruned.chain.stateAt(old),
    { code: 'STATE_PRUNED', message: /historical state unavailable \(pruned\).*run with --archive/ },
    'a query says pruned',
  )
  await t.rejects(pruned.chain.stateAt((await pruned.chain.headerByNumber(oldest - 1n))!.header), { code: 'STATE_PRUNED' }, 'just below the window too')
  t.ok(await pruned.chain.stateAt((await pruned.chain.headerByNumber(oldest))!.header), 'the oldest kept block answers')
  const archived = await archive.chain.stateAt((await archive.chain.headerByNumber(1n))!.header)
  t.ok(await archived.getStateRoot(), 'the archive answers for block 1')
})

t.test('a side block above the final one keeps its state across a restart: its branch can still win after a pass', async (t) => {
  // a 4-witness devnet (dev accounts 0..3): finality needs 3 distinct producers, so the tip is not final
  const genesisTime = 1_800_000_000_000
  const { doc } = devnetGenesis({ nodes: 4, timestamp: genesisTime })
  const genesis = () => parseGenesis(structuredClone(doc))
  const now = () => genesisTime
  const keys = [0, 1, 2, 3].map((i) => hexToBytes(DEV_ACCOUNTS[i]!.privateKey as `0x${string}`))
  const produce = async (chain: Blockchain, slot: bigint): Promise<Block> => {
    const { owner } = await chain.schedule(slot)
    const key = keys.find((k) => bytesToHex(addressOf(publicKeyOf(k))) === owner)!
    return (await chain.produceBlock(key, BigInt(genesisTime) + slot * 1000n, [])).block
  }
  const a = await openChain(t, tempDir(t), genesis(), now, { archive: true })
  const c = await openChain(t, tempDir(t), genesis(), now, { archive: true })
  const dir = tempDir(t)
  let b = await openChain(t, dir, genesis(), now, KEPT)
  const importInto = (chain: Blockchain, block: Block) => chain.importBlock(decodeBlock(encodeBlock(block), chain.common), block.header.timestamp)
  for (const slot of [1n, 2n, 3n]) {
    const block = await produce(a.chain, slot)
    for (const o of [b, c]) t.equal(await importInto(o.chain, block), 'imported')
  }
  // A and C each build a block 4 on block 3, in different slots; B hears both: one ends off its chain — stored
  // as a side block ('side'), or taken off by a reorg to the other ('imported' twice: the fork choice's tie rule
  // picks by hash, and hashes change with the genesis) — and both paths must keep its state
  const a4 = await produce(a.chain, 4n)
  const c4 = await produce(c.chain, 5n)
  const outcomes = [await importInto(b.chain, a4), await importInto(b.chain, c4)]
  t.equal(outcomes[0], 'imported', 'the first block 4 extends the head of B')
  t.ok(outcomes[1] === 'side' || outcomes[1] === 'imported', `the second is stored or wins (${outcomes[1]})`)
  const onA = bytesToHex(b.chain.head.hash) === bytesToHex(a4.hash)
  t.ok(onA || bytesToHex(b.chain.head.hash) === bytesToHex(c4.hash), 'B is on one of them')
  const sideOf = onA ? { chain: c.chain, block: c4 } : { chain: a.chain, block: a4 }
  t.ok(b.chain.finalized.header.number < 4n, `and it is above the final block (${b.chain.finalized.header.number})`)

  await b.close()
  b = await openChain(t, dir, genesis(), now, KEPT)
  await b.chain.pruneState()
  t.same(await incompleteRoots(b.chain, b.db, 0n), [], 'after a restart and a pass the canonical roots are whole')
  await t.resolves(markState(dbReader(b.db), bytesToHex(sideOf.block.header.stateRoot).slice(2), new Set()), "and so is the side block's state")
  // the side branch grows longer: B must execute its next block on the side block's state
  const next = await produce(sideOf.chain, 6n)
  t.equal(await importInto(b.chain, next), 'imported', 'the longer side branch is adopted')
  t.equal(bytesToHex(b.chain.head.hash), bytesToHex(next.hash), 'B ends on its tip')
})

t.test('a pass while blocks go on committing leaves every retained root complete', async (t) => {
  const c = await openChain(t, tempDir(t), devGenesis(), NOW, KEPT)
  await produceChurn(c.chain, ROUND_BLOCKS)
  // a pass and blocks at once: the blocks commit between the pass's mark and its sweep
  const pass = c.chain.pruneState()
  await produceChurn(c.chain, 20)
  const r = await pass
  t.ok(r !== undefined && r.deleted > 0, `the pass deleted ${r?.deleted} nodes`)
  await c.chain.pruneState()
  const oldest = c.chain.oldestStateKept()
  t.same(await incompleteRoots(c.chain, c.db, oldest), [], 'every retained root is complete')
})

t.test('a process killed while producing and pruning restarts with every retained root complete', async (t) => {
  const dir = tempDir(t)
  for (const killAfter of [50, 90]) {
    const child = spawn(
      process.execPath,
      ['--import', path.join(repoRoot, 'test', 'helpers', 'tsx.mjs'), path.join(repoRoot, 'test', 'helpers', 'pruneChurn.ts'), dir],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let out = ''
    let err = ''
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    // kill once it is past `killAfter` and has pruned at least once since it started
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`child did not reach block ${killAfter}: ${out.slice(-200)} ${err.slice(-500)}`)), 120_000)
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString()
        const blocks = [...out.matchAll(/block (\d+)/g)].map((m) => Number(m[1]))
        if (blocks.length > 0 && blocks.at(-1)! >= killAfter && /pruned [1-9]/.test(out)) {
          clearTimeout(timer)
          resolve()
        }
      })
      child.once('exit', (code) => reject(new Error(`child exited (${code}): ${err.slice(-500)}`)))
    })
    child.kill('SIGKILL')
    await exited
    const c = await openChain(t, dir, devGenesis(), NOW, KEPT)
    const head = c.chain.head.header.number
    t.ok(head >= BigInt(killAfter), `restarted at block ${head}`)
    const oldest = c.chain.oldestStateKept()
    t.same(await incompleteRoots(c.chain, c.db, oldest), [], `killed at block ≥ ${killAfter}: every retained root (${oldest}…${head}) is complete`)
    await c.close()
  }
})
