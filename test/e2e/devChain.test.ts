/**
 * The spine's "done when": a real `nfc node --dev` process, driven with ethers v6 over
 * JSON-RPC — transfers of every tx type, an ERC-20 with events and revert reasons, receipts,
 * blocks, pending nonces, Merkle proofs, kill -9 durability, clean restarts and --reset.
 *
 * The subtests share one data directory and run in order: the later ones (kill, restart, reset)
 * continue the chain the earlier ones built.
 */
import t from 'tap'
import { blockReward } from '../../src/consensus/dpos/rewards.js'
import {
  AbiCoder,
  ContractFactory,
  Contract,
  Interface,
  JsonRpcProvider,
  Wallet,
  id,
  keccak256,
  parseEther,
  parseUnits,
  toBeHex,
  type TransactionReceipt,
} from 'ethers'
import { RLP } from '@ethereumjs/rlp'
import { verifyMerkleProof } from '@ethereumjs/mpt'
import { bytesToBigInt, hexToBytes } from '@ethereumjs/util'
import { DEV_ACCOUNTS } from '../../src/node/devAccounts.js'
import { rpc, rpcRaw, startNode, tempDir, waitFor, type NodeProcess } from '../helpers/nodeProcess.js'
import { compileToken } from './clients/scenario.js'

const CHAIN_ID = 2100n
const SHARED_POOL = '0x0000000000000000000000000000000000002000'
const GWEI = 10n ** 9n
/** a JSON-RPC quantity (no leading zeros) */
const qty = (n: number | bigint) => `0x${n.toString(16)}`

const datadir = tempDir(t)
/** the ERC-20 deployed by the token test, for the storage proof */
let tokenInfo: { address: string; holder: string; balance: bigint } | undefined
let node: NodeProcess
let provider: JsonRpcProvider

function connect(n: NodeProcess): JsonRpcProvider {
  provider?.destroy()
  provider = new JsonRpcProvider(n.url, Number(CHAIN_ID), { staticNetwork: true, pollingInterval: 100 })
  return provider
}

async function start(extraArgs: string[] = []): Promise<NodeProcess> {
  node = await startNode({ datadir, extraArgs })
  connect(node)
  return node
}

t.teardown(async () => {
  provider?.destroy()
  if (node !== undefined) await node.kill('SIGKILL')
})

const wallet = (i: number) => new Wallet(DEV_ACCOUNTS[i]!.privateKey, provider)
const balanceAt = (addr: string, block: number) => provider.getBalance(addr, block)

/** Mined receipt or a test failure after 30 s. */
async function mined(hash: string): Promise<TransactionReceipt> {
  const r = await provider.waitForTransaction(hash, 1, 30_000)
  if (r === null) throw new Error(`no receipt for ${hash}`)
  return r
}

t.before(async () => {
  await start()
})

t.test('chain id, EIP-1559 transfer: exact balances and the shared pool share', async (t) => {
  t.equal((await provider.getNetwork()).chainId, CHAIN_ID)
  t.equal(await rpc(node.url, 'eth_chainId'), '0x834')

  // account 0 is the witness and earns fees: send from account 2 so its balance only pays
  const sender = wallet(2)
  const to = DEV_ACCOUNTS[1]!.address
  const value = parseEther('1.5')
  const tx = await sender.sendTransaction({
    to,
    value,
    type: 2,
    maxPriorityFeePerGas: 2n * GWEI,
    maxFeePerGas: 10n * GWEI,
  })
  const receipt = await mined(tx.hash)
  t.equal(receipt.status, 1)
  t.equal(receipt.type, 2)
  t.equal(receipt.gasUsed, 21000n)
  const n = receipt.blockNumber
  const block = (await provider.getBlock(n))!
  const baseFee = block.baseFeePerGas!
  t.ok(baseFee > 0n, 'block has baseFeePerGas')
  const price = receipt.gasPrice // ethers maps effectiveGasPrice here
  t.equal(price, baseFee + 2n * GWEI, 'effective price = base fee + tip (below the cap)')

  t.equal((await balanceAt(sender.address, n - 1)) - (await balanceAt(sender.address, n)), value + receipt.gasUsed * price)
  t.equal((await balanceAt(to, n)) - (await balanceAt(to, n - 1)), value)

  // the shared pool gets half of the above-base part of every fee in the block
  let expectedShare = 0n
  for (const h of block.transactions) {
    const r = (await provider.getTransactionReceipt(h))!
    expectedShare += (r.gasUsed * (r.gasPrice - baseFee)) / 2n
  }
  t.equal(expectedShare >= (receipt.gasUsed * (price - baseFee)) / 2n, true)
  if (block.transactions.length === 1) t.equal(expectedShare, (21000n * 2n * GWEI) / 2n)
  // … and 10 % of the block reward of the block's slot (DESIGN §4)
  const ms = async (k: number) => BigInt((await rpc<{ timestampMs: string }>(node.url, 'eth_getBlockByNumber', [`0x${k.toString(16)}`, false])).timestampMs)
  const slot = ((await ms(n)) - (await ms(0))) / 1000n
  const rewardShare = blockReward(slot, 1000n) / 10n
  t.ok(rewardShare > 0n, 'a block reward was minted')
  t.equal(
    (await balanceAt(SHARED_POOL, n)) - (await balanceAt(SHARED_POOL, n - 1)),
    expectedShare + rewardShare,
    'shared pool: fee share + 10 % of the block reward',
  )
})

