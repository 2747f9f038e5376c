/**
 * Issue 14: a local transaction journaled by a node with no peers is not lost for the network.
 * A follower takes a transfer while alone, stops; at its restart the journal puts the transfer
 * back in its pool, and once it connects to the witness it gossips it there, so it gets mined
 * (geth re-sends its local transactions the same way).
 */
import path from 'node:path'
import t from 'tap'
import { Wallet } from 'ethers'
import { DEV_ACCOUNTS } from '../../../src/node/devAccounts.js'
import { rpc, startNode, tempDir, waitFor } from '../../helpers/nodeProcess.js'
import { freePort } from '../../helpers/devnetProcess.js'
import { oneWitnessChain } from '../../helpers/loneWitness.js'

t.test('a journaled transaction restored at start is gossiped to the peers that connect', async (t) => {
  const dir = tempDir(t, 'nfc-regossip-')
  const { genesisFile, keyFile } = oneWitnessChain(dir)
  const followerDir = path.join(dir, 'follower')
  const followerArgs = ['--p2p', `127.0.0.1:${await freePort()}`]

  // the follower alone: it takes the transfer into its pool and journal, nobody else hears of it
  let follower = await startNode({ dev: false, datadir: followerDir, genesis: genesisFile, extraArgs: followerArgs })
  t.teardown(() => follower.kill('SIGKILL'))
  const chainId = BigInt(await rpc(follower.url, 'eth_chainId'))
  const gasPrice = BigInt(await rpc(follower.url, 'eth_gasPrice'))
  const raw = await new Wallet(DEV_ACCOUNTS[3]!.privateKey).signTransaction({
    to: '0x00000000000000000000000000000000000000bb',
    value: 7n,
    gasLimit: 21_000n,
    gasPrice,
    nonce: 0,
    chainId,
    type: 0,
  })
  const hash = await rpc<string>(follower.url, 'eth_sendRawTransaction', [raw])
  t.equal(await follower.stop(), 0, 'the follower stops cleanly with the transfer journaled')

  const witnessPort = await freePort()
  const witness = await startNode({
    dev: false,
    datadir: path.join(dir, 'witness'),
    genesis: genesisFile,
    extraArgs: ['--witness-key', keyFile, '--p2p', `127.0.0.1:${witnessPort}`],
  })
  t.teardown(() => witness.kill('SIGKILL'))
  t.equal(await rpc(witness.url, 'eth_getTransactionByHash', [hash]), null, 'the witness has never seen the transfer')

  follower = await startNode({
    dev: false,
    datadir: followerDir,
    genesis: genesisFile,
    extraArgs: [...followerArgs, '--peers', `ws://127.0.0.1:${witnessPort}`],
  })
  t.match(follower.stderr(), /restored local transactions from the journal.*restored=1/, 'the journal gave the transfer back')
  await waitFor(async () => (await rpc(witness.url, 'eth_getTransactionReceipt', [hash])) !== null, 30_000, 'the witness to mine the transfer')
  t.equal((await rpc(witness.url, 'eth_getTransactionReceipt', [hash])).status, '0x1', 'mined on the witness')
  await waitFor(async () => (await rpc(follower.url, 'eth_getTransactionReceipt', [hash])) !== null, 30_000, 'the follower to import the block')
  // the pool lets a mined transaction go when it catches up with the new head, just after the
  // block's receipts can be read (as geth's pool, it follows the chain's head events)
  await waitFor(async () => (await rpc(follower.url, 'txpool_status')).pending === '0x0', 10_000, "the follower's pool to let it go")
  t.equal((await rpc(follower.url, 'txpool_status')).pending, '0x0', "the follower's pool let it go")
})
