/**
 * Payment channels on a dev-chain node process (its own genesis: a 5 s channel challenge period),
 * the consumer through `nfc flow channel` and the provider with ethers, as a wallet would:
 * open and top up (CLI), redeem EIP-712 vouchers signed by ethers' signTypedData (each pays only
 * its increase, into the pair's NB fuel escrow; a replayed one is refused with its reason), close,
 * then — at the closing block, so no check depends on how fast this machine is — a withdrawal
 * refused and a redeem accepted; after the period a redeem refused and the withdrawal, and
 * `show` by id and by key. NB's books stay exact throughout: totalSupply = Σ balances
 * (0x…1005's included) + the escrow, and 0x…1005 never holds NFC. One node for every case.
 */
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Contract, JsonRpcProvider, Network, Wallet, type InterfaceAbi } from 'ethers'
import { SYSTEM_CONTRACTS } from '../../src/chain/systemAddresses.js'
import { voucherDomain, VOUCHER_TYPES } from '../../src/flow/voucher.js'
import { DEV_ACCOUNTS } from '../../src/node/devAccounts.js'
import { CLI, DEV_GENESIS, rpc, runScript, startNode, tempDir, waitFor } from '../helpers/nodeProcess.js'
import { abiJson } from '../helpers/systemVm.js'

const CHAIN_ID = 2100n
/** the revert reason a call or transaction was refused with ('no revert' when it went through) */
async function revertReason(p: Promise<unknown>): Promise<string> {
  try {
    await p
    return 'no revert'
  } catch (e) {
    return (e as { reason?: string }).reason ?? String(e)
  }
}
const NB = 10n ** 18n
const CHALLENGE_SEC = 5
const consumer = DEV_ACCOUNTS[1]!
const providerAccount = DEV_ACCOUNTS[2]!
const C = consumer.address.toLowerCase()
const P = providerAccount.address.toLowerCase()

