/** `nfc node --archive` (src/cli/nodeCommand.ts): a boolean flag, from argv, NFC_ARCHIVE or the config file; listed in --help. */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { loadSettings } from '../../../src/cli/config.js'
import { NODE_LIST_FLAGS, NODE_OPTIONS } from '../../../src/cli/nodeCommand.js'
import { expectUsageError } from '../../helpers/usageError.js'
import { CLI } from '../../helpers/nodeProcess.js'

const node = (argv: string[], env: NodeJS.ProcessEnv = {}) => loadSettings({ command: 'node', argv, options: NODE_OPTIONS, lists: NODE_LIST_FLAGS, env }).values

t.test('off by default; on from the flag, the variable or the file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nfc-archive-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  t.equal(node([]).archive, false, 'default: pruned')
  t.equal(node(['--archive']).archive, true, '--archive')
  t.equal(node([], { NFC_ARCHIVE: 'true' }).archive, true, 'NFC_ARCHIVE=true')
  t.equal(node([], { NFC_ARCHIVE: '0' }).archive, false, 'NFC_ARCHIVE=0')
  const file = join(dir, 'node.toml')
  writeFileSync(file, 'archive = true\n')
  t.equal(node(['--config', file]).archive, true, 'archive = true in the config file')
})

t.test('bad values are refused clearly', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nfc-archive-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  expectUsageError(t, () => node([], { NFC_ARCHIVE: 'maybe' }), /NFC_ARCHIVE wants true or false \(or 1 or 0\), got "maybe"/)
  const file = join(dir, 'node.toml')
  writeFileSync(file, 'archive = "yes"\n')
  expectUsageError(t, () => node(['--config', file]), /archive.*true or false/)
  t.throws(() => node(['--archive=yes']), { code: 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' }, '--archive takes no value')
})

t.test('--help lists --archive', async (t) => {
  const help = execFileSync(process.execPath, [CLI, 'node', '--help'], { encoding: 'utf8' })
  t.match(help, /--archive\s+keep the state of every block/)
})
