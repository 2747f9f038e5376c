/**
 * A power cut as an operator meets it (DESIGN §10, issue 17): the node is killed with SIGKILL and
 * the newest LevelDB log loses its tail (what a disk that acknowledged unwritten data leaves).
 * The node must never start below a block it called final: it refuses with one paragraph naming
 * the data directory and the fixes, and `nfc db repair` makes the directory usable again. A
 * damaged table file gets the same kind of paragraph, never a stack trace. `--reset` removes
 * chain data only: the node key and keystores stay byte-identical.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { ClassicLevel } from 'classic-level'
import { CLI, REPO_ROOT, devNodeArgs, rpc, runNodeExpectingFailure, snapshotDir, startNode, tempDir, waitFor } from '../helpers/nodeProcess.js'

const readMarker = (dir: string) => JSON.parse(readFileSync(join(dir, 'FINAL'), 'utf8')) as { number: string; hash: string }

function nfc(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

/** the newest write-ahead log of a LevelDB directory */
function newestLog(chaindata: string): string {
  const logs = readdirSync(chaindata)
    .filter((f) => /^\d+\.log$/.test(f))
    .sort((a, b) => Number(a.split('.')[0]) - Number(b.split('.')[0]))
  return join(chaindata, logs[logs.length - 1]!)
}

