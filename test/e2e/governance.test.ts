/**
 * Governance end to end on one dev node process (short periods in a test genesis: 2 s flow
 * cycles, a 15 s vote, a 2 s timelock): the dev witness (the only staker) proposes a fuel-price
 * change with `nfc gov propose`, an EN-pledge change and a grant from the shared pool with signed
 * transactions, and votes yes on each; after the vote, the timelock and a cycle boundary the chain
 * executes them by itself: nfc_getParams shows the new values with their history (and the old
 * value at the block before), NodeRegistry refuses a pledge at the old minimum, the grant is paid,
 * `nfc gov list` shows them executed at their block, and every NFC is still accounted for. A double vote and a
 * vote after the period are refused with the chain's reason (the CLI's own bad input is
 * test/unit/cli/govCommand.test.ts, the contract's test/unit/execution/system/governance.test.ts).
 */
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Contract, Interface, JsonRpcProvider, Wallet, type InterfaceAbi } from 'ethers'
import { NFC, SYSTEM_CONTRACTS, TOTAL_SUPPLY } from '../../src/chain/systemAddresses.js'
import { DEV_ACCOUNTS } from '../../src/node/devAccounts.js'
import registryAbi from '../../src/execution/system/abi/INodeRegistry.json' with { type: 'json' }
import governanceAbi from '../../src/execution/system/abi/IGovernance.json' with { type: 'json' }
import { CLI, DEV_GENESIS, rpc, rpcRaw, runScript, startNode, tempDir, waitFor } from '../helpers/nodeProcess.js'

const registry = new Interface(registryAbi)
const EN = 3
const FUEL = 2n * 10n ** 16n // twice the genesis 0.01 NB per GB
const EN_PLEDGE = 2_000n * NFC // twice the genesis 1,000 NFC
const GRANTEE = DEV_ACCOUNTS[7]!.address
/** enough for any Governance call of a chain with one staker */
const TX_GAS = 500_000n

