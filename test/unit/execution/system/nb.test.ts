/**
 * NB (0x…1003): ERC-20 through real transactions and calls (also with ethers' plain ERC-20 ABI),
 * convert() and its threshold, the burn-cap split, the oracle price, funder records, and the
 * refusals (DELEGATECALL, a public burn). Σ NFC balances stays TOTAL_SUPPLY throughout.
 */
import t, { type Test } from 'tap'
import { Address, hexToBytes } from '@ethereumjs/util'
import { AbiCoder, getAddress, getCreateAddress, Interface } from 'ethers'
import { TOTAL_SUPPLY } from '../../../../src/chain/systemAddresses.js'
import { NbStore } from '../../../../src/consensus/povf/nbStore.js'
import { sumOfBalances } from '../../../../src/consensus/povf/supply.js'
import { convertSplit } from '../../../../src/execution/system/nb.js'
import { NB_GAS } from '../../../../src/execution/system/index.js'
import { compileSolidity } from '../../../helpers/inProcessNode.js'
import { GENESIS_TIME, NFC, outcome } from '../../../helpers/systemVm.js'
import { BURN, devAt, KNOWN, NB_ADDR, nbIface as N, tokenEnv, type TokenEnv } from '../../../helpers/tokenEnv.js'
import { devAddress } from '../../../helpers/inProcessNode.js'

const hex = (i: number) => devAddress(i).toLowerCase()
const PRICE = 10n ** 17n // default nfcPriceNb: 0.1 NB per NFC

const ERC20 = new Interface([
  'function name() view returns (string)',
  'function symbol() view returns (string)',
  'function decimals() view returns (uint8)',
  'function totalSupply() view returns (uint256)',
  'function balanceOf(address) view returns (uint256)',
  'function allowance(address owner, address spender) view returns (uint256)',
  'function transfer(address to, uint256 value) returns (bool)',
  'function approve(address spender, uint256 value) returns (bool)',
  'function transferFrom(address from, address to, uint256 value) returns (bool)',
  'event Transfer(address indexed from, address indexed to, uint256 value)',
  'event Approval(address indexed owner, address indexed spender, uint256 value)',
])

async function view(env: TokenEnv, iface: Interface, fn: string, args: unknown[] = []): Promise<unknown> {
  const r = await env.call(devAt(9), NB_ADDR, iface.encodeFunctionData(fn, args), { isStatic: true })
  if (outcome(r) !== 'ok') throw new Error(`${fn}: ${outcome(r)}`)
  return iface.decodeFunctionResult(fn, r.execResult.returnValue)[0]
}

const logs = (iface: Interface, r: Awaited<ReturnType<TokenEnv['send']>>) =>
  r.receipt.logs.map(([, topics, data]) => {
    const p = iface.parseLog({ topics: topics.map((x) => '0x' + Buffer.from(x).toString('hex')), data: '0x' + Buffer.from(data).toString('hex') })
    return p === null ? null : { name: p.name, args: [...p.args] }
  })

async function invariant(t: Test, env: TokenEnv, extra: Address[] = []): Promise<void> {
  t.equal(await sumOfBalances(env.sm, [...KNOWN, ...extra]), TOTAL_SUPPLY, 'Σ NFC balances = the supply')
  t.equal(await env.balance(NB_ADDR), 0n, 'NB keeps no NFC')
}

async function convert(env: TokenEnv, i: number, value: bigint) {
  return env.send(i, NB_ADDR, N.encodeFunctionData('convert'), { value })
}

