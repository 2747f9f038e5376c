/**
 * Issue 4, done-when: a node that joins 1,000 blocks late catches up by range sync over real
 * P2P sockets, then follows the head by gossip. The 1,000 blocks are made in-process first
 * (back-dated slots, so the test does not wait 1,000 s), then served by a witness process.
 */
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { hexToBytes } from '@ethereumjs/util'
import { devnetGenesis, genesisFileText } from '../../../src/cli/devnetGenesis.js'
import { loadGenesisFile } from '../../../src/chain/genesis.js'
import { Node } from '../../../src/node/node.js'
import { silentLogger } from '../../../src/util/logger.js'
import { rpc, startNode, tempDir, waitFor } from '../../helpers/nodeProcess.js'
import { freePort, hashAt, headOf } from '../../helpers/devnetProcess.js'

const BLOCKS = 1000

t.test('a node 1,000 blocks late catches up, then follows the head', async (t) => {
  const dir = tempDir(t, 'nfc-late-')
  const genesisTime = (Math.floor(Date.now() / 1000) - BLOCKS - 60) * 1000
  const { doc, witnessKeys } = devnetGenesis({ nodes: 1, timestamp: genesisTime })
  const genesisFile = path.join(dir, 'genesis.json')
  fs.writeFileSync(genesisFile, genesisFileText(doc))
  const keyFile = path.join(dir, 'witness.key')
  fs.writeFileSync(keyFile, witnessKeys[0]! + '\n', { mode: 0o600 })
  const aDir = path.join(dir, 'a')

  // the history: 1,000 blocks in back-dated slots 1..1000
  const builder = await Node.init({ genesis: loadGenesisFile(genesisFile), datadir: aDir, logger: silentLogger, recoverThreads: 1 })
  const key = hexToBytes(witnessKeys[0]! as `0x${string}`)
  for (let i = 1; i <= BLOCKS; i++) await builder.chain.produceBlock(key, BigInt(genesisTime) + BigInt(i) * 1000n, [])
  t.equal(builder.chain.head.header.number, BigInt(BLOCKS), 'history built')
  await builder.close()

  const aPort = await freePort()
  const a = await startNode({
    dev: false,
    datadir: aDir,
    genesis: genesisFile,
    extraArgs: ['--witness-key', keyFile, '--p2p', `127.0.0.1:${aPort}`],
  })
  t.teardown(() => a.stop().catch(() => undefined))
  const b = await startNode({
    dev: false,
    datadir: path.join(dir, 'b'),
    genesis: genesisFile,
    extraArgs: ['--p2p', `127.0.0.1:${await freePort()}`, '--peers', `ws://127.0.0.1:${aPort}`],
  })
  t.teardown(() => b.stop().catch(() => undefined))

  await waitFor(async () => (await headOf(b.url)) >= BLOCKS, 90_000, 'the late node reaches block 1,000')
  for (const n of [1, 500, BLOCKS]) t.equal(await hashAt(b.url, n), await hashAt(a.url, n), `block ${n} is the same on both`)
  // the head passes 1,000 before the sync reaches its target (the witness kept producing): wait for the line
  await waitFor(() => /sync finished/.test(b.stderr()), 30_000, 'the late node to report the finished sync')
  t.match(b.stderr(), /sync finished/, 'the late node reports the finished sync')
  // following: it takes new blocks as the witness makes them
  const aHead = await headOf(a.url)
  await waitFor(async () => (await headOf(b.url)) >= aHead + 2, 20_000, 'the late node follows new blocks')
  const n = aHead + 1
  t.equal(await hashAt(b.url, n), await hashAt(a.url, n), `new block ${n} is the same on both`)
  // a block that arrives while the node is busy can start a short catch-up: wait it out
  await waitFor(async () => (await rpc(b.url, 'eth_syncing')) === false, 20_000, 'eth_syncing false')
  t.pass('not syncing any more')
  t.equal(Number(await rpc(b.url, 'net_peerCount')), 1, 'one peer')
})
