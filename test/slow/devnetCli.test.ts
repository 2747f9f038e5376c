/**
 * `nfc devnet` and `nfc genesis devnet` as processes (needs `npm run build`): two nodes on free
 * loopback ports, their JSON-RPC, the listening table, and a clean stop on SIGINT that leaves no
 * child behind. Whether the nodes talk P2P is the P2P layer's test.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import { CLI, REPO_ROOT, rpc, runNodeExpectingFailure, tempDir, waitFor } from '../helpers/nodeProcess.js'

const listen = (port: number): Promise<Server | null> =>
  new Promise((resolve) => {
    const s = createServer()
    s.once('error', () => resolve(null))
    s.listen(port, '127.0.0.1', () => resolve(s))
  })
const close = (s: Server | null) => new Promise<void>((r) => (s ? s.close(() => r()) : r()))

/** A free port p with p+1 free too: the OS picks p (port 0), we check p+1. */
async function freePortPair(avoid: number[] = []): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const a = (await listen(0))!
    const p = (a.address() as { port: number }).port
    const b = p < 65535 && !avoid.includes(p) && !avoid.includes(p + 1) ? await listen(p + 1) : null
    await close(a)
    await close(b)
    if (b !== null) return p
  }
  throw new Error('no two consecutive free ports')
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH'
  }
}

const ROW = /^ {2}(node-\d+) +(\d+) +(0x[0-9a-fA-F]{40}) +(\S+) +(\S+) +(\S+) +(.+)$/gm

t.test('nfc devnet --nodes 2: serves, prints the table, stops cleanly on SIGINT', async (t) => {
  const dir = join(tempDir(t), 'devnet')
  const rpcPort = await freePortPair()
  const p2pPort = await freePortPair([rpcPort, rpcPort + 1])
  const proc: ChildProcess = spawn(
    process.execPath,
    [CLI, 'devnet', '--nodes', '2', '--datadir', dir, '--rpc-port', String(rpcPort), '--p2p-port', String(p2pPort)],
    {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let out = ''
  let err = ''
  proc.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c))
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c))
  // 'close', not 'exit': by then all of stderr has been read (the "stopped head=" lines come last)
  const exited = new Promise<number | null>((r) => proc.once('close', (code) => r(code)))
  let pids: number[] = []
  t.teardown(() => {
    // only if the test failed half-way: leave nothing running
    for (const pid of [proc.pid!, ...pids]) if (alive(pid)) process.kill(pid, 'SIGKILL')
  })

  // the table appears once both nodes serve JSON-RPC
  const rows = await new Promise<RegExpMatchArray[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening table within 60 s\n--- stdout ---\n${out}\n--- stderr ---\n${err}`)), 60_000)
    const check = () => {
      const found = [...out.matchAll(ROW)]
      if (found.length === 2) {
        clearTimeout(timer)
        resolve(found)
      }
    }
    proc.stdout!.on('data', check)
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`nfc devnet exited (${code}) before the table\n${out}\n${err}`))
    })
  })
  t.match(out, /devnet nfc-devnet-2 \(chain id 2100, genesis time .*\): 2 nodes, genesis .*genesis\.json/)
  t.match(out, /node +pid +witness +RPC \(HTTP\) +RPC \(WS\) +P2P +datadir/)
  pids = rows.map((r) => Number(r[2]))
  rows.forEach((r, i) => {
    t.equal(r[1], `node-${i}`)
    t.equal(r[4], `http://127.0.0.1:${rpcPort + i}`)
    t.equal(r[5], `ws://127.0.0.1:${rpcPort + i}`)
    t.equal(r[6], `ws://127.0.0.1:${p2pPort + i}`)
    t.equal(r[7], join(dir, `node-${i}`))
    t.ok(alive(pids[i]!), `node-${i} (pid ${pids[i]}) runs`)
  })
  for (const r of rows) t.equal(await rpc(r[4]!, 'eth_chainId'), '0x834', `${r[1]} answers eth_chainId`)
  // the nodes' lines come through another pipe than the table: wait for them, then check
  await waitFor(() => /^\[node-0\] /m.test(err) && /^\[node-1\] /m.test(err), 20_000, 'prefixed node output').catch(() => undefined)
  t.match(err, /^\[node-0\] /m, 'node output is prefixed')
  t.match(err, /^\[node-1\] /m)

  const genesis = JSON.parse(readFileSync(join(dir, 'genesis.json'), 'utf8'))
  t.ok(genesis.timestamp > 0 && genesis.timestamp % 1000 === 0, 'one genesis time for all, on a slot boundary')
  t.equal(genesis.witnesses.length, 2)
  t.equal(statSync(join(dir, 'node-1', 'witness.key')).mode & 0o777, 0o600)

  proc.kill('SIGINT')
  const code = await Promise.race([exited, new Promise<'late'>((r) => setTimeout(() => r('late'), 30_000))])
  t.equal(code, 0, `exit code 0 after SIGINT\n${err}`)
  for (const [i, pid] of pids.entries()) t.notOk(alive(pid), `node-${i} (pid ${pid}) is gone`)
  t.match(err, /devnet: SIGINT: stopping 2 nodes/)
  t.match(err, /\[node-0\] .*stopped head=/)
  t.match(err, /\[node-1\] .*stopped head=/)

  // the directory is now a 2-node devnet
  const again = await runNodeExpectingFailure(['devnet', '--nodes', '3', '--datadir', dir, '--rpc-port', String(rpcPort)])
  t.equal(again.code, 1)
  t.match(again.stderr, /nfc devnet: .* is a devnet of 2 nodes \(its genesis\.json lists 2 witnesses\), not 3; run with --nodes 2, or add --reset/)
})

