import t, { type Test } from 'tap'
import path from 'node:path'
import { createAccessList2930Tx, createFeeMarket1559Tx, createLegacyTx, type TypedTransaction } from '@ethereumjs/tx'
import { Account, Address, bytesToHex, createAccountFromRLP, hexToBytes } from '@ethereumjs/util'
import { Bloom, type VM } from '@ethereumjs/vm'
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import { Interface, getCreateAddress, id as keccakUtf8, zeroPadValue, AbiCoder } from 'ethers'
import { BlockStore, openDatabase } from '../../../src/chain/blockStore.js'
import { bloomOfLogs } from '../../../src/chain/bloom.js'
import { makeCommon } from '../../../src/execution/common.js'
import { IMPORT_YIELD_EVERY, executeBlock, type BlockContext, type ExecutedBlock } from '../../../src/execution/blockExecutor.js'
import { POOLS } from '../../../src/execution/systemAddresses.js'
import { makeVm } from '../../../src/node/blockchain.js'
import { WorldState } from '../../../src/state/worldState.js'
import { devAddress, devGenesis, devKey, prng, probeContract, same, tempDir } from '../../helpers/inProcessNode.js'

const genesis = devGenesis()
const common = makeCommon(genesis.chainId)
const BASE = genesis.params.minGasPrice // 1 gwei
const GWEI = 1_000_000_000n
const POOL = new Address(hexToBytes(POOLS.shared))
const PRODUCER = new Address(hexToBytes('0x00000000000000000000000000000000000000fe'))
const rand = prng(2024)
const probe = probeContract()
const iface = new Interface(probe.abi as never)

interface Env {
  ws: WorldState
  vm: VM
  sm: MerkleStateManager
  number: bigint
  nonces: Map<number, bigint>
}

async function setup(t: Test): Promise<Env> {
  const db = await openDatabase(path.join(tempDir(t), 'db'))
  t.teardown(() => db.close())
  const ws = await WorldState.open(db, common)
  for (const [addr, a] of genesis.alloc) await ws.live.putAccount(new Address(hexToBytes(addr as `0x${string}`)), new Account(a.nonce, a.balance))
  await ws.live.getStateRoot()
  // no DposConfig: a plain EVM without the native system contracts
  const vm = await makeVm(common, ws, new BlockStore(db, common))
  return { ws, vm, sm: ws.live, number: 0n, nonces: new Map() }
}

function ctx(env: Env, over: Partial<BlockContext> = {}): BlockContext {
  return {
    number: ++env.number,
    timestamp: 1_700_000_000_000n + env.number * 1000n,
    producer: PRODUCER,
    gasLimit: genesis.params.blockGasLimit,
    baseFeePerGas: BASE,
    parentHash: Uint8Array.from({ length: 32 }, () => Math.floor(rand() * 256)),
    ...over,
  }
}

function nextNonce(env: Env, i: number): bigint {
  const n = env.nonces.get(i) ?? 0n
  env.nonces.set(i, n + 1n)
  return n
}

const to = (i: number) => new Address(hexToBytes(devAddress(i) as `0x${string}`))

type Kind = { type: 'legacy'; gasPrice: bigint } | { type: '2930'; gasPrice: bigint } | { type: '1559'; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }

function tx(
  env: Env,
  from: number,
  kind: Kind,
  fields: { to?: Address; value?: bigint; data?: Uint8Array; gasLimit?: bigint; nonce?: bigint },
): TypedTransaction {
  const base = {
    nonce: fields.nonce ?? nextNonce(env, from),
    to: fields.to,
    value: fields.value ?? 0n,
    data: fields.data ?? new Uint8Array(0),
    gasLimit: fields.gasLimit ?? 21_000n,
  }
  if (kind.type === 'legacy') return createLegacyTx({ ...base, gasPrice: kind.gasPrice }, { common }).sign(devKey(from))
  if (kind.type === '2930') return createAccessList2930Tx({ ...base, gasPrice: kind.gasPrice, accessList: [] }, { common }).sign(devKey(from))
  return createFeeMarket1559Tx({ ...base, maxFeePerGas: kind.maxFeePerGas, maxPriorityFeePerGas: kind.maxPriorityFeePerGas }, { common }).sign(devKey(from))
}

