/**
 * A short `nfc flow simulate` run in the test process (2 consumers, 1 provider, 3 s of 64 KiB
 * ticks), funded by dev account `funder` with its own seed: what the flow e2e suites run against
 * an in-process dev node, one run per strategy.
 */
import { DEV_ACCOUNTS } from '../../src/node/devAccounts.js'
import { simulate, type Cheat, type SimSummary } from '../../src/flowSim/simulate.js'

export function simulateSmall(url: string, funder: number, seedBase: number, cheat?: Cheat): Promise<SimSummary> {
  return simulate({
    rpc: url,
    consumers: 2,
    providers: 1,
    seconds: 3,
    seed: seedBase + funder,
    funderKey: DEV_ACCOUNTS[funder]!.privateKey,
    waitLimitSec: 120,
    bytesPerTick: 64 * 1024,
    ...(cheat === undefined ? {} : { cheat }),
  })
}