t.test("ERC-20 metadata and balances through ethers' plain ERC-20 ABI", async (t) => {
  const env = await tokenEnv()
  t.equal(await view(env, ERC20, 'name'), 'NetFlow Bandwidth')
  t.equal(await view(env, ERC20, 'symbol'), 'NB')
  t.equal(await view(env, ERC20, 'decimals'), 18n)
  t.equal(await view(env, ERC20, 'totalSupply'), 0n)
  t.equal(await view(env, ERC20, 'balanceOf', [hex(1)]), 0n)

  t.equal(outcome(await convert(env, 1, 100n * NFC)), 'ok')
  t.equal(await view(env, ERC20, 'balanceOf', [hex(1)]), 10n * NFC, '100 NFC × 0.1 = 10 NB')
  t.equal(await view(env, ERC20, 'totalSupply'), 10n * NFC)

  const r = await env.send(1, NB_ADDR, ERC20.encodeFunctionData('transfer', [hex(2), 3n * NFC]))
  t.equal(outcome(r), 'ok')
  t.equal(ERC20.decodeFunctionResult('transfer', r.execResult.returnValue)[0], true, 'transfer returns true')
  t.same(logs(ERC20, r), [{ name: 'Transfer', args: [getAddress(hex(1)), getAddress(hex(2)), 3n * NFC] }])
  t.equal(r.execResult.executionGasUsed, NB_GAS.transfer, 'transfer costs its fixed gas')

  const a = await env.send(2, NB_ADDR, ERC20.encodeFunctionData('approve', [hex(3), 2n * NFC]))
  t.same(logs(ERC20, a), [{ name: 'Approval', args: [getAddress(hex(2)), getAddress(hex(3)), 2n * NFC] }])
  t.equal(await view(env, ERC20, 'allowance', [hex(2), hex(3)]), 2n * NFC)
  const tf = await env.send(3, NB_ADDR, ERC20.encodeFunctionData('transferFrom', [hex(2), hex(4), NFC]))
  t.equal(outcome(tf), 'ok')
  t.same(logs(ERC20, tf), [{ name: 'Transfer', args: [getAddress(hex(2)), getAddress(hex(4)), NFC] }])
  t.equal(await view(env, ERC20, 'allowance', [hex(2), hex(3)]), NFC, 'allowance spent')
  t.equal(outcome(await env.send(3, NB_ADDR, ERC20.encodeFunctionData('transferFrom', [hex(2), hex(4), 2n * NFC]))), 'revert: NB: insufficient allowance')
  t.equal(outcome(await env.send(2, NB_ADDR, ERC20.encodeFunctionData('transfer', [hex(4), 3n * NFC]))), 'revert: NB: transfer amount exceeds balance')
  t.equal(outcome(await env.send(2, NB_ADDR, ERC20.encodeFunctionData('transfer', ['0x' + '00'.repeat(20), 1n]))), 'revert: NB: transfer to the zero address')
  t.equal(await view(env, ERC20, 'balanceOf', [hex(1)]), 7n * NFC)
  t.equal(await view(env, ERC20, 'balanceOf', [hex(2)]), 2n * NFC)
  t.equal(await view(env, ERC20, 'balanceOf', [hex(4)]), NFC)
  t.equal(await view(env, ERC20, 'totalSupply'), 10n * NFC, 'transfers keep the supply')

  // infinite allowance stays infinite
  const max = (1n << 256n) - 1n
  await env.send(1, NB_ADDR, ERC20.encodeFunctionData('approve', [hex(3), max]))
  t.equal(outcome(await env.send(3, NB_ADDR, ERC20.encodeFunctionData('transferFrom', [hex(1), hex(5), NFC]))), 'ok')
  t.equal(await view(env, ERC20, 'allowance', [hex(1), hex(3)]), max)
  t.equal(outcome(await env.send(1, NB_ADDR, ERC20.encodeFunctionData('transfer', [hex(1), NFC]))), 'ok', 'a self-transfer is a no-op')
  t.equal(await view(env, ERC20, 'balanceOf', [hex(1)]), 6n * NFC)
  await invariant(t, env)
})