/** The price the test expects a tx to pay, from its own fields (not the module's helper). */
function expectedPrice(kind: Kind, base: bigint): bigint {
  if (kind.type !== '1559') return kind.gasPrice
  const c = base + kind.maxPriorityFeePerGas
  return c < kind.maxFeePerGas ? c : kind.maxFeePerGas
}

async function balance(sm: MerkleStateManager, a: Address): Promise<bigint> {
  return (await sm.getAccount(a))?.balance ?? 0n
}

/** The sum of every account balance in the trie at `root`. */
async function totalSupply(env: Env, root: Uint8Array): Promise<bigint> {
  const view = await env.ws.at(root)
  const { values } = await (view as unknown as { _trie: { getValueMap(): Promise<{ values: Record<string, string> }> } })._trie.getValueMap()
  let sum = 0n
  for (const v of Object.values(values)) sum += createAccountFromRLP(hexToBytes(v as `0x${string}`)).balance
  return sum
}

/** Runs a one-transaction block and checks the fee settlement against the spec exactly. */
async function feeCase(t: Test, env: Env, from: number, kind: Kind, fields: Parameters<typeof tx>[3]) {
  const sender = to(from)
  const recipient = fields.to
  const before = {
    sender: await balance(env.sm, sender),
    recipient: recipient ? await balance(env.sm, recipient) : 0n,
    producer: await balance(env.sm, PRODUCER),
    pool: await balance(env.sm, POOL),
    supply: await totalSupply(env, await env.sm.getStateRoot()),
  }
  const transaction = tx(env, from, kind, fields)
  const out = await executeBlock(env.vm, ctx(env), [transaction], { mode: 'build', sharedPool: POOL })
  t.equal(out.rejected.length, 0, 'included')
  t.equal(out.transactions.length, 1)
  const gasUsed = out.receipts[0].gasUsed
  const price = expectedPrice(kind, BASE)
  const excess = gasUsed * (price - BASE)
  const poolShare = excess / 2n
  t.equal(out.receipts[0].effectiveGasPrice, price, 'receipt effective price')
  t.equal((await balance(env.sm, POOL)) - before.pool, poolShare, 'pool gets floor(excess / 2)')
  t.equal(out.sharedPoolFees, poolShare, 'reported pool fees')
  t.equal((await balance(env.sm, PRODUCER)) - before.producer, gasUsed * BASE + excess - poolShare, 'producer gets gasUsed×min + excess − floor(excess/2)')
  t.equal(before.sender - (await balance(env.sm, sender)), (fields.value ?? 0n) + gasUsed * price, 'sender pays value + gasUsed × price')
  if (recipient && !recipient.equals(sender)) t.equal((await balance(env.sm, recipient)) - before.recipient, fields.value ?? 0n)
  t.equal(await totalSupply(env, out.stateRoot), before.supply, 'total NFC conserved')
  return { out, gasUsed, excess, poolShare }
}

