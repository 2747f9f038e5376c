/**
 * `nfc flow provide / consume / providers` flags: each bad value is a UsageError naming the flag
 * (exit 2, before any network), and the HOST:PORT and tcp:// parsers accept what the help says.
 */
import t from 'tap'
import { flowAgentCommand, parseHostPort, parseTunnelUrl } from '../../../src/cli/flowAgentCommand.js'
import { expectUsageError } from '../../helpers/usageError.js'

t.test('HOST:PORT and tcp://HOST:PORT', async (t) => {
  t.same(parseHostPort('listen', '127.0.0.1:1080', false), { host: '127.0.0.1', port: 1080 })
  t.same(parseHostPort('listen', 'localhost:0', true), { host: 'localhost', port: 0 }, 'port 0 to listen on any free port')
  t.same(parseHostPort('listen', '[::1]:9', false), { host: '::1', port: 9 }, 'IPv6 in brackets')
  expectUsageError(t, () => parseHostPort('listen', 'localhost:0', false), /--listen wants HOST:PORT/)
  expectUsageError(t, () => parseHostPort('listen', '127.0.0.1', true), /--listen wants HOST:PORT.*got "127.0.0.1"/)
  expectUsageError(t, () => parseHostPort('listen', '127.0.0.1:70000', true), /--listen wants HOST:PORT/)
  expectUsageError(t, () => parseHostPort('listen', '::1:80', true), /--listen wants HOST:PORT \(IPv6 as \[ADDR\]:PORT/)
  expectUsageError(t, () => parseHostPort('listen', '[1.2.3.4]:80', true), /is not an IPv6 address/)
  t.same(parseTunnelUrl('provider', 'tcp://10.0.0.1:7070'), { host: '10.0.0.1', port: 7070 })
  expectUsageError(t, () => parseTunnelUrl('provider', 'http://10.0.0.1:7070'), /--provider wants tcp:\/\/HOST:PORT/)
  expectUsageError(t, () => parseTunnelUrl('advertise', 'tcp://10.0.0.1'), /--advertise wants HOST:PORT/)
})

t.test('bad flags exit 2 with the reason, before reaching any node', async (t) => {
  const stderr: string[] = []
  const write = process.stderr.write.bind(process.stderr)
  process.stderr.write = ((s: string) => (stderr.push(String(s)), true)) as typeof process.stderr.write
  t.teardown(() => {
    process.stderr.write = write
  })
  const cases: [string, 'provide' | 'consume' | 'providers', string[], RegExp][] = [
    ['unknown flag', 'provide', ['--bogus'], /Unknown option '--bogus'/],
    ['a flag of the other agent', 'consume', ['--pledge'], /--pledge is not an option of nfc flow consume/],
    ['no --listen', 'provide', ['--key', 'k'], /--listen is required/],
    ['bad --listen', 'provide', ['--key', 'k', '--listen', 'nowhere'], /--listen wants HOST:PORT/],
    ['wildcard without --advertise', 'provide', ['--key', 'k', '--listen', '0.0.0.0:7070'], /wildcard address: give --advertise/],
    ['bad --advertise', 'provide', ['--key', 'k', '--listen', '127.0.0.1:1', '--advertise', 'ws://x:1'], /--advertise wants tcp:\/\/HOST:PORT/],
    ['bad --max-unpaid', 'provide', ['--key', 'k', '--listen', '127.0.0.1:1', '--max-unpaid', '10'], /--max-unpaid wants a byte count of at least 65536/],
    ['bad --channel-deposit', 'consume', ['--key', 'k', '--listen', '127.0.0.1:0', '--channel-deposit', 'lots'], /--channel-deposit wants an amount of NB/],
    ['zero --channel-deposit', 'consume', ['--key', 'k', '--listen', '127.0.0.1:0', '--channel-deposit', '0.0'], /--channel-deposit must be more than 0 NB/],
    ['--data-dir on the consumer', 'consume', ['--data-dir', '/tmp/x'], /--data-dir is not an option of nfc flow consume/],
    ['--channel-deposit on the provider', 'provide', ['--channel-deposit', '1'], /--channel-deposit is not an option of nfc flow provide/],
    ['bad --rpc', 'providers', ['--rpc', 'ftp://x'], /--rpc wants an http\(s\) URL/],
    ['no --provider', 'consume', ['--key', 'k', '--listen', '127.0.0.1:0'], /--provider is required/],
    ['bad --provider', 'consume', ['--key', 'k', '--listen', '127.0.0.1:0', '--provider', '0x12'], /--provider wants tcp:\/\/HOST:PORT/],
    [
      'unreadable --key',
      'consume',
      ['--key', '/nonexistent/key', '--listen', '127.0.0.1:0', '--provider', 'tcp://127.0.0.1:1'],
      /cannot read --key \/nonexistent\/key/,
    ],
  ]
  for (const [what, sub, args, message] of cases) {
    stderr.length = 0
    t.equal(await flowAgentCommand(sub, args, 'help'), 2, `${what}: exit 2`)
    t.match(stderr.join(''), message, `${what}: says why`)
  }
})
