/**
 * `nfc node --config FILE` and NFC_* variables in a real node process (needs `npm run build`):
 * settings from the file, the environment and the command line all take effect, each winning
 * over the one below it; a bad file or variable stops the node with a message naming it.
 */
import { spawn } from 'node:child_process'
import http from 'node:http'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { freePort } from '../helpers/devnetProcess.js'
import { CLI, devNodeArgs, REPO_ROOT, rpc, runNodeExpectingFailure, startNode, tempDir, waitFor } from '../helpers/nodeProcess.js'

/** Sets NFC_* variables for the node processes this file spawns (they inherit its environment). */
function withEnv(t: { teardown(fn: () => unknown): void }, vars: Record<string, string>): void {
  for (const [k, v] of Object.entries(vars)) process.env[k] = v
  t.teardown(() => {
    for (const k of Object.keys(vars)) delete process.env[k]
  })
}

function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const r = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d) => (text += d))
      res.on('end', () => resolve({ status: res.statusCode!, text }))
    })
    r.on('error', reject)
    r.end(JSON.stringify(body))
  })
}

const call = (method: string, id = 1) => ({ jsonrpc: '2.0', id, method, params: [] })

t.test('a node from a config file and NFC_* variables: flag > env > file > default', async (t) => {
  const dir = tempDir(t)
  const p2pPort = await freePort()
  const config = join(dir, 'node.toml')
  writeFileSync(
    config,
    [
      '# every key is a flag of nfc node',
      'rpc = "127.0.0.1:1"                 # the command line --rpc wins',
      'rpc-batch-limit = 2',
      'rpc-vhosts = ["other.example"]     # NFC_RPC_VHOSTS wins',
      `p2p = "127.0.0.1:${p2pPort}"`,
      'max-peers = 7',
      'log-format = "text"                # NFC_LOG_FORMAT wins',
      '',
    ].join('\n'),
  )
  withEnv(t, { NFC_RPC_VHOSTS: 'rpc.example', NFC_LOG_FORMAT: 'json' })
  // the harness passes --dev --rpc 127.0.0.1:0 --datadir DIR
  const node = await startNode({ datadir: join(dir, 'data'), extraArgs: ['--config', config] })
  t.teardown(() => node.stop())

  t.not(new URL(node.url).port, '1', 'the command line --rpc over the file')
  t.equal((await rpc<{ listenPort: number }>(node.url, 'admin_nodeInfo')).listenPort, p2pPort, 'the file turned P2P on, on its port')
  t.match(await rpc<string>(node.url, 'web3_clientVersion'), /^nfc\//)

  const batch = await post(node.url, [call('eth_chainId', 1), call('eth_chainId', 2), call('eth_chainId', 3)])
  t.same(JSON.parse(batch.text), [{ jsonrpc: '2.0', id: 1, error: { code: -32600, message: 'batch too large' } }], 'rpc-batch-limit from the file')

  t.equal((await post(node.url, call('eth_chainId'), { host: 'rpc.example:8545' })).status, 200, 'NFC_RPC_VHOSTS over the file')
  t.equal((await post(node.url, call('eth_chainId'), { host: 'other.example:8545' })).status, 403, 'the file’s vhost is replaced, not added to')

  const lines = node
    .stderr()
    .split('\n')
    .filter((l) => l !== '')
  t.ok(lines.length > 0 && lines.every((l) => l.startsWith('{')), 'NFC_LOG_FORMAT=json over the file: JSON log lines')
  const starting = lines.map((l) => JSON.parse(l) as { msg: string; config?: string }).find((l) => l.msg === 'starting')
  t.equal(starting?.config, config, 'the start-up line names the config file')
})

t.test('NFC_CONFIG names the file when there is no --config', async (t) => {
  const dir = tempDir(t)
  const config = join(dir, 'node.toml')
  writeFileSync(config, 'rpc-batch-limit = 1\n')
  withEnv(t, { NFC_CONFIG: config })
  const node = await startNode({ datadir: join(dir, 'data') })
  t.teardown(() => node.stop())
  const batch = await post(node.url, [call('eth_chainId', 1), call('eth_chainId', 2)])
  t.match(JSON.parse(batch.text), [{ error: { message: 'batch too large' } }])
})

t.test('a bad file or variable stops nfc node with a message naming it', async (t) => {
  const dir = tempDir(t)
  const unknown = join(dir, 'unknown.toml')
  writeFileSync(unknown, 'max-peers = 3\nrpc_port = 8545\n')
  const u = await runNodeExpectingFailure(devNodeArgs(join(dir, 'a'), ['--config', unknown]))
  t.equal(u.code, 2)
  t.match(u.stderr, `nfc node: config file ${unknown} line 2: unknown key "rpc_port": nfc node has no --rpc_port`)

  const badValue = join(dir, 'bad-value.toml')
  writeFileSync(badValue, 'p2p = "127.0.0.1:0"\n\nmax-peers = "many"\n')
  const b = await runNodeExpectingFailure(devNodeArgs(join(dir, 'b'), ['--config', badValue]))
  t.equal(b.code, 1)
  t.match(b.stderr, `nfc node: --max-peers wants a positive integer, got "many" (max-peers in ${badValue} line 3)`)

  const syntax = join(dir, 'syntax.toml')
  writeFileSync(syntax, 'max-peers = \n')
  const s = await runNodeExpectingFailure(devNodeArgs(join(dir, 'c'), ['--config', syntax]))
  t.equal(s.code, 2)
  t.match(s.stderr, new RegExp(`nfc node: config file ${syntax.replace(/[.]/g, '\\.')} line 1, column \\d+: not valid TOML`))

  const missing = await runNodeExpectingFailure(devNodeArgs(join(dir, 'd'), ['--config', join(dir, 'none.toml')]))
  t.equal(missing.code, 2)
  t.match(missing.stderr, /nfc node: cannot read config file .*none\.toml: ENOENT/)

  withEnv(t, { NFC_RPC_MAX_BODY: 'huge' })
  const env = await runNodeExpectingFailure(devNodeArgs(join(dir, 'e')))
  t.equal(env.code, 1)
  t.match(env.stderr, 'nfc node: --rpc-max-body wants a size in bytes (e.g. 5242880 or 5MiB), got "huge" (from NFC_RPC_MAX_BODY)')
})

t.test('an unknown NFC_* variable stops nfc node and nfc devnet', async (t) => {
  const dir = tempDir(t)
  withEnv(t, { NFC_MAXPEERS: '5' })
  const n = await runNodeExpectingFailure(devNodeArgs(join(dir, 'a')))
  t.equal(n.code, 2)
  t.match(n.stderr, /nfc node: unknown environment variable NFC_MAXPEERS: nfc node has no --maxpeers/)
  const d = await runNodeExpectingFailure(['devnet', '--datadir', join(dir, 'devnet')])
  t.equal(d.code, 2)
  t.match(d.stderr, /nfc devnet: unknown environment variable NFC_MAXPEERS: nfc devnet has no --maxpeers/)
})

t.test('nfc devnet from NFC_CONFIG and NFC_NODES; its node does not inherit them', async (t) => {
  const dir = tempDir(t)
  const rpcPort = await freePort()
  const p2pPort = await freePort()
  const config = join(dir, 'devnet.toml')
  writeFileSync(
    config,
    [`datadir = "${join(dir, 'devnet')}"`, 'nodes = 2                # NFC_NODES wins', `rpc-port = ${rpcPort}`, `p2p-port = ${p2pPort}`, ''].join('\n'),
  )
  // were NFC_CONFIG passed on, the node would read devnet's file and refuse its "nodes" key
  const proc = spawn(process.execPath, [CLI, 'devnet'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NFC_CONFIG: config, NFC_NODES: '1' },
  })
  let out = ''
  let err = ''
  proc.stdout.setEncoding('utf8').on('data', (c: string) => (out += c))
  proc.stderr.setEncoding('utf8').on('data', (c: string) => (err += c))
  const exited = new Promise<number | null>((resolve) => proc.once('close', (code) => resolve(code)))
  t.teardown(() => {
    if (proc.exitCode === null) proc.kill('SIGKILL')
  })
  await waitFor(() => /Ctrl-C stops every node/.test(out) || proc.exitCode !== null, 60_000, `the listening table\n${err}`)
  t.match(out, new RegExp(`: 1 node, genesis ${join(dir, 'devnet', 'genesis.json').replace(/[.]/g, '\\.')}`), 'NFC_NODES over the file; datadir from the file')
  t.match(out, new RegExp(`^ {2}node-0 .* http://127\\.0\\.0\\.1:${rpcPort} .* ws://127\\.0\\.0\\.1:${p2pPort} `, 'm'), 'the ports from the file')
  t.equal(await rpc<string>(`http://127.0.0.1:${rpcPort}`, 'eth_blockNumber').then((n) => typeof n), 'string', 'node-0 serves JSON-RPC')
  proc.kill('SIGINT')
  t.equal(await exited, 0, 'stopped cleanly')
})