t.test('fee settlement', async (t) => {
  const env = await setup(t)
  const supply0 = await totalSupply(env, await env.sm.getStateRoot())
  t.equal(supply0, genesis.totalSupply, 'the genesis state holds the whole supply')

  t.test('legacy, gasPrice above the minimum', async (t) => {
    const r = await feeCase(t, env, 1, { type: 'legacy', gasPrice: 3n * GWEI }, { to: to(2), value: 10n ** 18n })
    t.equal(r.gasUsed, 21_000n)
    t.equal(r.poolShare, 21_000n * GWEI, 'pool: half of 21000 × 2 gwei')
  })
  t.test('legacy at exactly minGasPrice: the pool gets nothing', async (t) => {
    const r = await feeCase(t, env, 2, { type: 'legacy', gasPrice: BASE }, { to: to(3), value: 5n })
    t.equal(r.poolShare, 0n)
  })
  t.test('EIP-2930 at exactly minGasPrice', async (t) => {
    const r = await feeCase(t, env, 3, { type: '2930', gasPrice: BASE }, { to: to(4), value: 7n })
    t.equal(r.poolShare, 0n)
  })
  t.test('EIP-1559: tip below the cap', async (t) => {
    const r = await feeCase(t, env, 4, { type: '1559', maxFeePerGas: 50n * GWEI, maxPriorityFeePerGas: 2n * GWEI + 1n }, { to: to(5), value: 1n })
    t.equal(r.excess, 21_000n * (2n * GWEI + 1n))
  })
  t.test('EIP-1559: capped by maxFeePerGas', async (t) => {
    const r = await feeCase(t, env, 5, { type: '1559', maxFeePerGas: BASE + 3n, maxPriorityFeePerGas: 5n }, { to: to(6), value: 1n })
    t.equal(r.excess, 21_000n * 3n)
  })
  t.test('EIP-1559 with zero tip: the pool gets nothing', async (t) => {
    const r = await feeCase(t, env, 6, { type: '1559', maxFeePerGas: 9n * GWEI, maxPriorityFeePerGas: 0n }, { to: to(7) })
    t.equal(r.poolShare, 0n)
  })
  t.test('contract creation and a call with an odd excess (floor of the half)', async (t) => {
    const created = getCreateAddress({ from: devAddress(7), nonce: 0 })
    const c = await feeCase(
      t,
      env,
      7,
      { type: '1559', maxFeePerGas: 10n * GWEI, maxPriorityFeePerGas: 3n },
      { data: probe.bytecode, gasLimit: 1_000_000n, value: 123n },
    )
    same(t, c.out.receipts[0].contractAddress, hexToBytes(created as `0x${string}`))
    t.equal(await balance(env.sm, new Address(hexToBytes(created as `0x${string}`))), 123n, 'the contract holds the endowment')
    const store = await feeCase(
      t,
      env,
      8,
      { type: '1559', maxFeePerGas: 10n * GWEI, maxPriorityFeePerGas: 1n },
      {
        to: new Address(hexToBytes(created as `0x${string}`)),
        data: hexToBytes(iface.encodeFunctionData('store', [5n]) as `0x${string}`),
        gasLimit: 200_000n,
      },
    )
    t.equal(store.out.receipts[0].status, 1)
    t.equal(store.out.receipts[0].logs.length, 2)
    // code of one JUMPDEST (1 gas): 21001 gas used, an odd tip → an odd excess
    const jumpdest = new Address(hexToBytes('0x0000000000000000000000000000000000050001'))
    await env.sm.putAccount(jumpdest, new Account())
    await env.sm.putCode(jumpdest, Uint8Array.of(0x5b, 0x00))
    const r = await feeCase(t, env, 8, { type: 'legacy', gasPrice: BASE + 7n }, { to: jumpdest, gasLimit: 30_000n })
    t.equal(r.gasUsed, 21_001n)
    t.equal(r.excess, 147_007n)
    t.equal(r.poolShare, 73_503n, 'floor(147007 / 2)')
    const odd = r.excess % 2n === 1n
    t.ok(odd, 'found a transaction whose excess is odd')
  })
  t.test('the supply is still whole', async (t) => {
    t.equal(await totalSupply(env, await env.sm.getStateRoot()), supply0)
  })
})

