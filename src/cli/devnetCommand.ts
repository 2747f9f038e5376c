// Long on purpose (445 lines): one command: flags, the genesis it writes, the supervision of N processes and its output.
/**
 * `nfc devnet`: N nodes on loopback, one per genesis witness, each a child `nfc node` process.
 *
 * The data directory holds the one genesis every node runs (`DIR/genesis.json`, its time fixed
 * at the first start: nodes with different genesis times would be on different chains) and a
 * directory per node (`DIR/node-<i>/`, with the witness key in `witness.key`). A later start
 * reuses both, so the chain goes on where it stopped.
 *
 * Children run in their own process group: a terminal Ctrl-C reaches only this process, which
 * forwards it once. Were they in ours, each child would get the terminal's SIGINT and then the
 * forwarded one, and a second SIGINT kills a node mid-shutdown.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { bytesToHex, toChecksumAddress } from '@ethereumjs/util'
import { canonicalGenesisJson, loadGenesisFile, parseGenesis, type Genesis } from '../chain/genesis.js'
import { addressOf, publicKeyOf } from '../crypto/secp256k1.js'
import { DEV_ACCOUNTS } from '../node/devAccounts.js'
import { isNfcError } from '../util/errors.js'
import { devnetGenesis, genesisFileText, MAX_DEVNET_NODES, type GenesisDoc } from './devnetGenesis.js'
import { intFlag, keysFileFor } from './genesisCommand.js'
import { loadSettings, withoutFlagVariables } from './config.js'
import { UsageError } from './io.js'
import { readWitnessKey, refuseIfInUse } from './nodeCommand.js'

const DEFAULT_NODES = 4
const HOST = '127.0.0.1'
/** This very CLI, run once per node: the bundle (dist/src/bin/nfc.js) when run from it, else tsc's dist/src/cli/nfc.js. */
const CLI = fileURLToPath(new URL('./nfc.js', import.meta.url))

const HELP = `nfc devnet — a devnet of N nodes on loopback, one per genesis witness

Usage:
  nfc devnet [--nodes N] [--datadir DIR] [--genesis FILE] [--rpc-port PORT] [--p2p-port PORT]
             [--reset] [--log-level debug|info|warn|error] [--config FILE]

Options:
  --nodes N         number of nodes = witnesses, 1 … ${MAX_DEVNET_NODES} (default: as many as DIR was made
                    for, or --genesis lists; otherwise ${DEFAULT_NODES})
  --datadir DIR     devnet directory (default ./data/devnet): DIR/genesis.json, and DIR/node-<i>/
                    (data and witness.key) for node i
  --genesis FILE    genesis to start from (default: generated, as \`nfc genesis devnet\`); a
                    timestamp of 0 becomes the start time. Witness keys: dev accounts, or the
                    FILE's .keys.json written by \`nfc genesis devnet\`
  --rpc-port PORT   node i serves JSON-RPC (HTTP and WS) on ${HOST}:PORT+i (default 8545)
  --p2p-port PORT   node i listens for peers on ${HOST}:PORT+i (default 30303); every node dials
                    all the others
  --reset           delete DIR first: a new genesis, the chain starts over
  --log-level LEVEL debug | info | warn | error (default info), for every node
  --config FILE     settings from a TOML file, one key per flag: its name without -- (nodes = 4);
                    or NFC_CONFIG=FILE
  -h, --help        this text

Every flag can also be set by an environment variable: NFC_ and its name in upper case with _
for - (NFC_NODES=4, NFC_RPC_PORT=9545). A flag wins over a variable, a variable over the config
file, the file over the default. The nodes get their settings from devnet, not from NFC_*.

The first start writes DIR/genesis.json; later starts reuse it (and refuse a different --nodes).
Ctrl-C (SIGINT) or SIGTERM stops every node cleanly; a second Ctrl-C kills them.`

export interface DevnetNode {
  index: number
  name: string
  datadir: string
  keyFile: string
  witness: string
  rpcPort: number
  p2pPort: number
}

