/**
 * Test fixture for the native system contracts: a real VM (Cancun, chain 2100) on a
 * MerkleStateManager with the system precompiles and hooks, funded dev accounts, the system
 * accounts as genesis writes them, signed transactions through runTx and eth_call-style runs
 * through evm.runCall. Calldata is encoded with ethers' Interface from the shipped ABI JSON, so
 * the tests cross-check the native codec.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Block } from '@ethereumjs/block'
import type { EVMResult } from '@ethereumjs/evm'
import { MerkleStateManager } from '@ethereumjs/statemanager'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { Account, Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import { runTx, type RunTxResult, type VM } from '@ethereumjs/vm'
import { AbiCoder, Interface } from 'ethers'
import type { DposConfig } from '../../src/consensus/dpos/engine.js'
import { BLOCK_MINING_POOL, DposStore, EVIDENCE, NODE_REGISTRY, SHARED_POOL, STAKING } from '../../src/consensus/dpos/store.js'
import { evmBlock } from '../../src/execution/blockExecutor.js'
import { makeCommon } from '../../src/execution/common.js'
import { createSystemVm, prepareSystemAccounts } from '../../src/execution/system/index.js'
import { devAddress, devKey } from './inProcessNode.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const abiDir = path.resolve(here, '..', '..', 'src', 'execution', 'system', 'abi')
const solDir = path.resolve(here, '..', '..', 'src', 'execution', 'system', 'sol')

export const NFC = 10n ** 18n
export const GWEI = 1_000_000_000n
export const DAY = 86_400_000n

export function abiJson(
  name: 'IStaking' | 'INodeRegistry' | 'IFlowRewards' | 'INB' | 'IEvidence' | 'IGovernance' | 'INames' | 'IPaymentChannels' | 'IStorageDeals',
): unknown[] {
  return JSON.parse(fs.readFileSync(path.join(abiDir, `${name}.json`), 'utf8')) as unknown[]
}
export function solSource(
  name: 'IStaking' | 'INodeRegistry' | 'IFlowRewards' | 'INB' | 'IEvidence' | 'IGovernance' | 'INames' | 'IPaymentChannels' | 'IStorageDeals',
): string {
  return fs.readFileSync(path.join(solDir, `${name}.sol`), 'utf8')
}

export const stakingIface = new Interface(abiJson('IStaking') as never)
export const registryIface = new Interface(abiJson('INodeRegistry') as never)
export const evidenceIface = new Interface(abiJson('IEvidence') as never)
export const namesIface = new Interface(abiJson('INames') as never)

export const GENESIS_TIME = 1_700_000_000_000n

export const CFG: DposConfig = {
  W: 3,
  cycleBlocks: 100n,
  intervalMs: 1_000n,
  genesisTime: GENESIS_TIME,
  genesisHash: new Uint8Array(32),
  rnPledge: 1_000n * NFC,
  unbondingDelayMs: 3n * DAY,
  pledgeUnlockMs: 180n * DAY,
  evidenceSlashBps: 1_000n,
}

export const addrOf = (i: number): Address => new Address(hexToBytes(devAddress(i) as `0x${string}`))
export const hexOf = (i: number): string => devAddress(i)
export const PRODUCER = new Address(hexToBytes('0x00000000000000000000000000000000000000fe'))

export interface SystemEnv {
  vm: VM
  sm: MerkleStateManager
  store: DposStore
  /** current block: number and time (ms, whole seconds) */
  number: bigint
  timeMs: bigint
  /** Σ gasUsed × baseFee burned by the transactions sent so far (for the Σ-balances check) */
  burned: bigint
  block(): Block
  /** runs a signed type-2 transaction from dev account `from` */
  send(from: number, to: Address | undefined, data: string | Uint8Array, opts?: { value?: bigint; gasLimit?: bigint }): Promise<RunTxResult>
  /** eth_call-style: evm.runCall without nonce increment */
  call(from: Address, to: Address, data: string | Uint8Array, opts?: { value?: bigint; gasLimit?: bigint; isStatic?: boolean }): Promise<EVMResult>
  balance(a: Address): Promise<bigint>
  /** Σ balances over the dev accounts, system accounts, pools, the producer and `extra` */
  total(extra?: Address[]): Promise<bigint>
  advance(ms: bigint): void
}

const toBytes = (d: string | Uint8Array): Uint8Array => (typeof d === 'string' ? hexToBytes(d as `0x${string}`) : d)

