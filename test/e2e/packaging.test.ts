/**
 * Issue 18, packaging: tools/packaging (Dockerfile, docker-compose.yml, nfc.service) stays
 * consistent with the code it runs — every flag it passes is a real `nfc node` flag, its ports are
 * the node's, the Dockerfile's runtime files run a node whose HEALTHCHECK passes (and fails once
 * the node is gone), the compose `init` service writes what the node services point to — and
 * docs/operators.md's ERROR table names exactly the `.error(…)` messages of src/ and rpc/, so the
 * guide cannot drift from the code. Where Docker runs, the image is built and its healthcheck must
 * turn healthy; where systemd-analyze exists, the unit is verified; otherwise those are skipped
 * with the reason.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { Wallet } from 'ethers'
import { CLI, REPO_ROOT, runScript, tempDir } from '../helpers/nodeProcess.js'
import { freePort } from '../helpers/devnetProcess.js'
import { startNodeProcess, stopNodeProcess, type Proc } from '../../tools/bench/network.js'

const PACKAGING = path.join(REPO_ROOT, 'tools/packaging')
const INIT_SCRIPT = path.join(REPO_ROOT, 'dist/tools/packaging/devnetInit.js')
const read = (file: string) => fs.readFileSync(path.join(PACKAGING, file), 'utf8')

/** what the image uses as its build stage's working directory and runtime root */
const BUILD_ROOT = '/src'
const IMAGE_ROOT = '/opt/nfc'
/** how long the image build may take where Docker runs, and its container to turn healthy */
const DOCKER_BUILD_TIMEOUT_MS = 20 * 60_000
const DOCKER_HEALTHY_TIMEOUT_MS = 180_000

// ------------------------------------------------------------------ the node's own flags and ports

const nodeHelp = execFileSync(process.execPath, [CLI, 'node', '--help'], { encoding: 'utf8' })
/** every `--flag` `nfc node --help` lists */
const NODE_FLAGS = new Set(nodeHelp.match(/--[a-z][a-z0-9-]*/g) ?? [])
const defaultPort = (re: RegExp, what: string): number => {
  const m = re.exec(nodeHelp)
  if (m === null) throw new Error(`nfc node --help does not give the default ${what} port`)
  return Number(m[1])
}
const RPC_PORT = defaultPort(/--rpc HOST:PORT[^\n]*default 127\.0\.0\.1:(\d+)/, 'RPC')
const P2P_PORT = defaultPort(/0\.0\.0\.0:(\d+)\s+otherwise/, 'P2P')

/** the `--flag`s of a command line (`--flag=value` counts as `--flag`) */
const flagsOf = (args: string[]): string[] => args.filter((a) => a.startsWith('--')).map((a) => a.split('=')[0]!)
/** the value after `flag` in a command line */
function valueOf(args: string[], flag: string): string {
  const i = args.indexOf(flag)
  if (i < 0 || i + 1 >= args.length) throw new Error(`no ${flag} in ${args.join(' ')}`)
  return args[i + 1]!
}
const portOf = (hostPort: string): number => Number(/:(\d+)$/.exec(hostPort)?.[1])

// ------------------------------------------------------------------ the Dockerfile

interface Instruction {
  op: string
  args: string
}

/** the Dockerfile's instructions: comments dropped, `\`-continued lines joined */
function instructions(text: string): Instruction[] {
  const joined = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ')
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => {
      const m = /^(\S+)\s+(.*)$/.exec(l)!
      return { op: m[1]!.toUpperCase(), args: m[2]! }
    })
}

const docker = instructions(read('Dockerfile'))
const runtimeStage = docker.slice(docker.map((i) => i.op).lastIndexOf('FROM'))
const one = (op: string): string => {
  const all = runtimeStage.filter((i) => i.op === op)
  if (all.length !== 1) throw new Error(`the runtime stage has ${all.length} ${op} instructions, expected 1`)
  return all[0]!.args
}
const execForm = (s: string): string[] => JSON.parse(s) as string[]
const CMD = execForm(one('CMD'))
const ENTRYPOINT = execForm(one('ENTRYPOINT'))
/** the HEALTHCHECK's command, exec form */
const HEALTHCHECK = execForm(/\bCMD\s+(\[.*\])$/.exec(one('HEALTHCHECK'))![1]!)
const EXPOSED = one('EXPOSE')
  .split(/\s+/)
  .map((p) => Number(p.replace(/\/tcp$/, '')))