export interface DevnetPlan {
  datadir: string
  genesisFile: string
  genesis: Genesis
  nodes: DevnetNode[]
  /** true when this start wrote the genesis (a new devnet) */
  created: boolean
}

export interface DevnetOptions {
  nodes?: number
  datadir: string
  genesis?: string
  rpcPort: number
  p2pPort: number
  now?: () => number
}

const addressOfKey = (key: Uint8Array): string => toChecksumAddress(bytesToHex(addressOf(publicKeyOf(key))))

function writeKey(file: string, key: string): void {
  writeFileSync(file, `${key}\n`, { mode: 0o600 })
  chmodSync(file, 0o600) // mode applies only when the file is created
}

function readJson(file: string): GenesisDoc {
  let text = readFileSync(file, 'utf8')
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  return JSON.parse(text) as GenesisDoc
}

/** Keys of the witnesses of a user's genesis: dev accounts, then the file's .keys.json. */
function keysForTemplate(file: string, genesis: Genesis): string[] {
  const keysFile = keysFileFor(resolve(file))
  let extra: Record<string, string> = {}
  if (existsSync(keysFile)) {
    try {
      extra = Object.fromEntries(Object.entries(JSON.parse(readFileSync(keysFile, 'utf8')) as Record<string, string>).map(([a, k]) => [a.toLowerCase(), k]))
    } catch (e) {
      throw new UsageError(`cannot read the witness keys in ${keysFile}: ${(e as Error).message}`)
    }
  }
  return genesis.witnesses.map((w, i) => {
    const lower = w.address.toLowerCase()
    const key = DEV_ACCOUNTS.find((a) => a.address.toLowerCase() === lower)?.privateKey ?? extra[lower]
    if (key === undefined || !/^0x[0-9a-fA-F]{64}$/.test(key)) {
      throw new UsageError(`no private key for witnesses[${i}] ${w.address} of ${file}: it is not a dev account, and ${keysFile} does not hold it`)
    }
    return key
  })
}

function checkPorts(first: number, n: number, flag: string): void {
  if (first + n - 1 > 65535) throw new UsageError(`--${flag} ${first} leaves no room for ${n} nodes (ports ${first}…${first + n - 1}); the last port is 65535`)
}

/**
 * Everything on disk before any process starts: the genesis (written on the first start, checked
 * on later ones), the node directories and their witness keys. Throws UsageError for the user.
 */
