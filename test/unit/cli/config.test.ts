/**
 * `nfc node --config FILE` and NFC_* variables (src/cli/config.ts loadSettings): precedence flag >
 * env > file > default, file and variable errors, and the flag parsers' errors pointing at where a
 * value came from.
 */
import t from 'tap'
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { envName, isNonFlagVariable, loadSettings, withoutFlagVariables } from '../../../src/cli/config.js'
import { DEVNET_OPTIONS } from '../../../src/cli/devnetCommand.js'
import { NODE_LIST_FLAGS, NODE_OPTIONS, parseP2pFlags, parseRpcFlags } from '../../../src/cli/nodeCommand.js'
import { UsageError } from '../../../src/cli/io.js'
import { expectUsageError } from '../../helpers/usageError.js'

const dir = mkdtempSync(join(tmpdir(), 'nfc-config-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

let files = 0
/** a config file holding `text` */
function configFile(text: string): string {
  const file = join(dir, `node-${++files}.toml`)
  writeFileSync(file, text)
  return file
}

const node = (argv: string[], env: NodeJS.ProcessEnv = {}) => loadSettings({ command: 'node', argv, options: NODE_OPTIONS, lists: NODE_LIST_FLAGS, env })

t.test('precedence: flag > env > file > default', async (t) => {
  const file = configFile(
    [
      '# a node',
      'rpc = "127.0.0.1:1111"',
      'max-peers = 30',
      'p2p-ban-ms = 5000',
      'log-level = "warn"',
      'dev = true',
      'rpc-cors = ["http://a.example", "http://b.example"]',
      '',
    ].join('\n'),
  )
  const env = { NFC_MAX_PEERS: '40', NFC_P2P_BAN_MS: '6000', NFC_LOG_FORMAT: 'json' }
  const s = node(['--config', file, '--max-peers', '50'], env)
  t.equal(s.values['max-peers'], '50', 'flag over env and file')
  t.equal(s.values['p2p-ban-ms'], '6000', 'env over file')
  t.equal(s.values['log-format'], 'json', 'env over default')
  t.equal(s.values.rpc, '127.0.0.1:1111', 'file over default (none)')
  t.equal(s.values['log-level'], 'warn', 'file over default')
  t.equal(s.values.dev, true, 'a TOML boolean sets a boolean flag')
  t.equal(s.values['rpc-cors'], 'http://a.example,http://b.example', 'a TOML array gives a list flag its comma-separated value')
  t.equal(s.values.reset, false, 'default')
  t.equal(s.values.datadir, undefined, 'no default, set nowhere')
  t.same(s.sources.get('max-peers'), { kind: 'flag' })
  t.same(s.sources.get('p2p-ban-ms'), { kind: 'env', name: 'NFC_P2P_BAN_MS' })
  t.same(s.sources.get('rpc'), { kind: 'file', file, line: 2 })
  t.equal(s.sources.get('reset'), undefined, 'defaults have no source')
  t.equal(s.configFile, file)

  // a higher source can turn a boolean off again
  t.equal(node(['--config', file], { NFC_DEV: 'false' }).values.dev, false, 'NFC_DEV=false over dev = true')
  t.equal(node([], { NFC_DEV: '1', NFC_RESET: 'yes' }).values.reset, true)
  // the parsed values are what the flag parsers take
  t.same(parseRpcFlags(s.values), { cors: ['http://a.example', 'http://b.example'] })
  t.match(parseP2pFlags(s.values, false, dir), { maxPeers: 50, banMs: 6000 })
})

t.test('NFC_CONFIG names the file; --config wins over it', async (t) => {
  const a = configFile('max-peers = 7\n')
  const b = configFile('max-peers = 8\n')
  t.equal(node([], { NFC_CONFIG: a }).values['max-peers'], '7')
  t.equal(node(['--config', b], { NFC_CONFIG: a }).values['max-peers'], '8')
  t.equal(node([]).values['max-peers'], undefined, 'no file, no variable')
})

t.test('TOML values become the strings a flag carries', async (t) => {
  const s = node([
    '--config',
    configFile('rpc-max-body = "5MiB"\nrpc-max-lag = 0\npeers = ["ws://10.0.0.2:30303", "ws://10.0.0.3:30303"]\np2p-exempt = "127.0.0.1"\n'),
  ])
  t.equal(s.values['rpc-max-body'], '5MiB')
  t.equal(s.values['rpc-max-lag'], '0')
  t.equal(s.values.peers, 'ws://10.0.0.2:30303,ws://10.0.0.3:30303')
  t.equal(s.values['p2p-exempt'], '127.0.0.1', 'a list flag also takes one string')
})

t.test('--help reads neither the file nor the environment', async (t) => {
  const s = node(['--help', '--config', join(dir, 'missing.toml')], { NFC_NOT_A_FLAG: '1' })
  t.equal(s.values.help, true)
})

t.test('unknown file keys are errors naming the key, file and line', async (t) => {
  const file = configFile('max-peers = 3\n\nmax_peers = 3\n')
  expectUsageError(
    t,
    () => node(['--config', file]),
    new RegExp(`config file ${file} line 3: unknown key "max_peers": nfc node has no --max_peers; did you mean max-peers\\?`),
  )
  const other = configFile('rpc-port = 8545\n')
  expectUsageError(
    t,
    () => node(['--config', other]),
    new RegExp(`config file ${other} line 1: unknown key "rpc-port": nfc node has no --rpc-port \\(keys are flag names without --\\)`),
  )
  expectUsageError(t, () => node(['--config', configFile('help = true\n')]), /unknown key "help"/)
  expectUsageError(t, () => node(['--config', configFile('config = "other.toml"\n')]), /line 1: "config" cannot be set in a config file/)
  expectUsageError(t, () => node(['--config', configFile('[network]\nmax-peers = 3\n')]), /unknown key "network"/)
  expectUsageError(t, () => node(['--config', configFile('toString = "x"\n')]), /unknown key "toString"/)
})

t.test('unknown NFC_* variables are errors naming the variable', async (t) => {
  expectUsageError(
    t,
    () => node([], { NFC_RPC_PORT: '8545' }),
    /^unknown environment variable NFC_RPC_PORT: nfc node has no --rpc-port \(NFC_\* variables set its flags, e\.g\. /,
  )
  expectUsageError(t, () => node([], { NFC_HELP: '1' }), /unknown environment variable NFC_HELP/)
  expectUsageError(t, () => node([], { 'NFC_MAX-PEERS': '5' }), /unknown environment variable NFC_MAX-PEERS/)
  expectUsageError(t, () => node([], { NFC_CONSTRUCTOR: '5' }), /unknown environment variable NFC_CONSTRUCTOR/)
  // variables that are not flags: the secp256k1 backend switch and the tools' knobs
  const s = node([], { NFC_SECP256K1: 'noble', NFC_BENCH_TXS: '10', NFC_LOAD_WALLETS: '3', NFC_FUZZ_COUNT: '1', NFC_P2P_FUZZ_COUNT: '1', PATH: '/bin' })
  t.equal(s.sources.size, 0)
})

t.test('values of the wrong TOML type or form are errors naming the key', async (t) => {
  const at = (file: string, line: number) => `${file.replace(/[.]/g, '\\.')} line ${line}`
  const bool = configFile('dev = "yes"\n')
  expectUsageError(t, () => node(['--config', bool]), new RegExp(`config file ${at(bool, 1)}: dev wants true or false, got "yes"`))
  const arr = configFile('\nrpc = ["127.0.0.1:1", "127.0.0.1:2"]\n')
  expectUsageError(t, () => node(['--config', arr]), new RegExp(`config file ${at(arr, 2)}: rpc wants one value \\(it is not a list\\), got an array`))
  const table = configFile('genesis = { file = "x" }\n')
  expectUsageError(t, () => node(['--config', table]), /genesis wants a string or a number, got a table/)
  const date = configFile('datadir = 2026-01-01\n')
  expectUsageError(t, () => node(['--config', date]), /datadir wants a string or a number, got a date/)
  const inList = configFile('peers = ["ws://10.0.0.2:30303", true]\n')
  expectUsageError(t, () => node(['--config', inList]), /peers wants strings or numbers, got an array/)
  expectUsageError(t, () => node([], { NFC_DEV: 'maybe' }), /^NFC_DEV wants true or false \(or 1 or 0\), got "maybe"$/)
})

t.test('bad values: the flag parser rejects them, and explain names the file line or the variable', async (t) => {
  const file = configFile('p2p = "127.0.0.1:0"\nmax-peers = 0\n')
  const s = node(['--config', file], { NFC_P2P_BAN_MS: 'soon' })
  let err: unknown
  try {
    parseP2pFlags(s.values, false, dir)
  } catch (e) {
    err = e
  }
  t.ok(err instanceof UsageError)
  t.equal(s.explain((err as Error).message), `--max-peers wants a positive integer, got "0" (max-peers in ${file} line 2)`)
  const fromEnv = node([], { NFC_P2P: '127.0.0.1:0', NFC_P2P_BAN_MS: 'soon' })
  expectUsageError(
    t,
    () => {
      try {
        parseP2pFlags(fromEnv.values, false, dir)
      } catch (e) {
        throw new UsageError(fromEnv.explain((e as Error).message))
      }
    },
    /^--p2p-ban-ms wants a non-negative integer, got "soon" \(from NFC_P2P_BAN_MS\)$/,
  )
  // the same value on the command line: nothing to add
  t.equal(node(['--max-peers', '0']).explain('--max-peers wants a positive integer, got "0"'), '--max-peers wants a positive integer, got "0"')
  t.equal(s.explain('--rpc wants HOST:PORT'), '--rpc wants HOST:PORT', 'a default has no origin to name')
})

t.test('an unreadable or invalid file is an error naming it', async (t) => {
  expectUsageError(t, () => node(['--config', join(dir, 'missing.toml')]), /^cannot read config file .*missing\.toml: ENOENT/)
  expectUsageError(t, () => node(['--config', dir]), /^cannot read config file .*: EISDIR/)
  const bad = configFile('max-peers = 3\npeers = ["ws://10.0.0.2:30303",\n')
  expectUsageError(t, () => node(['--config', bad]), new RegExp(`^config file ${bad} line \\d+, column \\d+: not valid TOML: `))
  const dup = configFile('max-peers = 3\nmax-peers = 4\n')
  expectUsageError(t, () => node(['--config', dup]), /line 2, column \d+: not valid TOML/)
  if (process.getuid?.() !== 0) {
    const locked = configFile('max-peers = 3\n')
    chmodSync(locked, 0o000)
    expectUsageError(t, () => node(['--config', locked]), /^cannot read config file .*: EACCES/)
  }
})

t.test('a bad command line is still parseArgs’ error (the command prints its help)', async (t) => {
  t.throws(() => node(['--max-peer', '3']), { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' })
})

t.test('nfc devnet shares the loader', async (t) => {
  const file = configFile('nodes = 2\nrpc-port = 9545\n')
  const s = loadSettings({ command: 'devnet', argv: ['--config', file], options: DEVNET_OPTIONS, env: { NFC_P2P_PORT: '40303' } })
  t.match(s.values, { nodes: '2', 'rpc-port': '9545', 'p2p-port': '40303', datadir: 'data/devnet' })
  expectUsageError(
    t,
    () => loadSettings({ command: 'devnet', argv: [], options: DEVNET_OPTIONS, env: { NFC_MAX_PEERS: '5' } }),
    /unknown environment variable NFC_MAX_PEERS: nfc devnet has no --max-peers/,
  )
  // its nodes get every setting on their command line, none of devnet's variables
  t.same(withoutFlagVariables({ NFC_NODES: '2', NFC_CONFIG: file, NFC_SECP256K1: 'noble', HOME: '/root' }), { NFC_SECP256K1: 'noble', HOME: '/root' })
})

t.test('every NFC_* name the repository uses is a flag variable or a known non-flag one', async (t) => {
  const root = join(import.meta.dirname, '../../..')
  // these two make up names on purpose
  const OWN_TESTS = ['test/unit/cli/config.test.ts', 'test/e2e/configFile.test.ts']
  const flagVariables = new Set([...Object.keys(NODE_OPTIONS), ...Object.keys(DEVNET_OPTIONS)].map(envName))
  const seen = new Set<string>()
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const path = join(d, name)
      if (statSync(path).isDirectory()) walk(path)
      else if (OWN_TESTS.some((f) => path.endsWith(f))) continue
      else if (/\.(ts|tsx|mjs|md)$/.test(name)) for (const m of readFileSync(path, 'utf8').matchAll(/\bNFC_[A-Z0-9_]*[A-Z0-9](?![A-Z0-9_])/g)) seen.add(m[0])
    }
  }
  for (const d of ['src', 'rpc', 'tools', 'test']) walk(join(root, d))
  const stray = [...seen].filter((v) => !flagVariables.has(v) && !isNonFlagVariable(v))
  t.same(stray, [], 'a new NFC_* knob must be added to NON_FLAG_VARIABLES or NON_FLAG_PREFIXES (src/cli/config.ts), or nfc node refuses it')
})

t.test("the README's config file example is a valid nfc node config", async (t) => {
  const readme = readFileSync(join(import.meta.dirname, '../../../README.md'), 'utf8')
  const block = /### Configuration[\s\S]*?```toml\n([\s\S]*?)```/.exec(readme)
  t.ok(block, 'README.md has a Configuration section with a toml example')
  const s = node(['--config', configFile(block![1]!)])
  t.match(s.values, { rpc: '127.0.0.1:8545', 'max-peers': '50', 'log-format': 'json' })
  t.match(parseRpcFlags(s.values), { maxBodyBytes: 5 * 1024 * 1024 })
  t.match(parseP2pFlags(s.values, false, dir), { port: 30303, peers: ['ws://10.0.0.2:30303', 'ws://10.0.0.3:30303'], maxPeers: 50 })
})