t.test('legacy (EIP-155) and EIP-2930 transfers mine with the right receipt type', async (t) => {
  const sender = wallet(2)
  const to = DEV_ACCOUNTS[4]!.address
  const nonce = await provider.getTransactionCount(sender.address, 'pending')
  const legacy = await sender.sendTransaction({ to, value: 1000n, type: 0, gasPrice: 2n * GWEI, nonce, chainId: CHAIN_ID })
  const al = await sender.sendTransaction({
    to,
    value: 2000n,
    type: 1,
    gasPrice: 3n * GWEI,
    nonce: nonce + 1,
    accessList: [{ address: to, storageKeys: [toBeHex(0, 32)] }],
  })
  // EIP-155: v = chainId * 2 + 35/36
  const rawLegacy = await rpc(node.url, 'eth_getTransactionByHash', [legacy.hash])
  t.ok([CHAIN_ID * 2n + 35n, CHAIN_ID * 2n + 36n].includes(BigInt(rawLegacy.v)), 'legacy v carries the chain id')
  const [r0, r1] = await Promise.all([mined(legacy.hash), mined(al.hash)])
  t.equal(r0.status, 1)
  t.equal(r1.status, 1)
  t.equal((await rpc(node.url, 'eth_getTransactionReceipt', [legacy.hash])).type, '0x0')
  t.equal((await rpc(node.url, 'eth_getTransactionReceipt', [al.hash])).type, '0x1')
  t.equal(r0.gasPrice, 2n * GWEI)
  t.equal(r1.gasPrice, 3n * GWEI)
  t.equal(r1.gasUsed, 21000n + 2400n + 1900n, 'access list intrinsic gas (1 address, 1 key)')
  const tx1 = await provider.getTransaction(al.hash)
  t.equal(tx1!.type, 1)
  t.same(tx1!.accessList, [{ address: to, storageKeys: [toBeHex(0, 32)] }])
})

