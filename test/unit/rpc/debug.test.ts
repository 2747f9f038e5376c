/**
 * debug_traceTransaction and debug_traceCall against a real in-process node: a contract making
 * nested calls (CREATE, CALL with value, STATICCALL, DELEGATECALL, a reverting CALL) compiled
 * with solc, traced with the struct logger and the callTracer; transactions in the middle of a
 * block see the state their block's earlier transactions left; error cases.
 */
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { Ajv } from 'ajv'
import { createFeeMarket1559Tx, type TypedTransaction } from '@ethereumjs/tx'
import { Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import { AbiCoder, Interface, getCreateAddress, id as keccakUtf8 } from 'ethers'
import { makeCommon } from '../../../src/execution/common.js'
import { allMethods } from '../../../rpc/index.js'
import { createDispatcher } from '../../../rpc/jsonrpc.js'
import { parseGoDuration } from '../../../rpc/debug/traceConfig.js'
import { unpackRevert } from '../../../src/execution/trace.js'
import { silentLogger } from '../../../src/util/logger.js'
import { compileSolidity, devAddress, devKey, repoRoot, startNode } from '../../helpers/inProcessNode.js'
import { limits } from './fixtures/rpcServer.js'

const SOURCE = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;
contract Child {
  uint256 public x;
  event Set(uint256 v);
  function set(uint256 v) external payable returns (uint256) { x = v; emit Set(v); return v * 2; }
  function peek() external view returns (uint256) { return x; }
  function boom() external { x = 1; revert("child says no"); }
}
contract Lib {
  uint256 public x;
  function setX(uint256 v) external payable { x = v; }
}
contract Outer {
  uint256 public x;
  Child public child;
  Lib public lib;
  constructor(address l) { lib = Lib(l); }
  function run(uint256 v) external payable returns (uint256) {
    uint256 before = x;
    Child c = new Child();
    child = c;
    uint256 r = c.set{value: msg.value}(v);
    uint256 p = c.peek();
    (bool ok, ) = address(lib).delegatecall(abi.encodeCall(Lib.setX, (v + 1)));
    require(ok, "delegatecall failed");
    try c.boom() {} catch {}
    return r + p + before;
  }
  function fail() external { child.boom(); }
  function spin() external pure { uint256 i; while (true) { i++; } }
}
`

const GWEI = 1_000_000_000n
const common = makeCommon(2100n)
const coder = AbiCoder.defaultAbiCoder()
const word = (n: bigint) => coder.encode(['uint256'], [n])
const hexQ = (n: bigint) => '0x' + n.toString(16)

t.test('debug_traceTransaction and debug_traceCall', async (t) => {
  const compiled = compileSolidity({ 'Trace.sol': SOURCE })
  const outerI = new Interface(compiled.Outer!.abi as never)
  const childI = new Interface(compiled.Child!.abi as never)
  const libI = new Interface(compiled.Lib!.abi as never)

  const n = await startNode(t)
  const dispatcher = createDispatcher({ methods: allMethods(), logger: silentLogger })
  let id = 0
  const rpcRaw = async (method: string, params: unknown[] = []) =>
    JSON.parse(
      (await dispatcher.handleText(JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }), { node: n.node as never, logger: silentLogger, limits }))!,
    ) as {
      result?: any
      error?: { code: number; message: string; data?: unknown }
    }
  const rpc = async (method: string, params: unknown[] = []) => {
    const r = await rpcRaw(method, params)
    if (r.error !== undefined) throw new Error(`${method}: ${r.error.message}`)
    return r.result
  }

  const nonces = new Map<number, bigint>()
  const tx = (from: number, f: { to?: string; data: string | Uint8Array; value?: bigint; gasLimit?: bigint }): TypedTransaction => {
    const nonce = nonces.get(from) ?? 0n
    nonces.set(from, nonce + 1n)
    return createFeeMarket1559Tx(
      {
        nonce,
        maxFeePerGas: 10n * GWEI,
        maxPriorityFeePerGas: GWEI,
        gasLimit: f.gasLimit ?? 3_000_000n,
        to: f.to === undefined ? undefined : new Address(hexToBytes(f.to as `0x${string}`)),
        value: f.value ?? 0n,
        data: typeof f.data === 'string' ? hexToBytes(f.data as `0x${string}`) : f.data,
      },
      { common },
    ).sign(devKey(from))
  }
  const send = async (x: TypedTransaction) => rpc('eth_sendRawTransaction', [bytesToHex(x.serialize())]) as Promise<string>

  // block 1: the library
  const lib = getCreateAddress({ from: devAddress(1), nonce: 0 }).toLowerCase()
  await send(tx(1, { data: compiled.Lib!.bytecode }))
  t.equal((await n.produceBlock()).block.transactions.length, 1)

  // block 2: deploy Outer, then two runs by the same sender, then a failing call by another
  const outer = getCreateAddress({ from: devAddress(1), nonce: 1 }).toLowerCase()
  const deployData = bytesToHex(compiled.Outer!.bytecode) + coder.encode(['address'], [lib]).slice(2)
  const V1 = 5n
  const V2 = 11n
  const VALUE = 1000n
  const runData1 = outerI.encodeFunctionData('run', [V1])
  const runData2 = outerI.encodeFunctionData('run', [V2])
  const hDeploy = await send(tx(1, { data: deployData }))
  const hRun1 = await send(tx(1, { to: outer, data: runData1, value: VALUE }))
  const hRun2 = await send(tx(1, { to: outer, data: runData2, value: VALUE }))
  const hFail = await send(tx(2, { to: outer, data: outerI.encodeFunctionData('fail'), gasLimit: 200_000n }))
  const blk2 = await n.produceBlock()
  t.equal(blk2.block.transactions.length, 4, 'four transactions in block 2')
  t.same(
    blk2.receipts.map((r) => r.status),
    [1, 1, 1, 0],
  )
  const receipt = (h: string) => rpc('eth_getTransactionReceipt', [h])

  const child1 = getCreateAddress({ from: outer, nonce: 1 }).toLowerCase()
  const child2 = getCreateAddress({ from: outer, nonce: 2 }).toLowerCase()
  const childCode = await rpc('eth_getCode', [child1, 'latest'])
  const boomData = childI.encodeFunctionData('boom')
  const boomRevert = new Interface(['function Error(string)']).encodeFunctionData('Error', ['child says no'])

  t.test('callTracer: the call tree of a transaction in the middle of a block', async (t) => {
    for (const [h, v, child, before] of [
      [hRun1, V1, child1, 0n],
      [hRun2, V2, child2, V1 + 1n], // run 2 sees the x that run 1 set through the delegatecall
    ] as const) {
      const trace = await rpc('debug_traceTransaction', [h, { tracer: 'callTracer' }])
      const rc = await receipt(h)
      t.equal(trace.gasUsed, rc.gasUsed, 'top gasUsed = the receipt')
      t.equal(trace.gas, hexQ(3_000_000n), 'top gas = the transaction gas limit')
      t.match(trace, {
        type: 'CALL',
        from: devAddress(1),
        to: outer,
        value: hexQ(VALUE),
        input: h === hRun1 ? runData1 : runData2,
        output: word(2n * v + v + before),
      })
      t.notOk('error' in trace)
      const calls = trace.calls as any[]
      t.same(
        calls.map((c) => c.type),
        ['CREATE', 'CALL', 'STATICCALL', 'DELEGATECALL', 'CALL'],
        'frame types in order',
      )
      t.same(
        calls.map((c) => [c.from, c.to, c.value]),
        [
          [outer, child, '0x0'],
          [outer, child, hexQ(VALUE)],
          [outer, child, undefined],
          [outer, lib, hexQ(VALUE)],
          [outer, child, '0x0'],
        ],
        'from / to / value of each frame',
      )
      t.equal(calls[0].input, bytesToHex(compiled.Child!.bytecode), 'CREATE input = init code')
      t.equal(calls[0].output, childCode, 'CREATE output = deployed code')
      t.same([calls[1].input, calls[1].output], [childI.encodeFunctionData('set', [v]), word(2n * v)])
      t.same([calls[2].input, calls[2].output], [childI.encodeFunctionData('peek'), word(v)])
      t.equal(calls[3].input, libI.encodeFunctionData('setX', [v + 1n]))
      t.notOk('output' in calls[3], 'no output when a call returns nothing')
      t.same(
        { input: calls[4].input, error: calls[4].error, revertReason: calls[4].revertReason, output: calls[4].output },
        { input: boomData, error: 'execution reverted', revertReason: 'child says no', output: boomRevert },
      )
      for (const c of calls) {
        t.match(c.gas, /^0x[1-9a-f][0-9a-f]*$/)
        t.ok(BigInt(c.gasUsed) > 0n && BigInt(c.gasUsed) <= BigInt(c.gas), `${c.type}: 0 < gasUsed <= gas`)
        t.notOk('calls' in c, 'leaf frames have no calls')
      }
      t.ok(BigInt(calls[1].gas) > 2300n, 'value call carries the stipend')
      t.same(Object.keys(trace), ['from', 'gas', 'gasUsed', 'to', 'input', 'output', 'calls', 'value', 'type'], "geth's field order")
    }
  })

  t.test('callTracer: contract creation, onlyTopCall, withLog, a failed transaction', async (t) => {
    const deploy = await rpc('debug_traceTransaction', [hDeploy, { tracer: 'callTracer' }])
    t.match(deploy, { type: 'CREATE', from: devAddress(1), to: outer, input: deployData, value: '0x0' })
    t.equal(deploy.output, await rpc('eth_getCode', [outer, 'latest']))
    t.equal(deploy.gasUsed, (await receipt(hDeploy)).gasUsed)

    const top = await rpc('debug_traceTransaction', [hRun1, { tracer: 'callTracer', tracerConfig: { onlyTopCall: true } }])
    t.notOk('calls' in top, 'onlyTopCall: no sub-calls')
    t.equal(top.output, word(3n * V1))

    const logged = await rpc('debug_traceTransaction', [hRun1, { tracer: 'callTracer', tracerConfig: { withLog: true } }])
    t.same(logged.calls[1].logs, [{ address: child1, topics: [keccakUtf8('Set(uint256)')], data: word(V1), position: '0x0' }])
    t.notOk('logs' in logged.calls[4], 'a reverted frame has no logs')

    const fail = await rpc('debug_traceTransaction', [hFail, { tracer: 'callTracer' }])
    t.match(fail, {
      type: 'CALL',
      from: devAddress(2),
      to: outer,
      error: 'execution reverted',
      revertReason: 'child says no',
      output: boomRevert,
      calls: [{ type: 'CALL', from: outer, to: child2, input: boomData, error: 'execution reverted', revertReason: 'child says no' }],
    })
    t.equal(fail.gasUsed, (await receipt(hFail)).gasUsed)
  })

  t.test('struct logger', async (t) => {
    const trace = await rpc('debug_traceTransaction', [hRun2, { enableMemory: true }])
    const rc = await receipt(hRun2)
    t.equal(trace.gas, Number(BigInt(rc.gasUsed)), 'gas = the receipt gasUsed')
    t.equal(trace.failed, false)
    t.equal(trace.returnValue, word(3n * V2 + V1 + 1n))
    const logs = trace.structLogs as any[]
    // intrinsic gas: 21000 + calldata (16 per non-zero byte, 4 per zero byte)
    const cd = hexToBytes(runData2 as `0x${string}`)
    const intrinsic = 21_000n + cd.reduce((s, b) => s + (b === 0 ? 4n : 16n), 0n)
    t.match(logs.slice(0, 3), [
      { pc: 0, op: 'PUSH1', gas: Number(3_000_000n - intrinsic), gasCost: 3, depth: 1, stack: [], memory: [] },
      { pc: 2, op: 'PUSH1', gasCost: 3, depth: 1, stack: ['0x80'] },
      { pc: 4, op: 'MSTORE', depth: 1, stack: ['0x80', '0x40'] },
    ])
    t.same(Object.keys(logs[0]), ['pc', 'op', 'gas', 'gasCost', 'depth', 'stack', 'memory'], "geth's field order")
    t.same(logs[3].memory, ['0'.repeat(64), '0'.repeat(64), '0'.repeat(62) + '80'], 'memory as 32-byte words without 0x')
    t.equal(logs[logs.length - 1].op, 'RETURN')
    t.equal(logs[logs.length - 1].depth, 1)

    // gas chain: within a frame, each opcode leaves gas - gasCost for the next
    const frameOps = new Set(['CALL', 'CALLCODE', 'DELEGATECALL', 'STATICCALL', 'CREATE', 'CREATE2'])
    let checked = 0
    for (let i = 0; i + 1 < logs.length; i++) {
      const a = logs[i]
      const b = logs[i + 1]
      if (a.depth === b.depth && !frameOps.has(a.op)) {
        if (b.gas !== a.gas - a.gasCost) t.fail(`step ${i} (${a.op} at pc ${a.pc}): ${a.gas} - ${a.gasCost} != ${b.gas}`)
        checked++
      }
    }
    t.ok(checked > 100, `gas chain holds over ${checked} steps`)

    // entering a frame: its first step has the gas the callTracer gives that frame
    const calls = (await rpc('debug_traceTransaction', [hRun2, { tracer: 'callTracer' }])).calls as any[]
    const entries = logs.filter((l, i) => i > 0 && l.depth === 2 && logs[i - 1].depth === 1)
    t.same(
      entries.map((l) => hexQ(BigInt(l.gas))),
      calls.map((c) => c.gas),
      'child frames start with the gas passed',
    )
    t.same(
      entries.map((l) => l.pc),
      [0, 0, 0, 0, 0],
    )
    // a CALL's gasCost includes the gas it passes on (geth)
    const callIdx = logs.findIndex((l, i) => l.op === 'CALL' && logs[i + 1]?.depth === 2)
    t.ok(logs[callIdx].gasCost > BigInt(calls[1].gas) - 2300n, 'CALL gasCost counts the gas passed')

    // storage: the child's SSTORE and the outer SLOAD of x written by run 1
    const sstore = logs.find((l) => l.op === 'SSTORE' && l.depth === 2)
    t.same(sstore.storage, { ['0'.repeat(64)]: V2.toString(16).padStart(64, '0') })
    const sload = logs.find((l) => l.op === 'SLOAD' && l.depth === 1)
    t.same(sload.storage, { ['0'.repeat(64)]: (V1 + 1n).toString(16).padStart(64, '0') }, 'SLOAD sees run 1')

    const bare = await rpc('debug_traceTransaction', [hRun2, { disableStack: true, disableStorage: true, limit: 10 }])
    t.equal(bare.structLogs.length, 10, 'limit')
    t.notOk(
      bare.structLogs.some((l: any) => 'stack' in l || 'memory' in l || 'storage' in l),
      'no stack, memory or storage',
    )

    const withRet = await rpc('debug_traceTransaction', [hRun2, { enableReturnData: true, disableStack: true }])
    const afterCall = withRet.structLogs[callIdx + 1 + withRet.structLogs.slice(callIdx + 1).findIndex((l: any) => l.depth === 1)]
    t.equal(afterCall.returnData, word(2n * V2), 'returnData after the CALL')

    const failed = await rpc('debug_traceTransaction', [hFail, {}])
    t.equal(failed.failed, true)
    t.equal(failed.returnValue, boomRevert)
    t.equal(failed.structLogs[failed.structLogs.length - 1].op, 'REVERT')
  })

  t.test('debug_traceCall', async (t) => {
    const call = { from: devAddress(3), to: outer, input: outerI.encodeFunctionData('run', [7n]), value: hexQ(5n), gas: hexQ(2_000_000n) }
    const tree = await rpc('debug_traceCall', [call, 'latest', { tracer: 'callTracer' }])
    const child3 = getCreateAddress({ from: outer, nonce: 3 }).toLowerCase()
    t.match(tree, { type: 'CALL', from: devAddress(3), to: outer, value: '0x5', gas: hexQ(2_000_000n), output: word(21n + V2 + 1n) })
    t.same(
      tree.calls.map((c: any) => [c.type, c.to]),
      [
        ['CREATE', child3],
        ['CALL', child3],
        ['STATICCALL', child3],
        ['DELEGATECALL', lib],
        ['CALL', child3],
      ],
    )
    // on block 1's state Outer does not exist: a plain call to an empty account
    const onBlock1 = await rpc('debug_traceCall', [call, '0x1', { tracer: 'callTracer' }])
    t.notOk('calls' in onBlock1)
    t.notOk('output' in onBlock1)

    const logs = await rpc('debug_traceCall', [{ to: outer, input: outerI.encodeFunctionData('x') }, 'latest'])
    t.match(logs.structLogs.slice(0, 2), [
      { pc: 0, op: 'PUSH1', stack: [] },
      { pc: 2, op: 'PUSH1', stack: ['0x80'] },
    ])
    t.equal(logs.returnValue, word(V2 + 1n))
    t.equal(logs.failed, false)

    const fail = await rpc('debug_traceCall', [{ to: outer, input: outerI.encodeFunctionData('fail') }, 'latest', { tracer: 'callTracer' }])
    t.match(fail, { error: 'execution reverted', revertReason: 'child says no', calls: [{ to: child2, revertReason: 'child says no' }] })

    const create = await rpc('debug_traceCall', [{ from: devAddress(4), input: bytesToHex(compiled.Lib!.bytecode) }, 'latest', { tracer: 'callTracer' }])
    t.match(create, { type: 'CREATE', from: devAddress(4), to: getCreateAddress({ from: devAddress(4), nonce: 0 }).toLowerCase() })
  })

  t.test('errors', async (t) => {
    t.match((await rpcRaw('debug_traceTransaction', ['0x' + '11'.repeat(32)])).error, { code: -32000, message: 'transaction not found' })
    t.match((await rpcRaw('debug_traceTransaction', [hRun1, { tracer: 'prestateTracerX' }])).error, { code: -32000, message: /prestateTracerX/ })
    t.match((await rpcRaw('debug_traceCall', [{ to: outer }, 'latest', { tracer: 'nope' }])).error, { code: -32000, message: /nope/ })
    t.match((await rpcRaw('debug_traceTransaction', ['0x12'])).error, { code: -32602, message: /^invalid argument 0: hex string has length 2/ })
    t.match((await rpcRaw('debug_traceTransaction', [])).error, { code: -32602, message: 'missing value for required argument 0' })
    t.match((await rpcRaw('debug_traceTransaction', [hRun1, { tracer: 5 }])).error, { code: -32602, message: /invalid argument 1: .*tracer of type string/ })
    t.match((await rpcRaw('debug_traceTransaction', [hRun1, { timeout: 'soon' }])).error, { code: -32000, message: 'time: invalid duration "soon"' })
    t.match((await rpcRaw('debug_traceTransaction', [hRun1, { tracer: 'callTracer', tracerConfig: { onlyTopCall: 'yes' } }])).error, { code: -32602 })
    t.match((await rpcRaw('debug_traceCall', [{ to: outer }, '0x99'])).error, { code: -32000, message: 'header not found' })
    t.match((await rpcRaw('debug_traceCall', [{ to: outer }, 'latest', { stateOverrides: {} }])).error, { code: -32000, message: /stateOverrides/ })
    t.match((await rpcRaw('debug_traceCall', [{ to: outer, gas: '0x1' }, 'latest'])).error, { code: -32000, message: /intrinsic gas too low/ })
    const spin = { to: outer, input: outerI.encodeFunctionData('spin'), gas: hexQ(30_000_000n) }
    t.match((await rpcRaw('debug_traceCall', [spin, 'latest', { timeout: '50ms' }])).error, { code: -32000, message: 'execution timeout' })
    // out of gas: the struct logger marks the opcode that ran out
    const oog = await rpc('debug_traceCall', [{ ...spin, gas: hexQ(60_000n) }, 'latest', { disableStack: true }])
    t.equal(oog.failed, true)
    t.equal(oog.returnValue, '0x')
    t.equal(oog.structLogs[oog.structLogs.length - 1].error, 'out of gas')
    const oogTree = await rpc('debug_traceCall', [{ ...spin, gas: hexQ(60_000n) }, 'latest', { tracer: 'callTracer' }])
    t.match(oogTree, { error: 'out of gas', gasUsed: hexQ(60_000n) })
  })

  t.test('results validate against the schemas of rpc/openrpc.json', async (t) => {
    const doc = JSON.parse(fs.readFileSync(path.join(repoRoot, 'rpc', 'openrpc.json'), 'utf8'))
    const ajv = new Ajv({ strict: false, allErrors: true })
    ajv.addSchema({ $id: 'openrpc.json', components: doc.components }, 'openrpc.json')
    const check = (schema: string, v: unknown, what: string) => {
      const ok = ajv.validate({ $ref: `openrpc.json#/components/schemas/${schema}` }, v)
      t.ok(ok, `${what}: ${ajv.errorsText(ajv.errors)}`)
    }
    check('CallFrame', await rpc('debug_traceTransaction', [hRun1, { tracer: 'callTracer', tracerConfig: { withLog: true } }]), 'callTracer')
    check('CallFrame', await rpc('debug_traceTransaction', [hFail, { tracer: 'callTracer' }]), 'callTracer, reverted')
    check('StructLogResult', await rpc('debug_traceTransaction', [hRun1, { enableMemory: true, enableReturnData: true }]), 'struct logger')
    check('StructLogResult', await rpc('debug_traceCall', [{ to: outer, input: outerI.encodeFunctionData('fail') }, 'latest']), 'struct logger, reverted')
  })

  t.test('helpers', async (t) => {
    t.equal(parseGoDuration('5s'), 5000)
    t.equal(parseGoDuration('1m30s'), 90_000)
    t.equal(parseGoDuration('250ms'), 250)
    t.equal(parseGoDuration('1.5s'), 1500)
    t.throws(() => parseGoDuration('5'), /invalid duration/)
    t.equal(unpackRevert(hexToBytes(boomRevert as `0x${string}`)), 'child says no')
    t.equal(unpackRevert(hexToBytes(('0x4e487b71' + word(0x11n).slice(2)) as `0x${string}`)), 'arithmetic underflow or overflow')
    t.equal(unpackRevert(new Uint8Array([1, 2])), undefined)
  })
})
