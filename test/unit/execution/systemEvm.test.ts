/**
 * The system contracts inside the EVM: called from Solidity, reverted by a caller, refused under
 * STATICCALL / DELEGATECALL / CALLCODE, fed malformed calldata, starved of gas, and run on a VM
 * whose hooks are missing.
 */
import t from 'tap'
import { createVM, runTx } from '@ethereumjs/vm'
import { MerkleStateManager } from '@ethereumjs/statemanager'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { Account, Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import { AbiCoder, getAddress, getCreateAddress, Interface } from 'ethers'
import { makeCommon } from '../../../src/execution/common.js'
import { createSystemVm, installSystemHooks, MIN_GAS, prepareSystemAccounts, STAKING_GAS, systemPrecompiles } from '../../../src/execution/system/index.js'
import { DposStore } from '../../../src/consensus/dpos/store.js'
import { compileSolidity, devKey } from '../../helpers/inProcessNode.js'
import {
  addrOf,
  CFG,
  eventsOf,
  GWEI,
  hexOf,
  intrinsicGas,
  NFC,
  NODE_REGISTRY,
  outcome,
  registryIface as R,
  solSource,
  STAKING,
  stakingIface as S,
  systemEnv,
  type SystemEnv,
} from '../../helpers/systemVm.js'

const USER_SOURCE = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;
import "IStaking.sol";
contract StakingUser {
  IStaking constant S = IStaking(0x0000000000000000000000000000000000001000);
  function voteFor(address c) external payable { S.vote{value: msg.value}(c, msg.value); }
  function voteThenRevert(address c) external payable { S.vote{value: msg.value}(c, msg.value); revert("changed my mind"); }
  function votesFor(address c) external view returns (uint256 v) { (, v, , , , , ) = S.candidate(c); }
  function candidateCount() external view returns (uint256) { return S.getCandidates().length; }
  function myVotes() external view returns (address[] memory, uint256[] memory) { return S.votesOf(address(this)); }
  function unvote(address c, uint256 a) external { S.unvote(c, a); }
  function staticVote(address c) external view returns (bool ok, bytes memory ret) {
    (ok, ret) = address(S).staticcall(abi.encodeCall(IStaking.vote, (c, 0)));
  }
  function delegateView() external returns (bool ok, bytes memory ret) {
    (ok, ret) = address(S).delegatecall(abi.encodeCall(IStaking.getCandidates, ()));
  }
  function callcodeView() external returns (bool ok, bytes memory ret) {
    bytes memory data = abi.encodeCall(IStaking.getCandidates, ());
    assembly {
      ok := callcode(gas(), 0x1000, 0, add(data, 32), mload(data), 0, 0)
      let n := returndatasize()
      ret := mload(0x40)
      mstore(ret, n)
      returndatacopy(add(ret, 32), 0, n)
      mstore(0x40, add(add(ret, 32), and(add(n, 31), not(31))))
    }
  }
  receive() external payable {}
}
`

const user = compileSolidity({ 'IStaking.sol': solSource('IStaking'), 'StakingUser.sol': USER_SOURCE }).StakingUser!
const U = new Interface(user.abi as never)
const reasonOf = (data: string) => AbiCoder.defaultAbiCoder().decode(['string'], '0x' + data.slice(10))[0] as string

async function candidate(env: SystemEnv, i: number): Promise<void> {
  if (outcome(await env.send(i, NODE_REGISTRY, R.encodeFunctionData('pledge', [1]), { value: CFG.rnPledge })) !== 'ok') throw new Error('pledge')
  if (outcome(await env.send(i, STAKING, S.encodeFunctionData('registerCandidate', [0, 'x']))) !== 'ok') throw new Error('register')
}

async function deployUser(env: SystemEnv): Promise<Address> {
  const nonce = (await env.sm.getAccount(addrOf(0)))!.nonce
  const r = await env.send(0, undefined, user.bytecode, { gasLimit: 3_000_000n })
  if (outcome(r) !== 'ok') throw new Error(`deploy: ${outcome(r)}`)
  return new Address(hexToBytes(getCreateAddress({ from: hexOf(0), nonce }) as `0x${string}`))
}

/** Staking's balance and storage root (flushed) — "no trace" means both unchanged. */
async function stakingState(env: SystemEnv): Promise<string> {
  await env.sm.getStateRoot()
  const a = (await env.sm.getAccount(STAKING))!
  return `${a.balance}/${bytesToHex(a.storageRoot)}`
}

t.test('a Solidity contract votes and reads views through the interface', async (t) => {
  const env = await systemEnv()
  await candidate(env, 1)
  const u = await deployUser(env)
  const r = await env.send(2, u, U.encodeFunctionData('voteFor', [hexOf(1)]), { value: 5n * NFC })
  t.equal(outcome(r), 'ok')
  t.same(eventsOf(S, r), [{ name: 'Voted', args: [getAddress(u.toString()), getAddress(hexOf(1)), 5n * NFC] }], "the inner call's log reaches the receipt")
  const v = await env.call(addrOf(3), u, U.encodeFunctionData('votesFor', [hexOf(1)]))
  t.equal(U.decodeFunctionResult('votesFor', v.execResult.returnValue)[0], 5n * NFC)
  const n = await env.call(addrOf(3), u, U.encodeFunctionData('candidateCount'))
  t.equal(U.decodeFunctionResult('candidateCount', n.execResult.returnValue)[0], 1n)
  const m = await env.call(addrOf(3), u, U.encodeFunctionData('myVotes'))
  t.same(
    [...U.decodeFunctionResult('myVotes', m.execResult.returnValue)].map((x) => [...x]),
    [[getAddress(hexOf(1))], [5n * NFC]],
  )
  t.equal(outcome(await env.send(2, u, U.encodeFunctionData('unvote', [hexOf(1), 2n * NFC]))), 'ok', 'the contract is the voter')
  t.equal((await env.store.getPosition(u.toString(), hexOf(1))).votes, 3n * NFC)
})

t.test('a caller that reverts after vote() leaves no trace', async (t) => {
  const env = await systemEnv()
  await candidate(env, 1)
  const u = await deployUser(env)
  const before = await stakingState(env)
  const bal = await env.balance(addrOf(2))
  const r = await env.send(2, u, U.encodeFunctionData('voteThenRevert', [hexOf(1)]), { value: 5n * NFC })
  t.equal(outcome(r), 'revert: changed my mind')
  t.same(r.receipt.logs, [], 'no Voted log')
  t.equal(await stakingState(env), before, 'Staking balance and storage unchanged')
  t.equal(await env.balance(addrOf(2)), bal - r.totalGasSpent * GWEI, 'only gas was paid')
  t.equal((await env.store.getCandidate(hexOf(1))).votes, 0n)
  t.same(await env.store.voterCandidates(u.toString()).all(), [])
})

t.test('STATICCALL, DELEGATECALL and CALLCODE are refused', async (t) => {
  const env = await systemEnv()
  await candidate(env, 1)
  const u = await deployUser(env)
  const st = await env.call(addrOf(3), u, U.encodeFunctionData('staticVote', [hexOf(1)]))
  const [ok1, ret1] = U.decodeFunctionResult('staticVote', st.execResult.returnValue)
  t.equal(ok1, false)
  t.equal(reasonOf(ret1 as string), 'state change in a static call')

  const direct = await env.call(addrOf(3), STAKING, S.encodeFunctionData('unvote', [hexOf(1), 1n]), { isStatic: true })
  t.equal(outcome(direct), 'revert: state change in a static call', 'eth_call as a static call')
  t.equal(outcome(await env.call(addrOf(3), STAKING, S.encodeFunctionData('getCandidates'), { isStatic: true })), 'ok', 'views run static')

  const dg = await env.send(3, u, U.encodeFunctionData('delegateView'))
  const [ok2, ret2] = U.decodeFunctionResult('delegateView', dg.execResult.returnValue)
  t.equal(ok2, false)
  t.equal(reasonOf(ret2 as string), 'Staking cannot be called with DELEGATECALL')
  const cc = await env.send(3, u, U.encodeFunctionData('callcodeView'))
  const [ok3, ret3] = U.decodeFunctionResult('callcodeView', cc.execResult.returnValue)
  t.equal(ok3, false)
  t.equal(reasonOf(ret3 as string), 'Staking cannot be called with CALLCODE')
})

t.test('without code at the system account, Solidity refuses a call to a function without returns', async (t) => {
  const env = await systemEnv({ withCode: false })
  await candidate(env, 1)
  const u = await deployUser(env)
  const r = await env.send(2, u, U.encodeFunctionData('voteFor', [hexOf(1)]), { value: 5n * NFC })
  t.equal(outcome(r), 'revert 0x', 'extcodesize check: why genesis must put SYSTEM_CONTRACT_CODE there')
  const v = await env.call(addrOf(3), u, U.encodeFunctionData('votesFor', [hexOf(1)]))
  t.equal(outcome(v), 'ok', 'functions with return data skip the check')
})

t.test('malformed calldata and plain transfers revert cleanly', async (t) => {
  const env = await systemEnv()
  await candidate(env, 1)
  const c = (data: string, value = 0n) => env.call(addrOf(2), STAKING, data, { value }).then(outcome)
  const vote = S.encodeFunctionData('vote', [hexOf(1), 5n])
  t.equal(await c('0x', 1n), 'revert: Staking does not accept plain transfers')
  const plain = await env.send(2, STAKING, '0x', { value: NFC, gasLimit: 30_000n })
  t.equal(outcome(plain), 'revert: Staking does not accept plain transfers', 'a plain transfer tx bounces')
  t.equal(await c('0x1234'), 'revert: invalid calldata')
  t.equal(await c('0xdeadbeef'), 'revert: Staking: unknown function selector')
  t.equal(await c(vote.slice(0, -2), 5n), 'revert: invalid calldata', 'one byte short')
  t.equal(await c(vote.slice(0, 10) + 'ff' + vote.slice(12), 5n), 'revert: invalid calldata', 'dirty address')
  t.equal(await c(vote + '00', 5n), 'ok', 'trailing bytes are ignored, as Solidity does')
  const reg = S.encodeFunctionData('registerCandidate', [1, 'abc']).slice(2)
  const word = (n: bigint) => n.toString(16).padStart(64, '0')
  const regWith = (offset: bigint, len: bigint, tail = '') => '0x' + reg.slice(0, 8) + word(1n) + word(offset) + word(len) + tail
  t.equal(await c(regWith(0x1000n, 3n)), 'revert: invalid calldata', 'offset past the end')
  t.equal(await c(regWith(0x40n, 1n << 200n)), 'revert: invalid calldata', 'huge length')
  t.equal(await c(regWith(0x40n, 40n, '61'.repeat(32))), 'revert: invalid calldata', 'length past the end')
  t.equal(await c(regWith(0x40n, 2n, 'c328' + '0'.repeat(60))), 'revert: invalid calldata', 'invalid UTF-8')
  const bps = '0x' + reg.slice(0, 8) + word(1n << 16n) + reg.slice(72)
  t.equal(await c(bps), 'revert: invalid calldata', 'uint16 with dirty high bits')
  const pledge = R.encodeFunctionData('pledge', [1])
  t.equal(outcome(await env.call(addrOf(2), NODE_REGISTRY, pledge.slice(0, 10) + word(257n), { value: CFG.rnPledge })), 'revert: invalid calldata', 'uint8 257')
  t.equal(await c(S.encodeFunctionData('getCandidates'), 1n), 'revert: function is not payable')
  t.equal(await c(S.encodeFunctionData('getCandidates')), 'ok')
})

t.test('gas: fixed cost per function, out of gas below it', async (t) => {
  const env = await systemEnv()
  await candidate(env, 1)
  const data = S.encodeFunctionData('vote', [hexOf(1), 5n])
  const ok = await env.send(2, STAKING, data, { value: 5n })
  t.equal(outcome(ok), 'ok')
  t.equal(ok.totalGasSpent, intrinsicGas(data) + STAKING_GAS.vote, 'intrinsic + 50,000')
  const before = await stakingState(env)
  const gasLimit = intrinsicGas(data) + STAKING_GAS.vote - 1n
  const oog = await env.send(2, STAKING, data, { value: 5n, gasLimit })
  t.equal(outcome(oog), 'out of gas')
  t.equal(oog.totalGasSpent, gasLimit, 'all gas consumed')
  t.equal(await stakingState(env), before, 'nothing written, value returned')

  const view = S.encodeFunctionData('getCandidates')
  t.equal(outcome(await env.call(addrOf(2), STAKING, view, { gasLimit: MIN_GAS - 1n })), 'out of gas')
  const exact = await env.call(addrOf(2), STAKING, view, { gasLimit: STAKING_GAS.view + STAKING_GAS.perListItem })
  t.equal(outcome(exact), 'ok', 'one candidate: 2,600 + 200')
  t.equal(exact.execResult.executionGasUsed, STAKING_GAS.view + STAKING_GAS.perListItem)
  t.equal(outcome(await env.call(addrOf(2), STAKING, view, { gasLimit: STAKING_GAS.view + STAKING_GAS.perListItem - 1n })), 'out of gas', 'per-item gas')
  const refused = await env.call(addrOf(2), STAKING, '0xdeadbeef')
  t.equal(refused.execResult.executionGasUsed, MIN_GAS, 'a refusal costs the minimum')
})

t.test('hooks: required, idempotent', async (t) => {
  const common = makeCommon(2100n, 'test')
  const sm = new MerkleStateManager({ common })
  await sm.putAccount(addrOf(0), new Account(0n, 10n * NFC))
  await sm.putAccount(STAKING, new Account(1n, 0n))
  const vm = await createVM({ common, stateManager: sm, evmOpts: { customPrecompiles: systemPrecompiles(CFG) } })
  const tx = createFeeMarket1559Tx(
    {
      nonce: 0n,
      to: STAKING,
      data: hexToBytes(S.encodeFunctionData('getCandidates') as `0x${string}`),
      gasLimit: 100_000n,
      maxFeePerGas: GWEI,
      maxPriorityFeePerGas: 0n,
    },
    { common },
  ).sign(devKey(0))
  await t.rejects(
    runTx(vm, { tx, skipHardForkValidation: true, skipBlockGasLimitValidation: true }),
    { code: 'SYSTEM_HOOKS_MISSING' },
    'a VM without hooks fails loudly',
  )

  const vm2 = await createVM({ common, stateManager: new MerkleStateManager({ common }), evmOpts: { customPrecompiles: systemPrecompiles(CFG) } })
  installSystemHooks(vm2.evm)
  const wrapped = (vm2.evm as unknown as { _executeCall: unknown })._executeCall
  installSystemHooks(vm2.evm)
  t.equal((vm2.evm as unknown as { _executeCall: unknown })._executeCall, wrapped, 'a second install changes nothing')
  await vm2.stateManager.putAccount(STAKING, new Account(1n, 0n))
  const r = await vm2.evm.runCall({
    to: STAKING,
    data: hexToBytes(S.encodeFunctionData('getCandidates') as `0x${string}`),
    gasLimit: 100_000n,
    skipNonceIncrement: true,
  })
  t.equal(outcome(r), 'ok')
})

t.test('a bug inside a function fails the call with "internal error", all gas used, journal intact', async (t) => {
  const seen: string[] = []
  const common = makeCommon(2100n, 'test')
  const sm = new MerkleStateManager({ common })
  const vm = await createSystemVm(CFG, { common, stateManager: sm }, { onInternalError: (e, c) => seen.push(`${c}: ${(e as Error).message}`) })
  await sm.putAccount(addrOf(0), new Account(0n, 10n * NFC))
  await prepareSystemAccounts(sm)
  // an inconsistent position (debt above votes·acc): voterIndex refuses to settle it
  const store = new DposStore(sm)
  await store.putPosition(hexOf(0), hexOf(1), { votes: 1n, debt: 5n })
  await store.voterCandidates(hexOf(0)).add(hexOf(1))
  const r = await vm.evm.runCall({
    caller: addrOf(0),
    to: STAKING,
    data: hexToBytes(S.encodeFunctionData('claimRewards') as `0x${string}`),
    gasLimit: 200_000n,
    skipNonceIncrement: true,
  })
  t.equal(outcome(r), 'internal error')
  t.equal(r.execResult.executionGasUsed, 200_000n)
  t.equal(seen.length, 1)
  t.match(seen[0], /^Staking: inconsistent position/)
  const ok = await vm.evm.runCall({
    caller: addrOf(0),
    to: STAKING,
    data: hexToBytes(S.encodeFunctionData('getCandidates') as `0x${string}`),
    gasLimit: 200_000n,
    skipNonceIncrement: true,
  })
  t.equal(outcome(ok), 'ok', 'the EVM keeps working')
})