export function prepareDevnet(opts: DevnetOptions): DevnetPlan {
  const datadir = resolve(opts.datadir)
  const genesisFile = join(datadir, 'genesis.json')
  const nodeDir = (i: number) => join(datadir, `node-${i}`)
  let genesis: Genesis
  let created = false

  if (existsSync(genesisFile)) {
    genesis = loadGenesisFile(genesisFile)
    const n = genesis.witnesses.length
    if (opts.nodes !== undefined && opts.nodes !== n) {
      throw new UsageError(
        `${datadir} is a devnet of ${n} node${n === 1 ? '' : 's'} (its genesis.json lists ${n} witness${n === 1 ? '' : 'es'}), not ${opts.nodes}; ` +
          `run with --nodes ${n}, or add --reset to start a new ${opts.nodes}-node devnet there`,
      )
    }
    if (opts.genesis !== undefined) {
      const tmpl = loadGenesisFile(opts.genesis)
      const asStored = { ...tmpl, timestamp: tmpl.timestamp === 0 ? genesis.timestamp : tmpl.timestamp }
      if (canonicalGenesisJson(asStored) !== canonicalGenesisJson(genesis)) {
        throw new UsageError(
          `${datadir} was made from another genesis than ${resolve(opts.genesis)}; leave out --genesis to continue it, or add --reset to start over from that file`,
        )
      }
    }
    genesis.witnesses.forEach((w, i) => {
      const keyFile = join(nodeDir(i), 'witness.key')
      if (!existsSync(keyFile)) throw new UsageError(`${keyFile} is missing; add --reset to start the devnet over`)
      if (addressOfKey(readWitnessKey(keyFile)) !== w.address) {
        throw new UsageError(`${keyFile} is not the key of witnesses[${i}] ${w.address} in ${genesisFile}; add --reset to start the devnet over`)
      }
    })
  } else {
    if (existsSync(datadir) && readdirSync(datadir).some((f) => /^node-\d+$/.test(f))) {
      throw new UsageError(`${datadir} holds node directories but no genesis.json; add --reset to start the devnet over`)
    }
    let doc: GenesisDoc
    let keys: string[]
    if (opts.genesis !== undefined) {
      const tmpl = loadGenesisFile(opts.genesis)
      const n = tmpl.witnesses.length
      if (opts.nodes !== undefined && opts.nodes !== n) {
        throw new UsageError(
          `${resolve(opts.genesis)} lists ${n} witness${n === 1 ? '' : 'es'} but --nodes is ${opts.nodes}: a devnet runs one node per witness`,
        )
      }
      keys = keysForTemplate(opts.genesis, tmpl)
      doc = readJson(opts.genesis)
    } else {
      const made = devnetGenesis({ nodes: opts.nodes ?? DEFAULT_NODES })
      doc = made.doc
      keys = made.witnessKeys
    }
    if (doc.timestamp === 0) {
      // every node must share one genesis time: fix it now, on a slot boundary
      const interval = parseGenesis(doc).params.blockIntervalMs
      const now = (opts.now ?? Date.now)()
      doc = { ...doc, timestamp: now - (now % interval) }
    }
    mkdirSync(datadir, { recursive: true })
    keys.forEach((key, i) => {
      mkdirSync(nodeDir(i), { recursive: true })
      writeKey(join(nodeDir(i), 'witness.key'), key)
    })
    writeFileSync(genesisFile, genesisFileText(doc)) // last: a genesis.json means a complete devnet directory
    genesis = loadGenesisFile(genesisFile)
    created = true
  }

  const n = genesis.witnesses.length
  checkPorts(opts.rpcPort, n, 'rpc-port')
  checkPorts(opts.p2pPort, n, 'p2p-port')
  if (opts.rpcPort < opts.p2pPort + n && opts.p2pPort < opts.rpcPort + n) {
    throw new UsageError(`--rpc-port ${opts.rpcPort} and --p2p-port ${opts.p2pPort} overlap for ${n} nodes (each uses PORT…PORT+${n - 1})`)
  }
  const nodes = genesis.witnesses.map((w, i) => ({
    index: i,
    name: `node-${i}`,
    datadir: nodeDir(i),
    keyFile: join(nodeDir(i), 'witness.key'),
    witness: w.address,
    rpcPort: opts.rpcPort + i,
    p2pPort: opts.p2pPort + i,
  }))
  return { datadir, genesisFile, genesis, nodes, created }
}

/** Arguments of node `n`'s `nfc node` process (after the node binary). */
export function childArgs(plan: DevnetPlan, n: DevnetNode, logLevel: string, cli = CLI): string[] {
  const peers = plan.nodes.filter((o) => o.index !== n.index).map((o) => `ws://${HOST}:${o.p2pPort}`)
  return [
    '--max-semi-space-size=64', // as `npm start`: fewer scavenges under block load
    cli,
    'node',
    '--genesis',
    plan.genesisFile,
    '--datadir',
    n.datadir,
    '--witness-key',
    n.keyFile,
    '--rpc',
    `${HOST}:${n.rpcPort}`,
    '--p2p',
    `${HOST}:${n.p2pPort}`,
    ...(peers.length > 0 ? ['--peers', peers.join(',')] : []),
    // every node of a devnet is on HOST: that one address is exempt from the per-address limits
    '--p2p-exempt',
    HOST,
    '--log-level',
    logLevel,
  ]
}

const LISTENING = /JSON-RPC listening http=(\S+) ws=(\S+)/

