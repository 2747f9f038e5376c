/**
 * `nfc export` / `nfc import` in-process (the commands' functions with captured output, a real
 * database in a temp dir): ranges, gzip, a file of another chain, and every flag and file they
 * refuse. The real-process round trip, damaged files and a directory in use: test/slow/chainFile.test.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { gunzipSync } from 'node:zlib'
import { etaText, exportCommand, importCommand } from '../../../src/cli/chainFileCommand.js'
import type { CliIo } from '../../../src/cli/io.js'
import { genesisFile, headOf, makeChain } from '../../helpers/exportChain.js'
import { tempDir } from '../../helpers/inProcessNode.js'

const BLOCKS = 12

/** runs a command with its output captured */
async function run(command: typeof exportCommand, args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const io: CliIo = { out: (s) => void (out += s), err: (s) => void (err += s), tty: null }
  const code = await command(args, io)
  return { code, out, err }
}

t.test('export and import in-process', async (t) => {
  const genesis = genesisFile(t)
  const src = await makeChain(t, genesis, BLOCKS)
  const work = tempDir(t)
  const chain = ['--genesis', genesis]
  const file = join(work, 'all.bin')
  t.equal((await run(exportCommand, [...chain, '--datadir', src.dir, '--out', file])).code, 0, 'export all')

  t.test('gzip: written when the name ends in .gz, read by its first bytes', async (t) => {
    const gz = join(work, 'all.bin.gz')
    const r = await run(exportCommand, [...chain, '--datadir', src.dir, '--out', gz])
    t.equal(r.code, 0, r.err)
    t.ok(gunzipSync(readFileSync(gz)).equals(readFileSync(file)), 'the gzip file holds the same bytes')
    const dst = tempDir(t)
    const imp = await run(importCommand, [gz, ...chain, '--datadir', dst])
    t.equal(imp.code, 0, imp.err)
    t.same(await headOf(t, dst, genesis), { number: BLOCKS, ...src.head }, 'the same head')
    const cut = join(work, 'cut.bin.gz')
    const bytes = readFileSync(gz)
    writeFileSync(cut, bytes.subarray(0, bytes.length - 40))
    const cutDst = tempDir(t)
    const bad = await run(importCommand, [cut, ...chain, '--datadir', cutDst])
    t.equal(bad.code, 1, 'a cut gzip file: exit 1')
    t.match(bad.err, /is (damaged or )?cut short/, 'says the file is cut short')
    const kept = (await headOf(t, cutDst, genesis)).number
    t.ok(kept > 0 && kept < BLOCKS, `the whole blocks before the cut are kept (${kept})`)
  })

  t.test('a range: --from/--to; blocks without their parents refused, then imported after them', async (t) => {
    const part1 = join(work, 'part1.bin')
    const part2 = join(work, 'part2.bin')
    t.match((await run(exportCommand, [...chain, '--datadir', src.dir, '--to', '5', '--out', part1])).out, /^exported 5 blocks \(1\.\.5\)/, 'export 1..5')
    t.match(
      (await run(exportCommand, [...chain, '--datadir', src.dir, '--from', '6', '--out', part2])).out,
      new RegExp(`^exported ${BLOCKS - 5} blocks \\(6\\.\\.${BLOCKS}\\)`),
      'export 6..head',
    )
    const dst = tempDir(t)
    const orphan = await run(importCommand, [part2, ...chain, '--datadir', dst])
    t.equal(orphan.code, 1, 'blocks without their parents: exit 1')
    t.match(orphan.err, /block 6 .*refused: its parent \(block 5\) is not in this data directory/, 'names the block and why')
    t.equal((await run(importCommand, [part1, ...chain, '--datadir', dst])).code, 0, 'import 1..5')
    const rest = await run(importCommand, [part2, ...chain, '--datadir', dst])
    t.match(rest.out, new RegExp(`^imported ${BLOCKS - 5} blocks \\(${BLOCKS - 5} new\\)`), 'then 6..head')
    t.same(await headOf(t, dst, genesis), { number: BLOCKS, ...src.head }, 'the same head')
    const overlap = await run(importCommand, [file, ...chain, '--datadir', dst])
    t.match(overlap.out, new RegExp(`^imported ${BLOCKS} blocks \\(0 new\\)`), 'the whole file again: every block skipped')
  })

  t.test('a file of another chain is refused before any block', async (t) => {
    const other = genesisFile(t, 4242)
    const dst = tempDir(t)
    const r = await run(importCommand, [file, '--genesis', other, '--datadir', dst])
    t.equal(r.code, 1, 'exit 1')
    t.match(r.err, /holds blocks of another chain \(chain id 2100, genesis 0x[0-9a-f]{64}\) than .* \(chain id 4242/, 'names both chains')
    t.equal((await headOf(t, dst, other)).number, 0, 'nothing imported')
  })

  t.test('bad flags and files', async (t) => {
    const x = join(work, 'x.bin')
    const cases: [typeof exportCommand, string[], number, RegExp][] = [
      [exportCommand, [...chain, '--datadir', src.dir, '--from', '9', '--to', '3', '--out', x], 2, /--from 9 is after --to 3/],
      [exportCommand, [...chain, '--datadir', src.dir, '--to', '9999', '--out', x], 1, new RegExp(`--to 9999 is past the head of .* \\(block ${BLOCKS}\\)`)],
      [exportCommand, [...chain, '--datadir', src.dir, '--from', '99', '--out', x], 1, /nothing to export: --from 99 is after --to 12 \(the head\)/],
      [exportCommand, [...chain, '--datadir', src.dir, '--from', '0', '--out', x], 2, /--from wants a positive integer, got "0"/],
      [exportCommand, [...chain, '--datadir', src.dir, '--to', 'ten', '--out', x], 2, /--to wants a non-negative integer, got "ten"/],
      [exportCommand, [...chain, '--datadir', src.dir], 2, /--out FILE is required/],
      [exportCommand, [...chain, '--datadir', src.dir, '--out', file], 2, /exists; give --force to overwrite it/],
      [exportCommand, [...chain, '--datadir', src.dir, 'extra', '--out', x], 2, /unexpected argument "extra"/],
      [exportCommand, [...chain, '--datadir', join(work, 'empty'), '--out', x], 1, /holds no chain \(nothing to export\)/],
      [exportCommand, ['--datadir', src.dir, '--out', x], 2, /--genesis FILE is required \(or --dev/],
      [exportCommand, ['--bogus'], 2, /Unknown option '--bogus'/],
      [importCommand, [join(work, 'missing.bin'), ...chain, '--datadir', tempDir(t)], 2, /missing\.bin: no such file/],
      [importCommand, [...chain], 2, /give the FILE to import/],
      [importCommand, [file, file, ...chain], 2, /one FILE at a time, got 2/],
      [importCommand, [genesis, ...chain, '--datadir', tempDir(t)], 1, /not a block export file/],
      [importCommand, [file, '--dev', ...chain], 2, /give --dev or --genesis FILE, not both/],
      [importCommand, [file, '--genesis', join(work, 'nope.json')], 1, /nope\.json/],
    ]
    for (const [command, args, code, message] of cases) {
      const r = await run(command, args)
      t.equal(r.code, code, `${command.name} ${args.slice(2).join(' ')}: exit ${code}`)
      t.match(r.err, message, message.source)
      t.notMatch(r.err, /\n\s+at /, 'no stack trace')
    }
    const forced = await run(exportCommand, [...chain, '--datadir', src.dir, '--to', '2', '--out', file, '--force'])
    t.equal(forced.code, 0, '--force overwrites')
    t.match(forced.out, /^exported 2 blocks/)
  })

  t.test('--help', async (t) => {
    t.match((await run(exportCommand, ['--help'])).out, /--from N .*\n.*--to M/s)
    t.match((await run(importCommand, ['-h'])).out, /nfc import FILE/)
  })
})

t.test('etaText', async (t: Test) => {
  t.equal(etaText(100, 50), '2 s')
  t.equal(etaText(200, 1), '3 min 20 s')
  t.equal(etaText(10, 0), '?', 'no rate yet')
})