const healthUrl = (): URL => new URL(/'(http:\/\/[^']+)'/.exec(HEALTHCHECK.join(' '))![1]!)

t.test('Dockerfile: node:20-slim, a non-root user, data in a volume, the default command and ports are the node’s', async (t) => {
  t.match(docker[0]!, { op: 'FROM', args: /^node:20-slim\b/ }, 'the build stage is node:20-slim')
  t.match(runtimeStage[0]!, { op: 'FROM', args: /^node:20-slim$/ }, 'the runtime stage is node:20-slim')
  const build = docker.slice(0, docker.length - runtimeStage.length)
  t.ok(
    build.some((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args)),
    'the build stage installs with npm ci',
  )
  t.ok(
    build.some((i) => i.op === 'RUN' && /\bnpm run build\b/.test(i.args)),
    'and builds (WASM core and TypeScript)',
  )
  const user = one('USER')
  t.not(user, 'root', 'runs as a user of its own')
  t.not(user, '0')
  t.ok(
    runtimeStage.some((i) => i.op === 'RUN' && new RegExp(`useradd\\b.*\\b${user}$|useradd\\b.*\\b${user}\\s`).test(i.args)),
    `the image creates the user ${user}`,
  )

  t.same(ENTRYPOINT, ['nfc'], 'the entrypoint is the nfc command')
  t.ok(
    runtimeStage.some((i) => i.op === 'RUN' && i.args.includes(`${IMAGE_ROOT}/dist/src/bin/nfc.js`) && i.args.includes('/usr/local/bin/nfc')),
    `/usr/local/bin/nfc runs ${IMAGE_ROOT}/dist/src/bin/nfc.js`,
  )
  t.equal(CMD[0], 'node', 'the default command is `nfc node`')
  const unknown = flagsOf(CMD).filter((f) => !NODE_FLAGS.has(f))
  t.same(unknown, [], `every flag of the default command is an nfc node flag: ${flagsOf(CMD).join(' ')}`)
  const datadir = valueOf(CMD, '--datadir')
  const volume = one('VOLUME')
  t.ok(datadir.startsWith(`${volume}/`), `the data directory ${datadir} is in the volume ${volume}`)
  t.equal(portOf(valueOf(CMD, '--rpc')), RPC_PORT, `the RPC listens on the node's default port ${RPC_PORT}`)
  t.match(valueOf(CMD, '--rpc'), /^0\.0\.0\.0:/, 'on every interface of the container (publish it with -p)')
  t.same(
    EXPOSED.slice().sort((a, b) => a - b),
    [RPC_PORT, P2P_PORT].sort((a, b) => a - b),
    `EXPOSE: the RPC port ${RPC_PORT} and the P2P port ${P2P_PORT} (nfc node's defaults)`,
  )
  const url = healthUrl()
  t.equal(url.pathname, '/health', 'the healthcheck asks /health')
  t.equal(Number(url.port), RPC_PORT, 'on the RPC port')
  t.equal(HEALTHCHECK[0], 'node', 'with node itself (node:20-slim has no curl or wget)')
  t.match(one('STOPSIGNAL'), /^SIG(TERM|INT)$/, 'docker stop sends a signal the node stops cleanly on')
  const ignore = fs.readFileSync(path.join(PACKAGING, 'Dockerfile.dockerignore'), 'utf8').split('\n')
  for (const dir of ['node_modules', 'dist', 'data', '.git']) t.ok(ignore.includes(dir), `Dockerfile.dockerignore leaves out ${dir}`)
})

/** Runs the HEALTHCHECK's command with its URL pointed at `port`; its exit code. */
function runHealthcheck(port: number): number {
  const args = HEALTHCHECK.slice(1).map((a) => a.replace(healthUrl().origin, `http://127.0.0.1:${port}`))
  return spawnSync(process.execPath, args, { timeout: 30_000 }).status ?? -1
}