t.test('convert: only above the minimum balance (before the call), NFC burned', async (t) => {
  const env = await tokenEnv()
  const min = env.cfg.flow!.nbConvertMinBalance
  t.equal(min, 1_000n * NFC)
  // eth_call (no gas fee taken): exactly the minimum is not above it
  await env.setBalance(devAt(5), min)
  const low = await env.call(devAt(5), NB_ADDR, N.encodeFunctionData('convert'), { value: 10n * NFC })
  t.equal(outcome(low), 'revert: convert needs a balance above 1,000 NFC')
  await env.setBalance(devAt(5), min + 1n)
  const ok = await env.call(devAt(5), NB_ADDR, N.encodeFunctionData('convert'), { value: 10n * NFC })
  t.equal(outcome(ok), 'ok', 'one wei above is enough, whatever msg.value is')
  t.equal(N.decodeFunctionResult('convert', ok.execResult.returnValue)[0], NFC)

  // a transaction: the whole balance before the call counts (msg.value included)
  await env.setBalance(devAt(6), 1_000n * NFC)
  t.equal(outcome(await convert(env, 6, 999n * NFC)), 'revert: convert needs a balance above 1,000 NFC', 'the upfront gas fee leaves it below')
  await env.setBalance(devAt(6), 1_001n * NFC)
  const burned0 = await env.balance(BURN)
  const r = await convert(env, 6, 1_000n * NFC)
  t.equal(outcome(r), 'ok', 'may convert almost everything it holds')
  t.same(logs(N, r), [
    { name: 'Transfer', args: ['0x' + '00'.repeat(20), getAddress(hex(6)), 100n * NFC] },
    { name: 'Converted', args: [getAddress(hex(6)), 1_000n * NFC, 100n * NFC, 1_000n * NFC, 0n] },
  ])
  t.equal(await env.balance(BURN), burned0 + 1_000n * NFC + r.totalGasSpent * 1_000_000_000n, 'the NFC went to the burn address')
  t.equal(await view(env, N, 'burnedNfc'), 1_010n * NFC, 'both conversions (runCall commits its state)')
  t.equal(outcome(await convert(env, 1, 0n)), 'revert: convert needs NFC: send it as msg.value')
  t.equal(outcome(await convert(env, 1, 9n)), 'revert: convert: too little NFC for 1 NB wei', '9 wei × 0.1 rounds to 0')
  t.equal(outcome(await env.send(1, NB_ADDR, N.encodeFunctionData('transfer', [hex(2), 0n]), { value: 1n })), 'revert: function is not payable')
  await invariant(t, env)
})

t.test('the burn cap: one conversion crossing it is split exactly with the foundation', async (t) => {
  const env = await tokenEnv({ nbBurnCap: 15n * NFC, foundation: hex(8) })
  const f0 = await env.balance(devAt(8))
  const b0 = await env.balance(BURN)
  let gas = 0n
  const step = async (value: bigint, burned: bigint, toFoundation: bigint) => {
    const r = await convert(env, 1, value)
    gas += r.totalGasSpent * 1_000_000_000n
    t.same(logs(N, r)[1], { name: 'Converted', args: [getAddress(hex(1)), value, value / 10n, burned, toFoundation] })
  }
  await step(10n * NFC, 10n * NFC, 0n)
  await step(10n * NFC, 5n * NFC, 5n * NFC)
  await step(10n * NFC, 0n, 10n * NFC)
  t.equal(await view(env, N, 'burnedNfc'), 15n * NFC, 'burned exactly the cap')
  t.equal(await env.balance(BURN), b0 + 15n * NFC + gas)
  t.equal(await env.balance(devAt(8)), f0 + 15n * NFC, 'the rest went to the foundation')
  t.equal(await view(env, N, 'totalSupply'), 3n * NFC)
  await invariant(t, env)

  t.same(convertSplit(7n, 10n, 15n, true), { burned: 5n, toFoundation: 2n })
  t.same(convertSplit(7n, 20n, 15n, true), { burned: 0n, toFoundation: 7n })
  t.same(convertSplit(7n, 20n, 15n, false), { burned: 7n, toFoundation: 0n })
})