t.test('receipts, logs, bloom and cumulative gas of a multi-transaction block', async (t) => {
  const env = await setup(t)
  const contract = new Address(hexToBytes(getCreateAddress({ from: devAddress(1), nonce: 0 }) as `0x${string}`))
  const txs = [
    tx(env, 1, { type: '1559', maxFeePerGas: 5n * GWEI, maxPriorityFeePerGas: GWEI }, { data: probe.bytecode, gasLimit: 1_000_000n }),
    tx(env, 2, { type: 'legacy', gasPrice: 2n * GWEI }, { to: to(3), value: 99n }),
    tx(
      env,
      3,
      { type: '2930', gasPrice: 2n * GWEI },
      { to: contract, data: hexToBytes(iface.encodeFunctionData('store', [77n]) as `0x${string}`), gasLimit: 200_000n },
    ),
    tx(
      env,
      4,
      { type: '1559', maxFeePerGas: 5n * GWEI, maxPriorityFeePerGas: 0n },
      { to: contract, data: hexToBytes(iface.encodeFunctionData('fail', ['no']) as `0x${string}`), gasLimit: 100_000n },
    ),
    tx(
      env,
      5,
      { type: 'legacy', gasPrice: BASE },
      { to: contract, data: hexToBytes(iface.encodeFunctionData('store', [78n]) as `0x${string}`), gasLimit: 200_000n },
    ),
  ]
  const out = await executeBlock(env.vm, ctx(env), txs, { mode: 'import', sharedPool: POOL })
  t.equal(out.transactions.length, 5)
  same(
    t,
    out.receipts.map((r) => r.status),
    [1, 1, 1, 0, 1],
    'the reverted call is included with status 0',
  )
  let cumulative = 0n
  for (const [i, r] of out.receipts.entries()) {
    cumulative += r.gasUsed
    t.equal(r.cumulativeGasUsed, cumulative, `cumulative gas of tx ${i}`)
  }
  t.equal(out.gasUsed, cumulative, 'block gasUsed is the sum')
  t.equal(out.receipts[1].gasUsed, 21_000n)
  same(t, out.receipts[0].contractAddress, contract.bytes)
  for (const i of [1, 2, 3, 4]) t.equal(out.receipts[i].contractAddress.length, 0, 'no contract address for a call')
  t.equal(out.receipts[3].logs.length, 0, 'a reverted call has no logs')
  same(t, out.receipts[0].logs, [])
  // the Stored and Ping logs, exactly
  const storedTopic = keccakUtf8('Stored(uint256,address,bytes)')
  const pingTopic = keccakUtf8('Ping(uint256)')
  const logsOf = (v: bigint, by: number) => [
    {
      address: contract.toString(),
      topics: [storedTopic, zeroPadValue(`0x${v.toString(16)}`, 32), zeroPadValue(devAddress(by), 32)],
      data: AbiCoder.defaultAbiCoder().encode(['bytes'], ['0x6869']),
    },
    { address: contract.toString(), topics: [pingTopic], data: zeroPadValue(`0x${(v + 1n).toString(16)}`, 32) },
  ]
  same(
    t,
    out.receipts[2].logs,
    logsOf(77n, 3).map((l) => ({
      address: hexToBytes(l.address as `0x${string}`),
      topics: l.topics.map((x) => hexToBytes(x as `0x${string}`)),
      data: hexToBytes(l.data as `0x${string}`),
    })),
  )
  same(
    t,
    out.receipts[4].logs.map((l) => bytesToHex(l.topics[l.topics.length - 1])),
    [zeroPadValue(devAddress(5), 32), pingTopic],
  )
  same(t, out.receipts[4].logs[0].topics[1], hexToBytes(zeroPadValue('0x4e', 32) as `0x${string}`))
  // the bloom: Ethereum's, over every log of the block
  const ej = new Bloom()
  for (const r of out.receipts)
    for (const l of r.logs) {
      ej.add(l.address)
      for (const tp of l.topics) ej.add(tp)
    }
  same(t, out.logsBloom, ej.bitvector)
  same(t, out.logsBloom, bloomOfLogs(out.receipts.flatMap((r) => r.logs)))
  t.ok(out.logsBloom.some((b) => b !== 0))
  // the state reflects the calls
  same(t, await env.sm.getStorage(contract, new Uint8Array(32)), Uint8Array.of(78))
  // effective prices in the receipts
  same(
    t,
    out.receipts.map((r) => r.effectiveGasPrice),
    [2n * GWEI, 2n * GWEI, 2n * GWEI, BASE, BASE],
  )
  // fee totals over the block
  const pool = out.receipts.reduce((s, r) => s + (r.gasUsed * (r.effectiveGasPrice - BASE)) / 2n, 0n)
  t.equal(await balance(env.sm, POOL), pool)
  t.equal(out.sharedPoolFees, pool)
  t.equal(await totalSupply(env, out.stateRoot), genesis.totalSupply, 'total NFC conserved')
})

