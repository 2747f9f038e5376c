/** `nfc node --sync snap|full` (src/cli/nodeCommand.ts): parsed from argv, NFC_SYNC or the config file; bad values refused; listed in --help. */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { loadSettings } from '../../../src/cli/config.js'
import { NODE_LIST_FLAGS, NODE_OPTIONS, parseSyncFlag } from '../../../src/cli/nodeCommand.js'
import { expectUsageError } from '../../helpers/usageError.js'
import { CLI } from '../../helpers/nodeProcess.js'

const node = (argv: string[], env: NodeJS.ProcessEnv = {}) => loadSettings({ command: 'node', argv, options: NODE_OPTIONS, lists: NODE_LIST_FLAGS, env }).values

t.test('absent by default (snap on an empty data directory); snap or full from the flag, the variable or the file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nfc-sync-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  t.equal(parseSyncFlag(node([]).sync), undefined, 'default: decided by the data directory')
  t.equal(parseSyncFlag(node(['--sync', 'snap']).sync), 'snap')
  t.equal(parseSyncFlag(node(['--sync', 'full']).sync), 'full')
  t.equal(parseSyncFlag(node([], { NFC_SYNC: 'full' }).sync), 'full', 'NFC_SYNC=full')
  const file = join(dir, 'node.toml')
  writeFileSync(file, 'sync = "snap"\n')
  t.equal(parseSyncFlag(node(['--config', file]).sync), 'snap', 'sync = "snap" in the config file')
})

t.test('bad values are refused clearly', async (t) => {
  expectUsageError(t, () => parseSyncFlag('fast'), /--sync must be snap or full, got "fast"/)
  expectUsageError(t, () => parseSyncFlag(''), /--sync must be snap or full, got ""/)
  expectUsageError(t, () => parseSyncFlag('SNAP'), /--sync must be snap or full/)
})

t.test('the node command refuses a bad --sync and --sync snap without P2P, before opening anything', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nfc-sync-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const bad = spawnSync(process.execPath, [CLI, 'node', '--dev', '--datadir', dir, '--sync', 'warp'], { encoding: 'utf8' })
  t.equal(bad.status, 1)
  t.match(bad.stderr, /--sync must be snap or full, got "warp"/)
  const noP2p = spawnSync(process.execPath, [CLI, 'node', '--dev', '--datadir', dir, '--sync', 'snap'], { encoding: 'utf8' })
  t.equal(noP2p.status, 1)
  t.match(noP2p.stderr, /--sync snap needs P2P, but --p2p is off \(the default with --dev/)
})

t.test('--help lists --sync', async (t) => {
  const help = execFileSync(process.execPath, [CLI, 'node', '--help'], { encoding: 'utf8' })
  t.match(help, /--sync MODE\s+snap \| full/)
})
