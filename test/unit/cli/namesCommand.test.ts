/**
 * `nfc names`: every flag's bad value is a usage error (exit 2, one clear line), and the commands
 * against a real in-process dev node producing its own blocks — register (the lock shown and
 * taken), resolve, list, a refusal by the contract (taken name), unknown names, an unreachable
 * node.
 */
import { ChainRpc } from '../../../src/flowAgent/rpcChain.js'
import { resolveProviderName } from '../../../src/cli/flowAgentCommand.js'
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { createServer } from 'node:net'
import { bytesToHex } from '@ethereumjs/util'
import type { CliIo } from '../../../src/cli/io.js'
import { namesCommand, parseNodeId, parseTerm } from '../../../src/cli/namesCommand.js'
import { devAddress, devGenesis, devKey, startNode, tempDir } from '../../helpers/inProcessNode.js'

async function names(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const io: CliIo = { out: (s) => void (out += s), err: (s) => void (err += s), tty: null }
  const code = await namesCommand(args, io)
  return { code, out, err }
}

async function closedPort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  const port = (srv.address() as { port: number }).port
  await new Promise<void>((r) => srv.close(() => r()))
  return port
}

t.test('parseTerm / parseNodeId', async (t) => {
  t.equal(parseTerm('90s'), 90_000n)
  t.equal(parseTerm('2m'), 120_000n)
  t.equal(parseTerm('3h'), 10_800_000n)
  t.equal(parseTerm('30d'), 2_592_000_000n)
  t.equal(parseTerm('1y'), 31_536_000_000n)
  for (const bad of ['', '10', 'd', '1.5d', '-1d', '1w', '1 d', '0d']) t.throws(() => parseTerm(bad), { message: /--term/ }, JSON.stringify(bad))
  t.equal(parseNodeId('AB'.repeat(32)), '0x' + 'ab'.repeat(32))
  t.equal(parseNodeId('0x' + '01'.repeat(32)), '0x' + '01'.repeat(32))
  t.throws(() => parseNodeId('0x1234'), { message: '--node-id wants 32 bytes as 64 hex digits (0x optional), got "0x1234"' })
})

t.test('usage errors: exit 2 with the reason', async (t) => {
  const cases: [string[], RegExp][] = [
    [['register', 'Bad_Name', '--key', 'k'], /invalid name: only lowercase a-z, 0-9 and - are allowed \("Bad_Name"\)/],
    [['register', 'ab', '--key', 'k'], /invalid name: 2 characters; a name has 3 to 32/],
    [['register', '--key', 'k', '--', '-abc'], /cannot start or end with -/],
    [['register', '--key', 'k'], /nfc names register needs a NAME/],
    [['register', 'relay'], /signs a transaction: give --key FILE/],
    [['register', 'relay', '--key', 'k', '--term', '5'], /--term wants a whole number and a unit/],
    [['register', 'relay', '--key', 'k', '--node-id', 'xyz'], /--node-id wants 32 bytes/],
    [['register', 'relay', '--key', 'k', '--endpoint', 'ws://a b'], /--endpoint: printable ASCII without spaces only/],
    [['register', 'relay', '--key', 'k', '--endpoint', 'x'.repeat(257)], /--endpoint: 257 characters; at most 256/],
    [['register', 'relay', '--key', 'k', '--to', devAddress(1)], /--to is not an option of nfc names register/],
    [['register', 'relay', 'extra', '--key', 'k'], /unexpected argument "extra"/],
    [['transfer', 'relay', '--key', 'k'], /nfc names transfer needs --to ADDRESS/],
    [['transfer', 'relay', '--key', 'k', '--to', '0x12'], /--to wants an address \(0x \+ 40 hex digits\), got "0x12"/],
    [['list', '--owner', 'nobody'], /--owner wants an address/],
    [['list', 'relay'], /unexpected argument "relay"/],
    [['resolve', 'relay', '--key', 'k'], /--key is not an option of nfc names resolve/],
    [['resolve', 'relay', '--rpc', 'ftp://x'], /--rpc wants an http:\/\/ or https:\/\/ URL/],
    [['resolve', 'relay', '--bogus'], /Unknown option '--bogus'/],
  ]
  for (const [args, want] of cases) {
    const r = await names(args)
    t.equal(r.code, 2, args.join(' '))
    t.match(r.err, want, args.join(' '))
    t.equal(r.out, '')
  }
  const unknown = await names(['frobnicate'])
  t.equal(unknown.code, 2)
  t.match(unknown.err, /unknown subcommand "frobnicate"/)
  const help = await names(['--help'])
  t.equal(help.code, 0)
  for (const s of [
    'register',
    'renew',
    'set',
    'transfer',
    'release',
    'resolve',
    'list',
    '--key FILE',
    '--term DURATION',
    '--node-id HEX',
    '--endpoint URL',
    '--to ADDRESS',
    '--owner ADDRESS',
    '--json',
    '--password-file FILE',
    '--rpc URL',
  ]) {
    t.ok(help.out.includes(s), `--help lists ${s}`)
  }
  const dir = tempDir(t)
  const r = await names(['release', 'relay', '--key', path.join(dir, 'missing.json'), '--rpc', `http://127.0.0.1:${await closedPort()}`])
  t.equal(r.code, 1, 'the node is asked first: an unreachable one is exit 1')
  t.match(r.err, /cannot reach http:\/\/127\.0\.0\.1:\d+\/: ECONNREFUSED/)
})

