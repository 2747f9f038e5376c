/**
 * The call tests' fixture: a world state on a real classic-level db with the dev genesis
 * accounts, the Probe contract deployed by dev account 1 in block 1, and the CallEnv of a call
 * on top of that block.
 */
import path from 'node:path'
import type { Test } from 'tap'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { Account, Address, hexToBytes } from '@ethereumjs/util'
import { BlockStore, openDatabase } from '../../src/chain/blockStore.js'
import { executeBlock, type BlockContext } from '../../src/execution/blockExecutor.js'
import type { CallEnv } from '../../src/execution/call.js'
import { makeCommon } from '../../src/execution/common.js'
import { POOLS } from '../../src/execution/systemAddresses.js'
import { makeVm } from '../../src/node/blockchain.js'
import { WorldState } from '../../src/state/worldState.js'
import { devAddress, devGenesis, devKey, probeContract, tempDir } from './inProcessNode.js'

export async function probeCallEnv(t: Test): Promise<{ env: CallEnv; ws: WorldState; root: Uint8Array }> {
  const genesis = devGenesis()
  const common = makeCommon(genesis.chainId)
  const db = await openDatabase(path.join(tempDir(t), 'db'))
  t.teardown(() => db.close())
  const ws = await WorldState.open(db, common)
  for (const [addr, a] of genesis.alloc) await ws.live.putAccount(new Address(hexToBytes(addr as `0x${string}`)), new Account(a.nonce, a.balance))
  // no DposConfig: a plain EVM without the native system contracts, like the CallEnv below (no dpos)
  const vm = await makeVm(common, ws, new BlockStore(db, common))
  const ctx: BlockContext = {
    number: 1n,
    timestamp: 1_700_000_001_000n,
    producer: new Address(hexToBytes(devAddress(0) as `0x${string}`)),
    gasLimit: genesis.params.blockGasLimit,
    baseFeePerGas: genesis.params.minGasPrice,
    parentHash: new Uint8Array(32),
  }
  const deploy = createFeeMarket1559Tx(
    { nonce: 0n, gasLimit: 1_000_000n, maxFeePerGas: 2_000_000_000n, maxPriorityFeePerGas: 0n, data: probeContract().bytecode },
    { common },
  ).sign(devKey(1))
  const out = await executeBlock(vm, ctx, [deploy], { mode: 'import', sharedPool: new Address(hexToBytes(POOLS.shared)) })
  t.equal(out.receipts[0].status, 1, 'Probe deployed')
  const root = out.stateRoot
  const env: CallEnv = {
    common,
    ctx: { ...ctx, number: 2n, timestamp: ctx.timestamp + 1000n },
    freshState: () => ws.at(root),
    blockchain: vm.blockchain,
  }
  return { env, ws, root }
}