t.test('payment channels: CLI for the consumer, ethers for the provider, one node', async (t) => {
  const dir = tempDir(t)
  const genesis = JSON.parse(readFileSync(DEV_GENESIS, 'utf8'))
  genesis.params.channelChallengeSec = CHALLENGE_SEC
  const genesisFile = join(dir, 'genesis.json')
  writeFileSync(genesisFile, JSON.stringify(genesis, null, 2))
  const keyFile = join(dir, 'consumer.key')
  writeFileSync(keyFile, consumer.privateKey + '\n')
  const node = await startNode({ datadir: join(dir, 'data'), genesis: genesisFile })
  t.teardown(() => node.stop())

  const eth = new JsonRpcProvider(node.url, Network.from(CHAIN_ID), { staticNetwork: true, pollingInterval: 100 })
  t.teardown(() => eth.destroy())
  const nbOf = (w?: Wallet) => new Contract(SYSTEM_CONTRACTS.nb, abiJson('INB') as InterfaceAbi, w ?? eth)
  const consumerWallet = new Wallet(consumer.privateKey, eth)
  const providerWallet = new Wallet(providerAccount.privateKey, eth)
  const pc = new Contract(SYSTEM_CONTRACTS.paymentChannels, abiJson('IPaymentChannels') as InterfaceAbi, providerWallet)
  const cli = (...args: string[]) => runScript(CLI, ['flow', 'channel', ...args, '--rpc', node.url])
  const voucher = (id: bigint, amount: bigint) => consumerWallet.signTypedData(voucherDomain(CHAIN_ID), VOUCHER_TYPES, { channelId: id, provider: P, amount })
  const channel = (id: bigint) => rpc(node.url, 'flow_getChannel', [`0x${id.toString(16)}`])

  /** NB's books: the consumer is the only one who ever held NB */
  const checkBooks = async (what: string) => {
    const nb = nbOf()
    const [supply, cBal, pBal, held, [escrow]] = await Promise.all([
      nb.totalSupply!() as Promise<bigint>,
      nb.balanceOf!(C) as Promise<bigint>,
      nb.balanceOf!(P) as Promise<bigint>,
      nb.balanceOf!(SYSTEM_CONTRACTS.paymentChannels) as Promise<bigint>,
      nb.escrowOf!(C, P) as Promise<[bigint, bigint]>,
    ])
    t.equal(supply, cBal + pBal + held + escrow, `${what}: NB totalSupply = Σ balances + escrow`)
    t.equal(await eth.getBalance(SYSTEM_CONTRACTS.paymentChannels), 0n, `${what}: no NFC at 0x…1005`)
    return { held, escrow, cBal }
  }

  await (await (nbOf(consumerWallet).convert! as (o: object) => Promise<{ wait(): Promise<unknown> }>)({ value: 100n * 10n ** 18n })).wait()

  const opened = await cli('open', '--provider', P, '--amount', '5', '--key', keyFile)
  t.equal(opened.code, 0, `open exits 0 ${opened.err}`)
  t.match(opened.out, new RegExp(`^opened channel 1 to ${P} with 5\\.0 NB \\(tx 0x[0-9a-f]{64}, block \\d+\\)\\n$`), 'open: its summary line')
  t.match(opened.err, /waiting for its block/, 'progress while it waits')
  const topped = await cli('topup', '1', '--amount', '1.5', '--key', keyFile)
  t.equal(topped.code, 0, topped.err)
  t.match(topped.out, /^channel 1: added 1\.5 NB, deposit now 6\.5 NB/)
  t.equal((await checkBooks('after open + top-up')).held, 6_500_000_000_000_000_000n, '0x…1005 holds the deposit')

  // the provider redeems the consumer's vouchers: each pays only its increase, into the fuel escrow
  await (await pc.redeem!(1n, 2n * NB, await voucher(1n, 2n * NB))).wait()
  t.same((await channel(1n)).redeemed, `0x${(2n * NB).toString(16)}`, 'redeemed 2 NB')
  const replay = pc.redeem!(1n, 2n * NB, await voucher(1n, 2n * NB))
  t.equal(
    await revertReason(replay),
    'PaymentChannels: stale voucher: amount 2000000000000000000 is not above the 2000000000000000000 already redeemed',
    'a replayed voucher is refused with its reason',
  )
  const stranger = new Contract(SYSTEM_CONTRACTS.paymentChannels, abiJson('IPaymentChannels') as InterfaceAbi, consumerWallet)
  t.equal(await revertReason(stranger.redeem!(1n, 3n * NB, await voucher(1n, 3n * NB))), "PaymentChannels: only the channel's provider redeems")
  t.equal((await checkBooks('after a redeem')).escrow, 2n * NB, 'the redeemed NB is the pair’s fuel escrow')

  const closing = await cli('close', '1', '--key', keyFile)
  t.equal(closing.code, 0, closing.err)
  t.match(closing.out, /^channel 1 is closing: the provider can redeem until \d{4}-\d\d-\d\dT.* \(tx 0x[0-9a-f]{64}, block \d+\)\n$/)
  const closeAt = BigInt((await channel(1n)).closeAt)
  t.equal((await channel(1n)).status, 'closing')
  // at the block that started closing (its time is before closeAt whatever the machine's load):
  // the consumer cannot withdraw yet, the provider can still redeem
  const closedIn = { blockTag: Number(/block (\d+)\)/.exec(closing.out)![1]) }
  const consumerPc = new Contract(SYSTEM_CONTRACTS.paymentChannels, abiJson('IPaymentChannels') as InterfaceAbi, consumerWallet)
  t.equal(
    await revertReason(consumerPc.withdraw!.staticCall(1n, closedIn)),
    `PaymentChannels: the challenge period runs until ${closeAt} (ms)`,
    'no withdrawal during the period',
  )
  t.equal(await pc.redeem!.staticCall(1n, 3n * NB, await voucher(1n, 3n * NB), closedIn), NB, 'a redeem during the period pays its increase')

  // while the period runs: show, and the CLI's refusals and usage errors
  const shown = await cli('show', '1', '--json')
  t.equal(shown.code, 0, shown.err)
  t.same(JSON.parse(shown.out), await channel(1n), 'show ID --json is flow_getChannel')
  const unknown = await cli('close', '9', '--key', keyFile)
  t.equal(unknown.code, 1)
  t.match(unknown.err, /\nnfc flow channel close: refused: PaymentChannels: unknown channel 9\n$/, 'an unknown channel: the reason')
  const none = await cli('show', '9')
  t.equal(none.code, 1)
  t.match(none.err, /no channel 9/)
  const usage = await cli('open', '--provider', P, '--amount', '0', '--key', keyFile)
  t.equal(usage.code, 2, 'a usage error exits 2')
  t.match(usage.err, /--amount must be more than 0 NB/)
  const down = await runScript(CLI, ['flow', 'channel', 'show', '1', '--rpc', 'http://127.0.0.1:9'])
  t.equal(down.code, 1)
  t.match(down.err, /no node answers at http:\/\/127\.0\.0\.1:9/, 'no node')

  await waitFor(
    async () => BigInt((await rpc(node.url, 'eth_getBlockByNumber', ['latest', false])).timestamp) * 1000n > closeAt,
    60_000,
    'a block past closeAt',
  )
  t.equal(
    await revertReason(pc.redeem!(1n, 3n * NB, await voucher(1n, 3n * NB))),
    'PaymentChannels: the challenge period is over',
    'no redeem after the period',
  )
  const withdrawn = await cli('withdraw', '1', '--key', keyFile)
  t.equal(withdrawn.code, 0, withdrawn.err)
  t.match(withdrawn.out, new RegExp(`^channel 1 closed: 4\\.5 NB back to ${C}`))
  const books = await checkBooks('after the withdrawal')
  t.equal(books.held, 0n, '0x…1005 holds nothing')
  t.equal(books.escrow, 2n * NB, 'what was redeemed stays fuel escrow')
  t.equal(books.cBal, 10n * NB - 2n * NB, 'the consumer got deposit − redeemed back (100 NFC bought 10 NB)')
  t.equal(await revertReason(pc.redeem!(1n, 4n * NB, await voucher(1n, 4n * NB))), 'PaymentChannels: channel is closed')

  const mine = await cli('show', '--key', keyFile)
  t.equal(mine.code, 0, mine.err)
  t.match(
    mine.out,
    new RegExp(`^channel 1  closed  consumer ${C}  provider ${P}  deposit 6\\.5 NB  redeemed 2\\.0 NB  available 0\\.0 NB  closeAt .*\\n1 channel of ${C}\\n$`),
  )
})