t.test('the runtime files the Dockerfile copies run the default command, and the healthcheck tells a healthy node from none', async (t) => {
  // the runtime stage's layout, from this checkout's built files (dependencies linked, not copied)
  const root = tempDir(t, 'nfc-image-')
  const copies = runtimeStage.filter((i) => i.op === 'COPY' && i.args.startsWith('--from=build '))
  t.ok(copies.length >= 5, 'the runtime stage copies its files from the build stage')
  for (const c of copies) {
    const [from, to] = c.args.split(/\s+/).slice(1) as [string, string]
    t.ok(from.startsWith(`${BUILD_ROOT}/`), `${from} is in the build stage's ${BUILD_ROOT}`)
    const src = path.join(REPO_ROOT, from.slice(BUILD_ROOT.length + 1))
    const dst = path.join(root, to)
    t.ok(fs.existsSync(src), `${from.slice(BUILD_ROOT.length + 1)} exists after npm run build`)
    fs.mkdirSync(path.dirname(dst), { recursive: true })
    if (path.basename(src) === 'node_modules') fs.symlinkSync(src, dst, 'dir')
    else fs.cpSync(src, dst, { recursive: true })
  }
  const cli = path.join(root, 'dist/src/bin/nfc.js')
  const version = JSON.parse(execFileSync(process.execPath, [cli, 'version', '--json'], { encoding: 'utf8' })) as { wasmCore: string | null; version: string }
  t.not(version.wasmCore, null, 'the copied layout has the WASM core (build/release.wasm)')
  t.ok(fs.existsSync(path.join(root, 'src/execution/system/abi/IFlowRewards.json')), 'and the ABIs nfc flow simulate reads')

  // the default command, with a data directory and an RPC port of this test's
  const port = await freePort()
  const args: string[] = [] // startNodeProcess gives the --rpc
  for (let i = 1; i < CMD.length; i++) {
    if (CMD[i] === '--rpc') i++
    else args.push(CMD[i - 1] === '--datadir' ? path.join(root, 'data') : CMD[i]!)
  }
  let node: Proc | undefined
  t.teardown(() => (node === undefined ? undefined : stopNodeProcess(node)))
  node = await startNodeProcess(args, port, cli)
  t.notMatch(node.log(), /WASM core unavailable/, 'the node runs on the WASM core')
  const deadline = Date.now() + 30_000
  let code = runHealthcheck(port)
  while (code !== 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500))
    code = runHealthcheck(port)
  }
  t.equal(code, 0, 'the HEALTHCHECK command passes against the running dev node')
  await stopNodeProcess(node)
  node = undefined
  t.equal(runHealthcheck(port), 1, 'and fails once no node answers')
})

// ------------------------------------------------------------------ docker-compose.yml

interface ComposeService {
  name: string
  body: string
}

/** the services of docker-compose.yml, each with its indented text */
function composeServices(text: string): ComposeService[] {
  const services = text.slice(text.indexOf('\nservices:\n'), text.indexOf('\nvolumes:\n'))
  return [...services.matchAll(/^ {2}(\w+):\n((?: {4}.*\n|\n)*)/gm)].map((m) => ({ name: m[1]!, body: m[2]! }))
}

/** a flow sequence `[a, 'b,c', --d]` (possibly over several lines) as strings */
function flowList(body: string, key: string): string[] {
  const m = new RegExp(`^ {4}${key}:\\s*\\n?\\s*\\[([^\\]]*)\\]`, 'm').exec(body)
  if (m === null) throw new Error(`no ${key}: [...] in\n${body}`)
  return [...m[1]!.matchAll(/'([^']*)'|"([^"]*)"|([^,\s]+)/g)].map((x) => x[1] ?? x[2] ?? x[3]!)
}

const compose = read('docker-compose.yml')
const services = composeServices(compose)
const nodeServices = services.filter((s) => /^node\d+$/.test(s.name))
const initService = services.find((s) => s.name === 'init')

