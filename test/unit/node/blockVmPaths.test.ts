/**
 * The chain's block-execution VM takes faster paths than ethereumjs' own (execution/callInterpreter.ts:
 * slim run state, jump analysis once per code; state/deferredTrie.ts: decoded trie nodes and
 * accounts kept; execution/senderAddress.ts). A block of contract work executed on it must give
 * exactly what a fresh VM on a plain MerkleStateManager view gives from the same state: state root,
 * receipts, gas, bloom.
 */
import t from 'tap'
import { createFeeMarket1559Tx, type TypedTransaction } from '@ethereumjs/tx'
import { Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import { AbiCoder, Interface, getCreateAddress } from 'ethers'
import { jumpAnalysesComputed, slimInterpreterRuns } from '../../../src/execution/callInterpreter.js'
import { executeBlock, type BlockContext } from '../../../src/execution/blockExecutor.js'
import { POOLS } from '../../../src/execution/systemAddresses.js'
import { decodeRawTransaction } from '../../../src/execution/txDecode.js'
import { createNodeVm } from '../../../src/execution/vmFactory.js'
import { compileNested, devAddress, devGenesis, devKey, openChain, probeContract, same, tempDir } from '../../helpers/inProcessNode.js'

const NOW = 1_700_000_000_500
const probe = probeContract()
const iface = new Interface(probe.abi as never)
const PROBE = getCreateAddress({ from: devAddress(1), nonce: 0 })

const nested = compileNested(`contract Nested {
  constructor(Probe p) payable {
    p.store(7);
    try p.fail("child says no") {} catch {}
    try p.spin{gas: 30000}() {} catch {}
    Probe child = new Probe();
    child.fill(3);
    p.store(0x2a);
    Doomed d = new Doomed();
    d.kill();
  }
}
`)

t.test('a block of contract work gives the same state root, receipts and gas on the chain VM as on a fresh VM', async (t) => {
  const { chain } = await openChain(t, tempDir(t), devGenesis(), () => NOW)
  const common = chain.common
  const nonces = new Map<number, bigint>()
  const raws: Uint8Array[] = []
  const send = (from: number, to: string | undefined, data: Uint8Array, value = 0n, gasLimit = 3_000_000n) => {
    const nonce = nonces.get(from) ?? 0n
    nonces.set(from, nonce + 1n)
    const tx = createFeeMarket1559Tx(
      {
        chainId: common.chainId(),
        nonce,
        maxFeePerGas: 10n ** 10n,
        maxPriorityFeePerGas: 10n ** 9n,
        gasLimit,
        to: to === undefined ? undefined : new Address(hexToBytes(to as `0x${string}`)),
        value,
        data,
      },
      { common },
    ).sign(devKey(from))
    raws.push(tx.serialize())
  }
  const call = (fn: string, args: unknown[] = []) => hexToBytes(iface.encodeFunctionData(fn, args) as `0x${string}`)
  send(1, undefined, probe.bytecode)
  send(2, PROBE, call('store', [5n]))
  send(3, PROBE, call('fill', [4n]))
  send(2, PROBE, call('fail', ['no'])) // status 0
  send(3, PROBE, call('spin'), 0n, 60_000n) // out of gas
  send(4, PROBE, call('failBare'), 7n) // a value call that reverts: the contract's balance comes back
  const arg = hexToBytes(AbiCoder.defaultAbiCoder().encode(['address'], [PROBE]) as `0x${string}`)
  send(1, undefined, new Uint8Array([...nested.bytecode, ...arg]), 5n)
  send(4, devAddress(5), new Uint8Array(0), 10n ** 18n, 21_000n)
  for (let i = 0; i < 3; i++) send(2, PROBE, call('store', [BigInt(100 + i)])) // the same code again: analysed once
  const decode = (): TypedTransaction[] => raws.map((raw) => decodeRawTransaction(raw, { common, maxTxSize: 128 * 1024 }))

  const head = chain.head
  const ctx: BlockContext = {
    number: head.header.number + 1n,
    timestamp: head.header.timestamp + 1000n,
    producer: new Address(hexToBytes(devAddress(0) as `0x${string}`)),
    gasLimit: chain.genesis.params.blockGasLimit,
    baseFeePerGas: chain.genesis.params.minGasPrice,
    parentHash: head.hash,
  }
  const opts = { mode: 'build' as const, sharedPool: new Address(hexToBytes(POOLS.shared as `0x${string}`)) }

  // ethereumjs' own paths: a fresh VM on a plain view of the head state
  const view = await chain.stateAt(head.header)
  const fresh = await createNodeVm({ common, stateManager: view, blockchain: chain.vm.blockchain, dpos: chain.dpos })
  const slim0 = slimInterpreterRuns()
  const analyses0 = jumpAnalysesComputed()
  const want = await executeBlock(fresh, ctx, decode(), opts)
  t.equal(slimInterpreterRuns(), slim0, 'the fresh VM takes ethereumjs own interpreter path')
  t.equal(jumpAnalysesComputed(), analyses0, 'and analyses no registered code')

  // the chain's live VM
  const got = await executeBlock(chain.vm, ctx, decode(), opts)
  t.ok(slimInterpreterRuns() - slim0 >= 10, 'the chain VM took the slim run state for its messages')
  t.ok(jumpAnalysesComputed() > analyses0, 'and analysed the registered code once')

  t.equal(want.rejected.length, 0)
  t.equal(got.transactions.length, raws.length)
  t.same(
    want.receipts.map((r) => r.status),
    [1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1],
    'the block holds successes, a revert and an out-of-gas',
  )
  t.equal(bytesToHex(got.stateRoot), bytesToHex(want.stateRoot), 'same state root')
  t.equal(got.gasUsed, want.gasUsed, 'same gas')
  t.equal(bytesToHex(got.logsBloom), bytesToHex(want.logsBloom), 'same bloom')
  t.equal(got.sharedPoolFees, want.sharedPoolFees, 'same fees to the shared pool')
  same(t, got.receipts, want.receipts, 'same receipts')
})