t.test('same transactions on the same state give the same root (determinism)', async (t) => {
  const roots: string[] = []
  for (let run = 0; run < 2; run++) {
    const env = await setup(t)
    env.number = 0n
    const c = ctx(env, { parentHash: new Uint8Array(32).fill(1) })
    const out = await executeBlock(
      env.vm,
      c,
      [
        tx(env, 1, { type: 'legacy', gasPrice: 2n * GWEI }, { to: to(2), value: 1n }),
        tx(env, 1, { type: '1559', maxFeePerGas: 3n * GWEI, maxPriorityFeePerGas: 5n }, { data: probe.bytecode, gasLimit: 1_000_000n }),
      ],
      { mode: 'import', sharedPool: POOL },
    )
    roots.push(bytesToHex(out.stateRoot))
  }
  t.equal(roots[0], roots[1])
})

t.test('an import lets the event loop run between transactions; a build keeps it', async (t) => {
  const env = await setup(t)
  const n = IMPORT_YIELD_EVERY * 2 + 10
  const block = (e: Env) => Array.from({ length: n }, () => tx(e, 1, { type: 'legacy', gasPrice: 2n * GWEI }, { to: to(2), value: 1n }))
  // a first block warms the caches: the next runs on cached state, without a disk read to wait on
  await executeBlock(env.vm, ctx(env), block(env), { mode: 'import', sharedPool: POOL })
  for (const mode of ['import', 'build'] as const) {
    let ticks = 0
    let counting = true
    const tick = () => {
      ticks++
      if (counting) setImmediate(tick)
    }
    setImmediate(tick)
    const out = await executeBlock(env.vm, ctx(env), block(env), { mode, sharedPool: POOL })
    counting = false
    t.equal(out.transactions.length, n, `${mode}: every transaction in`)
    if (mode === 'import') t.ok(ticks >= 2, `import: the event loop ran during the block (${ticks} turns)`)
    else t.comment(`build: ${ticks} turns of the event loop during the block`)
  }
})

t.test("'build' skips a transaction that cannot run; 'import' refuses the block", async (t) => {
  const env = await setup(t)
  const good = tx(env, 1, { type: 'legacy', gasPrice: 2n * GWEI }, { to: to(2), value: 1n })
  const badNonce = tx(env, 2, { type: 'legacy', gasPrice: 2n * GWEI }, { to: to(3), value: 1n, nonce: 5n })
  const poor = createLegacyTx({ nonce: 0n, gasPrice: 2n * GWEI, gasLimit: 21_000n, to: to(1), value: 1n }, { common }).sign(hexToBytes(`0x${'11'.repeat(32)}`))
  const later = tx(env, 1, { type: '1559', maxFeePerGas: 2n * GWEI, maxPriorityFeePerGas: 1n }, { to: to(4), value: 2n })
  const root0 = await env.sm.getStateRoot()

  const out: ExecutedBlock = await executeBlock(env.vm, ctx(env), [good, badNonce, poor, later], { mode: 'build', sharedPool: POOL })
  same(
    t,
    out.transactions.map((x) => bytesToHex(x.hash())),
    [good, later].map((x) => bytesToHex(x.hash())),
  )
  same(
    t,
    out.rejected.map((r) => bytesToHex(r.tx.hash())),
    [badNonce, poor].map((x) => bytesToHex(x.hash())),
  )
  t.match(out.rejected[0].error.message, /nonce/)
  t.match(out.rejected[1].error.message, /balance|funds|cost/i)
  t.equal((await env.sm.getAccount(to(2)))?.nonce, 0n, 'the skipped sender is untouched')
  t.equal(out.receipts.length, 2)
  t.equal(out.receipts[1].cumulativeGasUsed, 42_000n)

  // import of a block with the bad-nonce transaction: the whole block is refused
  const env2 = await setup(t)
  const g2 = tx(env2, 1, { type: 'legacy', gasPrice: 2n * GWEI }, { to: to(2), value: 1n })
  const bad2 = tx(env2, 2, { type: 'legacy', gasPrice: 2n * GWEI }, { to: to(3), value: 1n, nonce: 5n })
  await t.rejects(executeBlock(env2.vm, ctx(env2), [g2, bad2], { mode: 'import', sharedPool: POOL }), {
    code: 'EXEC_INVALID_TRANSACTION',
    message: /transaction 1 is invalid/,
  })
  t.not(bytesToHex(root0), '', 'sanity')
})