t.test('ERC-20: deploy, transfer, events, revert reasons', async (t) => {
  const { abi, bytecode } = compileToken()
  const owner = wallet(5)
  const alice = DEV_ACCOUNTS[6]!.address
  const supply = parseUnits('1000000', 18)
  const factory = new ContractFactory(abi, bytecode, owner)
  const deployed = await factory.deploy('Flow Token', 'FLW', supply)
  const deployReceipt = await mined(deployed.deploymentTransaction()!.hash)
  t.equal(deployReceipt.status, 1)
  const address = await deployed.getAddress()
  t.equal(deployReceipt.contractAddress, address)
  t.not(await provider.getCode(address), '0x', 'code is stored')
  const token = new Contract(address, abi, owner)
  t.equal(await token.name(), 'Flow Token')
  t.equal(await token.balanceOf(owner.address), supply)

  const amount = parseUnits('1234.5', 18)
  const sent = await token.transfer(alice, amount)
  const receipt = await mined(sent.hash)
  t.equal(receipt.status, 1)
  t.equal(await token.balanceOf(alice), amount)
  t.equal(await token.balanceOf(owner.address), supply - amount)
  tokenInfo = { address, holder: alice, balance: amount }

  // the Transfer event, via the receipt and via eth_getLogs
  const iface = new Interface(abi)
  const topic = id('Transfer(address,address,uint256)')
  t.equal(receipt.logs.length, 1)
  const parsed = iface.parseLog(receipt.logs[0]!)!
  t.equal(parsed.name, 'Transfer')
  t.equal(parsed.args.from, owner.address)
  t.equal(parsed.args.to, alice)
  t.equal(parsed.args.value, amount)
  const logs = await provider.getLogs({ address, topics: [topic], fromBlock: deployReceipt.blockNumber, toBlock: receipt.blockNumber })
  t.equal(logs.length, 2, 'the mint and the transfer')
  const last = logs[1]!
  t.equal(last.transactionHash, sent.hash)
  t.equal(last.blockHash, receipt.blockHash)
  t.same(last.topics, receipt.logs[0]!.topics)
  t.equal(last.data, receipt.logs[0]!.data)
  t.equal(iface.parseLog(last)!.args.value, amount)
  // filtering by an indexed topic (to = alice)
  const toAlice = await provider.getLogs({
    address,
    topics: [topic, null, AbiCoder.defaultAbiCoder().encode(['address'], [alice])],
    fromBlock: 0,
  })
  t.equal(toAlice.length, 1)
  t.equal(toAlice[0]!.transactionHash, sent.hash)

  // revert reason from a static call (ethers' decoding) …
  const reason = 'Token: transfer amount exceeds balance'
  const tooMuch = supply * 2n
  const asAlice = new Contract(address, abi, wallet(6))
  await t.rejects(asAlice.transfer.staticCall(owner.address, tooMuch), { code: 'CALL_EXCEPTION', reason })
  // … and on the wire: geth's code 3, message and ABI-encoded Error(string)
  const data = iface.encodeFunctionData('transfer', [owner.address, tooMuch])
  const body = await rpcRaw(node.url, 'eth_call', [{ from: alice, to: address, data }, 'latest'])
  const errorData = '0x08c379a0' + AbiCoder.defaultAbiCoder().encode(['string'], [reason]).slice(2)
  t.same(body.error, { code: 3, message: `execution reverted: ${reason}`, data: errorData })
  t.equal(body.result, undefined)

  // estimateGas of a failing send
  await t.rejects(asAlice.transfer.estimateGas(owner.address, tooMuch), { code: 'CALL_EXCEPTION', reason })
  const est = await rpcRaw(node.url, 'eth_estimateGas', [{ from: alice, to: address, data }])
  t.same(est.error, { code: 3, message: `execution reverted: ${reason}`, data: errorData })
  // another reason, to be sure the text is the contract's
  const zero = iface.encodeFunctionData('transfer', ['0x0000000000000000000000000000000000000000', 1n])
  const z = await rpcRaw(node.url, 'eth_call', [{ from: owner.address, to: address, data: zero }])
  t.equal(z.error?.message, 'execution reverted: Token: transfer to the zero address')
})