t.test('docker-compose.yml: four node services whose flags, ports, peers and files are real', async (t) => {
  t.equal(nodeServices.length, 4, 'a 4-node devnet')
  t.ok(initService !== undefined, 'with an init service')
  t.match(
    compose,
    /^x-node: &node\n(?: {2}.*\n)* {2}depends_on:\n {4}init:\n {6}condition: service_completed_successfully$/m,
    'the nodes start once init has finished',
  )
  t.match(initService!.body, /dockerfile: tools\/packaging\/Dockerfile/, 'the image is built from tools/packaging/Dockerfile')
  const initEntry = flowList(initService!.body, 'entrypoint')
  t.same(initEntry, ['node', `${IMAGE_ROOT}/dist/tools/packaging/devnetInit.js`], 'init runs the devnet init script of the image')
  const [devnetDir, count] = flowList(initService!.body, 'command') as [string, string]
  t.equal(Number(count), nodeServices.length, 'for as many nodes as there are node services')
  const volumeMount = /- devnet:(\S+)/.exec(compose)![1]!
  t.ok(devnetDir.startsWith(`${volumeMount}/`), `init writes into the shared volume (${volumeMount})`)

  nodeServices.forEach((s, i) => {
    t.equal(s.name, `node${i}`)
    const cmd = flowList(s.body, 'command')
    t.equal(cmd[0], 'node', `${s.name} runs nfc node`)
    t.same(
      flagsOf(cmd).filter((f) => !NODE_FLAGS.has(f)),
      [],
      `${s.name}: every flag is an nfc node flag`,
    )
    t.equal(valueOf(cmd, '--genesis'), `${devnetDir}/genesis.json`, `${s.name}: the genesis init writes`)
    t.equal(valueOf(cmd, '--datadir'), `${devnetDir}/node-${i}`, `${s.name}: node ${i}'s directory`)
    t.equal(valueOf(cmd, '--witness-key'), `${devnetDir}/node-${i}/witness.key`, `${s.name}: witness ${i}'s key`)
    t.equal(portOf(valueOf(cmd, '--rpc')), Number(healthUrl().port), `${s.name}: RPC on the port the image's healthcheck asks`)
    const p2p = portOf(valueOf(cmd, '--p2p'))
    t.ok(EXPOSED.includes(p2p), `${s.name}: P2P on the exposed port ${p2p}`)
    const peers = valueOf(cmd, '--peers').split(',')
    t.same(
      peers,
      nodeServices.filter((o) => o !== s).map((o) => `ws://${o.name}:${p2p}`),
      `${s.name}: dials the other three services`,
    )
    t.equal(flowList(s.body, 'ports')[0], `127.0.0.1:${RPC_PORT + i}:${RPC_PORT}`, `${s.name}: RPC published on 127.0.0.1:${RPC_PORT + i}`)
  })

  // the init script, run as the service runs it (the volume is a directory of this test's)
  const dir = tempDir(t, 'nfc-compose-')
  const local = (p: string) => path.join(dir, p.slice(volumeMount.length + 1))
  const first = await runScript(INIT_SCRIPT, [local(devnetDir), count])
  t.equal(first.code, 0, `init exits 0 ${first.err}`)
  t.match(first.out, /^wrote .*genesis\.json: nfc-devnet-4, chain id \d+, genesis time /, 'and says what it wrote')
  const genesisFile = local(`${devnetDir}/genesis.json`)
  const genesis = JSON.parse(fs.readFileSync(genesisFile, 'utf8')) as { timestamp: number; witnesses: { address: string }[] }
  t.ok(genesis.timestamp > Date.now(), 'the genesis time is ahead, for the containers to start')
  nodeServices.forEach((s, i) => {
    const keyFile = local(valueOf(flowList(s.body, 'command'), '--witness-key'))
    const key = fs.readFileSync(keyFile, 'utf8').trim()
    t.equal(new Wallet(key).address, genesis.witnesses[i]!.address, `${s.name}'s key file holds witness ${i}'s key`)
    t.equal(fs.statSync(keyFile).mode & 0o777, 0o600, `${s.name}'s key file is mode 0600`)
  })
  const before = fs.readFileSync(genesisFile, 'utf8')
  const again = await runScript(INIT_SCRIPT, [local(devnetDir), count])
  t.equal(again.code, 0, 'a second run (compose up after down) succeeds')
  t.match(again.out, /^kept /, 'and keeps the devnet')
  t.equal(fs.readFileSync(genesisFile, 'utf8'), before, 'the genesis is unchanged: the chain goes on')
  const other = await runScript(INIT_SCRIPT, [local(devnetDir), '3'])
  t.equal(other.code, 1, 'another node count on the same volume is refused')
  t.match(other.err, /devnet init: .* is a devnet of 4 nodes .* not 3/, 'with the reason')
  for (const bad of [[], [local(devnetDir), 'four'], [local(devnetDir), '4', 'extra']]) {
    const r = await runScript(INIT_SCRIPT, bad)
    t.equal(r.code, 2, `bad arguments (${bad.length === 0 ? 'none' : bad.slice(1).join(' ')}) exit 2`)
    t.match(r.err, /^usage: node dist\/tools\/packaging\/devnetInit\.js DIR \[NODES\]/)
  }
})

