/**
 * Plain transfers skip the EVM (src/execution/plainTransfer.ts): every block here is executed
 * twice on two equal states, once with plain transfers by plainTransfer.ts and once all by
 * @ethereumjs/vm runTx (`evmForTransfers`), and everything the block executor hands back — state
 * root, receipts, gas, bloom, fees, included, refused with their reasons — must be the same.
 * The transactions are the awkward ones: zero value to nobody (EIP-161: nobody is created), to
 * oneself, to and from the producer while it is still empty, to the shared pool, to a contract,
 * a precompile and a system contract, from an account with code (EIP-3607), a priority fee over
 * the fee cap, zero tip, fee cap below the base fee, wrong nonces, short funds, legacy and
 * access-list types; then 400 random ones.
 */
import t, { type Test } from 'tap'
import path from 'node:path'
import { createAccessList2930Tx, createFeeMarket1559Tx, createLegacyTx, type TypedTransaction } from '@ethereumjs/tx'
import { Account, Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import { BlockStore, openDatabase } from '../../../src/chain/blockStore.js'
import { SYSTEM_CONTRACTS } from '../../../src/chain/systemAddresses.js'
import { executeBlock, type BlockContext, type ExecutedBlock } from '../../../src/execution/blockExecutor.js'
import { makeCommon } from '../../../src/execution/common.js'
import { isPlainTransfer } from '../../../src/execution/plainTransfer.js'
import { POOLS } from '../../../src/execution/systemAddresses.js'
import { dposConfigOf, makeVm } from '../../../src/node/blockchain.js'
import { WorldState } from '../../../src/state/worldState.js'
import { devAddress, devGenesis, devKey, prng, tempDir } from '../../helpers/inProcessNode.js'

const genesis = devGenesis()
const common = makeCommon(genesis.chainId)
const BASE = genesis.params.minGasPrice
const GWEI = 1_000_000_000n
const POOL = new Address(hexToBytes(POOLS.shared))
/** the producer: no account until the first fee reaches it */
const PRODUCER = new Address(hexToBytes('0x00000000000000000000000000000000000000fe'))
const CONTRACT = new Address(hexToBytes('0x00000000000000000000000000000000c0de0001'))
/** a dev account given code: its transactions are refused (EIP-3607) */
const CODED_SENDER = 5
const RETURN_ONE = hexToBytes('0x600160005260206000f3')
const addr = (i: number) => new Address(hexToBytes(devAddress(i) as `0x${string}`))
const fresh = (i: number) => new Address(hexToBytes(`0x${(0xabc000 + i).toString(16).padStart(40, '0')}` as `0x${string}`))

interface Side {
  ws: WorldState
  vm: Awaited<ReturnType<typeof makeVm>>
}

async function side(t: Test): Promise<Side> {
  const db = await openDatabase(path.join(tempDir(t), 'db'))
  t.teardown(() => db.close())
  const ws = await WorldState.open(db, common)
  for (const [a, acct] of genesis.alloc) await ws.live.putAccount(new Address(hexToBytes(a as `0x${string}`)), new Account(acct.nonce, acct.balance))
  await ws.live.putCode(CONTRACT, RETURN_ONE)
  await ws.live.putCode(addr(CODED_SENDER), RETURN_ONE)
  await ws.live.getStateRoot()
  const vm = await makeVm(common, ws, new BlockStore(db, common), dposConfigOf(genesis, 0n, new Uint8Array(32)))
  return { ws, vm }
}

type Fee = { type: 0; gasPrice: bigint } | { type: 1; gasPrice: bigint } | { type: 2; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }

function sign(
  from: number,
  nonce: bigint,
  fee: Fee,
  f: { to?: Address; value?: bigint; gasLimit?: bigint; data?: Uint8Array; accessList?: boolean },
): TypedTransaction {
  const base = { nonce, to: f.to, value: f.value ?? 0n, gasLimit: f.gasLimit ?? 21_000n, data: f.data ?? new Uint8Array(0) }
  if (fee.type === 0) return createLegacyTx({ ...base, gasPrice: fee.gasPrice }, { common }).sign(devKey(from))
  const accessList = f.accessList === true ? [{ address: devAddress(9) as `0x${string}`, storageKeys: [] as `0x${string}`[] }] : []
  if (fee.type === 1) return createAccessList2930Tx({ ...base, gasPrice: fee.gasPrice, accessList }, { common }).sign(devKey(from))
  return createFeeMarket1559Tx({ ...base, maxFeePerGas: fee.maxFeePerGas, maxPriorityFeePerGas: fee.maxPriorityFeePerGas, accessList }, { common }).sign(
    devKey(from),
  )
}

function ctxOf(n: bigint): BlockContext {
  return {
    number: n,
    timestamp: 1_700_000_000_000n + n * 1000n,
    producer: PRODUCER,
    gasLimit: genesis.params.blockGasLimit,
    baseFeePerGas: BASE,
    parentHash: new Uint8Array(32).fill(Number(n)),
  }
}

/** what the executor hands back, comparable */
function view(b: ExecutedBlock) {
  return {
    stateRoot: bytesToHex(b.stateRoot),
    gasUsed: b.gasUsed,
    logsBloom: bytesToHex(b.logsBloom),
    sharedPoolFees: b.sharedPoolFees,
    included: b.transactions.map((x) => bytesToHex(x.hash())),
    receipts: b.receipts.map((r) => ({ ...r, contractAddress: bytesToHex(r.contractAddress), logs: r.logs.length })),
    rejected: b.rejected.map((r) => [bytesToHex(r.tx.hash()), r.error.message]),
    left: b.left.map((x) => bytesToHex(x.hash())),
  }
}

interface Sides {
  fast: Side
  evm: Side
  /** two more at the same state: each block's included transactions imported, one each way */
  importFast: Side
  importEvm: Side
}

async function sides(t: Test): Promise<Sides> {
  return { fast: await side(t), evm: await side(t), importFast: await side(t), importEvm: await side(t) }
}

/** Builds `txs` on both sides, then imports what was included on the other two; all four must agree. */
async function both(t: Test, s: Sides, n: bigint, txs: TypedTransaction[], what: string): Promise<ExecutedBlock> {
  const a = await executeBlock(s.fast.vm, ctxOf(n), txs, { mode: 'build', sharedPool: POOL })
  const b = await executeBlock(s.evm.vm, ctxOf(n), txs, { mode: 'build', sharedPool: POOL, evmForTransfers: true })
  t.same(view(a), view(b), `${what}: built the same (root ${bytesToHex(a.stateRoot).slice(0, 10)}…, ${a.transactions.length} included)`)
  const c = await executeBlock(s.importFast.vm, ctxOf(n), a.transactions, { mode: 'import', sharedPool: POOL })
  const d = await executeBlock(s.importEvm.vm, ctxOf(n), a.transactions, { mode: 'import', sharedPool: POOL, evmForTransfers: true })
  t.equal(bytesToHex(c.stateRoot), bytesToHex(a.stateRoot), `${what}: imported with plain transfers, the built root`)
  t.equal(bytesToHex(d.stateRoot), bytesToHex(a.stateRoot), `${what}: imported all by runTx, the built root`)
  return a
}

t.test('the awkward transfers: the same as runTx, to the byte', async (t) => {
  const s = await sides(t)
  const tip = (maxPriorityFeePerGas: bigint, maxFeePerGas = 10n * GWEI): Fee => ({ type: 2, maxFeePerGas, maxPriorityFeePerGas })
  const txs = [
    sign(0, 0n, tip(0n, BASE), { to: fresh(1), value: 0n }), // zero tip, zero value to nobody, producer still empty
    sign(0, 1n, tip(GWEI), { to: fresh(2), value: 5n }),
    sign(0, 2n, tip(GWEI), { to: addr(0), value: 7n }), // to oneself
    sign(0, 3n, tip((5n * GWEI) / 2n, 3n * GWEI), { to: addr(1), value: 1n, gasLimit: 30_000n }), // tip over cap − base, gas refunded
    sign(1, 0n, { type: 0, gasPrice: 2n * GWEI }, { to: PRODUCER, value: 3n }),
    sign(1, 1n, { type: 1, gasPrice: 3n * GWEI }, { to: POOL, value: 4n }),
    sign(1, 2n, { type: 1, gasPrice: 3n * GWEI }, { to: fresh(3), value: 4n, accessList: true }), // access list: runTx
    sign(2, 0n, tip(GWEI), { to: CONTRACT, value: 1n }), // code: runTx
    sign(2, 1n, tip(GWEI), { to: new Address(hexToBytes('0x0000000000000000000000000000000000000004')), value: 1n }), // identity precompile
    sign(2, 2n, tip(GWEI), { to: new Address(hexToBytes(SYSTEM_CONTRACTS.staking)), value: 0n }), // a system contract
    sign(2, 3n, tip(GWEI), { to: fresh(4), value: 1n, data: new Uint8Array([1]) }), // calldata: runTx
    sign(CODED_SENDER, 0n, tip(GWEI), { to: fresh(5), value: 1n }), // EIP-3607
    sign(3, 5n, tip(GWEI), { to: fresh(6), value: 1n }), // nonce ahead
    sign(3, 0n, tip(0n, BASE - 1n), { to: fresh(6), value: 1n }), // fee cap below the base fee
    sign(3, 0n, tip(GWEI), { to: fresh(6), value: 10n ** 30n }), // more than it has
    sign(3, 0n, tip(GWEI), { to: fresh(6), value: 2n, gasLimit: 20_999n }), // under the intrinsic gas
    sign(3, 0n, tip(GWEI), { to: fresh(7), value: 2n }),
    sign(3, 0n, tip(GWEI), { to: fresh(7), value: 2n, gasLimit: 21_001n }), // nonce already used
  ]
  const plain = txs.filter((x) => isPlainTransfer(s.fast.vm, x, BASE)).length
  t.ok(plain >= 8 && plain < txs.length, `${plain} of ${txs.length} are plain by shape: both paths are exercised`)
  t.notOk(isPlainTransfer(s.fast.vm, txs[9]!, BASE), 'a system contract (a precompile of ours) is no plain recipient')
  t.notOk(isPlainTransfer(s.fast.vm, txs[8]!, BASE), 'nor is an Ethereum precompile')
  const built = await both(t, s, 1n, txs, 'awkward block')
  t.ok(built.rejected.length >= 6, `${built.rejected.length} refused, with runTx's reasons on both sides`)
  t.equal((await s.fast.ws.live.getAccount(fresh(1))) ?? 'absent', 'absent', 'a zero-value transfer created no account')
})

t.test('400 random transfers over 4 blocks: the same as runTx', async (t) => {
  const s = await sides(t)
  const rand = prng(4242)
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!
  const senders = [0, 1, 2, 3, 4, 6, 7, 8]
  const targets = [...senders.map(addr), fresh(10), fresh(11), fresh(12), PRODUCER, POOL, CONTRACT]
  for (let n = 1n; n <= 4n; n++) {
    const nonces = new Map<number, bigint>()
    for (const from of senders) nonces.set(from, (await s.fast.ws.live.getAccount(addr(from)))?.nonce ?? 0n)
    const txs: TypedTransaction[] = []
    for (let i = 0; i < 100; i++) {
      const from = pick(senders)
      const next = nonces.get(from) ?? 0n
      const r = rand()
      const nonce = r < 0.05 ? next + 1n : r < 0.08 && next > 0n ? next - 1n : next // a few gaps and reuses
      if (nonce === next) nonces.set(from, next + 1n)
      const fee: Fee = pick<Fee>([
        { type: 0, gasPrice: BASE + BigInt(Math.floor(rand() * 3)) * GWEI },
        { type: 1, gasPrice: BASE },
        { type: 2, maxFeePerGas: BASE + 2n * GWEI, maxPriorityFeePerGas: BigInt(Math.floor(rand() * 4)) * (GWEI / 2n) },
      ])
      const value = pick([0n, 1n, BigInt(Math.floor(rand() * 1e9)), 10n ** 18n])
      txs.push(sign(from, nonce, fee, { to: pick(targets), value, gasLimit: pick([21_000n, 21_000n, 25_000n]) }))
    }
    const built = await both(t, s, n, txs, `random block ${n}`)
    t.ok(built.transactions.length >= 50, `random block ${n}: ${built.transactions.length} included, ${built.rejected.length} refused`)
  }
})