t.test('receipts, blocks, pending nonce, eth_getProof', async (t) => {
  const sender = wallet(7)
  const tx = await sender.sendTransaction({ to: DEV_ACCOUNTS[8]!.address, value: 1n, type: 2 })
  await mined(tx.hash)
  const receipt = await rpc(node.url, 'eth_getTransactionReceipt', [tx.hash])
  t.match(receipt.effectiveGasPrice, /^0x[0-9a-f]+$/)
  t.equal(receipt.transactionHash, tx.hash)
  t.equal(receipt.status, '0x1')

  const number = receipt.blockNumber
  const byHashes = await rpc(node.url, 'eth_getBlockByNumber', [number, false])
  const full = await rpc(node.url, 'eth_getBlockByNumber', [number, true])
  for (const b of [byHashes, full]) {
    t.match(b.baseFeePerGas, /^0x[0-9a-f]+$/)
    t.equal(b.hash, receipt.blockHash)
    t.equal(b.number, number)
  }
  t.ok(byHashes.transactions.includes(tx.hash), 'hashes only')
  const txObj = full.transactions.find((x: { hash: string }) => x.hash === tx.hash)
  t.ok(txObj, 'full transaction objects')
  t.equal(txObj.blockHash, receipt.blockHash)
  t.equal(txObj.from.toLowerCase(), sender.address.toLowerCase())
  t.equal(txObj.gasPrice, receipt.effectiveGasPrice)
  t.equal(BigInt(receipt.effectiveGasPrice) >= BigInt(full.baseFeePerGas), true)
  const byHash = await rpc(node.url, 'eth_getBlockByHash', [receipt.blockHash, false])
  t.same(byHash, byHashes)

  // 'pending' counts a tx that sits in the pool; a nonce gap is not counted
  const who = wallet(9)
  const latest0 = await provider.getTransactionCount(who.address, 'latest')
  const gapped = await who.sendTransaction({ to: DEV_ACCOUNTS[8]!.address, value: 1n, nonce: latest0 + 1, gasLimit: 21000 })
  t.equal(await provider.getTransactionCount(who.address, 'pending'), latest0, 'a gapped tx is not counted')
  let checked = false
  for (let attempt = 0; attempt < 4 && !checked; attempt++) {
    // right after a new block, so the tx stays in the pool for a while
    const head = await provider.getBlockNumber()
    await waitFor(async () => (await provider.getBlockNumber()) > head, 20_000, 'a new block')
    const nonce = await provider.getTransactionCount(who.address, 'latest')
    const sent = await who.sendTransaction({ to: DEV_ACCOUNTS[8]!.address, value: 1n, nonce, gasLimit: 21000 })
    const res = await fetch(node.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        { jsonrpc: '2.0', id: 1, method: 'eth_getTransactionCount', params: [who.address, 'latest'] },
        { jsonrpc: '2.0', id: 2, method: 'eth_getTransactionCount', params: [who.address, 'pending'] },
      ]),
    }).then((r) => r.json() as Promise<{ id: number; result: string }[]>)
    const latest = Number(res.find((x) => x.id === 1)!.result)
    const pending = Number(res.find((x) => x.id === 2)!.result)
    await mined(sent.hash)
    if (latest !== nonce) continue // mined in between: try again
    // the pooled tx and the gapped one it unblocked are both executable now
    t.equal(pending, nonce + (nonce === latest0 ? 2 : 1), 'pending nonce counts the pooled tx')
    checked = true
  }
  t.ok(checked, 'observed a tx in the pool before it was mined')
  await mined(gapped.hash)

  // eth_getProof against the block's stateRoot
  const acct = DEV_ACCOUNTS[7]!.address
  const blockNum = await provider.getBlockNumber()
  const tag = qty(blockNum)
  const block = await rpc(node.url, 'eth_getBlockByNumber', [tag, false])
  const proof = await rpc(node.url, 'eth_getProof', [acct, [], tag])
  t.equal(proof.address.toLowerCase(), acct.toLowerCase())
  const nodes = proof.accountProof.map((h: string) => hexToBytes(h as `0x${string}`))
  const value = await verifyMerkleProof(hexToBytes(acct as `0x${string}`), nodes, {
    root: hexToBytes(block.stateRoot),
    useKeyHashing: true,
  })
  t.ok(value, 'the account is in the trie')
  const [nonce, balance, storageRoot, codeHash] = RLP.decode(value!) as Uint8Array[]
  t.equal(bytesToBigInt(balance!), await provider.getBalance(acct, blockNum), 'balance')
  t.equal(bytesToBigInt(nonce!), BigInt(await provider.getTransactionCount(acct, blockNum)), 'nonce')
  t.equal(BigInt(proof.balance), bytesToBigInt(balance!))
  t.equal(BigInt(proof.nonce), bytesToBigInt(nonce!))
  t.equal(proof.storageHash, '0x' + Buffer.from(storageRoot!).toString('hex'))
  t.equal(proof.codeHash, '0x' + Buffer.from(codeHash!).toString('hex'))
  // the same proof against another block's root fails
  const other = await rpc(node.url, 'eth_getBlockByNumber', [qty(blockNum - 1), false])
  t.not(other.stateRoot, block.stateRoot)
  await t.rejects(verifyMerkleProof(hexToBytes(acct as `0x${string}`), nodes, { root: hexToBytes(other.stateRoot), useKeyHashing: true }))

  // a storage proof: the token balance of its holder (balanceOf is the 4th slot: 3)
  t.ok(tokenInfo, 'the token test deployed a contract')
  const slot = keccak256(AbiCoder.defaultAbiCoder().encode(['address', 'uint256'], [tokenInfo!.holder, 3]))
  t.equal(BigInt(await provider.getStorage(tokenInfo!.address, slot, blockNum)), tokenInfo!.balance, 'eth_getStorageAt')
  const sp = await rpc(node.url, 'eth_getProof', [tokenInfo!.address, [slot], tag])
  const acctValue = await verifyMerkleProof(
    hexToBytes(tokenInfo!.address as `0x${string}`),
    sp.accountProof.map((h: string) => hexToBytes(h as `0x${string}`)),
    { root: hexToBytes(block.stateRoot), useKeyHashing: true },
  )
  const storageRootOf = (RLP.decode(acctValue!) as Uint8Array[])[2]!
  t.equal(sp.storageHash, '0x' + Buffer.from(storageRootOf).toString('hex'), 'storageHash is the proven storage root')
  t.equal(sp.storageProof.length, 1)
  t.equal(BigInt(sp.storageProof[0].key), BigInt(slot))
  t.equal(BigInt(sp.storageProof[0].value), tokenInfo!.balance)
  const stored = await verifyMerkleProof(
    hexToBytes(slot as `0x${string}`),
    sp.storageProof[0].proof.map((h: string) => hexToBytes(h as `0x${string}`)),
    { root: storageRootOf, useKeyHashing: true },
  )
  t.equal(bytesToBigInt(RLP.decode(stored!) as Uint8Array), tokenInfo!.balance, 'the storage proof verifies')
})

