/**
 * Bad data directories and genesis files: the node must refuse to start (exit 1, a message
 * naming the problem) and leave the data directory exactly as it found it — no silent reset,
 * no repair, no new files.
 */
import { copyFileSync, cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { ClassicLevel } from 'classic-level'
import { DEV_GENESIS, devNodeArgs, rpc, runNodeExpectingFailure, snapshotDir, startNode, tempDir, waitFor, type NodeProcess } from '../helpers/nodeProcess.js'

const devGenesis = JSON.parse(readFileSync(DEV_GENESIS, 'utf8'))

/**
 * The one dev chain of this file (4 node starts instead of 10: each costs seconds of CPU, more
 * under load). `running` serves on it for the tests of a datadir in use, in file order; '--reset
 * on a datadir in use' stops it, and from then on it is a stopped chain of a few blocks, which the
 * refusals of another genesis are tried on. The corrupted databases are copies of it as its first
 * node left it (`stoppedOnce`, taken at that stop): every later open rewrites LevelDB's files
 * (the write-ahead log replayed into a table file), and the corruption tests keep corrupting the
 * files of a chain that was opened once, as they did when each made its own chain.
 */
let chainDir: string
let running: NodeProcess
let stoppedOnce: string
t.before(async () => {
  chainDir = tempDir(t)
  running = await startNode({ datadir: chainDir })
  await waitFor(async () => Number(await rpc(running.url, 'eth_blockNumber')) >= 2, 20_000, 'block 2')
})
t.teardown(() => running?.kill('SIGKILL'))

/** A copy of `from` (a stopped chain) in a fresh temp dir, removed at `t`'s teardown. */
function copyOfChain(t: { teardown(fn: () => unknown): void }, from: string): string {
  const dir = tempDir(t)
  cpSync(from, dir, { recursive: true })
  return dir
}

/** Keeps the chain as its first node left it (see above) for the rest of the file. */
function keepStoppedOnce(): void {
  stoppedOnce = copyOfChain(t, chainDir)
}

/** Writes `genesis` (an object) to a temp file and returns its path. */
function writeGenesis(t: Test, genesis: unknown, name = 'genesis.json'): string {
  const file = join(tempDir(t, 'nfc-genesis-'), name)
  writeFileSync(file, typeof genesis === 'string' ? genesis : JSON.stringify(genesis, null, 2))
  return file
}

/** Every key/value of `<dir>/chaindata`, read from a copy (opening LevelDB writes to its directory). */
async function dumpDb(t: Test, dir: string): Promise<string[]> {
  const copy = join(tempDir(t, 'nfc-dbcopy-'), 'chaindata')
  cpSync(join(dir, 'chaindata'), copy, { recursive: true })
  rmSync(join(copy, 'LOCK'), { force: true })
  const db = new ClassicLevel<Uint8Array, Uint8Array>(copy, { keyEncoding: 'view', valueEncoding: 'view', createIfMissing: false })
  await db.open()
  const out: string[] = []
  for await (const [k, v] of db.iterator()) out.push(`${Buffer.from(k).toString('hex')}=${Buffer.from(v).toString('hex')}`)
  await db.close()
  return out
}

/** LevelDB's human-readable info log, rewritten (LOG → LOG.old) by every open attempt. */
const isInfoLog = (f: string) => /(^|\/)LOG(\.old)?$/.test(f)
const withoutInfoLog = (snap: Record<string, string>) => Object.fromEntries(Object.entries(snap).filter(([f]) => !isInfoLog(f)))

// A readable database is compared by its keys and values, not its bytes: LevelDB replays its
// write-ahead log into a new table file on every open (docs/decisions.md, "Data directory").

/**
 * Runs the node on `dir` expecting a start-up failure; checks exit 1, the message, and that
 * `dir` is untouched: byte for byte, and (for a readable database) the same keys and values.
 * `readable`: the database itself is intact (a foreign genesis, another application's data).
 */
async function refuses(t: Test, dir: string, extra: string[], message: RegExp, readable: boolean): Promise<string> {
  const before = snapshotDir(dir)
  const contentBefore = readable ? await dumpDb(t, dir) : undefined
  const { code, stderr } = await runNodeExpectingFailure(devNodeArgs(dir, extra))
  t.equal(code, 1, 'exit code 1')
  t.match(stderr, /^nfc node: /m, 'the CLI error line')
  t.match(stderr, message)
  t.notMatch(stderr, /JSON-RPC listening|initialised chain/, 'never started a chain')
  t.notMatch(stderr, /\n\s+at /, 'no stack trace')
  const after = snapshotDir(dir)
  if (readable) {
    t.same(await dumpDb(t, dir), contentBefore, 'the database holds the same keys and values')
  } else {
    t.same(withoutInfoLog(after), withoutInfoLog(before), 'every database file is byte-identical')
  }
  return stderr
}

t.test('other start-up errors are one clear line', async (t) => {
  t.test('--datadir is a file', async (t) => {
    const file = join(tempDir(t), 'a-file')
    writeFileSync(file, 'not a directory')
    const { code, stderr } = await runNodeExpectingFailure(devNodeArgs(file))
    t.equal(code, 1)
    t.match(stderr, /^nfc node: .*a-file/m, 'names the data directory')
    t.notMatch(stderr, /\n\s+at /, 'no stack trace')
    t.equal(readFileSync(file, 'utf8'), 'not a directory', 'the file is untouched')
  })
  t.test('the RPC port is taken', async (t) => {
    const port = new URL(running.url).port
    const args = devNodeArgs(tempDir(t)).map((a) => (a === '127.0.0.1:0' ? `127.0.0.1:${port}` : a))
    const { code, stderr } = await runNodeExpectingFailure(args)
    t.equal(code, 1)
    t.match(stderr, new RegExp(`^nfc node: .*${port}`, 'm'), 'names the address')
    t.notMatch(stderr, /\n\s+at /, 'no stack trace')
    t.equal(running.proc.exitCode, null, 'the node on the port runs on')
  })
})

t.test('two nodes on one datadir', async (t) => {
  const { code, stderr } = await runNodeExpectingFailure(devNodeArgs(chainDir))
  t.equal(code, 1)
  t.match(stderr, /in use by another process/)
  // the first node is unaffected
  const n = Number(await rpc(running.url, 'eth_blockNumber'))
  await waitFor(async () => Number(await rpc(running.url, 'eth_blockNumber')) > n, 20_000, 'the first node to go on')
})

t.test('--reset on a datadir in use by another process', async (t) => {
  const genesisHash = (await rpc(running.url, 'eth_getBlockByNumber', ['0x0', false])).hash
  const block2 = (await rpc(running.url, 'eth_getBlockByNumber', ['0x2', false])).hash

  const second = await runNodeExpectingFailure(devNodeArgs(chainDir, ['--reset'])).catch((e: Error) => ({
    code: null,
    stderr: e.message,
  }))
  t.equal(second.code, 1, 'the second node refuses')
  t.match(second.stderr, /in use by another process/)
  t.notMatch(second.stderr, /reset: removed/, 'nothing was removed')

  // the first node's chain survives its own restart
  t.equal(await running.stop(), 0, 'the node on the datadir stopped cleanly')
  keepStoppedOnce()
  const again = await startNode({ datadir: chainDir })
  t.teardown(() => again.kill('SIGKILL'))
  t.equal((await rpc(again.url, 'eth_getBlockByNumber', ['0x0', false]))?.hash, genesisHash, 'same genesis')
  t.equal((await rpc(again.url, 'eth_getBlockByNumber', ['0x2', false]))?.hash, block2, 'same blocks')
  t.equal(await again.stop(), 0)
})

t.test('a datadir of another genesis', async (t) => {
  const dir = chainDir

  t.test('another allocation (same total supply)', async (t) => {
    const g = structuredClone(devGenesis)
    const acct = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
    const foundation = '0xBcd4042DE499D14e55001CcbB24a551F3b954096'
    g.alloc[acct].balance = (BigInt(g.alloc[acct].balance) + 1n).toString()
    g.alloc[foundation].balance = (BigInt(g.alloc[foundation].balance) - 1n).toString()
    await refuses(t, dir, ['--genesis', writeGenesis(t, g)], /belongs to another genesis/, true)
  })

  t.test('another block interval', async (t) => {
    const g = structuredClone(devGenesis)
    g.params.blockIntervalMs = 2000
    await refuses(t, dir, ['--genesis', writeGenesis(t, g)], /belongs to another genesis/, true)
  })

  t.test('another chain id', async (t) => {
    const g = structuredClone(devGenesis)
    g.chainId = 2101
    await refuses(t, dir, ['--genesis', writeGenesis(t, g)], /belongs to another genesis/, true)
  })

  t.test('the right genesis still opens it', async (t) => {
    const node = await startNode({ datadir: dir })
    t.teardown(() => node.kill('SIGKILL'))
    t.ok(Number(await rpc(node.url, 'eth_blockNumber')) >= 2, 'continues the chain')
    t.equal(await node.stop(), 0)
  })
})

t.test('a corrupted database', async (t) => {
  const garbage = Buffer.from('this is not a leveldb file \x00\xff\x13\x37'.repeat(40), 'latin1')
  const corrupt = async (t: Test, pick: (name: string) => boolean, what: string) => {
    const dir = copyOfChain(t, stoppedOnce)
    const chaindata = join(dir, 'chaindata')
    const files = readdirSync(chaindata).filter(pick)
    t.ok(files.length > 0, `there are ${what} files to corrupt`)
    for (const f of files) writeFileSync(join(chaindata, f), garbage)
    const stderr = await refuses(t, dir, [], /damaged|cannot be opened/, false)
    t.match(stderr, /Nothing was changed/)
    for (const f of files) t.same(readFileSync(join(chaindata, f)), garbage, `${f} still holds the garbage`)
  }
  t.test('CURRENT', (t) => corrupt(t, (f) => f === 'CURRENT', 'CURRENT'))
  t.test('MANIFEST', (t) => corrupt(t, (f) => f.startsWith('MANIFEST-'), 'MANIFEST'))
  t.test('table and log files', (t) => corrupt(t, (f) => f.endsWith('.ldb') || f.endsWith('.log'), '.ldb/.log'))
})

t.test('a LevelDB that is not a NetFlowCoin chain', async (t) => {
  const dir = tempDir(t)
  const db = new ClassicLevel(join(dir, 'chaindata'))
  await db.put('x', 'some other application')
  await db.close()
  await refuses(t, dir, [], /not a NetFlowCoin chain/, true)
})

t.test('bad genesis files', async (t) => {
  const dir = tempDir(t)
  const datadir = join(dir, 'data')
  const fails = async (t: Test, genesisFile: string, message: RegExp) => {
    const { code, stderr } = await runNodeExpectingFailure(devNodeArgs(datadir, ['--genesis', genesisFile]))
    t.equal(code, 1, 'exit code 1')
    t.match(stderr, /^nfc node: /m)
    t.match(stderr, message)
    t.notMatch(stderr, /\n\s+at /, 'no stack trace')
    t.notOk(existsSync(datadir), 'no data directory was created')
    return stderr
  }

  t.test('chainId "abc"', async (t) => {
    const g = structuredClone(devGenesis)
    g.chainId = 'abc'
    await fails(t, writeGenesis(t, g), /chainId/)
  })
  t.test('an unknown field', async (t) => {
    const g = structuredClone(devGenesis)
    g.params.blockIntervalMillis = 1000
    await fails(t, writeGenesis(t, g), /unknown field params\.blockIntervalMillis/)
  })
  t.test('a missing file', async (t) => {
    await fails(t, join(dir, 'nope.json'), /genesis file not found: .*nope\.json/)
  })
  t.test('invalid JSON: line and column', async (t) => {
    const text = readFileSync(DEV_GENESIS, 'utf8').replace('"chainId": 2100,', '"chainId": 2100,,')
    const line = text.split('\n').findIndex((l) => l.includes('2100,,')) + 1
    const stderr = await fails(t, writeGenesis(t, text), /invalid JSON/)
    t.match(stderr, new RegExp(`genesis\\.json:${line}:\\d+: invalid JSON`), `names line ${line} and a column`)
  })
  t.test('a copy of the dev genesis is fine (control)', async (t) => {
    const file = join(tempDir(t, 'nfc-genesis-'), 'dev.json')
    copyFileSync(DEV_GENESIS, file)
    const node = await startNode({ datadir, genesis: file })
    t.teardown(() => node.kill('SIGKILL'))
    t.equal(await rpc(node.url, 'eth_chainId'), '0x834')
    t.equal(await node.stop(), 0)
  })
})
