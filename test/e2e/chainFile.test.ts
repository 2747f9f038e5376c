/**
 * `nfc export` / `nfc import` as real processes (issue 17, DESIGN §10): a dev chain with
 * transfers and a contract, exported and imported into a fresh data directory — the same head
 * hash and state root, and the re-export is byte-identical; a cut file and a file with one
 * altered byte in a later block are refused with the block's number, the blocks before it kept;
 * a file of another genesis, a directory in use and bad flags are refused clearly.
 *
 * The source chain is made in-process (`produceBlock` makes each block at once, on a genesis in
 * the past), so 120 blocks take seconds, not two minutes of slots.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { Interface } from 'ethers'
import { Address, bytesToHex, createContractAddress, hexToBytes } from '@ethereumjs/util'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { CLI, DEV_GENESIS, runScript, startNode as startNodeProcess, tempDir } from '../helpers/nodeProcess.js'
import { devAddress, devKey, openChain, probeContract, startNode } from '../helpers/inProcessNode.js'
import { loadGenesisFile } from '../../src/chain/genesis.js'
import { makeCommon } from '../../src/execution/common.js'

const BLOCKS = 120
/** the block whose stateRoot byte the forged file alters */
const FORGED = 90
const GENESIS_TIME = 1_700_000_000_000

/** The dev genesis at a fixed time in the past, as a file (the CLI takes a file). */
function genesisFile(t: Test, chainId?: number): string {
  const g = JSON.parse(readFileSync(DEV_GENESIS, 'utf8'))
  g.timestamp = GENESIS_TIME
  if (chainId !== undefined) g.chainId = chainId
  const file = join(tempDir(t, 'nfc-genesis-'), 'genesis.json')
  writeFileSync(file, JSON.stringify(g, null, 2))
  return file
}

const nfc = (args: string[]) => runScript(CLI, args, 60_000)

/** A dev chain of BLOCKS blocks with transfers, a contract deployment and calls to it, stopped. */
async function makeChain(t: Test, genesis: string): Promise<{ dir: string; head: { hash: string; stateRoot: string } }> {
  const g = loadGenesisFile(genesis)
  const common = makeCommon(g.chainId, g.name)
  const dir = tempDir(t)
  const n = await startNode(t, { genesis: g, datadir: dir })
  const probe = probeContract()
  const iface = new Interface(probe.abi as never)
  const nonces = [0n, 0n, 0n]
  const send = async (from: number, fields: { to?: string; data?: Uint8Array; value?: bigint; gasLimit: bigint }) => {
    const tx = createFeeMarket1559Tx(
      {
        nonce: nonces[from]!++,
        gasLimit: fields.gasLimit,
        maxFeePerGas: 3_000_000_000n,
        maxPriorityFeePerGas: 1n,
        to: fields.to === undefined ? undefined : new Address(hexToBytes(fields.to as `0x${string}`)),
        data: fields.data,
        value: fields.value ?? 0n,
      },
      { common },
    ).sign(devKey(from))
    await n.rpc('eth_sendRawTransaction', [bytesToHex(tx.serialize())])
  }
  await send(1, { data: probe.bytecode, gasLimit: 1_000_000n })
  const contract = createContractAddress(new Address(hexToBytes(devAddress(1) as `0x${string}`)), 0n).toString()
  for (let i = 1; i <= BLOCKS; i++) {
    if (i % 3 === 0) await send(2, { to: devAddress(3), value: BigInt(i), gasLimit: 21_000n })
    if (i % 5 === 0) await send(1, { to: contract, data: hexToBytes(iface.encodeFunctionData('store', [i]) as `0x${string}`), gasLimit: 200_000n })
    const built = await n.produceBlock()
    t.equal(built.rejected.length, 0, `block ${i}: no transaction rejected`)
  }
  t.equal(await n.rpc('eth_call', [{ to: contract, data: iface.encodeFunctionData('get', []) }, 'latest']), '0x' + BLOCKS.toString(16).padStart(64, '0'), 'the contract holds the last stored value')
  const head = await n.rpc('eth_getBlockByNumber', ['latest', false])
  t.equal(Number(head.number), BLOCKS, `the source chain has ${BLOCKS} blocks`)
  await n.close()
  return { dir, head: { hash: head.hash, stateRoot: head.stateRoot } }
}

