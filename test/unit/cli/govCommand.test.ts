/**
 * `nfc gov` against a real in-process dev node producing on the real clock: every bad flag is a
 * UsageError (exit 2) before anything is sent, every refusal of the chain comes back with the
 * Governance contract's reason (exit 1), and propose / vote / list print what happened.
 */
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { CliIo } from '../../../src/cli/io.js'
import { govCommand } from '../../../src/cli/govCommand.js'
import { DEV_ACCOUNTS } from '../../../src/node/devAccounts.js'
import { devGenesis, devKey, startNode, tempDir } from '../../helpers/inProcessNode.js'

async function gov(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const io: CliIo = { out: (s) => void (out += s), err: (s) => void (err += s), tty: null }
  const code = await govCommand(args, io)
  return { code, out, err }
}

t.test('nfc gov against a dev node', async (t) => {
  const genesis = devGenesis((g) => {
    g.params.govVotingSec = 600
  })
  const n = await startNode(t, { genesis, witnessKey: devKey(0) })
  const dir = tempDir(t)
  const keyOf = (i: number) => {
    const f = join(dir, `key${i}`)
    writeFileSync(f, DEV_ACCOUNTS[i]!.privateKey)
    return f
  }
  const witness = keyOf(0)
  const rpc = ['--rpc', n.url]

  t.test('usage errors: exit 2, nothing sent', async (t) => {
    const cases: [string[], RegExp][] = [
      [['propose', '--param', 'fuelPricePerGb', '--value', '1'], /--key FILE is required/],
      [['propose', '--param', 'fuelPricePerGb', '--value', '1.5', '--key', witness], /--value wants a decimal integer/],
      [['propose', '--param', 'fuelPricePerGb', '--key', witness], /--param and --value go together/],
      [['propose', '--key', witness], /either --param NAME --value N or --grant ADDRESS --amount NFC/],
      [['propose', '--grant', DEV_ACCOUNTS[1]!.address, '--key', witness], /--grant and --amount go together/],
      [['propose', '--param', 'x', '--value', '1', '--grant', DEV_ACCOUNTS[1]!.address, '--amount', '1', '--key', witness], /either --param/],
      [['propose', '--grant', '0x1234', '--amount', '1', '--key', witness], /--grant wants an address/],
      [['propose', '--grant', DEV_ACCOUNTS[1]!.address, '--amount', '0', '--key', witness], /--amount wants a positive amount of NFC/],
      [['propose', '--grant', DEV_ACCOUNTS[1]!.address, '--amount=-1', '--key', witness], /--amount wants a positive amount/],
      [['vote', '0', '--key', witness], /vote wants ID and yes\|no/],
      [['vote', 'x', 'yes', '--key', witness], /the proposal ID is a decimal integer, got "x"/],
      [['vote', '0', 'maybe', '--key', witness], /vote wants yes or no, got "maybe"/],
      [['vote', '0', 'yes', '--key', join(dir, 'missing')], /cannot read --key .*missing/],
      [['list', '--key', witness], /nfc gov list does not take --key/],
      [['list', 'extra'], /nfc gov list takes no arguments/],
      [['frobnicate'], /unknown subcommand "frobnicate"/],
      [['list', '--rpc', 'ftp://x'], /--rpc wants an http:\/\/ or https:\/\/ URL/],
    ]
    for (const [args, want] of cases) {
      const r = await gov(args.includes('--rpc') ? args : [...args, ...rpc])
      t.equal(r.code, 2, args.join(' '))
      t.match(r.err, want, args.join(' '))
    }
    const bad = await gov(['list', '--nope'])
    t.equal(bad.code, 2)
    t.match(bad.err, /Unknown option '--nope'/)
    const help = await gov(['--help'])
    t.equal(help.code, 0)
    t.match(help.out, /nfc gov propose --param NAME --value N --key FILE/)
  })

  t.test("the chain's refusals: exit 1 with the reason", async (t) => {
    const cases: [string[], RegExp][] = [
      [['propose', '--param', 'blockGasLimit', '--value', '1', '--key', witness], /Governance: unknown parameter "blockGasLimit"/],
      [['propose', '--param', 'flowCapFactorBps', '--value', '100001', '--key', witness], /Governance: flowCapFactorBps must be between 1000 and 100000/],
      [['propose', '--param', 'cnPledge', '--value', '2000000000000000000000', '--key', keyOf(5)], /Governance: only stakers propose/],
      [
        ['propose', '--grant', DEV_ACCOUNTS[1]!.address, '--amount', '1000000000', '--key', witness],
        /Governance: grant of 1,000,000,000 NFC exceeds the shared pool/,
      ],
      [['vote', '9', 'yes', '--key', witness], /Governance: no proposal 9/],
    ]
    for (const [args, want] of cases) {
      const r = await gov([...args, ...rpc])
      t.equal(r.code, 1, args.join(' '))
      t.match(r.err, want, args.join(' '))
    }
    const dead = await gov(['list', '--rpc', 'http://127.0.0.1:1'])
    t.equal(dead.code, 1)
    t.match(dead.err, /no node answers at http:\/\/127\.0\.0\.1:1\//)
  })

  t.test('propose, vote, double vote, list', async (t) => {
    const made = await gov(['propose', '--param', 'fuelPricePerGb', '--value', '20000000000000000', '--key', witness, ...rpc])
    t.equal(made.code, 0, made.err)
    t.match(made.out, /^proposal 0: set fuelPricePerGb to 20000000000000000\n  votes until \S+Z, executable from \S+Z\n  tx 0x[0-9a-f]{64}\n$/)
    const voted = await gov(['vote', '0', 'yes', '--key', witness, ...rpc])
    t.equal(voted.code, 0, voted.err)
    t.match(voted.out, /^voted yes on proposal 0: yes 1000000\.0 NFC, no 0\.0 NFC of 1000000\.0 staked \(passing\)/)
    const twice = await gov(['vote', '0', 'no', '--key', witness, ...rpc])
    t.equal(twice.code, 1)
    t.match(twice.err, /Governance: 0x[0-9a-f]{40} already voted on proposal 0/)
    const noStake = await gov(['vote', '0', 'no', '--key', keyOf(5), ...rpc])
    t.match(noStake.err, /Governance: only stakers vote/)

    const list = await gov(['list', ...rpc])
    t.equal(list.code, 0, list.err)
    t.match(list.out, /^rules +vote 600 s, timelock 172800 s, quorum 20%, majority > 50%, range ÷\/× 10$/m)
    t.match(list.out, /^ {2}fuelPricePerGb +10000000000000000 +\[1000000000000000 … 100000000000000000\]$/m)
    t.match(list.out, /^ {4}0 {2}set fuelPricePerGb to 20000000000000000 {2}yes 1000000\.0 \/ no 0\.0 of 1000000\.0 NFC {2}voting$/m)
    const json = JSON.parse((await gov(['list', '--json', ...rpc])).out)
    t.equal(json.proposals[0].status, 'open')
    t.equal(json.proposals[0].passing, true)
    t.equal(json.params.length, 6)
    t.equal(json.proposals[0].settledBlock, '0', 'not settled yet')
  })
})
