/** `nfc explorer` flags: defaults, repeatable --abi, and a clear error (exit 2) on bad ones. */
import t from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { expectUsageError } from '../../helpers/usageError.js'
import { DEFAULT_RPC, loadAbis, parseExplorerArgs } from '../../../src/cli/explorerCommand.js'
import { CLI } from '../../helpers/nodeProcess.js'

t.test('parseExplorerArgs', async (t) => {
  t.same(parseExplorerArgs([]), { help: false, rpc: DEFAULT_RPC, abiFiles: [] }, 'defaults: http://127.0.0.1:8545')
  t.same(parseExplorerArgs(['--rpc', 'http://10.0.0.2:9000', '--abi', 'a.json', '--abi', 'b.json']), {
    help: false,
    rpc: 'http://10.0.0.2:9000',
    abiFiles: ['a.json', 'b.json'],
  })
  t.equal(parseExplorerArgs(['-h']).help, true)
  t.equal(parseExplorerArgs(['--rpc=https://node.example:443']).rpc, 'https://node.example:443')
  expectUsageError(t, () => parseExplorerArgs(['--bogus']), /Unknown option '--bogus'/)
  expectUsageError(t, () => parseExplorerArgs(['--rpc']), /--rpc/)
  expectUsageError(t, () => parseExplorerArgs(['--rpc', '127.0.0.1:8545']), /--rpc wants an http:\/\/ or https:\/\/ URL/)
  expectUsageError(t, () => parseExplorerArgs(['--rpc', 'ws://127.0.0.1:8545']), /--rpc wants an http/)
  expectUsageError(t, () => parseExplorerArgs(['extra']), /Unexpected argument|positional/i)
  expectUsageError(t, () => loadAbis(['/nonexistent/x.json']), /--abi: cannot read ABI file/)
})

t.test('the CLI: --help, bad flags exit 2 with the message and the usage', { skip: !fs.existsSync(CLI) && 'run npm run build:ts first' }, async (t) => {
  const help = spawnSync(process.execPath, [CLI, 'explorer', '--help'], { encoding: 'utf8' })
  t.equal(help.status, 0)
  t.match(help.stdout, /nfc explorer \[--rpc URL\] \[--abi FILE …\]/)
  const bad = spawnSync(process.execPath, [CLI, 'explorer', '--rpc', 'nope'], { encoding: 'utf8' })
  t.equal(bad.status, 2, 'exit 2')
  t.match(bad.stderr, /nfc explorer: --rpc wants an http:\/\/ or https:\/\/ URL/)
  t.notMatch(bad.stderr, /\n\s+at /, 'no stack trace')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfc-abi-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  fs.writeFileSync(path.join(dir, 'bad.json'), '{}')
  const badAbi = spawnSync(process.execPath, [CLI, 'explorer', '--abi', path.join(dir, 'bad.json')], { encoding: 'utf8' })
  t.equal(badAbi.status, 2)
  t.match(badAbi.stderr, /--abi: .*bad\.json is not an ABI/)
  const noTty = spawnSync(process.execPath, [CLI, 'explorer'], { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] })
  t.equal(noTty.status, 2, 'refuses without a terminal')
  t.match(noTty.stderr, /needs an interactive terminal/)
})