t.test('power cut: the newest log loses its tail after SIGKILL', async (t) => {
  const dir = tempDir(t)
  const node = await startNode({ datadir: dir })
  t.teardown(() => node.kill('SIGKILL'))
  await waitFor(async () => Number(await rpc(node.url, 'eth_blockNumber')) >= 8, 30_000, 'block 8')
  await node.kill('SIGKILL')
  const marker = readMarker(dir)
  t.ok(Number(marker.number) >= 7, `FINAL names block ${marker.number}, final before the kill`)

  // the cut: the log keeps its first part only (LevelDB drops the torn record and all after it)
  const log = newestLog(join(dir, 'chaindata'))
  const size = statSync(log).size
  truncateSync(log, Math.floor(size / 3))
  const before = snapshotDir(dir)
  const refused = await runNodeExpectingFailure(devNodeArgs(dir))
  t.equal(refused.code, 1, 'the node does not start below a block it called final')
  t.match(refused.stderr, /has lost writes: it now ends at block \d+, but this node had already called block \d+ \(0x[0-9a-f]{64}\) final/)
  t.match(refused.stderr, new RegExp(`nfc db repair --datadir ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), 'names the repair command and the directory')
  t.match(refused.stderr, /--reset/, 'and the other way out')
  t.notMatch(refused.stderr, /\n\s+at /, 'no stack trace')
  const after = snapshotDir(dir)
  const files = (s: Record<string, string>) => Object.fromEntries(Object.entries(s).filter(([f]) => !/(^|\/)LOG(\.old)?$/.test(f)))
  t.same(files(after), files(before), 'the refused start changed no file')

  const repair = nfc(['db', 'repair', '--datadir', dir])
  t.equal(repair.code, 0, `nfc db repair succeeds\n${repair.err}`)
  const m = /head \d+ → (\d+) \(0x[0-9a-f]{64}\), \d+ blocks? above it removed; final block (\d+)/.exec(repair.out)
  t.ok(m, `the repair summary: ${repair.out}`)
  const repairedHead = Number(m![1])
  t.ok(repairedHead < Number(marker.number), 'the lost blocks are really gone')
  t.match(repair.out, /were final but are lost here/, 'says that final blocks were lost locally')
  t.equal(Number(readMarker(dir).number), Number(m![2]), 'FINAL follows the repaired final block')

  const again = await startNode({ datadir: dir })
  t.teardown(() => again.kill('SIGKILL'))
  const resumed = Number(await rpc(again.url, 'eth_blockNumber'))
  t.ok(resumed >= repairedHead, `starts at the repaired head (${resumed})`)
  await waitFor(async () => Number(await rpc(again.url, 'eth_blockNumber')) >= repairedHead + 2, 20_000, 'the chain to move on')
  t.equal(await again.stop(), 0, 'and stops cleanly')
})

t.test('the only table file cut in half: one paragraph; repair says nothing is left', async (t) => {
  const dir = tempDir(t)
  const first = await startNode({ datadir: dir })
  t.teardown(() => first.kill('SIGKILL'))
  await waitFor(async () => Number(await rpc(first.url, 'eth_blockNumber')) >= 3, 30_000, 'block 3')
  t.equal(await first.stop(), 0)
  // opening the database replays its log into a table file: then every record is in tables
  const chaindata = join(dir, 'chaindata')
  const db = new ClassicLevel(chaindata)
  await db.open()
  await db.close()
  const tables = readdirSync(chaindata).filter((f) => f.endsWith('.ldb'))
  t.ok(tables.length > 0, 'there is a table file')
  for (const f of tables) truncateSync(join(chaindata, f), Math.floor(statSync(join(chaindata, f)).size / 2))
  const refused = await runNodeExpectingFailure(devNodeArgs(dir))
  t.equal(refused.code, 1)
  t.match(refused.stderr, /^nfc node: /m)
  t.match(refused.stderr, /damaged|lost writes/)
  t.match(refused.stderr, /nfc db repair --datadir/, 'names the repair command')
  t.notMatch(refused.stderr, /\n\s+at /, 'no stack trace')
  // the table held every record (the start replayed the whole log into it), and a table cut
  // anywhere loses its index at the end: LevelDB's repair salvages none of it
  const repair = nfc(['db', 'repair', '--datadir', dir])
  t.equal(repair.code, 1, 'repair fails')
  t.match(repair.err, /nfc db: repair failed: no canonical block is left \(not even genesis\): remove the chain data and sync again/)
  t.notMatch(repair.err, /\n\s+at /, 'no stack trace')
  t.ok(readdirSync(join(chaindata, 'lost')).length > 0, "LevelDB's repair kept the damaged table in lost/")
  const node = await startNode({ datadir: dir, extraArgs: ['--reset', '--yes'] })
  t.teardown(() => node.kill('SIGKILL'))
  await waitFor(async () => Number(await rpc(node.url, 'eth_blockNumber')) >= 1, 20_000, 'a new chain after --reset')
  t.equal(await node.stop(), 0)
})

t.test('nfc db: bad usage is a clear error', async (t) => {
  const none = nfc(['db', 'repair'])
  t.equal(none.code, 2)
  t.match(none.err, /wants --datadir DIR/)
  const empty = tempDir(t)
  const missing = nfc(['db', 'repair', '--datadir', empty])
  t.equal(missing.code, 2)
  t.match(missing.err, /holds no chain database/)
  const unknown = nfc(['db', 'compact'])
  t.equal(unknown.code, 2)
  t.match(unknown.err, /unknown command "compact"/)
})

t.test('--reset removes chain data only: the node key and keystores stay byte-identical', async (t) => {
  const dir = tempDir(t)
  const node = await startNode({ datadir: dir, extraArgs: ['--p2p', '127.0.0.1:0'] })
  t.teardown(() => node.kill('SIGKILL'))
  await waitFor(async () => Number(await rpc(node.url, 'eth_blockNumber')) >= 3, 30_000, 'block 3')
  t.equal(await node.stop(), 0)
  mkdirSync(join(dir, 'keystore'))
  writeFileSync(join(dir, 'keystore', 'UTC--2026-12-06T00-00-00.000Z--0000000000000000000000000000000000000001'), '{"version":3}')
  writeFileSync(join(dir, 'node.toml'), 'rpc = "127.0.0.1:0"\n')
  const keep = (s: Record<string, string>) => Object.fromEntries(Object.entries(s).filter(([f]) => /^(nodekey|keystore|node\.toml)/.test(f)))
  const before = keep(snapshotDir(dir))
  t.ok(before['nodekey'], 'the node key exists')

  const reset = await startNode({ datadir: dir, extraArgs: ['--p2p', '127.0.0.1:0', '--reset', '--yes'] })
  t.teardown(() => reset.kill('SIGKILL'))
  t.equal(Number(await rpc(reset.url, 'eth_blockNumber')) <= 1, true, 'the chain starts over')
  t.match(reset.stderr(), /reset: removed the chain data .*removed=.*chaindata/)
  t.equal(await reset.stop(), 0)
  t.same(keep(snapshotDir(dir)), before, 'node key, keystore and config are byte-identical')
})
