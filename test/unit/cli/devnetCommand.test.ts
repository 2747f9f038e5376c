/** `nfc devnet` without processes: the data directory it prepares, and the child command lines. */
import t, { type Test } from 'tap'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { childArgs, prepareDevnet, type DevnetOptions } from '../../../src/cli/devnetCommand.js'
import { devnetGenesis, genesisFileText } from '../../../src/cli/devnetGenesis.js'
import { keysFileFor } from '../../../src/cli/genesisCommand.js'
import { expectUsageError } from '../../helpers/usageError.js'
import { DEV_ACCOUNTS } from '../../../src/node/devAccounts.js'

function temp(t: Test): string {
  const d = mkdtempSync(join(tmpdir(), 'nfc-devnet-unit-'))
  t.teardown(() => rmSync(d, { recursive: true, force: true }))
  return d
}

const NOW = 1_800_000_000_123
const opts = (datadir: string, x: Partial<DevnetOptions> = {}): DevnetOptions => ({ datadir, rpcPort: 8545, p2pPort: 30303, now: () => NOW, ...x })
t.test('first start: one genesis with the time fixed on a slot boundary, a key per node', async (t) => {
  const dir = join(temp(t), 'dn')
  const plan = prepareDevnet(opts(dir, { nodes: 3 }))
  t.equal(plan.created, true)
  t.equal(plan.genesis.name, 'nfc-devnet-3')
  t.equal(plan.genesis.timestamp, 1_800_000_000_000, 'now, rounded down to the block interval')
  t.equal(JSON.parse(readFileSync(join(dir, 'genesis.json'), 'utf8')).timestamp, 1_800_000_000_000)
  t.equal(plan.nodes.length, 3)
  plan.nodes.forEach((n, i) => {
    t.equal(n.datadir, join(dir, `node-${i}`))
    t.equal(n.rpcPort, 8545 + i)
    t.equal(n.p2pPort, 30303 + i)
    t.equal(n.witness, DEV_ACCOUNTS[i]!.address)
    t.equal(readFileSync(n.keyFile, 'utf8'), `${DEV_ACCOUNTS[i]!.privateKey}\n`, 'the 0x-hex key, as --witness-key reads it')
    t.equal(statSync(n.keyFile).mode & 0o777, 0o600)
  })
  const args = childArgs(plan, plan.nodes[1]!, 'warn', '/x/nfc.js')
  t.same(args, [
    '--max-semi-space-size=64',
    '/x/nfc.js',
    'node',
    '--genesis',
    join(dir, 'genesis.json'),
    '--datadir',
    join(dir, 'node-1'),
    '--witness-key',
    join(dir, 'node-1', 'witness.key'),
    '--rpc',
    '127.0.0.1:8546',
    '--p2p',
    '127.0.0.1:30304',
    '--peers',
    'ws://127.0.0.1:30303,ws://127.0.0.1:30305',
    '--p2p-exempt',
    '127.0.0.1',
    '--log-level',
    'warn',
  ])
  t.notOk(childArgs(prepareDevnet(opts(join(temp(t), 'one'), { nodes: 1 })), { ...plan.nodes[0]!, index: 0 }, 'info').includes('--peers'), 'one node: no peers')

  // a later start reuses it all, whatever the time
  const again = prepareDevnet(opts(dir, { now: () => NOW + 3_600_000 }))
  t.equal(again.created, false)
  t.equal(again.genesis.timestamp, 1_800_000_000_000)
  t.equal(again.nodes.length, 3, '--nodes defaults to what the directory was made for')
  t.equal(prepareDevnet(opts(dir, { nodes: 3 })).nodes.length, 3)
  expectUsageError(
    t,
    () => prepareDevnet(opts(dir, { nodes: 4 })),
    /is a devnet of 3 nodes \(its genesis.json lists 3 witnesses\), not 4; run with --nodes 3, or add --reset/,
  )

  // a lost or foreign key is caught before any node starts
  writeFileSync(plan.nodes[2]!.keyFile, `${DEV_ACCOUNTS[7]!.privateKey}\n`)
  expectUsageError(t, () => prepareDevnet(opts(dir)), /node-2.witness\.key is not the key of witnesses\[2\]/)
  rmSync(plan.nodes[2]!.keyFile)
  expectUsageError(t, () => prepareDevnet(opts(dir)), /node-2.witness\.key is missing; add --reset/)
})

