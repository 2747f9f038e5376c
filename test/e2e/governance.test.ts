/**
 * Governance end to end on one dev node process (short periods in a test genesis: 2 s flow
 * cycles, a 4 s vote, a 2 s timelock), driven through the `nfc gov` CLI as a user would: the dev
 * witness (the only staker) proposes a fuel-price change, an EN-pledge change and a grant from
 * the shared pool, votes yes on each; after the vote, the timelock and a cycle boundary the chain
 * executes them by itself: nfc_getParams shows the new values with their history, NodeRegistry
 * refuses a pledge at the old minimum, the grant is paid, and every NFC is still accounted for.
 * Bad input over the CLI: an unknown parameter, a value out of bounds, a double vote, a vote
 * after the period, a non-staker, a grant above the pool — each refused with the chain's reason.
 */
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { formatEther, Interface } from 'ethers'
import { NFC, SYSTEM_CONTRACTS, TOTAL_SUPPLY } from '../../src/chain/systemAddresses.js'
import { DEV_ACCOUNTS } from '../../src/node/devAccounts.js'
import registryAbi from '../../src/execution/system/abi/INodeRegistry.json' with { type: 'json' }
import { CLI, DEV_GENESIS, rpc, rpcRaw, runScript, startNode, tempDir, waitFor } from '../helpers/nodeProcess.js'

const registry = new Interface(registryAbi)
const EN = 3
const FUEL = 2n * 10n ** 16n // twice the genesis 0.01 NB per GB
const EN_PLEDGE = 2_000n * NFC // twice the genesis 1,000 NFC
const GRANTEE = DEV_ACCOUNTS[7]!.address