t.test('kill -9 while transfers stream in: nothing committed is lost', async (t) => {
  const sender = wallet(3)
  const recipient = Wallet.createRandom().address
  const first = await provider.getBlockNumber()
  const nonce0 = await provider.getTransactionCount(sender.address, first)
  const balance0 = await provider.getBalance(sender.address, first)
  const gasPrice = 2n * GWEI
  const hashes: string[] = []
  const values = new Map<string, bigint>()
  const sendOne = async (i: number) => {
    const value = 1000n + BigInt(i)
    const raw = await sender.signTransaction({
      to: recipient,
      value,
      nonce: nonce0 + i,
      gasLimit: 21000,
      type: 0,
      gasPrice,
      chainId: CHAIN_ID,
    })
    const hash = await rpc(node.url, 'eth_sendRawTransaction', [raw])
    hashes.push(hash)
    values.set(hash, value)
  }
  for (let i = 0; i < 15; i++) await sendOne(i)
  await mined(hashes[0]!)

  // the second half streams in; the node is killed in the middle of it
  const seen = new Map<string, string>()
  let lastHead = 0
  for (let i = 15; i < 30; i++) {
    if (i === 22) {
      lastHead = await provider.getBlockNumber()
      for (const h of hashes) {
        const r = await rpc(node.url, 'eth_getTransactionReceipt', [h])
        if (r !== null) seen.set(h, r.blockHash)
      }
      await node.kill('SIGKILL')
      break
    }
    await sendOne(i)
  }
  t.ok(seen.size >= 1, `${seen.size} receipts were seen before the kill`)
  t.equal(node.proc.signalCode, 'SIGKILL')

  await start()
  const head = await provider.getBlockNumber()
  t.ok(head >= lastHead, `head ${head} ≥ last seen ${lastHead}`)
  for (const [h, blockHash] of seen) {
    const r = await rpc(node.url, 'eth_getTransactionReceipt', [h])
    t.equal(r?.blockHash, blockHash, `receipt of ${h} survived`)
  }
  // every answered send was journaled before its answer (<datadir>/transactions.journal): the
  // ones still pooled at the kill come back with the restart and are mined too
  for (const h of hashes) await mined(h)
  const nowBlock = await provider.getBlockNumber()
  let spent = 0n
  let received = 0n
  let minedCount = 0
  for (const h of hashes) {
    const r = await provider.getTransactionReceipt(h)
    if (r === null || r.blockNumber > nowBlock) continue
    minedCount++
    spent += values.get(h)! + r.gasUsed * r.gasPrice
    received += values.get(h)!
  }
  t.equal(minedCount, hashes.length, 'every transfer sent before the kill is mined')
  t.equal(await provider.getTransactionCount(sender.address, nowBlock), nonce0 + minedCount, 'nonce = mined txs')
  t.equal(await provider.getBalance(sender.address, nowBlock), balance0 - spent, 'sender paid value + fees')
  t.equal(await provider.getBalance(recipient, nowBlock), received, 'recipient got the values')

  // the chain goes on: blocks and a new transfer
  await waitFor(async () => (await provider.getBlockNumber()) > head, 20_000, 'a block after restart')
  const next = await sender.connect(provider).sendTransaction({ to: recipient, value: 1n, nonce: nonce0 + minedCount, gasLimit: 21000 })
  t.equal((await mined(next.hash)).status, 1)
})