t.test('governance on a dev node: propose, vote, executed at a boundary after the timelock', async (t) => {
  const dir = tempDir(t)
  const genesis = JSON.parse(readFileSync(DEV_GENESIS, 'utf8'))
  Object.assign(genesis.params, { flowCycleSec: 2, govVotingSec: 15, govTimelockSec: 2 })
  const genesisFile = join(dir, 'genesis.json')
  writeFileSync(genesisFile, JSON.stringify(genesis))
  const keyFile = join(dir, 'witness.hex')
  writeFileSync(keyFile, DEV_ACCOUNTS[0]!.privateKey)
  const n = await startNode({ datadir: join(dir, 'data'), genesis: genesisFile })
  t.teardown(() => n.stop())
  const provider = new JsonRpcProvider(n.url, undefined, { staticNetwork: true, pollingInterval: 100 })
  t.teardown(() => provider.destroy())
  const gov = new Contract(SYSTEM_CONTRACTS.governance, governanceAbi as InterfaceAbi, new Wallet(DEV_ACCOUNTS[0]!.privateKey, provider))
  const cli = (...args: string[]) => runScript(CLI, ['gov', ...args, '--rpc', n.url])

  // proposal 0 through the CLI, 1 and 2 as signed transactions, then a yes vote on each
  const made = await cli('propose', '--param', 'fuelPricePerGb', '--value', String(FUEL), '--key', keyFile)
  t.equal(made.code, 0, made.err)
  t.match(made.out, /^proposal 0: set fuelPricePerGb to 20000000000000000\n/)
  const pool = BigInt((await rpc(n.url, 'nfc_getSupply', [])).pools.shared)
  t.ok(pool > 0n, 'block rewards fed the shared pool')
  const grant = pool / 4n
  // sent together (explicit nonces and gas: no estimate against a state without proposals 1 and 2),
  // so the votes land within the vote of proposal 0 however loaded the machine is
  const nonce = await provider.getTransactionCount(DEV_ACCOUNTS[0]!.address, 'pending')
  const sent = await Promise.all([
    gov.getFunction('proposeParam')('enPledge', EN_PLEDGE, { nonce, gasLimit: TX_GAS }),
    gov.getFunction('proposeGrant')(GRANTEE, grant, { nonce: nonce + 1, gasLimit: TX_GAS }),
    ...[0n, 1n, 2n].map((id, i) => gov.getFunction('vote')(id, true, { nonce: nonce + 2 + i, gasLimit: TX_GAS })),
  ])
  for (const tx of sent) t.equal((await tx.wait())?.status, 1, `tx ${tx.nonce} included`)
  const twice = await gov
    .getFunction('vote')(0n, false)
    .catch((e: { reason?: string }) => e)
  t.match((twice as { reason?: string }).reason, /already voted on proposal 0/, 'a double vote is refused')
  t.equal(await gov.getFunction('proposalCount')(), 3n)

  // vote (15 s) + timelock (2 s) + the next 2 s boundary, for each of the three
  const STATUS = 11 // proposal(): the status output
  await waitFor(
    async () => {
      for (const id of [0n, 1n, 2n]) if (((await gov.getFunction('proposal')(id)) as unknown[])[STATUS] === 0n) return undefined
      return true
    },
    45_000,
    'the three proposals to be executed',
    250,
  )
  const params = await rpc(n.url, 'nfc_getParams', [])
  const byName = (name: string) => params.params.find((x: { name: string }) => x.name === name)
  t.equal(BigInt(byName('fuelPricePerGb').value), FUEL, 'fuel price in force')
  t.equal(BigInt(byName('fuelPricePerGb').genesis), 10n ** 16n)
  t.equal(BigInt(byName('enPledge').value), EN_PLEDGE, 'EN pledge in force')
  for (const [name, id] of [
    ['fuelPricePerGb', 0n],
    ['enPledge', 1n],
  ] as const) {
    const history = byName(name).history
    t.equal(history.length, 1, `${name}: one change`)
    t.equal(BigInt(history[0].proposal), id, `${name}: changed by proposal ${id}`)
    const executedAt = BigInt(history[0].block)
    const parent = '0x' + (executedAt - 1n).toString(16)
    const before = await rpc(n.url, 'eth_getBlockByNumber', [parent, false])
    const at = await rpc(n.url, 'eth_getBlockByNumber', [history[0].block, false])
    const genesisMs = BigInt((await rpc(n.url, 'eth_getBlockByNumber', ['0x0', false])).timestamp) * 1000n
    const cycleOf = (b: { timestamp: string }) => (BigInt(b.timestamp) * 1000n - genesisMs) / 2_000n
    t.ok(cycleOf(at) > cycleOf(before), `${name}: the executing block opens a flow cycle`)
    const executableAt = ((await gov.getFunction('proposal')(id)) as unknown[])[6] as bigint
    t.ok(BigInt(at.timestamp) * 1000n + 999n >= executableAt, `${name}: not executed before the timelock`)
    const old = await rpc(n.url, 'nfc_getParams', [parent])
    t.equal(old.params.find((x: { name: string }) => x.name === name).value, byName(name).genesis, `${name}: the block before had the genesis value`)
  }

  // the effect: the EN minimum pledge is the governed one
  const minPledge = await rpc(n.url, 'eth_call', [{ to: SYSTEM_CONTRACTS.nodeRegistry, data: registry.encodeFunctionData('minPledge', [EN]) }, 'latest'])
  t.equal(BigInt(minPledge), EN_PLEDGE, 'NodeRegistry.minPledge(EN)')
  const refused = await rpcRaw(n.url, 'eth_estimateGas', [
    {
      from: DEV_ACCOUNTS[4]!.address,
      to: SYSTEM_CONTRACTS.nodeRegistry,
      value: '0x' + (1_000n * NFC).toString(16),
      data: registry.encodeFunctionData('pledge', [EN]),
    },
  ])
  t.match(refused.error?.message, /pledge below the EN minimum/, 'a pledge at the old minimum is refused')

  // the grant: paid, and every NFC accounted for
  const listed = await cli('list', '--json')
  t.equal(listed.code, 0, listed.err)
  t.same(
    JSON.parse(listed.out).proposals.map((p: { status: string }) => p.status),
    ['executed', 'executed', 'executed'],
    'all three executed',
  )
  const fuelExecutedAt = BigInt(byName('fuelPricePerGb').history[0].block)
  t.equal(BigInt(JSON.parse(listed.out).proposals[0].settledBlock), fuelExecutedAt, 'list --json: the block that executed proposal 0')
  const text = await cli('list')
  t.match(text.out, new RegExp(`^ +0 {2}set fuelPricePerGb to ${FUEL} .* executed at block ${fuelExecutedAt}$`, 'm'), 'list: executed at block N')
  t.match(text.out, new RegExp(`^ {2}fuelPricePerGb .* changed #${fuelExecutedAt} by proposal 0$`, 'm'), 'list: the parameter names the proposal and block')
  const balance = BigInt(await rpc(n.url, 'eth_getBalance', [GRANTEE, 'latest']))
  t.equal(balance, 10_000n * NFC + grant, 'the grantee got the grant')
  const supply = await rpc(n.url, 'nfc_getSupply', [])
  const pools = Object.values(supply.pools as Record<string, string>).reduce((s, v) => s + BigInt(v), 0n)
  t.equal(BigInt(supply.burned) + pools + BigInt(supply.locked) + BigInt(supply.circulating), TOTAL_SUPPLY, 'the supply adds up')
  t.equal(BigInt(await rpc(n.url, 'eth_getBalance', [SYSTEM_CONTRACTS.governance, 'latest'])), 0n, 'Governance holds no NFC')

  const late = await gov
    .getFunction('vote')(1n, false)
    .catch((e: { reason?: string }) => e)
  t.match((late as { reason?: string }).reason, /voting on proposal 1 ended/, 'a vote after the period is refused')
})