t.test('no foundation: conversions keep burning past the cap', async (t) => {
  const env = await tokenEnv({ nbBurnCap: 15n * NFC, foundation: null })
  for (let i = 0; i < 2; i++) t.equal(outcome(await convert(env, 1, 10n * NFC)), 'ok')
  t.equal(await view(env, N, 'burnedNfc'), 20n * NFC, 'burnedNfc counts every burned wei, past the cap')
  await invariant(t, env)
})

t.test('price: the foundation alone sets it; conversions use the live price', async (t) => {
  const env = await tokenEnv({ foundation: hex(8) })
  t.equal(await view(env, N, 'price'), PRICE, 'the genesis price')
  t.equal(outcome(await env.send(1, NB_ADDR, N.encodeFunctionData('setPrice', [2n * NFC]))), 'revert: NB: only the foundation sets the price')
  t.equal(outcome(await env.send(8, NB_ADDR, N.encodeFunctionData('setPrice', [0n]))), 'revert: NB: price must be positive')
  const r = await env.send(8, NB_ADDR, N.encodeFunctionData('setPrice', [2n * NFC]))
  t.equal(outcome(r), 'ok')
  t.same(logs(N, r), [{ name: 'PriceSet', args: [PRICE, 2n * NFC] }])
  t.equal(await view(env, N, 'price'), 2n * NFC)
  await convert(env, 1, 3n * NFC)
  t.equal(await view(env, N, 'balanceOf', [hex(1)]), 6n * NFC, '3 NFC × 2 NB')

  const none = await tokenEnv({ foundation: null })
  t.equal(
    outcome(await none.send(8, NB_ADDR, N.encodeFunctionData('setPrice', [2n * NFC]))),
    'revert: NB: only the foundation sets the price',
    'nobody without a foundation',
  )
})

t.test('funder: the first sender by transfer/transferFrom, never a conversion', async (t) => {
  const env = await tokenEnv()
  const zero = '0x' + '00'.repeat(20)
  const funder = async (i: number) => ((await view(env, N, 'funder', [hex(i)])) as string).toLowerCase()
  for (const i of [1, 2, 3]) await convert(env, i, 100n * NFC)
  t.equal(await funder(1), zero, 'a conversion sets no funder')
  await env.send(1, NB_ADDR, N.encodeFunctionData('transfer', [hex(4), 0n]))
  t.equal(await funder(4), zero, 'a zero transfer sets no funder')
  await env.send(1, NB_ADDR, N.encodeFunctionData('transfer', [hex(4), NFC]))
  await env.send(2, NB_ADDR, N.encodeFunctionData('transfer', [hex(4), NFC]))
  t.equal(await funder(4), hex(1), 'the first funder stays')
  await env.send(2, NB_ADDR, N.encodeFunctionData('approve', [hex(3), NFC]))
  await env.send(3, NB_ADDR, N.encodeFunctionData('transferFrom', [hex(2), hex(5), NFC]))
  t.equal(await funder(5), hex(2), 'transferFrom: the owner funds, not the spender')
  await env.send(3, NB_ADDR, N.encodeFunctionData('transfer', [hex(3), NFC]))
  t.equal(await funder(3), zero, 'a self-transfer sets no funder')
  t.equal(await new NbStore(env.sm).funderOf(hex(4)), hex(1), 'NbStore reads the same record')
})

