/**
 * `nfc node --p2p/--peers/--node-key`: bad values are usage errors before anything starts (needs
 * `npm run build`). What the values do is the P2P layer's; test/unit/cli/p2pFlags.test.ts checks
 * what they parse to.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { devNodeArgs, runNodeExpectingFailure, tempDir } from '../helpers/nodeProcess.js'

const cases: [string, (dir: string) => string[], RegExp][] = [
  ['--p2p without a port', () => ['--p2p', '127.0.0.1'], /nfc node: --p2p wants HOST:PORT \(e\.g\. 0\.0\.0\.0:30303, or off\), got "127\.0\.0\.1"/],
  ['--p2p port out of range', () => ['--p2p', '127.0.0.1:65536'], /--p2p wants HOST:PORT/],
  [
    '--p2p-exempt not an address',
    () => ['--p2p', '127.0.0.1:0', '--p2p-exempt', '127.0.0.1,localhost'],
    /nfc node: --p2p-exempt: "localhost" is not an IP address or CIDR range/,
  ],
  ['--max-peers 0', () => ['--p2p', '127.0.0.1:0', '--max-peers', '0'], /nfc node: --max-peers wants a positive integer, got "0"/],
  [
    '--peers not a ws url',
    () => ['--p2p', '127.0.0.1:0', '--peers', 'http://127.0.0.1:30303'],
    /nfc node: --peers wants ws:\/\/ or wss:\/\/ urls with a host and port/,
  ],
  [
    '--peers without a port',
    () => ['--p2p', '127.0.0.1:0', '--peers', 'ws://127.0.0.1:30303,ws://peer.example'],
    /--peers wants .* got "ws:\/\/peer\.example"/,
  ],
  [
    '--peers while P2P is off (--dev)',
    () => ['--peers', 'ws://127.0.0.1:30303'],
    /nfc node: --peers needs P2P, but --p2p is off \(the default with --dev; give --p2p HOST:PORT\)/,
  ],
  [
    '--node-key that is not a key',
    (dir) => {
      writeFileSync(join(dir, 'bad.key'), 'not a key\n')
      return ['--p2p', '127.0.0.1:0', '--node-key', join(dir, 'bad.key')]
    },
    /nfc node: --node-key .*bad\.key must hold a 32-byte ed25519 seed as 64 hex characters/,
  ],
  ['--node-key that is a directory', (dir) => ['--p2p', '127.0.0.1:0', '--node-key', dir], /--node-key .* is a directory/],
]

for (const [name, extra, message] of cases) {
  t.test(name, async (t) => {
    const dir = tempDir(t)
    const { code, stderr } = await runNodeExpectingFailure(devNodeArgs(join(dir, 'data'), extra(dir)))
    t.equal(code, 1)
    t.match(stderr, message)
  })
}
