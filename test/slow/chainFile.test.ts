/**
 * `nfc export` / `nfc import` as real processes (issue 17, DESIGN §10): a dev chain with
 * transfers and a contract, exported and imported into a fresh data directory — the same head
 * hash and state root, and the re-export is byte-identical; a cut file and a file with one
 * altered byte in a later block are refused with the block's number, the blocks before it kept;
 * a data directory in use (its lock held) is refused. (Flags, ranges, gzip and files of
 * another chain: test/unit/cli/chainFileCommand.test.ts, in-process.)
 *
 * The source chain is made in-process (test/helpers/exportChain.ts), so it takes seconds.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { CLI, runScript, tempDir } from '../helpers/nodeProcess.js'
import { openChain } from '../helpers/inProcessNode.js'
import { genesisFile, headOf, makeChain } from '../helpers/exportChain.js'
import { loadGenesisFile } from '../../src/chain/genesis.js'

const BLOCKS = 60
/** the block whose stateRoot byte the forged file alters */
const FORGED = 45
/** a CLI run on a machine shared with other jobs: generous */
const CLI_TIMEOUT_MS = 120_000

const nfc = (args: string[]) => runScript(CLI, args, CLI_TIMEOUT_MS)

t.test('export, import into a fresh data directory: the same chain; damaged files refused at the block', async (t) => {
  const genesis = genesisFile(t)
  const src = await makeChain(t, genesis, BLOCKS)
  const work = tempDir(t, 'nfc-chainfile-')
  const file = join(work, 'chain.bin')

  const exp = await nfc(['export', '--genesis', genesis, '--datadir', src.dir, '--out', file])
  t.equal(exp.code, 0, `export exits 0\n${exp.err}`)
  t.match(exp.out, new RegExp(`^exported ${BLOCKS} blocks \\(1\\.\\.${BLOCKS}\\) in [\\d.]+ s to `), 'the export summary')

  t.test('import into a fresh directory: same head hash and state root', async (t) => {
    const dst = tempDir(t)
    const imp = await nfc(['import', file, '--genesis', genesis, '--datadir', dst])
    t.equal(imp.code, 0, `import exits 0\n${imp.err}`)
    t.match(
      imp.out,
      new RegExp(`^imported ${BLOCKS} blocks \\(${BLOCKS} new\\) in [\\d.]+ s, head ${BLOCKS} ${src.head.hash}\n$`),
      'the summary names the head',
    )
    t.same(await headOf(t, dst, genesis), { number: BLOCKS, ...src.head }, 'the same head hash and state root')

    const again = await nfc(['import', file, '--genesis', genesis, '--datadir', dst])
    t.equal(again.code, 0, 'importing the same file again succeeds')
    t.match(again.out, new RegExp(`^imported ${BLOCKS} blocks \\(0 new\\)`), 'every block already present is skipped')

    const reexport = join(work, 'again.bin')
    t.equal((await nfc(['export', '--genesis', genesis, '--datadir', dst, '--out', reexport])).code, 0, 'the imported directory exports')
    t.ok(readFileSync(reexport).equals(readFileSync(file)), 'the re-export is byte-identical to the export')
  })

  t.test('a cut file: the whole blocks imported, then where it broke', async (t) => {
    const bytes = readFileSync(file)
    const cut = join(work, 'cut.bin')
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)))
    const dst = tempDir(t)
    const r = await nfc(['import', cut, '--genesis', genesis, '--datadir', dst])
    t.equal(r.code, 1, 'exit 1')
    const m = /cut short: it ends inside the block after block (\d+)/.exec(r.err)
    t.ok(m, `says where the file broke\n${r.err}`)
    const kept = Number(m?.[1])
    t.ok(kept > 0 && kept < BLOCKS, 'some blocks were whole')
    t.match(r.err, new RegExp(`the ${kept} blocks before it are imported`), 'says what was kept')
    t.equal((await headOf(t, dst, genesis)).number, kept, 'every whole block is kept')
    t.notMatch(r.err, /\n\s+at /, 'no stack trace')
  })

  t.test('one altered byte in a later block: refused at that block, the earlier ones kept', async (t) => {
    const bytes = Buffer.from(readFileSync(file))
    const c = await openChain(t, src.dir, loadGenesisFile(genesis), Date.now)
    const header = (await c.chain.headerByNumber(BigInt(FORGED)))!.header
    await c.close()
    const at = bytes.indexOf(Buffer.from(header.stateRoot))
    t.ok(at > 0, `block ${FORGED}'s state root is in the file`)
    bytes[at + 7] ^= 0x01
    const forged = join(work, 'forged.bin')
    writeFileSync(forged, bytes)
    const dst = tempDir(t)
    const r = await nfc(['import', forged, '--genesis', genesis, '--datadir', dst])
    t.equal(r.code, 1, 'exit 1')
    t.match(
      r.err,
      new RegExp(`^nfc import: block ${FORGED} \\(#${FORGED} in the file, byte \\d+\\) refused: .*\\[[A-Z_]+\\]`, 'm'),
      `names the block and the rule\n${r.err}`,
    )
    t.match(r.err, new RegExp(`the ${FORGED - 1} blocks before it are imported \\(${FORGED - 1} new\\); head ${FORGED - 1}`), 'says what was kept')
    t.equal((await headOf(t, dst, genesis)).number, FORGED - 1, 'every block before it is kept')
  })

  t.test('a data directory in use (its LevelDB lock held, as a running node holds it) is refused', async (t) => {
    // the lock is taken in this process, not by a node process: the CLI meets the same LevelDB
    // lock without a node start-up on a machine shared with other jobs
    const held = await openChain(t, src.dir, loadGenesisFile(genesis), Date.now)
    const exp = await nfc(['export', '--genesis', genesis, '--datadir', src.dir, '--out', join(work, 'busy.bin')])
    t.equal(exp.code, 1, 'export: exit 1')
    t.match(exp.err, /^nfc export: data directory .* is in use by another process/m, 'export: says the directory is in use')
    const imp = await nfc(['import', file, '--genesis', genesis, '--datadir', src.dir])
    t.equal(imp.code, 1, 'import: exit 1')
    t.match(imp.err, /^nfc import: data directory .* is in use by another process/m, 'import: says the directory is in use')
    t.equal(held.chain.head.header.number, BigInt(BLOCKS), 'the holder is undisturbed')
    await held.close()
  })
})