// ------------------------------------------------------------------ nfc.service

/** `Key=value` settings of the unit (the last one wins, as systemd reads them) */
function unitSettings(text: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const l of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(l)
    if (m !== null) out.set(m[1]!, m[2]!)
  }
  return out
}

const unitText = read('nfc.service')
const unit = unitSettings(unitText)
const execStart = unit.get('ExecStart')!.split(/\s+/)

t.test('nfc.service: a non-root node with real flags, its data under /var/lib/nfc, restarted on failure, stopped by a signal the node handles', async (t) => {
  t.ok(unit.has('User') && unit.get('User') !== 'root', `runs as ${unit.get('User')}, not root`)
  t.equal(unit.get('Restart'), 'on-failure')
  t.match(unit.get('LimitNOFILE') ?? '', /^\d+$/, 'raises the open-file limit')
  t.equal(unit.get('StateDirectory'), 'nfc', 'systemd makes /var/lib/nfc for the user')
  t.equal(execStart[0], '/usr/bin/node')
  t.equal(
    execStart.find((a) => a.endsWith('nfc.js')),
    `${IMAGE_ROOT}/dist/src/bin/nfc.js`,
    `runs the package installed in ${IMAGE_ROOT}`,
  )
  const args = execStart.slice(execStart.indexOf('node', 1) + 1)
  t.same(
    flagsOf(args).filter((f) => !NODE_FLAGS.has(f)),
    [],
    `every flag is an nfc node flag: ${flagsOf(args).join(' ')}`,
  )
  t.match(valueOf(args, '--datadir'), /^\/var\/lib\/nfc\//, 'the data directory is under /var/lib/nfc')
  t.equal(portOf(valueOf(args, '--rpc')), RPC_PORT)
  t.equal(portOf(valueOf(args, '--p2p')), P2P_PORT)
  // the signals `nfc node` stops cleanly on, read from its source
  const handled = [...fs.readFileSync(path.join(REPO_ROOT, 'src/cli/nodeCommand.ts'), 'utf8').matchAll(/process\.once\('(SIG[A-Z]+)'/g)].map((m) => m[1])
  t.ok(handled.includes(unit.get('KillSignal') ?? 'SIGTERM'), `KillSignal ${unit.get('KillSignal')} is one the node handles (${handled.join(', ')})`)
  t.match(unit.get('TimeoutStopSec') ?? '', /^\d+$/, 'with time to stop cleanly')
})

function systemdUnavailable(): string | false {
  if (spawnSync('systemd-analyze', ['--version']).error !== undefined) return 'systemd-analyze not installed'
  if (!fs.existsSync(execStart[0]!)) return `${execStart[0]} (the unit's ExecStart) is not on this machine`
  return false
}

t.test('systemd-analyze verify accepts the unit, without a warning', { skip: systemdUnavailable() }, async (t) => {
  const dir = tempDir(t, 'nfc-unit-')
  const file = path.join(dir, 'nfc.service')
  fs.writeFileSync(file, unitText)
  const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8', timeout: 60_000 })
  const about = (r.stderr + r.stdout).split('\n').filter((l) => l.includes('nfc.service'))
  t.equal(r.status, 0, `systemd-analyze verify exits 0 ${r.stderr}`)
  t.same(about, [], 'and says nothing about the unit')
  // the check can fail: a bad setting is reported
  fs.writeFileSync(file, unitText.replace('Restart=on-failure', 'Restart=sometimes'))
  const bad = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8', timeout: 60_000 })
  t.match(bad.stderr, /nfc\.service:\d+: .*sometimes/, 'a bad Restart= is reported (so a clean run means something)')
})

// ------------------------------------------------------------------ Docker, where it runs

function dockerUnavailable(): string | false {
  const v = spawnSync('docker', ['--version'], { encoding: 'utf8' })
  if (v.error !== undefined) return 'docker not installed'
  const info = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 30_000 })
  if (info.status !== 0) return `docker installed but its daemon is not reachable: ${(info.stderr || info.stdout).trim().split('\n')[0]}`
  return false
}

