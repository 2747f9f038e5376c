/**
 * The pool in a real node process (needs `npm run build`): a 100-transaction nonce run from one
 * sender sent by ethers without waiting (what `forge script` broadcasting does), the --txpool-*
 * flags, and local transactions surviving a SIGKILL through the journal.
 */
import t from 'tap'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { getAddress, JsonRpcProvider, NonceManager, Wallet, type TransactionResponse } from 'ethers'
import { DEV_ACCOUNTS } from '../../src/node/devAccounts.js'
import { rpc, rpcRaw, startNode, tempDir, waitFor } from '../helpers/nodeProcess.js'

const TO = '0x00000000000000000000000000000000000000aa'

t.test('ethers sends 100 txs from one sender without waiting: all accepted, all mined in nonce order', async (t) => {
  const node = await startNode({ datadir: tempDir(t) })
  t.teardown(() => node.kill('SIGKILL'))
  const provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true, batchMaxCount: 1 })
  t.teardown(() => provider.destroy())
  const sender = new NonceManager(new Wallet(DEV_ACCOUNTS[1]!.privateKey, provider))
  const start = await provider.getTransactionCount(DEV_ACCOUNTS[1]!.address, 'latest')

  // all 100 in flight at once: ethers' NonceManager numbers them, the node may see them out of order
  const sent: TransactionResponse[] = await Promise.all(
    Array.from({ length: 100 }, (_, i) => sender.sendTransaction({ to: TO, value: BigInt(i + 1), gasLimit: 21_000n })),
  )
  t.same(
    sent.map((s) => s.nonce),
    Array.from({ length: 100 }, (_, i) => start + i),
  )
  const receipts = await Promise.all(sent.map((s) => provider.waitForTransaction(s.hash, 1, 60_000)))
  t.ok(
    receipts.every((r) => r?.status === 1),
    'every one mined and successful',
  )
  const positions = receipts.map((r) => [r!.blockNumber, r!.index] as const)
  const inOrder = positions.every((p, i) => i === 0 || p[0] > positions[i - 1]![0] || (p[0] === positions[i - 1]![0] && p[1] > positions[i - 1]![1]))
  t.ok(inOrder, 'mined in nonce order')
  t.equal(await provider.getTransactionCount(DEV_ACCOUNTS[1]!.address, 'latest'), start + 100)
  t.same(await rpc(node.url, 'txpool_status'), { pending: '0x0', queued: '0x0' })
})

t.test('local transactions survive SIGKILL (journal); --txpool-accountqueue reaches the pool', async (t) => {
  const datadir = tempDir(t)
  const args = ['--txpool-accountqueue', '5']
  let node = await startNode({ datadir, extraArgs: args })
  t.teardown(() => node.kill('SIGKILL'))
  const account = DEV_ACCOUNTS[2]!
  const wallet = new Wallet(account.privateKey)
  const chainId = BigInt(await rpc(node.url, 'eth_chainId'))
  const gasPrice = BigInt(await rpc(node.url, 'eth_gasPrice'))
  const sign = (nonce: number) => wallet.signTransaction({ to: TO, value: 1n, gasLimit: 21_000n, gasPrice, nonce, chainId, type: 0 })

  // nonces 1…5 behind the gap at 0: queued, the producer cannot include them
  const hashes: string[] = []
  for (let n = 1; n <= 5; n++) hashes.push(await rpc(node.url, 'eth_sendRawTransaction', [await sign(n)]))
  const refused = await rpcRaw(node.url, 'eth_sendRawTransaction', [await sign(7)])
  t.same(refused.error, { code: -32000, message: 'account limit exceeded' }, 'the sixth queued tx is over --txpool-accountqueue 5')
  const queuedOf = async (url: string) => Object.keys((await rpc(url, 'txpool_content')).queued[getAddress(account.address)] ?? {})
  t.same(await queuedOf(node.url), ['1', '2', '3', '4', '5'])
  t.ok(existsSync(join(datadir, 'transactions.journal')))

  await node.kill('SIGKILL')
  node = await startNode({ datadir, extraArgs: args })
  t.same(await queuedOf(node.url), ['1', '2', '3', '4', '5'], 'back in the pool after the restart')
  t.match(node.stderr(), /restored local transactions from the journal.*restored=5/)

  // the gap filled: all six are mined
  await rpc(node.url, 'eth_sendRawTransaction', [await sign(0)])
  await waitFor(async () => BigInt(await rpc(node.url, 'eth_getTransactionCount', [account.address, 'latest'])) === 6n, 30_000, 'the run to be mined')
  for (const h of hashes) t.equal((await rpc(node.url, 'eth_getTransactionReceipt', [h]))?.status, '0x1')
  t.equal(await node.stop(), 0)
})

t.test('a full pool answers -32005 "txpool is full"; the same transaction goes in once blocks drain the pool', async (t) => {
  const node = await startNode({ datadir: tempDir(t), extraArgs: ['--txpool-globalqueue', '3'] })
  t.teardown(() => node.kill('SIGKILL'))
  const chainId = BigInt(await rpc(node.url, 'eth_chainId'))
  const gasPrice = BigInt(await rpc(node.url, 'eth_gasPrice'))
  const signer = (i: number) => {
    const wallet = new Wallet(DEV_ACCOUNTS[i]!.privateKey)
    return (nonce: number) => wallet.signTransaction({ to: TO, value: 1n, gasLimit: 21_000n, gasPrice, nonce, chainId, type: 0 })
  }
  const a = signer(3)
  const b = signer(4)
  // three queued transactions of A (behind its gap at nonce 0) fill --txpool-globalqueue 3
  for (let n = 1; n <= 3; n++) await rpc(node.url, 'eth_sendRawTransaction', [await a(n)])
  const queuedB = await b(1)
  const refused = await rpcRaw(node.url, 'eth_sendRawTransaction', [queuedB])
  t.same(
    refused.error,
    { code: -32005, message: 'txpool is full', data: { reason: 'retry later', limit: 'globalQueue', value: 3 } },
    'at the same price it outbids nobody',
  )
  // A's gap filled: its four are mined and the queue drains; the refused bytes now go in
  await rpc(node.url, 'eth_sendRawTransaction', [await a(0)])
  await waitFor(async () => BigInt(await rpc(node.url, 'eth_getTransactionCount', [DEV_ACCOUNTS[3]!.address, 'latest'])) === 4n, 30_000, 'A to be mined')
  const accepted = await rpcRaw(node.url, 'eth_sendRawTransaction', [queuedB])
  t.equal(accepted.error, undefined, 'accepted on the retry')
  t.same(await rpc(node.url, 'txpool_status'), { pending: '0x0', queued: '0x1' })
})
