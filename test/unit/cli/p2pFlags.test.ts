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

t.test('connection limits: --max-peers, --p2p-max-per-ip, --p2p-exempt, --p2p-ban-ms', async (t) => {
  const p = parseP2pFlags({ 'max-peers': '30', 'p2p-max-per-ip': '8', 'p2p-exempt': '127.0.0.1, 10.0.0.0/8,fd00::/8,', 'p2p-ban-ms': '1500' }, false, dir)!
  t.match(p, { maxPeers: 30, maxConnectionsPerIp: 8, exempt: ['127.0.0.1', '10.0.0.0/8', 'fd00::/8'], banMs: 1500 })
  t.notOk('maxPeers' in parseP2pFlags({}, false, dir)!, 'absent flags are left to the transport defaults')
  t.equal(parseP2pFlags({ 'p2p-ban-ms': '0' }, false, dir)!.banMs, 0, 'a ban of 0 ms: drop without refusing the reconnect')
  expectUsageError(t, () => parseP2pFlags({ 'max-peers': '0' }, false, dir), /--max-peers wants a positive integer, got "0"/)
  expectUsageError(t, () => parseP2pFlags({ 'max-peers': 'lots' }, false, dir), /--max-peers wants a positive integer/)
  expectUsageError(t, () => parseP2pFlags({ 'p2p-max-per-ip': '-1' }, false, dir), /--p2p-max-per-ip wants a positive integer/)
  expectUsageError(t, () => parseP2pFlags({ 'p2p-ban-ms': '10m' }, false, dir), /--p2p-ban-ms wants a non-negative integer, got "10m"/)
  expectUsageError(t, () => parseP2pFlags({ 'p2p-exempt': 'localhost' }, false, dir), /--p2p-exempt: "localhost" is not an IP address or CIDR range/)
  expectUsageError(t, () => parseP2pFlags({ 'p2p-exempt': '10.0.0.0/40' }, false, dir), /--p2p-exempt: "10.0.0.0\/40" has a bad prefix length/)
  expectUsageError(t, () => parseP2pFlags({ 'p2p-exempt': ',' }, false, dir), /--p2p-exempt wants addresses or CIDR ranges/)
  expectUsageError(t, () => parseP2pFlags({ 'max-peers': '10' }, true, dir), /--max-peers needs P2P, but --p2p is off \(the default with --dev/)
  expectUsageError(t, () => parseP2pFlags({ p2p: 'off', 'p2p-exempt': '127.0.0.1' }, false, dir), /--p2p-exempt needs P2P, but --p2p is off$/)
})
