/**
 * A system-contract VM (like systemVm.ts's systemEnv) whose DposConfig carries a chosen
 * FlowConfig — the NB, NodeRegistry-role and supply tests need a foundation, a small burn cap and
 * a known convert threshold. The whole genesis supply is laid out over the fixed accounts, so
 * Σ balances = TOTAL_SUPPLY can be checked after any transaction.
 */
import { MerkleStateManager } from '@ethereumjs/statemanager'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { Account, Address, hexToBytes } from '@ethereumjs/util'
import { runTx, type RunTxResult, type VM } from '@ethereumjs/vm'
import type { EVMResult } from '@ethereumjs/evm'
import { Interface } from 'ethers'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { BURN_ADDRESS, POOLS, SYSTEM_CONTRACTS, TOTAL_SUPPLY } from '../../src/chain/systemAddresses.js'
import type { DposConfig } from '../../src/consensus/dpos/engine.js'
import { DposStore } from '../../src/consensus/dpos/store.js'
import { DEFAULT_FLOW_CONFIG, type FlowConfig } from '../../src/consensus/povf/params.js'
import { evmBlock } from '../../src/execution/blockExecutor.js'
import { makeCommon } from '../../src/execution/common.js'
import { createSystemVm, prepareSystemAccounts } from '../../src/execution/system/index.js'
import { devAddress, devKey } from './inProcessNode.js'
import { CFG, GWEI, NFC, PRODUCER } from './systemVm.js'

const here = path.dirname(fileURLToPath(import.meta.url))
export const nbIface = new Interface(JSON.parse(fs.readFileSync(path.resolve(here, '../../src/execution/system/abi/INB.json'), 'utf8')) as never)

export const at = (a: string): Address => new Address(hexToBytes(a as `0x${string}`))
export const devAt = (i: number): Address => at(devAddress(i))
export const NB_ADDR = at(SYSTEM_CONTRACTS.nb)
export const FLOW_REWARDS_ADDR = at(SYSTEM_CONTRACTS.flowRewards)
export const BURN = at(BURN_ADDRESS)

/** Every fixed account plus dev accounts 0–11 and the producer. */
export const KNOWN: Address[] = [
  ...Array.from({ length: 12 }, (_, i) => devAt(i)),
  ...Object.values(SYSTEM_CONTRACTS).map(at),
  ...Object.values(POOLS).map(at),
  BURN,
  PRODUCER,
]

export interface TokenEnv {
  vm: VM
  sm: MerkleStateManager
  store: DposStore
  cfg: DposConfig
  timeMs: bigint
  send(from: number, to: Address | undefined, data: string | Uint8Array, opts?: { value?: bigint; gasLimit?: bigint }): Promise<RunTxResult>
  call(from: Address, to: Address, data: string | Uint8Array, opts?: { value?: bigint; isStatic?: boolean }): Promise<EVMResult>
  balance(a: Address): Promise<bigint>
  setBalance(a: Address, wei: bigint): Promise<void>
}

const toBytes = (d: string | Uint8Array): Uint8Array => (typeof d === 'string' ? hexToBytes(d as `0x${string}`) : d)

/**
 * Dev accounts 0–9 hold `devBalance` each (default 1,000,000 NFC); the rest of TOTAL_SUPPLY sits
 * in the block-mining pool, so the sum over KNOWN is TOTAL_SUPPLY.
 */
export async function tokenEnv(flow: Partial<FlowConfig> = {}, opts: { devBalance?: bigint; dpos?: Partial<DposConfig> } = {}): Promise<TokenEnv> {
  const cfg: DposConfig = { ...CFG, ...opts.dpos, flow: { ...DEFAULT_FLOW_CONFIG, ...flow } }
  const common = makeCommon(2100n, 'test')
  const sm = new MerkleStateManager({ common })
  const vm = await createSystemVm(cfg, { common, stateManager: sm })
  const devBalance = opts.devBalance ?? 1_000_000n * NFC
  for (let i = 0; i < 10; i++) await sm.putAccount(devAt(i), new Account(0n, devBalance))
  await prepareSystemAccounts(sm)
  for (const p of Object.values(POOLS)) await sm.putAccount(at(p), new Account(1n, 0n))
  await sm.putAccount(at(POOLS.blockMining), new Account(1n, TOTAL_SUPPLY - 10n * devBalance))
  await sm.getStateRoot()
  let number = 1n
  const block = () =>
    evmBlock({ number, timestamp: env.timeMs, producer: PRODUCER, gasLimit: 30_000_000n, baseFeePerGas: GWEI, parentHash: new Uint8Array(32) }, common)
  const env: TokenEnv = {
    vm,
    sm,
    store: new DposStore(sm),
    cfg,
    timeMs: cfg.genesisTime + 10_000n,
    async send(from, to, data, o = {}) {
      const nonce = (await sm.getAccount(devAt(from)))?.nonce ?? 0n
      const tx = createFeeMarket1559Tx(
        { nonce, to, value: o.value ?? 0n, data: toBytes(data), gasLimit: o.gasLimit ?? 1_000_000n, maxFeePerGas: GWEI, maxPriorityFeePerGas: 0n },
        { common },
      ).sign(devKey(from))
      const r = await runTx(vm, { tx, block: block(), skipHardForkValidation: true })
      // the base fee is burned: credit it to the burn address so Σ balances stays the supply
      const burn = (await sm.getAccount(BURN)) ?? new Account()
      burn.balance += r.totalGasSpent * GWEI
      await sm.putAccount(BURN, burn)
      number++
      return r
    },
    async call(from, to, data, o = {}) {
      return vm.evm.runCall({
        caller: from,
        to,
        data: toBytes(data),
        value: o.value ?? 0n,
        gasLimit: 10_000_000n,
        isStatic: o.isStatic,
        block: block(),
        skipNonceIncrement: true,
      })
    },
    async balance(a) {
      return (await sm.getAccount(a))?.balance ?? 0n
    },
    async setBalance(a, wei) {
      const acc = (await sm.getAccount(a)) ?? new Account()
      const diff = wei - acc.balance
      acc.balance = wei
      await sm.putAccount(a, acc)
      // keep the supply whole: the difference comes from (or goes to) the block-mining pool
      const pool = (await sm.getAccount(at(POOLS.blockMining)))!
      pool.balance -= diff
      await sm.putAccount(at(POOLS.blockMining), pool)
    },
  }
  return env
}
