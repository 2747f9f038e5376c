/**
 * The `pending` tag on a real in-process node whose producer is off: the pool's next block
 * (eth_getBlockByNumber), the state after it (eth_getBalance / eth_getCode / eth_call), the pool's
 * nonce (eth_getTransactionCount), and the cache that keeps wallet polling cheap.
 */
import t from 'tap'
import { createLegacyTx, type TypedTransaction } from '@ethereumjs/tx'
import { Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import { getCreateAddress, keccak256 } from 'ethers'
import { makeCommon } from '../../../src/execution/common.js'
import { PendingBlockCache } from '../../../src/node/pendingBlock.js'
import { devAddress, devKey, startNode } from '../../helpers/inProcessNode.js'

const GWEI = 1_000_000_000n
const RECIPIENT = '0x00000000000000000000000000000000000000bb'
// init code returning the runtime 0x602a60005260206000f3 (which returns the word 42)
const INIT = '0x69602a60005260206000f3600052600a6016f3'
const RUNTIME = '0x602a60005260206000f3'

t.test('pending: the next block, its state, the pool nonce, cached per head and pool version', async (t) => {
  let clock = Date.now()
  const n = await startNode(t, { now: () => clock })
  const common = makeCommon(n.genesis.chainId)
  const gasPrice = n.genesis.params.minGasPrice + GWEI
  const tx = (nonce: bigint, o: { to?: string; value?: bigint; data?: string; gasLimit?: bigint } = {}): TypedTransaction =>
    createLegacyTx(
      {
        nonce,
        gasPrice,
        gasLimit: o.gasLimit ?? 21_000n,
        to: o.to === undefined ? undefined : new Address(hexToBytes(o.to as `0x${string}`)),
        value: o.value ?? 0n,
        data: hexToBytes((o.data ?? '0x') as `0x${string}`),
      },
      { common },
    ).sign(devKey(1))
  const send = async (x: TypedTransaction) => n.rpc('eth_sendRawTransaction', [bytesToHex(x.serialize())])
  const sender = devAddress(1)
  const head = BigInt(await n.rpc('eth_blockNumber'))

  const empty = await n.rpc('eth_getBlockByNumber', ['pending', false])
  t.equal(empty.number, `0x${(head + 1n).toString(16)}`, 'an empty pool still has a next block')
  t.same(empty.transactions, [])
  t.equal(empty.hash, null)

  const txs = [tx(0n, { to: RECIPIENT, value: 1000n }), tx(1n, { to: RECIPIENT, value: 234n }), tx(2n, { data: INIT, gasLimit: 100_000n })]
  for (const x of txs) await send(x)
  await send(tx(5n, { to: RECIPIENT, value: 1n })) // behind a gap: not in the next block
  const contract = getCreateAddress({ from: sender, nonce: 2 }).toLowerCase()
  clock += 1000 // past the rebuild interval

  t.equal(await n.rpc('eth_getTransactionCount', [sender, 'pending']), '0x3', 'the pool nonce, without the gapped tx')
  t.equal(await n.rpc('eth_getTransactionCount', [sender, 'latest']), '0x0')

  const block = await n.rpc('eth_getBlockByNumber', ['pending', false])
  t.equal(block.number, `0x${(head + 1n).toString(16)}`)
  t.same(
    block.transactions,
    txs.map((x) => bytesToHex(x.hash())),
    'what selectForBlock takes, in nonce order',
  )
  t.equal(block.hash, null, 'unsealed: no hash, as geth')
  t.equal(block.nonce, null)
  t.equal(block.miner, '0x0000000000000000000000000000000000000000', 'a node without a witness key')
  t.equal(block.parentHash, (await n.rpc('eth_getBlockByNumber', ['latest', false])).hash)
  t.ok(BigInt(block.gasUsed) > 42_000n, 'executed: two transfers and a deployment')
  const full = await n.rpc('eth_getBlockByNumber', ['pending', true])
  t.same(
    full.transactions.map((x: { hash: string; blockHash: unknown }) => [x.hash, x.blockHash]),
    txs.map((x) => [bytesToHex(x.hash()), null]),
  )

  t.equal(await n.rpc('eth_getBalance', [RECIPIENT, 'pending']), '0x4d2', '1000 + 234 wei after the pending block')
  t.equal(await n.rpc('eth_getBalance', [RECIPIENT, 'latest']), '0x0')
  t.equal(await n.rpc('eth_getCode', [contract, 'pending']), RUNTIME)
  t.equal(await n.rpc('eth_getCode', [contract, 'latest']), '0x')
  t.equal(BigInt(await n.rpc('eth_call', [{ to: contract }, 'pending'])), 42n, 'eth_call runs on the pending state')
  t.equal(await n.rpc('eth_call', [{ to: contract }, 'latest']), '0x')
  t.ok(BigInt(await n.rpc('eth_estimateGas', [{ to: contract }, 'pending'])) > 21_000n)

  // proofs, access lists and traces see the pending state too (the contract exists only there)
  const proof = await n.rpc('eth_getProof', [RECIPIENT, [], 'pending'])
  t.equal(proof.balance, '0x4d2', 'eth_getProof proves the pending balance')
  t.equal((await n.rpc('eth_getProof', [RECIPIENT, [], 'latest'])).balance, '0x0')
  t.equal(keccak256(proof.accountProof[0]), block.stateRoot, "the proof's root node is the pending block's stateRoot")
  const listed = await n.rpc('eth_createAccessList', [{ from: sender, to: contract }, 'pending'])
  t.ok(BigInt(listed.gasUsed) > 21_000n, 'eth_createAccessList executes the pending contract')
  t.equal(listed.error, undefined)
  const traced = await n.rpc('debug_traceCall', [{ to: contract }, 'pending', { tracer: 'callTracer' }])
  t.equal(BigInt(traced.output), 42n, 'debug_traceCall runs on the pending state')
  t.equal((await n.rpc('debug_traceCall', [{ to: contract }, 'latest', { tracer: 'callTracer' }])).output ?? '0x', '0x')

  // polling does not rebuild; a pool change does, but not more often than every 500 ms
  const builds = n.node.pending.builds
  for (let i = 0; i < 5; i++) await n.rpc('eth_getBalance', [RECIPIENT, 'pending'])
  t.equal(n.node.pending.builds, builds, 'same head, same pool: the cached block')
  await send(tx(3n, { to: RECIPIENT, value: 1n }))
  t.equal(await n.rpc('eth_getBalance', [RECIPIENT, 'pending']), '0x4d2', 'within 500 ms of the last build: the cached block')
  clock += 500
  t.equal(await n.rpc('eth_getBalance', [RECIPIENT, 'pending']), '0x4d3', 'then rebuilt with the new tx')
  t.equal(n.node.pending.builds, builds + 1)

  // once the block is made, latest has it and pending is the (empty) block after
  await n.produceBlock()
  t.equal(await n.rpc('eth_getBalance', [RECIPIENT, 'latest']), '0x4d3')
  const next = await n.rpc('eth_getBlockByNumber', ['pending', false])
  t.equal(next.number, `0x${(head + 2n).toString(16)}`)
  t.same(next.transactions, [], 'the gapped tx (nonce 5) still waits')
  t.equal(await n.rpc('eth_getTransactionCount', [sender, 'pending']), '0x4')
})

t.test('a build executes at most maxTxs transactions', async (t) => {
  const n = await startNode(t)
  const common = makeCommon(n.genesis.chainId)
  for (let nonce = 0n; nonce < 5n; nonce++) {
    const x = createLegacyTx(
      { nonce, gasPrice: n.genesis.params.minGasPrice, gasLimit: 21_000n, to: new Address(hexToBytes(RECIPIENT)), value: 1n },
      { common },
    ).sign(devKey(1))
    await n.rpc('eth_sendRawTransaction', [bytesToHex(x.serialize())])
  }
  const chain = n.node.chain
  const capped = new PendingBlockCache(
    {
      head: () => chain.head,
      common: chain.common,
      blockchain: chain.vm.blockchain,
      dpos: chain.dpos,
      intervalMs: BigInt(n.genesis.params.blockIntervalMs),
      stateAt: (head) => chain.stateAt(head.header),
      select: (gasLimit) => n.node.txpool.selectForBlock(gasLimit),
      poolVersion: () => n.node.txpool.version,
      producer: new Uint8Array(20),
      now: () => 0,
    },
    { maxTxs: 2 },
  )
  const block = await capped.get()
  t.equal(block.transactions.length, 2)
  t.equal(block.header.gasUsed, 42_000n)
  t.equal((await block.state().getAccount(new Address(hexToBytes(RECIPIENT))))?.balance, 2n)
  t.equal((await n.rpc('eth_getBlockByNumber', ['pending', false])).transactions.length, 5, "the node's own cap (200) takes all five")
})
