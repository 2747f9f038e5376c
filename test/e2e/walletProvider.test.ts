/**
 * The ethers provider our clients sign through (src/util/walletProvider.ts) asks the node every
 * time. ethers' default shares identical requests for 250 ms: a wallet whose transaction was
 * mined at once and which sends its next one inside that window reuses the pending nonce it
 * read before and is refused "nonce too low" — the intermittent failure of the traffic
 * simulator's split-withdrawals run (test/e2e/flowEconomics.test.ts).
 */
import t from 'tap'
import { Wallet } from 'ethers'
import { bytesToHex } from '@ethereumjs/util'
import { walletProvider } from '../../src/util/walletProvider.js'
import { devAddress, devKey, startNode } from '../helpers/inProcessNode.js'

t.test('a wallet sends, its transaction is mined at once, it sends the next: a fresh nonce each time', async (t) => {
  const n = await startNode(t)
  const wallet = new Wallet(bytesToHex(devKey(1)), walletProvider(n.url, { pollingInterval: 50 }))
  for (let i = 0; i < 5; i++) {
    const tx = await wallet.sendTransaction({ to: devAddress(2), value: 1n })
    t.equal(tx.nonce, i, `transaction ${i} has nonce ${i}`)
    await n.produceBlock() // mined now: the receipt is there for the wallet's first look
    const r = await tx.wait()
    t.equal(r?.status, 1, `transaction ${i} mined`)
  }
  t.equal(await n.rpc('eth_getTransactionCount', [devAddress(1), 'latest']), '0x5', 'all five in the chain')
})

t.test('the pending nonce moves as soon as the pool has the transaction', async (t) => {
  const n = await startNode(t)
  const provider = walletProvider(n.url)
  const wallet = new Wallet(bytesToHex(devKey(3)), provider)
  t.equal(await provider.getTransactionCount(wallet.address, 'pending'), 0)
  const signed = await wallet.signTransaction({
    to: devAddress(2),
    value: 1n,
    nonce: 0,
    gasLimit: 21000n,
    maxFeePerGas: 10n ** 10n,
    maxPriorityFeePerGas: 1n,
    chainId: BigInt(n.genesis.chainId),
    type: 2,
  })
  await n.rpc('eth_sendRawTransaction', [signed]) // not through ethers: its cache never sees it
  t.equal(await provider.getTransactionCount(wallet.address, 'pending'), 1, 'the second read is a new request, not the first one shared')
})