const nfc = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, encoding: 'utf8' })

t.test('nfc devnet: bad arguments', async (t) => {
  const dir = tempDir(t)
  const cases: [string[], RegExp][] = [
    [['--nodes', '0'], /nfc devnet: --nodes wants an integer from 1 to 101, got "0"/],
    [['--nodes', '102'], /--nodes wants an integer from 1 to 101/],
    [['--nodes', 'four'], /--nodes wants an integer/],
    [['--rpc-port', '0'], /--rpc-port wants a port from 1 to 65535/],
    [['--p2p-port', '65534', '--nodes', '4'], /--p2p-port 65534 leaves no room for 4 nodes/],
    [['--genesis', join(dir, 'missing.json')], /nfc devnet: genesis file not found/],
  ]
  for (const [args, message] of cases) {
    const r = nfc('devnet', '--datadir', join(dir, 'dn'), ...args)
    t.equal(r.status, 1, args.join(' '))
    t.match(r.stderr, message)
  }
  const r = nfc('devnet', '--log-level', 'loud')
  t.equal(r.status, 2)
  t.match(r.stderr, /--log-level must be/)
  const u = nfc('devnet', '--node', '2')
  t.equal(u.status, 2, 'unknown flag')
  t.match(u.stderr, /Unknown option '--node'/)
})

t.test('nfc genesis devnet writes the generator output, refuses to overwrite', async (t) => {
  const dir = tempDir(t)
  const out = join(dir, 'g.json')
  const r = nfc('genesis', 'devnet', '--nodes', '4', '--out', out)
  t.equal(r.status, 0, r.stderr)
  t.equal(readFileSync(out, 'utf8'), readFileSync(join(REPO_ROOT, 'genesis/devnet-4.json'), 'utf8'), 'what genesis/devnet-4.json holds')
  t.match(r.stdout, /wrote .*g\.json: nfc-devnet-4, chain id 2100, 4 witnesses, timestamp 0/)

  writeFileSync(out, 'keep me')
  const again = nfc('genesis', 'devnet', '--nodes', '4', '--out', out)
  t.equal(again.status, 1)
  t.match(again.stderr, /nfc genesis: .*g\.json exists; use --force to overwrite it/)
  t.equal(readFileSync(out, 'utf8'), 'keep me')

  const forced = nfc('genesis', 'devnet', '--nodes', '11', '--chain-id', '77', '--timestamp', '1800000000000', '--out', out, '--force')
  t.equal(forced.status, 0, forced.stderr)
  const g = JSON.parse(readFileSync(out, 'utf8'))
  t.equal(g.chainId, 77)
  t.equal(g.timestamp, 1_800_000_000_000)
  t.equal(g.witnesses.length, 11)
  const keys = JSON.parse(readFileSync(join(dir, 'g.keys.json'), 'utf8'))
  t.same(Object.keys(keys), [g.witnesses[10].address], 'the fresh key is saved beside the genesis')
  t.equal(statSync(join(dir, 'g.keys.json')).mode & 0o777, 0o600)

  const cases: [string[], RegExp][] = [
    [['devnet', '--out', out], /--nodes N is required/],
    [['devnet', '--nodes', '2'], /--out FILE is required/],
    [['devnet', '--nodes', '0', '--out', out], /--nodes wants an integer from 1 to 101/],
    [['devnet', '--nodes', '2', '--chain-id', '0', '--out', out], /--chain-id wants an integer from 1/],
    [['devnet', '--nodes', '2', '--timestamp', '1700000000', '--out', out, '--force'], /--timestamp 1700000000 looks like seconds/],
    [['mainnet', '--nodes', '2', '--out', out], /unknown genesis command "mainnet"; expected devnet, new or check/],
    [['--nodes', '2', '--out', out], /which genesis\?/],
  ]
  for (const [args, message] of cases) {
    const x = nfc('genesis', ...args)
    t.equal(x.status, 1, args.join(' '))
    t.match(x.stderr, message)
  }
})