t.test(
  'docker: the image builds and its healthcheck turns healthy',
  { skip: dockerUnavailable(), timeout: DOCKER_BUILD_TIMEOUT_MS + DOCKER_HEALTHY_TIMEOUT_MS + 60_000 },
  async (t) => {
    const tag = `nfc-packaging-test:${process.pid}`
    const built = spawnSync('docker', ['build', '-f', 'tools/packaging/Dockerfile', '-t', tag, '.'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: DOCKER_BUILD_TIMEOUT_MS,
      env: { ...process.env, DOCKER_BUILDKIT: '1' },
    })
    t.equal(built.status, 0, `docker build ${built.stderr.slice(-2000)}`)
    if (built.status !== 0) return
    t.teardown(() => void spawnSync('docker', ['rmi', '-f', tag]))
    const name = `nfc-packaging-test-${process.pid}`
    const run = spawnSync('docker', ['run', '-d', '--name', name, '--health-interval', '2s', '--health-start-period', '60s', tag], { encoding: 'utf8' })
    t.equal(run.status, 0, `docker run ${run.stderr}`)
    t.teardown(() => void spawnSync('docker', ['rm', '-f', name]))
    const user = spawnSync('docker', ['exec', name, 'id', '-un'], { encoding: 'utf8' }).stdout.trim()
    t.equal(user, one('USER'), 'the node runs as the image user')
    let status = ''
    const deadline = Date.now() + DOCKER_HEALTHY_TIMEOUT_MS
    while (status !== 'healthy' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 2000))
      status = spawnSync('docker', ['inspect', '--format', '{{.State.Health.Status}}', name], { encoding: 'utf8' }).stdout.trim()
    }
    t.equal(status, 'healthy', 'the container is healthy')
    const stop = spawnSync('docker', ['stop', '-t', '60', name], { encoding: 'utf8' })
    t.equal(stop.status, 0)
    const logs = spawnSync('docker', ['logs', name], { encoding: 'utf8' })
    t.match(logs.stderr, /INFO {2}\[\] stopped head=\d+/, 'docker stop stops the node cleanly')
  },
)

// ------------------------------------------------------------------ docs/operators.md

/** every `.error('message', …)` call in src/ and rpc/: message → the files it is in */
function errorCalls(): { messages: Map<string, string[]>; nonLiteral: string[] } {
  const messages = new Map<string, string[]>()
  const nonLiteral: string[] = []
  const walk = (dir: string): string[] =>
    fs
      .readdirSync(dir, { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [path.join(dir, e.name)] : []))
  for (const file of [...walk(path.join(REPO_ROOT, 'src')), ...walk(path.join(REPO_ROOT, 'rpc'))]) {
    const text = fs.readFileSync(file, 'utf8')
    const rel = path.relative(REPO_ROOT, file)
    for (const m of text.matchAll(/\.error\(\s*(?:'([^']*)'|"([^"]*)"|(\S[^\n]{0,40}))/g)) {
      const msg = m[1] ?? m[2]
      if (msg === undefined) nonLiteral.push(`${rel}: .error(${m[3]}`)
      else messages.set(msg, [...(messages.get(msg) ?? []), rel])
    }
  }
  return { messages, nonLiteral }
}

t.test('docs/operators.md lists exactly the ERROR messages of src/ and rpc/, and the README links to it', async (t) => {
  const guide = fs.readFileSync(path.join(REPO_ROOT, 'docs/operators.md'), 'utf8')
  const start = guide.indexOf('\n## What each ERROR means\n')
  t.ok(start >= 0, 'the guide has a "What each ERROR means" section')
  const section = guide.slice(start + 1).split(/\n## /)[0]!
  const documented = [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!)
  const { messages, nonLiteral } = errorCalls()
  t.same(nonLiteral, [], 'every .error( call has a literal message (so it can be documented)')
  t.ok(messages.size >= 10, `found the .error calls (${messages.size} messages)`)
  const undocumented = [...messages.keys()].filter((m) => !documented.includes(m)).map((m) => `${m} (${messages.get(m)!.join(', ')})`)
  const gone = documented.filter((m) => !messages.has(m))
  t.same(undocumented, [], 'every ERROR message in the code is in the guide')
  t.same(gone, [], 'every ERROR message in the guide is still in the code')
  t.equal(new Set(documented).size, documented.length, 'each message once')
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8')
  t.match(readme, /\]\(docs\/operators\.md\)/, 'the README links to the guide')
  for (const m of guide.matchAll(/\]\((\.\.\/[^)#]+)(?:#[^)]*)?\)/g)) {
    t.ok(fs.existsSync(path.join(REPO_ROOT, 'docs', m[1]!)), `the guide's link ${m[1]} exists`)
  }
})