t.test('default: 4 nodes; ports must fit and not overlap', async (t) => {
  t.equal(prepareDevnet(opts(join(temp(t), 'dn'))).nodes.length, 4)
  expectUsageError(t, () => prepareDevnet(opts(join(temp(t), 'a'), { nodes: 2, rpcPort: 65535 })), /--rpc-port 65535 leaves no room for 2 nodes/)
  expectUsageError(t, () => prepareDevnet(opts(join(temp(t), 'b'), { nodes: 2, p2pPort: 65535 })), /--p2p-port 65535 leaves no room for 2 nodes/)
  expectUsageError(
    t,
    () => prepareDevnet(opts(join(temp(t), 'c'), { nodes: 4, rpcPort: 9000, p2pPort: 9003 })),
    /--rpc-port 9000 and --p2p-port 9003 overlap for 4 nodes/,
  )
  t.ok(prepareDevnet(opts(join(temp(t), 'd'), { nodes: 4, rpcPort: 9000, p2pPort: 9004 })))
})

t.test('leftover node directories without a genesis are refused', async (t) => {
  const dir = temp(t)
  mkdirSync(join(dir, 'node-0'))
  expectUsageError(t, () => prepareDevnet(opts(dir, { nodes: 1 })), /holds node directories but no genesis\.json; add --reset/)
})

t.test('--genesis: a template file, its keys, and its timestamp', async (t) => {
  const root = temp(t)
  // devnet-4.json as shipped: dev-account witnesses, timestamp 0 → now
  const shipped = join(import.meta.dirname, '../../../genesis/devnet-4.json')
  const a = prepareDevnet(opts(join(root, 'a'), { genesis: shipped }))
  t.equal(a.nodes.length, 4)
  t.equal(a.genesis.timestamp, 1_800_000_000_000)
  t.equal(prepareDevnet(opts(join(root, 'a'), { genesis: shipped })).created, false, 'the same template continues the devnet')
  expectUsageError(t, () => prepareDevnet(opts(join(root, 'b'), { genesis: shipped, nodes: 3 })), /lists 4 witnesses but --nodes is 3/)
  const other = join(root, 'other.json')
  writeFileSync(other, genesisFileText(devnetGenesis({ nodes: 4, chainId: 77 }).doc))
  expectUsageError(
    t,
    () => prepareDevnet(opts(join(root, 'a'), { genesis: other })),
    /was made from another genesis than .*other\.json; leave out --genesis to continue it, or add --reset/,
  )

  // fresh keys: read from the .keys.json that `nfc genesis devnet` writes
  const big = devnetGenesis({ nodes: 11, timestamp: 1_700_000_000_000 })
  const file = join(root, 'big.json')
  writeFileSync(file, genesisFileText(big.doc))
  expectUsageError(
    t,
    () => prepareDevnet(opts(join(root, 'c'), { genesis: file })),
    /no private key for witnesses\[10\] 0x[0-9a-fA-F]{40} of .*big\.json: it is not a dev account, and .*big\.keys\.json does not hold it/,
  )
  t.notOk(existsSync(join(root, 'c', 'genesis.json')), 'nothing written on failure')
  writeFileSync(keysFileFor(file), JSON.stringify({ [big.doc.witnesses[10]!.address]: big.witnessKeys[10] }))
  const c = prepareDevnet(opts(join(root, 'c'), { genesis: file }))
  t.equal(c.genesis.timestamp, 1_700_000_000_000, 'a fixed timestamp is kept')
  t.equal(readFileSync(c.nodes[10]!.keyFile, 'utf8').trim(), big.witnessKeys[10])
})