t.test('against a dev node producing blocks', async (t) => {
  const genesis = devGenesis((g) => {
    g.params.nameMinTermSec = 1
  })
  const n = await startNode(t, { genesis, witnessKey: devKey(0) })
  const dir = tempDir(t)
  const keyFile = (i: number) => {
    const f = path.join(dir, `key${i}.hex`)
    fs.writeFileSync(f, bytesToHex(devKey(i)))
    return f
  }
  const rpc = ['--rpc', n.url]

  const reg = await names([
    'register',
    'relay-one',
    '--key',
    keyFile(1),
    '--term',
    '30d',
    '--endpoint',
    'ws://10.0.0.1:30303',
    '--node-id',
    'ab'.repeat(32),
    ...rpc,
  ])
  t.equal(reg.code, 0, reg.err)
  t.match(reg.err, /register relay-one for 2592000 s: locks 8\.219178082191780822 NFC from 0x/)
  t.match(reg.out, /^registered relay-one until \d{4}-\d\d-\d\dT[\d:]+Z; 8\.219178082191780822 NFC locked \(tx 0x[0-9a-f]{64}, block \d+\)\n$/)

  const res = await names(['resolve', 'relay-one', ...rpc])
  t.equal(res.code, 0, res.err)
  t.match(res.out, new RegExp(`owner +${devAddress(1)}`))
  t.match(res.out, new RegExp(`node id +0x${'ab'.repeat(32)}`))
  t.match(res.out, /endpoint +ws:\/\/10\.0\.0\.1:30303/)
  t.match(res.out, /lock +8\.219178082191780822 NFC/)
  const json = await names(['resolve', 'relay-one', '--json', ...rpc])
  t.equal(JSON.parse(json.out).owner, devAddress(1))
  // `nfc flow consume --provider NAME` (issue 20: the agents accept a name): the owner and endpoint of its record
  const chain = await ChainRpc.connect(n.url)
  t.same(await resolveProviderName(chain, 'relay-one'), { owner: devAddress(1).toLowerCase(), endpoint: 'ws://10.0.0.1:30303' })
  await t.rejects(resolveProviderName(chain, 'nobody-here'), {
    message: /^--provider nobody-here: unknown name: nobody-here \(nfc names resolve nobody-here\)$/,
  })

  const taken = await names(['register', 'relay-one', '--key', keyFile(2), '--term', '30d', ...rpc])
  t.equal(taken.code, 1)
  t.match(taken.err, /nfc names register: refused: name is taken/)
  const notOwner = await names(['transfer', 'relay-one', '--to', devAddress(3), '--key', keyFile(2), ...rpc])
  t.equal(notOwner.code, 1)
  t.match(notOwner.err, /refused: not the owner of the name/)

  const unknown = await names(['resolve', 'nobody', ...rpc])
  t.equal(unknown.code, 1)
  t.equal(unknown.err, 'nfc names resolve: unknown name: nobody\n')

  const list = await names(['list', ...rpc])
  t.equal(list.code, 0, list.err)
  t.match(list.out, /^NAME +OWNER +EXPIRES +STATUS +ENDPOINT$/m)
  t.match(list.out, new RegExp(`^relay-one  ${devAddress(1)}  \\S+ +active +ws://10\\.0\\.0\\.1:30303$`, 'm'))
  t.match(list.out, /^1 name$/m)
  const none = await names(['list', '--owner', devAddress(2), ...rpc])
  t.equal(none.out, `0 names owned by ${devAddress(2)}\n`)
})