t.test('block gas limit: build leaves out what does not fit, import refuses', async (t) => {
  const env = await setup(t)
  const a = tx(env, 1, { type: 'legacy', gasPrice: 2n * GWEI }, { to: to(2), gasLimit: 30_000n })
  const b = tx(env, 2, { type: 'legacy', gasPrice: 2n * GWEI }, { to: to(3), gasLimit: 30_000n })
  const c = tx(env, 3, { type: 'legacy', gasPrice: 2n * GWEI }, { to: to(4), gasLimit: 21_000n })
  const out = await executeBlock(env.vm, ctx(env, { gasLimit: 50_000n }), [a, b, c], { mode: 'build', sharedPool: POOL })
  same(
    t,
    out.transactions.map((x) => bytesToHex(x.hash())),
    [a, c].map((x) => bytesToHex(x.hash())),
    'b (21000 used + 30000 limit > 50000) is left out, c fits',
  )
  // not rejected (the producer drops rejected transactions from the pool): left for a later block
  t.equal(out.rejected.length, 0, 'nothing rejected')
  same(
    t,
    out.left.map((x) => bytesToHex(x.hash())),
    [bytesToHex(b.hash())],
    'b is left, to stay in the pool',
  )
  const env2 = await setup(t)
  const a2 = tx(env2, 1, { type: 'legacy', gasPrice: 2n * GWEI }, { to: to(2), gasLimit: 30_000n })
  const b2 = tx(env2, 2, { type: 'legacy', gasPrice: 2n * GWEI }, { to: to(3), gasLimit: 30_000n })
  await t.rejects(executeBlock(env2.vm, ctx(env2, { gasLimit: 50_000n }), [a2, b2], { mode: 'import', sharedPool: POOL }), { code: 'EXEC_BLOCK_GAS_EXCEEDED' })
})

t.test('the EVM sees the block context (TIMESTAMP in seconds, NUMBER, COINBASE)', async (t) => {
  const env = await setup(t)
  // runtime: TIMESTAMP NUMBER COINBASE → store in slots 0,1,2
  // 42 PUSH1 0 SSTORE ; 43 PUSH1 1 SSTORE ; 41 PUSH1 2 SSTORE ; STOP
  const runtime = Uint8Array.from([0x42, 0x60, 0x00, 0x55, 0x43, 0x60, 0x01, 0x55, 0x41, 0x60, 0x02, 0x55, 0x00])
  const codeAddr = new Address(hexToBytes('0x00000000000000000000000000000000000c0de0'))
  await env.sm.putAccount(codeAddr, new Account())
  await env.sm.putCode(codeAddr, runtime)
  const c = ctx(env, { timestamp: 1_700_000_123_456n })
  const out = await executeBlock(env.vm, c, [tx(env, 1, { type: 'legacy', gasPrice: BASE }, { to: codeAddr, gasLimit: 100_000n })], {
    mode: 'import',
    sharedPool: POOL,
  })
  t.equal(out.receipts[0].status, 1)
  const slot = (n: number) => {
    const k = new Uint8Array(32)
    k[31] = n
    return k
  }
  t.equal(BigInt(bytesToHex(await env.sm.getStorage(codeAddr, slot(0)))), 1_700_000_123n, 'TIMESTAMP = ms / 1000')
  t.equal(BigInt(bytesToHex(await env.sm.getStorage(codeAddr, slot(1)))), c.number)
  same(t, await env.sm.getStorage(codeAddr, slot(2)), PRODUCER.bytes.subarray(PRODUCER.bytes.findIndex((b) => b !== 0)))
})