t.test('funding graph: every non-zero transfer adds an edge stamped with the flow cycle; sources within 2 hops', async (t) => {
  const env = await tokenEnv({ cycleMs: 60_000n, selfDealingWindowCycles: 2n })
  const nb = new NbStore(env.sm)
  for (const i of [1, 2]) await convert(env, i, 100n * NFC)
  const cycleOf = (ms: bigint) => (ms - GENESIS_TIME) / 60_000n
  await env.send(1, NB_ADDR, N.encodeFunctionData('transfer', [hex(4), 0n]))
  t.strictSame(await nb.fundingEdges(hex(4)), [], 'a zero transfer adds no edge')
  await env.send(1, NB_ADDR, N.encodeFunctionData('transfer', [hex(4), NFC]))
  const c0 = cycleOf(env.timeMs)
  t.strictSame(await nb.fundingEdges(hex(4)), [{ from: hex(1), amount: NFC, cycle: c0 }])
  await env.send(2, NB_ADDR, N.encodeFunctionData('approve', [hex(3), NFC]))
  await env.send(3, NB_ADDR, N.encodeFunctionData('transferFrom', [hex(2), hex(1), NFC]))
  t.strictSame(await nb.fundingEdges(hex(1)), [{ from: hex(2), amount: NFC, cycle: c0 }], 'transferFrom: the owner funds, not the spender')
  await env.send(4, NB_ADDR, N.encodeFunctionData('transfer', [hex(5), NFC / 2n]))
  const at = { cycle: c0, windowCycles: 2n }
  t.strictSame(await nb.fundingSourcesOf(hex(5), at), [hex(4), hex(1)].sort(), "5's funder 4 and 4's funder 1; 1's funder 2 is a third hop")
  t.strictSame(await nb.fundingSourcesOf(hex(5), { cycle: c0 + 2n, windowCycles: 2n }), [], 'two cycles later: out of the window')
  t.strictSame(await nb.fundingSourcesOf(hex(4), at), [hex(1), hex(2)].sort(), "4's funder 1 and 1's funder 2")
})

t.test("NbStore.burnFrom (the engine's fuel) and no public burn", async (t) => {
  const env = await tokenEnv()
  await convert(env, 1, 100n * NFC)
  const store = new NbStore(env.sm)
  t.equal(await store.burnFrom(hex(1), 4n * NFC), 4n * NFC)
  t.equal(await store.burnFrom(hex(1), 100n * NFC), 6n * NFC, 'at most the balance')
  t.equal(await store.burnFrom(hex(1), NFC), 0n)
  t.equal(await store.totalSupply(), 0n)
  for (const sig of ['burnFuel(address,uint256)', 'burn(uint256)', 'mint(address,uint256)']) {
    const sel = new Interface([`function ${sig}`]).getFunction(sig.split('(')[0]!)!.selector
    const data =
      sel +
      AbiCoder.defaultAbiCoder()
        .encode(sig.includes('address') ? ['address', 'uint256'] : ['uint256'], sig.includes('address') ? [hex(1), 1n] : [1n])
        .slice(2)
    t.equal(outcome(await env.send(1, NB_ADDR, data)), 'revert: NB: unknown function selector', `${sig} is not callable`)
  }
})

const USER = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;
contract NbUser {
  address constant NB = 0x0000000000000000000000000000000000001003;
  function delegated() external returns (bool ok, bytes memory ret) {
    (ok, ret) = NB.delegatecall(abi.encodeWithSignature("balanceOf(address)", address(this)));
  }
  function delegatedTransfer(address to) external returns (bool ok, bytes memory ret) {
    (ok, ret) = NB.delegatecall(abi.encodeWithSignature("transfer(address,uint256)", to, 1));
  }
}
`

t.test('DELEGATECALL is refused', async (t) => {
  const env = await tokenEnv()
  const c = compileSolidity({ 'NbUser.sol': USER }).NbUser!
  const U = new Interface(c.abi as never)
  const nonce = (await env.sm.getAccount(devAt(0)))!.nonce
  t.equal(outcome(await env.send(0, undefined, c.bytecode, { gasLimit: 3_000_000n })), 'ok')
  const u = new Address(hexToBytes(getCreateAddress({ from: hex(0), nonce }) as `0x${string}`))
  for (const [fn, args] of [
    ['delegated', []],
    ['delegatedTransfer', [hex(2)]],
  ] as const) {
    const r = await env.send(1, u, U.encodeFunctionData(fn, args as never))
    const [ok, ret] = U.decodeFunctionResult(fn, r.execResult.returnValue)
    t.equal(ok, false, fn)
    t.equal(AbiCoder.defaultAbiCoder().decode(['string'], '0x' + (ret as string).slice(10))[0], 'NB cannot be called with DELEGATECALL')
  }
})