t.test('SIGINT stops with exit code 0; a restart continues from the same head', async (t) => {
  const before = await provider.getBlockNumber()
  const hash = (await provider.getBlock(before))!.hash
  t.equal(await node.stop(), 0, 'exit code 0')
  const stopped = /stopped head=(\d+) hash=(0x[0-9a-f]+)/.exec(node.stderr())
  t.ok(stopped, 'the node logs the head it stopped at')
  await start()
  const after = await provider.getBlockNumber()
  t.ok(after >= before, `head after restart ${after} ≥ ${before}`)
  t.ok(after >= Number(stopped![1]))
  t.equal((await provider.getBlock(before))!.hash, hash, 'the old head is still canonical')
  t.equal((await provider.getBlock(Number(stopped![1])))!.hash, stopped![2])
})

t.test('--reset starts over from block 0', async (t) => {
  const oldHead = await provider.getBlockNumber()
  const oldGenesis = (await provider.getBlock(0))!.hash
  const someTx = (await provider.getBlock(oldHead))!
  // SIGTERM stops as cleanly as SIGINT
  await node.kill('SIGTERM')
  t.equal(node.proc.exitCode, 0, 'SIGTERM: exit code 0')
  t.match(node.stderr(), /stopped head=/)
  const restartedAt = Date.now()
  await start(['--reset'])
  t.match(node.stderr(), /reset: removed the chain data/)
  t.match(node.stderr(), /initialised chain from genesis/)
  const head = await provider.getBlockNumber()
  t.ok(head < oldHead, `new head ${head} is below the old ${oldHead}`)
  // a dev genesis is timed when the chain is created and the producer makes one block per 1 s
  // slot from there: the chain is new if its genesis is from this start and it holds no more
  // blocks than slots went by since (a slow start-up on a loaded machine can leave more than 2)
  const genesisMs = Number(BigInt((await rpc<{ timestampMs: string }>(node.url, 'eth_getBlockByNumber', ['0x0', false])).timestampMs))
  t.ok(genesisMs >= Math.floor(restartedAt / 1000) * 1000, `the new genesis time ${genesisMs} is from this start (${restartedAt})`)
  const slotsSince = Math.floor((Date.now() - genesisMs) / 1000)
  t.ok(head <= slotsSince, `the chain is new: head ${head} ≤ ${slotsSince} slots since its genesis`)
  t.not((await provider.getBlock(0))!.hash, oldGenesis, 'a new genesis (dev genesis time is the start time)')
  t.equal(await provider.getTransactionCount(DEV_ACCOUNTS[3]!.address), 0, 'old transactions are gone')
  t.equal(await provider.getBlock(someTx.hash!), null)
  t.equal(await provider.getBalance(DEV_ACCOUNTS[2]!.address), parseEther('10000'))
  t.equal(await node.stop(), 0)
})