t.test('nfc gov on a dev node: propose, vote, executed at a boundary after the timelock', async (t) => {
  const dir = tempDir(t)
  const genesis = JSON.parse(readFileSync(DEV_GENESIS, 'utf8'))
  Object.assign(genesis.params, { flowCycleSec: 2, govVotingSec: 4, govTimelockSec: 2 })
  const genesisFile = join(dir, 'genesis.json')
  writeFileSync(genesisFile, JSON.stringify(genesis))
  const keyFile = (i: number) => {
    const f = join(dir, `key${i}.hex`)
    writeFileSync(f, DEV_ACCOUNTS[i]!.privateKey)
    return f
  }
  const witness = keyFile(0)
  const n = await startNode({ datadir: join(dir, 'data'), genesis: genesisFile })
  t.teardown(() => n.stop())
  const gov = (...args: string[]) => runScript(CLI, ['gov', ...args, '--rpc', n.url])

  // bad input, refused before anything is sent or by the chain with its reason
  const unknown = await gov('propose', '--param', 'blockGasLimit', '--value', '1', '--key', witness)
  t.equal(unknown.code, 1)
  t.match(unknown.err, /Governance: unknown parameter "blockGasLimit"/)
  const outside = await gov('propose', '--param', 'fuelPricePerGb', '--value', String(10n ** 18n), '--key', witness)
  t.match(outside.err, /Governance: fuelPricePerGb must be between 1000000000000000 and 100000000000000000/)
  const nonStaker = await gov('propose', '--param', 'fuelPricePerGb', '--value', String(FUEL), '--key', keyFile(3))
  t.match(nonStaker.err, /Governance: only stakers propose/)
  const tooBig = await gov('propose', '--grant', GRANTEE, '--amount', '1000000000', '--key', witness)
  t.match(tooBig.err, /Governance: grant of 1000000000 NFC exceeds the shared pool/)
  const usage = await gov('vote', '0', 'maybe', '--key', witness)
  t.equal(usage.code, 2)
  t.match(usage.err, /vote wants yes or no, got "maybe"/)

  // the proposals: fuel price, EN pledge, a grant of a quarter of the shared pool
  const pool = BigInt((await rpc(n.url, 'nfc_getSupply', [])).pools.shared)
  t.ok(pool > 0n, 'block rewards fed the shared pool')
  const grant = pool / 4n
  const made = [
    await gov('propose', '--param', 'fuelPricePerGb', '--value', String(FUEL), '--key', witness),
    await gov('propose', '--param', 'enPledge', '--value', String(EN_PLEDGE), '--key', witness),
    await gov('propose', '--grant', GRANTEE, '--amount', formatEther(grant), '--key', witness),
  ]
  made.forEach((m, i) => {
    t.equal(m.code, 0, m.err)
    t.match(m.out, new RegExp(`^proposal ${i}: `), `proposal ${i} made`)
  })
  for (const id of ['0', '1', '2']) {
    const v = await gov('vote', id, 'yes', '--key', witness)
    t.equal(v.code, 0, v.err)
    t.match(v.out, /\(passing\)/)
  }
  const again = await gov('vote', '0', 'no', '--key', witness)
  t.equal(again.code, 1)
  t.match(again.err, /already voted on proposal 0/)

  const listed = await gov('list')
  t.equal(listed.code, 0, listed.err)
  t.match(listed.out, /set fuelPricePerGb to 20000000000000000 .* voting/)

  // vote (4 s) + timelock (2 s) + the next 2 s boundary
  const params = await waitFor(
    async () => {
      const p = await rpc(n.url, 'nfc_getParams', [])
      return p.params.find((x: { name: string }) => x.name === 'fuelPricePerGb').history.length > 0 ? p : undefined
    },
    30_000,
    'the fuel-price change to be executed',
    250,
  )
  const byName = (name: string) => params.params.find((x: { name: string }) => x.name === name)
  t.equal(BigInt(byName('fuelPricePerGb').value), FUEL, 'fuel price in force')
  t.equal(BigInt(byName('fuelPricePerGb').genesis), 10n ** 16n)
  const change = byName('fuelPricePerGb').history[0]
  t.equal(change.proposal, '0x0', 'changed by proposal 0')
  t.equal(BigInt(byName('enPledge').value), EN_PLEDGE, 'EN pledge in force')
  t.equal(byName('enPledge').history[0].block, change.block, 'both executed in the same boundary block')
  const executedAt = BigInt(change.block)
  const before = await rpc(n.url, 'eth_getBlockByNumber', ['0x' + (executedAt - 1n).toString(16), false])
  const at = await rpc(n.url, 'eth_getBlockByNumber', [change.block, false])
  t.ok(BigInt(at.timestamp) / 2n > BigInt(before.timestamp) / 2n, 'the executing block is the first of a flow cycle')
  const old = await rpc(n.url, 'nfc_getParams', ['0x' + (executedAt - 1n).toString(16)])
  t.equal(BigInt(old.params[0].value), 10n ** 16n, 'the block before still had the genesis value')

  // the effect: the EN minimum pledge is the governed one
  const minPledge = await rpc(n.url, 'eth_call', [{ to: SYSTEM_CONTRACTS.nodeRegistry, data: registry.encodeFunctionData('minPledge', [EN]) }, 'latest'])
  t.equal(BigInt(minPledge), EN_PLEDGE, 'NodeRegistry.minPledge(EN)')
  const refused = await rpcRaw(n.url, 'eth_estimateGas', [
    { from: DEV_ACCOUNTS[4]!.address, to: SYSTEM_CONTRACTS.nodeRegistry, value: '0x' + (1_000n * NFC).toString(16), data: registry.encodeFunctionData('pledge', [EN]) },
  ])
  t.match(refused.error?.message, /pledge below the EN minimum/, 'a pledge at the old minimum is refused')

  // the grant: paid, and every NFC accounted for
  const listedJson = JSON.parse((await gov('list', '--json')).out)
  t.same(
    listedJson.proposals.map((p: { status: string }) => p.status),
    ['executed', 'executed', 'executed'],
    'all three executed (the grant at the same boundary)',
  )
  const balance = BigInt(await rpc(n.url, 'eth_getBalance', [GRANTEE, 'latest']))
  t.equal(balance, 10_000n * NFC + grant, 'the grantee got the grant')
  const supply = await rpc(n.url, 'nfc_getSupply', [])
  const pools = Object.values(supply.pools as Record<string, string>).reduce((s, v) => s + BigInt(v), 0n)
  t.equal(BigInt(supply.burned) + pools + BigInt(supply.locked) + BigInt(supply.circulating), TOTAL_SUPPLY, 'the supply adds up')
  t.equal(BigInt(await rpc(n.url, 'eth_getBalance', [SYSTEM_CONTRACTS.governance, 'latest'])), 0n, 'Governance holds no NFC')

  const late = await gov('vote', '1', 'no', '--key', keyFile(0))
  t.match(late.err, /voting on proposal 1 ended/)
})
