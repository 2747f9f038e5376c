/** `nfc node --p2p/--peers/--node-key` parsing (src/cli/nodeCommand.ts parseP2pFlags). */
import t from 'tap'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseP2pFlags } from '../../../src/cli/nodeCommand.js'
import { expectUsageError } from '../../helpers/usageError.js'

const dir = mkdtempSync(join(tmpdir(), 'nfc-p2pflags-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

t.test('defaults: off with --dev, 0.0.0.0:30303 otherwise, key in the datadir', async (t) => {
  t.equal(parseP2pFlags({}, true, dir), null)
  t.same(parseP2pFlags({}, false, dir), { host: '0.0.0.0', port: 30303, peers: [], nodeKeyFile: join(dir, 'nodekey') })
  t.equal(parseP2pFlags({ p2p: 'off' }, false, dir), null)
  t.same(parseP2pFlags({ p2p: '127.0.0.1:0' }, true, dir), { host: '127.0.0.1', port: 0, peers: [], nodeKeyFile: join(dir, 'nodekey') })
  t.equal(parseP2pFlags({ p2p: '[::1]:30303' }, true, dir)!.host, '::1')
})

t.test('peers: ws:// and wss:// urls with host and port, deduplicated', async (t) => {
  const p = parseP2pFlags({ p2p: '127.0.0.1:30303', peers: 'ws://127.0.0.1:30304, wss://node.example:443/p2p,ws://127.0.0.1:30304,' }, false, dir)!
  t.same(p.peers, ['ws://127.0.0.1:30304', 'wss://node.example:443/p2p'])
  t.same(parseP2pFlags({ peers: 'ws://[::1]:30304' }, false, dir)!.peers, ['ws://[::1]:30304'])
  expectUsageError(
    t,
    () => parseP2pFlags({ peers: 'http://127.0.0.1:30304' }, false, dir),
    /--peers wants ws:\/\/ or wss:\/\/ urls .* got "http:\/\/127.0.0.1:30304"/,
  )
  expectUsageError(t, () => parseP2pFlags({ peers: 'ws://127.0.0.1' }, false, dir), /--peers wants .*with a host and port.* got "ws:\/\/127.0.0.1"/)
  expectUsageError(t, () => parseP2pFlags({ peers: '127.0.0.1:30304' }, false, dir), /--peers wants/)
  expectUsageError(t, () => parseP2pFlags({ peers: 'ws://user:pw@h:1' }, false, dir), /--peers wants/)
  expectUsageError(t, () => parseP2pFlags({ peers: ',' }, false, dir), /--peers wants one or more/)
  expectUsageError(t, () => parseP2pFlags({ peers: 'ws://127.0.0.1:30304' }, true, dir), /--peers needs P2P, but --p2p is off \(the default with --dev/)
  expectUsageError(t, () => parseP2pFlags({ p2p: 'off', peers: 'ws://127.0.0.1:30304' }, false, dir), /--peers needs P2P, but --p2p is off$/)
})

t.test('--p2p wants HOST:PORT or off', async (t) => {
  expectUsageError(t, () => parseP2pFlags({ p2p: '30303' }, false, dir), /--p2p wants HOST:PORT \(e.g. 0.0.0.0:30303, or off\), got "30303"/)
  expectUsageError(t, () => parseP2pFlags({ p2p: 'localhost:70000' }, false, dir), /--p2p wants HOST:PORT/)
  expectUsageError(t, () => parseP2pFlags({ p2p: ':30303' }, false, dir), /--p2p wants HOST:PORT/)
})

t.test('--node-key: created when missing; an existing file must hold a seed', async (t) => {
  t.equal(parseP2pFlags({ 'node-key': join(dir, 'new.key') }, false, dir)!.nodeKeyFile, join(dir, 'new.key'), 'a missing file is fine (created by the node)')
  const good = join(dir, 'good.key')
  writeFileSync(good, 'ab'.repeat(32) + '\n', { mode: 0o600 })
  t.equal(parseP2pFlags({ 'node-key': good }, false, dir)!.nodeKeyFile, good)
  const bad = join(dir, 'bad.key')
  writeFileSync(bad, '0x1234\n')
  expectUsageError(t, () => parseP2pFlags({ 'node-key': bad }, false, dir), /--node-key .*bad\.key must hold a 32-byte ed25519 seed as 64 hex characters/)
  mkdirSync(join(dir, 'adir'))
  expectUsageError(t, () => parseP2pFlags({ 'node-key': join(dir, 'adir') }, false, dir), /--node-key .*adir is a directory/)
  expectUsageError(t, () => parseP2pFlags({ 'node-key': good }, true, dir), /--node-key needs P2P, but --p2p is off/)
})