function table(plan: DevnetPlan, rows: { n: DevnetNode; pid: string; http: string; ws: string }[]): string {
  const head = ['node', 'pid', 'witness', 'RPC (HTTP)', 'RPC (WS)', 'P2P', 'datadir']
  const body = rows.map((r) => [r.n.name, r.pid, r.n.witness, r.http, r.ws, `ws://${HOST}:${r.n.p2pPort}`, r.n.datadir])
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((b) => b[c]!.length)))
  const line = (cells: string[]) => `  ${cells.map((x, c) => (c === cells.length - 1 ? x : x.padEnd(widths[c]!))).join('  ')}`
  const g = plan.genesis
  return [
    `devnet ${g.name} (chain id ${g.chainId}, genesis time ${new Date(g.timestamp).toISOString()}): ${plan.nodes.length} node${plan.nodes.length === 1 ? '' : 's'}, genesis ${plan.genesisFile}`,
    line(head),
    ...body.map(line),
    'Ctrl-C stops every node.',
    '',
  ].join('\n')
}

interface Child {
  n: DevnetNode
  proc: ChildProcess
  exited: { code: number | null; signal: NodeJS.Signals | null } | null
  closed: Promise<void>
  listening: { http: string; ws: string } | null
}

/** Runs the plan's nodes until a signal stops them (0) or every one has died (1). */
export function runDevnet(plan: DevnetPlan, logLevel: string, out = process.stdout, err = process.stderr): Promise<number> {
  const say = (msg: string) => err.write(`devnet: ${msg}\n`)
  let stopping = false
  let tablePrinted = false
  const alive = (c: Child) => c.exited === null

  const children: Child[] = plan.nodes.map((n) => {
    // every setting of a node is on its command line: it must not read devnet's NFC_* variables
    const proc = spawn(process.execPath, childArgs(plan, n, logLevel), {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      env: withoutFlagVariables(process.env),
    })
    const child: Child = { n, proc, exited: null, closed: Promise.resolve(), listening: null }
    const prefix = `[${n.name}] `
    const pipe = (stream: NodeJS.ReadableStream, to: NodeJS.WritableStream, onLine?: (l: string) => void) =>
      new Promise<void>((done) => {
        const rl = createInterface({ input: stream, crlfDelay: Infinity })
        rl.on('line', (l) => {
          to.write(prefix + l + '\n')
          onLine?.(l)
        })
        rl.once('close', done)
      })
    const outDone = pipe(proc.stdout!, out)
    const errDone = pipe(proc.stderr!, err, (l) => {
      const m = child.listening === null ? LISTENING.exec(l) : null
      if (m !== null) {
        child.listening = { http: m[1]!, ws: m[2]! }
        maybeTable()
      }
    })
    const exit = new Promise<void>((done) => {
      proc.once('error', (e) => {
        say(`${n.name} could not start: ${e.message}`)
        child.exited ??= { code: null, signal: null }
        done()
      })
      proc.once('exit', (code, signal) => {
        child.exited = { code, signal }
        done()
      })
    })
    child.closed = Promise.all([outDone, errDone, exit]).then(() => {
      if (!stopping) {
        say(`${n.name} exited unexpectedly (${describeExit(child.exited!)}); ${children.some(alive) ? 'the other nodes keep running' : 'no node is left'}`)
      }
      maybeTable()
    })
    return child
  })

  function maybeTable(): void {
    if (tablePrinted || stopping || !children.every((c) => c.listening !== null || c.exited !== null)) return
    tablePrinted = true
    out.write(
      table(
        plan,
        children.map((c) => ({
          n: c.n,
          pid: String(c.proc.pid ?? '-'),
          http: c.listening?.http ?? `exited (${describeExit(c.exited!)})`,
          ws: c.listening?.ws ?? '-',
        })),
      ),
    )
  }

  // A last resort if this process dies some other way: leave no node behind.
  const killAll = () => {
    for (const c of children) if (alive(c)) c.proc.kill('SIGKILL')
  }
  process.on('exit', killAll)

  let unclean = false
  const onSignal = (signal: NodeJS.Signals) => {
    if (!stopping) {
      stopping = true
      const live = children.filter(alive)
      say(`${signal}: stopping ${live.length} node${live.length === 1 ? '' : 's'} (again to kill them)`)
      for (const c of live) {
        c.proc.kill(signal)
        // a node that fails to stop cleanly makes the exit code 1
        void c.closed.then(() => {
          if (c.exited!.code !== 0) {
            unclean = true
            say(`${c.n.name} did not stop cleanly (${describeExit(c.exited!)})`)
          }
        })
      }
    } else {
      say(`${signal} again: killing the nodes`)
      killAll()
    }
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  return new Promise<number>((done) => {
    let remaining = children.length
    for (const c of children) {
      void c.closed.then(async () => {
        if (--remaining > 0) return
        await Promise.resolve() // let the per-child stop checks above run first
        process.off('SIGINT', onSignal)
        process.off('SIGTERM', onSignal)
        process.off('exit', killAll)
        if (!stopping) say('every node has exited')
        else say(unclean ? 'stopped (not every node cleanly)' : 'stopped')
        done(stopping && !unclean ? 0 : 1)
      })
    }
  })
}

function describeExit(e: { code: number | null; signal: NodeJS.Signals | null }): string {
  return e.signal !== null ? `signal ${e.signal}` : `code ${e.code}`
}

/** The flags of `nfc devnet`; each can also come from NFC_* variables and the --config file. */
export const DEVNET_OPTIONS = {
  config: { type: 'string' },
  nodes: { type: 'string' },
  datadir: { type: 'string', default: 'data/devnet' },
  genesis: { type: 'string' },
  'rpc-port': { type: 'string', default: '8545' },
  'p2p-port': { type: 'string', default: '30303' },
  reset: { type: 'boolean', default: false },
  'log-level': { type: 'string', default: 'info' },
  help: { type: 'boolean', short: 'h', default: false },
} as const

export async function devnetCommand(argv: string[]): Promise<number> {
  let settings
  try {
    settings = loadSettings({ command: 'devnet', argv, options: DEVNET_OPTIONS })
  } catch (e) {
    process.stderr.write(e instanceof UsageError ? `nfc devnet: ${e.message}\n` : `nfc devnet: ${(e as Error).message}\n\n${HELP}\n`)
    return 2
  }
  const opts = settings.values
  if (opts.help) {
    process.stdout.write(HELP + '\n')
    return 0
  }
  const level = opts['log-level']
  if (!['debug', 'info', 'warn', 'error'].includes(level)) {
    process.stderr.write(`nfc devnet: ${settings.explain(`--log-level must be debug, info, warn or error, got "${level}"`)}\n`)
    return 2
  }
  let plan: DevnetPlan
  try {
    const nodes = opts.nodes === undefined ? undefined : intFlag('nodes', opts.nodes, 1, MAX_DEVNET_NODES)
    const rpcPort = intFlag('rpc-port', opts['rpc-port'], 1, 65535, 'a port')
    const p2pPort = intFlag('p2p-port', opts['p2p-port'], 1, 65535, 'a port')
    const datadir = resolve(opts.datadir)
    if (opts.reset && existsSync(datadir)) {
      for (const f of readdirSync(datadir)) if (/^node-\d+$/.test(f)) await refuseIfInUse(join(datadir, f))
      rmSync(datadir, { recursive: true, force: true })
      process.stderr.write(`nfc devnet: reset: removed ${datadir}\n`)
    }
    plan = prepareDevnet({ nodes, datadir, genesis: opts.genesis, rpcPort, p2pPort })
  } catch (e) {
    if (e instanceof UsageError || isNfcError(e)) {
      process.stderr.write(`nfc devnet: ${settings.explain(e.message)}\n`)
      return 1
    }
    throw e
  }
  process.stderr.write(`nfc devnet: ${plan.created ? 'created' : 'continuing'} ${plan.genesis.name} in ${plan.datadir}\n`)
  return runDevnet(plan, level)
}
