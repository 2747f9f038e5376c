/**
 * Issue 18, what an operator meets first, on real node processes: `nfc --version` names the
 * commit and the WASM core; `--log-format json` writes one JSON object a line; `/health` is 200 on
 * the producing dev chain and 503 with the reason on a networked node that has no peers.
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { devnetGenesis, genesisFileText } from '../../src/cli/devnetGenesis.js'
import { CLI, REPO_ROOT, runNodeExpectingFailure, startNode, tempDir, waitFor, type NodeProcess } from '../helpers/nodeProcess.js'
import { freePort } from '../helpers/devnetProcess.js'

/**
 * The file's dev node, with JSON logs: /health runs on it, then the JSON log test stops it and
 * reads every line it wrote (one start instead of two).
 */
let devNode: NodeProcess
t.before(async () => {
  devNode = await startNode({ datadir: tempDir(t), extraArgs: ['--log-format', 'json'] })
})
t.teardown(() => devNode?.kill('SIGKILL'))

t.test('nfc --version: version, the checked-out commit, the WASM core hash', async (t) => {
  const out = execFileSync(process.execPath, [CLI, '--version'], { encoding: 'utf8' })
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }
  const info = JSON.parse(execFileSync(process.execPath, [CLI, 'version', '--json'], { encoding: 'utf8' }))
  t.equal(info.version, pkg.version)
  let head: string | null = null
  try {
    head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim()
  } catch {
    head = null // not a git checkout (or no git binary): the commit is then unknown
  }
  t.equal(info.commit, head, 'the commit git reports for the checkout')
  const wasm = createHash('sha256')
    .update(fs.readFileSync(path.join(REPO_ROOT, 'build/release.wasm')))
    .digest('hex')
  t.equal(info.wasmCore, wasm, 'the sha256 of build/release.wasm')
  t.match(
    out,
    new RegExp(
      `^nfc ${pkg.version.replace(/\./g, '\\.')} \\(${head === null ? 'unknown commit' : `commit ${head.slice(0, 12)}`}, wasm core sha256 ${wasm.slice(0, 16)}\\) node v`,
    ),
  )
  const bad = await runNodeExpectingFailure(['--version', '--verbose'])
  t.equal(bad.code, 2)
  t.match(bad.stderr, /the only option is --json/)
})

t.test('/health: 200 on the producing dev chain, 503 "no peers" on a networked node alone', async (t) => {
  const dev = devNode
  await waitFor(async () => (await fetch(dev.url + '/health')).status === 200, 20_000, 'the dev chain to be healthy')
  const ok = await (await fetch(dev.url + '/health')).json()
  t.match(ok, { ok: true, reasons: [], peers: null, syncing: false })
  // and /metrics says which build answers
  const info = JSON.parse(execFileSync(process.execPath, [CLI, 'version', '--json'], { encoding: 'utf8' }))
  const metrics = await (await fetch(dev.url + '/metrics')).text()
  const line = metrics.split('\n').find((l) => l.startsWith('nfc_build_info{'))
  t.ok(line, 'nfc_build_info is exported')
  t.match(line, `version="${info.version}"`)
  t.match(line, `commit="${info.commit ?? 'unknown'}"`)
  t.match(line, `wasm_core="${info.wasmCore ?? 'none'}"`)
  t.match(line, /\} 1$/)

  const dir = tempDir(t)
  const { doc } = devnetGenesis({ nodes: 1, timestamp: (Math.floor(Date.now() / 1000) - 10) * 1000 })
  const genesisFile = path.join(dir, 'genesis.json')
  fs.writeFileSync(genesisFile, genesisFileText(doc))
  const alone = await startNode({ dev: false, datadir: path.join(dir, 'f'), genesis: genesisFile, extraArgs: ['--p2p', `127.0.0.1:${await freePort()}`] })
  t.teardown(() => alone.kill('SIGKILL'))
  const res = await fetch(alone.url + '/health')
  t.equal(res.status, 503)
  const body = (await res.json()) as { ok: boolean; peers: number; reasons: string[] }
  t.equal(body.ok, false)
  t.equal(body.peers, 0)
  t.ok(body.reasons.includes('no peers'), 'no peers is a reason')
  t.ok(
    body.reasons.some((r: string) => r.startsWith('head is stale')),
    'its head (genesis, 10 s ago, no witness running) is stale too',
  )
})

t.test('--log-format json: every line one object; a bad format is a usage error', async (t) => {
  const node = devNode
  await waitFor(() => /"msg":"produced block"|"module":"producer"/.test(node.stderr()), 20_000, 'a producer line')
  t.equal(await node.stop(), 0)
  const lines = node.stderr().trim().split('\n')
  t.ok(lines.length >= 3, `${lines.length} lines`)
  for (const line of lines) {
    const o = JSON.parse(line) as Record<string, unknown>
    if (typeof o.time !== 'string' || typeof o.level !== 'string' || typeof o.module !== 'string' || typeof o.msg !== 'string') {
      t.fail(`a line without time/level/module/msg: ${line}`)
    }
  }
  const listening = lines.map((l) => JSON.parse(l)).find((o) => o.msg === 'JSON-RPC listening')
  t.match(listening, { level: 'info', http: /^http:\/\/127\.0\.0\.1:\d+$/ })
  const bad = await runNodeExpectingFailure(['node', '--dev', '--datadir', tempDir(t), '--log-format', 'xml'])
  t.equal(bad.code, 2)
  t.match(bad.stderr, /--log-format must be text or json, got "xml"/)
})