/** `cfg`: the chain config the contracts run with (default CFG). */
export async function systemEnv(opts: { withCode?: boolean; cfg?: DposConfig } = {}): Promise<SystemEnv> {
  const common = makeCommon(2100n, 'test')
  const sm = new MerkleStateManager({ common })
  const vm = await createSystemVm(opts.cfg ?? CFG, { common, stateManager: sm })
  for (let i = 0; i < 10; i++) await sm.putAccount(addrOf(i), new Account(0n, 1_000_000n * NFC))
  if (opts.withCode === false) {
    for (const a of [STAKING, NODE_REGISTRY, EVIDENCE]) await sm.putAccount(a, new Account(1n, 0n))
  } else {
    await prepareSystemAccounts(sm)
  }
  await sm.putAccount(BLOCK_MINING_POOL, new Account(1n, 1_000_000n * NFC))
  await sm.putAccount(SHARED_POOL, new Account(1n, 0n))
  await sm.getStateRoot()

  const env: SystemEnv = {
    vm,
    sm,
    store: new DposStore(sm),
    number: 1n,
    timeMs: GENESIS_TIME + 10_000n,
    burned: 0n,
    block() {
      return evmBlock(
        {
          number: env.number,
          timestamp: env.timeMs,
          producer: PRODUCER,
          gasLimit: 30_000_000n,
          baseFeePerGas: GWEI,
          parentHash: new Uint8Array(32),
        },
        common,
      )
    },
    async send(from, to, data, o = {}) {
      const nonce = (await sm.getAccount(addrOf(from)))?.nonce ?? 0n
      const tx = createFeeMarket1559Tx(
        { nonce, to, value: o.value ?? 0n, data: toBytes(data), gasLimit: o.gasLimit ?? 1_000_000n, maxFeePerGas: GWEI, maxPriorityFeePerGas: 0n },
        { common },
      ).sign(devKey(from))
      const r = await runTx(vm, { tx, block: env.block(), skipHardForkValidation: true })
      env.burned += r.totalGasSpent * GWEI
      env.number++
      return r
    },
    async call(from, to, data, o = {}) {
      return vm.evm.runCall({
        caller: from,
        to,
        data: toBytes(data),
        value: o.value ?? 0n,
        gasLimit: o.gasLimit ?? 10_000_000n,
        isStatic: o.isStatic,
        block: env.block(),
        skipNonceIncrement: true,
      })
    },
    async balance(a) {
      return (await sm.getAccount(a))?.balance ?? 0n
    },
    async total(extra = []) {
      let s = 0n
      const all = [...Array.from({ length: 10 }, (_, i) => addrOf(i)), STAKING, NODE_REGISTRY, EVIDENCE, BLOCK_MINING_POOL, SHARED_POOL, PRODUCER, ...extra]
      for (const a of all) s += await env.balance(a)
      return s
    },
    advance(ms) {
      env.timeMs += ms
    },
  }
  return env
}

/** Intrinsic gas of a call transaction with this calldata (Cancun: 21,000 + 4/16 per byte). */
export function intrinsicGas(data: string | Uint8Array): bigint {
  let g = 21_000n
  for (const b of toBytes(data)) g += b === 0 ? 4n : 16n
  return g
}

/** The Error(string) reason of a reverted result, or a description of how it failed. */
export function outcome(r: RunTxResult | EVMResult): string {
  const e = r.execResult.exceptionError
  if (e === undefined) return 'ok'
  if (e.error !== 'revert') return e.error
  const data = bytesToHex(r.execResult.returnValue)
  if (!data.startsWith('0x08c379a0')) return `revert ${data}`
  return `revert: ${AbiCoder.defaultAbiCoder().decode(['string'], '0x' + data.slice(10))[0] as string}`
}

/** The receipt's logs as [address hex, topics hex[], data hex]. */
export function logsOf(r: RunTxResult): { address: string; topics: string[]; data: string }[] {
  return r.receipt.logs.map(([address, topics, data]) => ({ address: bytesToHex(address), topics: topics.map((t) => bytesToHex(t)), data: bytesToHex(data) }))
}

/** The decoded events of `iface` in a result's receipt. */
export function eventsOf(iface: Interface, r: RunTxResult): { name: string; args: unknown[] }[] {
  const out: { name: string; args: unknown[] }[] = []
  for (const l of logsOf(r)) {
    const parsed = iface.parseLog({ topics: l.topics, data: l.data })
    if (parsed !== null) out.push({ name: parsed.name, args: [...parsed.args] })
  }
  return out
}

export { STAKING, NODE_REGISTRY, EVIDENCE, SHARED_POOL, BLOCK_MINING_POOL }
