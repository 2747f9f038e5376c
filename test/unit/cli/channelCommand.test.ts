/**
 * `nfc flow channel` flags: each action's flags parsed and validated, with a UsageError that
 * says what is wrong for every bad value; the key file read through keyFile.ts with `--key` in
 * its messages. The commands against a node are test/e2e/paymentChannels.test.ts.
 */
import t from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { formatChannel, parseChannelArgs, parseNbAmount } from '../../../src/cli/channelCommand.js'
import { loadKeyFile } from '../../../src/cli/keyFile.js'
import { UsageError } from '../../../src/cli/io.js'
import { devAddress } from '../../helpers/inProcessNode.js'

const P = devAddress(2)
const NB = 10n ** 18n

t.test('good flags', async (t) => {
  t.same(parseChannelArgs(['open', '--provider', P.toUpperCase().replace('0X', '0x'), '--amount', '2.5', '--key', 'k.json']), {
    action: 'open',
    rpc: 'http://127.0.0.1:8545/',
    json: false,
    keyFile: 'k.json',
    provider: P,
    amount: (5n * NB) / 2n,
  })
  t.same(parseChannelArgs(['topup', '3', '--amount', '1', '--key', 'k', '--password-file', 'pw', '--rpc', '127.0.0.1:9000']), {
    action: 'topup',
    rpc: 'http://127.0.0.1:9000/',
    json: false,
    keyFile: 'k',
    passwordFile: 'pw',
    id: 3n,
    amount: NB,
  })
  t.equal(parseChannelArgs(['close', '7', '--key', 'k']).id, 7n)
  t.equal(parseChannelArgs(['withdraw', '7', '--key', 'k']).action, 'withdraw')
  t.same(parseChannelArgs(['show', '4', '--json']), { action: 'show', rpc: 'http://127.0.0.1:8545/', json: true, id: 4n })
  t.equal(parseChannelArgs(['show', '--address', P]).address, P)
  t.equal(parseChannelArgs(['show', '--key', 'k']).keyFile, 'k')
  t.equal(parseNbAmount('0.000000000000000001'), 1n, 'one NB wei')
})

t.test('bad flags: a UsageError that names the problem', async (t) => {
  const bad = (argv: string[], msg: RegExp, what: string) => t.throws(() => parseChannelArgs(argv), msg, what)
  bad(['pay'], /unknown action "pay": one of open, topup, close, withdraw, show/, 'unknown action')
  bad([], /unknown action ""/, 'no action')
  bad(['open', '--amount', '1', '--key', 'k'], /needs --provider ADDRESS/, 'open without provider')
  bad(['open', '--provider', '0x12', '--amount', '1', '--key', 'k'], /--provider wants a 0x-prefixed 20-byte hex address, got "0x12"/, 'short provider')
  bad(['open', '--provider', P, '--key', 'k'], /needs --amount NB/, 'open without amount')
  bad(['open', '--provider', P, '--amount', '0', '--key', 'k'], /--amount must be more than 0 NB/, 'zero amount')
  bad(['open', '--provider', P, '--amount=-1', '--key', 'k'], /--amount wants an amount of NB/, 'negative amount')
  bad(['open', '--provider', P, '--amount', '1.0000000000000000001', '--key', 'k'], /at most 18 decimals/, '19 decimals')
  bad(['open', '--provider', P, '--amount', '1e3', '--key', 'k'], /--amount wants an amount of NB/, 'exponent')
  bad(['open', '--provider', P, '--amount', '1'], /signs a transaction: give --key FILE/, 'no key')
  bad(['open', '5', '--provider', P, '--amount', '1', '--key', 'k'], /takes no channel ID/, 'open with an id')
  bad(['close', '--key', 'k'], /needs the channel ID/, 'close without id')
  bad(['close', '0', '--key', 'k'], /positive integer below 2\^64, got "0"/, 'id 0')
  bad(['close', 'x1', '--key', 'k'], /positive integer below 2\^64/, 'id not a number')
  bad(['close', '18446744073709551616', '--key', 'k'], /positive integer below 2\^64/, 'id 2^64')
  bad(['close', '1', '2', '--key', 'k'], /one channel ID at most/, 'two ids')
  bad(['close', '1', '--amount', '1', '--key', 'k'], /--amount does not apply to `nfc flow channel close`/, 'a flag of another action')
  bad(['withdraw', '1', '--password-file', 'pw'], /--password-file opens the --key keystore/, 'password without key')
  bad(['show'], /wants one of: a channel ID, --address ADDRESS, --key FILE/, 'show without a target')
  bad(['show', '1', '--address', P], /wants one of/, 'show with two targets')
  bad(['show', '--address', 'nobody'], /--address wants a 0x-prefixed/, 'bad address')
  bad(['show', '1', '--rpc', 'ftp://x'], /--rpc wants an http:\/\/ or https:\/\/ URL/, 'bad rpc')
  t.throws(() => parseChannelArgs(['show', '1', '--colour']), { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' }, 'unknown flag (reported as usage by the command)')
  t.ok(new UsageError('x') instanceof Error)
})

t.test('--key FILE: errors name --key', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nfc-channel-key-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const missing = path.join(dir, 'none')
  await t.rejects(loadKeyFile(missing, undefined), { message: new RegExp(`^cannot read --key ${missing}`) })
  const junk = path.join(dir, 'junk')
  fs.writeFileSync(junk, 'hello')
  await t.rejects(loadKeyFile(junk, undefined), { message: /--key .*junk must hold a 32-byte private key in hex/ })
  const hexKey = path.join(dir, 'hex')
  fs.writeFileSync(hexKey, '0x' + '11'.repeat(32) + '\n')
  t.same(await loadKeyFile(hexKey, undefined), new Uint8Array(32).fill(0x11))
  await t.rejects(loadKeyFile(hexKey, 'pw'), { message: /--password-file is for a keystore, but --key .* holds a plain key/ })
})

t.test('a channel as a text line', async (t) => {
  t.equal(
    formatChannel({
      id: '0x2',
      consumer: devAddress(1),
      provider: P,
      deposit: '0x4563918244f40000',
      redeemed: '0xde0b6b3a7640000',
      available: '0x3782dace9d900000',
      closeAt: '0x0',
      status: 'open',
    }),
    `channel 2  open  consumer ${devAddress(1)}  provider ${P}  deposit 5.0 NB  redeemed 1.0 NB  available 4.0 NB`,
  )
  t.match(
    formatChannel({ id: '0x2', consumer: devAddress(1), provider: P, deposit: '0x1', redeemed: '0x0', available: '0x1', closeAt: '0x1', status: 'closing' }),
    /closeAt 1970-01-01T00:00:00\.001Z$/,
  )
})
