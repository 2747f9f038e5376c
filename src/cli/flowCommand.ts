/**
 * `nfc flow simulate`: the traffic simulator (src/flowSim) against a running node — parses the
 * flags, shows a progress line while it runs, prints the summary. `nfc flow channel` is
 * channelCommand.ts (imported when it runs).
 */
import { parseArgs } from 'node:util'
import { DEV_ACCOUNTS } from '../node/devAccounts.js'
import { progressLine, UsageError } from './io.js'
import { isUnreachable } from './rpcClient.js'
import { CHEATS, CROWD_SESSIONS_PER_TICK, formatSummary, simulate, SPLIT_PARTS, type Cheat } from '../flowSim/simulate.js'
import { AGENT_DETAILS, AGENT_USAGE } from './flowAgentCommand.js'

const HELP = `nfc flow — Proof of Valuable Flow tools

Usage:
  nfc flow simulate [--rpc URL] [--consumers C] [--providers P] [--seconds S]
                    [--cheat self-dealing|hop-self-dealing|replay|inflate|split-withdrawals|absent-member|overflow|no-openings|crowd-out]
                    [--funder-key HEX] [--seed N]
                    [--no-wait]
${AGENT_USAGE}
  nfc flow channel open|topup|close|withdraw|show …   (see nfc flow channel --help)

  simulate      C consumers and P providers exchange real byte streams for S seconds; both ends
                count them with the WASM packet counter, sign cumulative receipts, and submit
                them with flow_submitReceipt. The providers are funded and pledged as edge nodes
                and the consumers buy NB fuel first (from --funder-key). At the end: bytes
                counted, receipts accepted and rejected (with reasons) and, once the cycle's
                checkpoint is applied on chain, the rewards each provider earned; then the
                economics: NFC earned (rewards + coin-time bonus) against the NB fuel burned
                × capFactor, with a FAIL line if the strategy earned more. The providers
                answer the slice challenges on their entries (FlowRewards.openSlice); the
                summary counts each one's entries challenged, answered and voided.
  channel       NB payment channels to a provider (PaymentChannels 0x…1005): open with a
                deposit, top up, close, withdraw after the challenge period, show

Options:
  --rpc URL         the node's JSON-RPC (default http://127.0.0.1:8545)
  --consumers C     number of consumers (default 4)
  --providers P     number of providers (default 2); consumer i talks to provider i mod P
  --seconds S       how long traffic flows (default 20)
  --cheat KIND      self-dealing: each provider buys its consumers' NB (accepted, earns 0);
                    hop-self-dealing: the same through one intermediate address per
                    provider (earns 0: the funding graph reaches 2 hops);
                    split-withdrawals: honest traffic, then each provider withdraws in
                    ${SPLIT_PARTS} parts (the coin-time bonus is no more than in one; needs
                    rewards out of their lock: a chain with a short flowLockSec);
                    replay: every receipt is submitted twice (the replays are rejected);
                    inflate: providers double every other claim after the consumer signed
                    (rejected);
                    absent-member: one more pledged central node never signs; its cycle is
                    checkpointed without it after the signing deadline and it loses a pledge
                    slice (needs a chain of 2 or more signing witnesses, e.g. nfc devnet)
                    overflow: a fresh key with no funds and no pledge also submits receipts
                    it signed at both ends with totals 2^256−1, 2^64 and 1 MiB every tick
                    (refused at the edge; the honest providers are still paid)
                    no-openings: provider 0 never answers the slice challenges the nodes'
                    audits send (its challenged entries are voided: unpaid); the other
                    providers answer and are paid. Needs --providers 2 or more
                    crowd-out: provider 0 and its consumer also open ${CROWD_SESSIONS_PER_TICK} fresh sessions
                    every tick to take the cycle's session slots; the sessions past its
                    share (genesis flowProviderSessionShareBps) are refused, the other
                    providers still get in and are paid. Needs --providers 2 or more
  --funder-key HEX  private key that pays for the set-up (default: dev account 0 of the dev chain)
  --seed N          seed of the keys and the traffic (default 1)
  --no-wait         do not wait for the checkpoint to be applied before printing rewards
  -h, --help        this text

${AGENT_DETAILS}`

function count(flag: string, v: string | undefined, def: number, max: number): number {
  if (v === undefined) return def
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > max) throw new UsageError(`--${flag} wants an integer from 1 to ${max}, got "${v}"`)
  return Number(v)
}

export async function flowCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(HELP + '\n')
    return sub === undefined ? 2 : 0
  }
  if (sub === 'provide' || sub === 'consume' || sub === 'providers') {
    return (await import('./flowAgentCommand.js')).flowAgentCommand(sub, rest, HELP)
  }
  if (sub === 'channel') return (await import('./channelCommand.js')).channelCommand(rest)
  if (sub !== 'simulate') {
    process.stderr.write(`nfc flow: unknown subcommand "${sub}"\n\n${HELP}\n`)
    return 2
  }
  let opts
  try {
    const { values } = parseArgs({
      args: rest,
      options: {
        rpc: { type: 'string' },
        consumers: { type: 'string' },
        providers: { type: 'string' },
        seconds: { type: 'string' },
        cheat: { type: 'string' },
        'funder-key': { type: 'string' },
        seed: { type: 'string' },
        'no-wait': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    })
    if (values.help) {
      process.stdout.write(HELP + '\n')
      return 0
    }
    const cheat = values.cheat
    if (cheat !== undefined && !CHEATS.includes(cheat as Cheat)) {
      throw new UsageError(`--cheat wants one of ${CHEATS.join(', ')}, got "${cheat}"`)
    }
    const rpc = values.rpc ?? 'http://127.0.0.1:8545'
    if (!/^https?:\/\/[^\s]+$/.test(rpc)) throw new UsageError(`--rpc wants an http(s) URL, got "${rpc}"`)
    const key = values['funder-key'] ?? DEV_ACCOUNTS[0]!.privateKey
    if (!/^(0x)?[0-9a-fA-F]{64}$/.test(key)) throw new UsageError('--funder-key wants a 32-byte hex private key')
    opts = {
      rpc,
      consumers: count('consumers', values.consumers, 4, 1000),
      providers: count('providers', values.providers, 2, 1000),
      seconds: count('seconds', values.seconds, 20, 86_400),
      seed: count('seed', values.seed, 1, 2 ** 31),
      funderKey: key.startsWith('0x') ? key : `0x${key}`,
      waitRewards: values['no-wait'] !== true,
      ...(cheat === undefined ? {} : { cheat: cheat as Cheat }),
    }
    if (cheat === 'no-openings' && opts.providers < 2) {
      throw new UsageError(`--cheat no-openings needs --providers 2 or more (provider 0 never answers, the others do), got ${opts.providers}`)
    }
    if (cheat === 'crowd-out' && opts.providers < 2) {
      throw new UsageError(`--cheat crowd-out needs --providers 2 or more (provider 0 crowds, the others must still get in), got ${opts.providers}`)
    }
  } catch (e) {
    process.stderr.write(`nfc flow simulate: ${(e as Error).message}\n\nRun \`nfc flow --help\` for the options.\n`)
    return 2
  }
  const progress = progressLine()
  try {
    const summary = await simulate({ ...opts, log: (l) => process.stdout.write(l + '\n'), progress: (l) => progress.update(l) })
    progress.done()
    process.stdout.write(formatSummary(summary) + '\n')
    return 0
  } catch (e) {
    progress.done()
    process.stderr.write(`nfc flow simulate: ${isUnreachable(e) ? `no node answers at ${opts.rpc}` : (e as Error).message}\n`)
    return 1
  }
}