/** The head of a stopped data directory: number, hash, state root. */
async function headOf(t: Test, dir: string, genesis: string): Promise<{ number: number; hash: string; stateRoot: string }> {
  const c = await openChain(t, dir, loadGenesisFile(genesis), Date.now)
  const h = c.chain.head
  const out = { number: Number(h.header.number), hash: bytesToHex(h.hash), stateRoot: bytesToHex(h.header.stateRoot) }
  await c.close()
  return out
}

t.test('export, import into a fresh data directory: the same chain; damaged files refused at the block', async (t) => {
  const genesis = genesisFile(t)
  const src = await makeChain(t, genesis)
  const work = tempDir(t, 'nfc-chainfile-')
  const file = join(work, 'chain.bin')

  const exp = await nfc(['export', '--genesis', genesis, '--datadir', src.dir, '--out', file])
  t.equal(exp.code, 0, `export exits 0\n${exp.err}`)
  t.match(exp.out, new RegExp(`^exported ${BLOCKS} blocks \\(1\\.\\.${BLOCKS}\\) in [\\d.]+ s to `), 'the export summary')

  t.test('import into a fresh directory: same head hash and state root', async (t) => {
    const dst = tempDir(t)
    const imp = await nfc(['import', file, '--genesis', genesis, '--datadir', dst])
    t.equal(imp.code, 0, `import exits 0\n${imp.err}`)
    t.match(imp.out, new RegExp(`^imported ${BLOCKS} blocks \\(${BLOCKS} new\\) in [\\d.]+ s, head ${BLOCKS} ${src.head.hash}\n$`), 'the summary names the head')
    t.same(await headOf(t, dst, genesis), { number: BLOCKS, ...src.head }, 'the same head hash and state root')

    const again = await nfc(['import', file, '--genesis', genesis, '--datadir', dst])
    t.equal(again.code, 0, 'importing the same file again succeeds')
    t.match(again.out, new RegExp(`^imported ${BLOCKS} blocks \\(0 new\\)`), 'every block already present is skipped')

    const reexport = join(work, 'again.bin.gz')
    t.equal((await nfc(['export', '--genesis', genesis, '--datadir', dst, '--out', reexport])).code, 0, 'the imported directory exports (gzip)')
    const gz = tempDir(t)
    const fromGz = await nfc(['import', reexport, '--genesis', genesis, '--datadir', gz])
    t.equal(fromGz.code, 0, `a gzip file imports\n${fromGz.err}`)
    t.same(await headOf(t, gz, genesis), { number: BLOCKS, ...src.head }, 'the gzip round trip gives the same head')
  })

  t.test('a range: --from/--to, and the rest imported after it', async (t) => {
    const part1 = join(work, 'part1.bin')
    const part2 = join(work, 'part2.bin')
    t.equal((await nfc(['export', '--genesis', genesis, '--datadir', src.dir, '--to', '40', '--out', part1])).code, 0, 'export 1..40')
    t.equal((await nfc(['export', '--genesis', genesis, '--datadir', src.dir, '--from', '41', '--out', part2])).code, 0, 'export 41..head')
    const dst = tempDir(t)
    const orphan = await nfc(['import', part2, '--genesis', genesis, '--datadir', dst])
    t.equal(orphan.code, 1, 'blocks without their parents are refused')
    t.match(orphan.err, /block 41 .*refused: its parent \(block 40\) is not in this data directory/, 'names the block and why')
    t.equal((await nfc(['import', part1, '--genesis', genesis, '--datadir', dst])).code, 0, 'import 1..40')
    const rest = await nfc(['import', part2, '--genesis', genesis, '--datadir', dst])
    t.equal(rest.code, 0, 'then 41..head')
    t.same(await headOf(t, dst, genesis), { number: BLOCKS, ...src.head }, 'the same head')
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
    t.match(r.err, new RegExp(`^nfc import: block ${FORGED} \\(#${FORGED} in the file, byte \\d+\\) refused: .*\\[[A-Z_]+\\]`, 'm'), `names the block and the rule\n${r.err}`)
    t.match(r.err, new RegExp(`the ${FORGED - 1} blocks before it are imported \\(${FORGED - 1} new\\); head ${FORGED - 1}`), 'says what was kept')
    t.equal((await headOf(t, dst, genesis)).number, FORGED - 1, 'every block before it is kept')
  })

  t.test('a file of another chain is refused before any block', async (t) => {
    const other = genesisFile(t, 4242)
    const dst = tempDir(t)
    const r = await nfc(['import', file, '--genesis', other, '--datadir', dst])
    t.equal(r.code, 1, 'exit 1')
    t.match(r.err, /holds blocks of another chain \(chain id 2100, genesis 0x[0-9a-f]{64}\) than .* \(chain id 4242/, 'names both chains')
    t.equal((await headOf(t, dst, other)).number, 0, 'nothing imported')
  })

  t.test('a data directory in use by a running node is refused', async (t) => {
    const datadir = tempDir(t)
    const running = await startNodeProcess({ datadir, dev: true })
    t.teardown(() => running.kill('SIGKILL'))
    const imp = await nfc(['import', file, '--dev', '--datadir', datadir])
    t.equal(imp.code, 1, 'import: exit 1')
    t.match(imp.err, /nfc import: data directory .* is in use by another process/, 'import: says the directory is in use')
    const exp = await nfc(['export', '--dev', '--datadir', datadir, '--out', join(work, 'busy.bin')])
    t.equal(exp.code, 1, 'export: exit 1')
    t.match(exp.err, /nfc export: data directory .* is in use by another process/, 'export: says the directory is in use')
    t.equal(await running.stop(), 0, 'the running node was not disturbed')
  })

  t.test('bad flags and files', async (t) => {
    const cases: [string[], RegExp][] = [
      [['export', '--genesis', genesis, '--datadir', src.dir, '--from', '50', '--to', '10', '--out', join(work, 'x.bin')], /--from 50 is after --to 10/],
      [['export', '--genesis', genesis, '--datadir', src.dir, '--to', '9999', '--out', join(work, 'x.bin')], /--to 9999 is past the head of .* \(block 120\)/],
      [['export', '--genesis', genesis, '--datadir', src.dir, '--from', '0', '--out', join(work, 'x.bin')], /--from wants a positive integer, got "0"/],
      [['export', '--genesis', genesis, '--datadir', src.dir], /--out FILE is required/],
      [['export', '--genesis', genesis, '--datadir', src.dir, '--out', file], /exists; give --force to overwrite it/],
      [['export', '--genesis', genesis, '--datadir', join(work, 'empty'), '--out', join(work, 'x.bin')], /holds no chain \(nothing to export\)/],
      [['import', join(work, 'missing.bin'), '--genesis', genesis, '--datadir', tempDir(t)], /missing\.bin: no such file/],
      [['import', '--genesis', genesis], /give the FILE to import/],
      [['import', genesis, '--genesis', genesis, '--datadir', tempDir(t)], /not a block export file/],
      [['import', file, '--dev', '--genesis', genesis], /give --dev or --genesis FILE, not both/],
    ]
    for (const [args, message] of cases) {
      const r = await nfc(args)
      t.not(r.code, 0, `${args.slice(0, 1).join(' ')} ${args.slice(-2).join(' ')}: fails`)
      t.match(r.err, message, message.source)
      t.notMatch(r.err, /\n\s+at /, 'no stack trace')
    }
  })
})
