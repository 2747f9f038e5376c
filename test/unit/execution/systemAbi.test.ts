/**
 * The shipped Solidity interfaces and ABI JSON agree with solc and with the native contracts, and
 * the native ABI codec agrees with ethers and refuses what Solidity's decoder refuses.
 */
import t from 'tap'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { AbiCoder, Interface } from 'ethers'
import { AbiError, decode, encode, encodeCall, encodeError, selectorOf } from '../../../src/execution/system/abi.js'
import { SYSTEM_CONTRACT_LIST, type SystemContract } from '../../../src/execution/system/index.js'
import { compileSolidity, prng } from '../../helpers/inProcessNode.js'
import { abiJson, solSource } from '../../helpers/systemVm.js'

interface AbiParam {
  name: string
  type: string
  indexed?: boolean
}
interface AbiEntry {
  type: string
  name: string
  inputs: AbiParam[]
  outputs?: AbiParam[]
  stateMutability?: string
}

const names = {
  Staking: 'IStaking',
  NodeRegistry: 'INodeRegistry',
  FlowRewards: 'IFlowRewards',
  NB: 'INB',
  Evidence: 'IEvidence',
  Governance: 'IGovernance',
  Names: 'INames',
  PaymentChannels: 'IPaymentChannels',
  StorageDeals: 'IStorageDeals',
} as const

/** byte arrays as 0x hex, inside arrays too (ethers' form) */
const hexDeep = (v: unknown): unknown => (v instanceof Uint8Array ? bytesToHex(v) : Array.isArray(v) ? v.map(hexDeep) : v)

const sortAbi = (abi: unknown[]) => [...(abi as AbiEntry[])].sort((a, b) => `${a.type}${a.name}`.localeCompare(`${b.type}${b.name}`))

for (const contract of SYSTEM_CONTRACT_LIST as SystemContract[]) {
  const name = names[contract.name as keyof typeof names]
  t.test(`${name}: solc ABI = shipped JSON = native dispatch`, async (t) => {
    const compiled = compileSolidity({ [`${name}.sol`]: solSource(name) })[name]!
    const json = abiJson(name)
    t.same(sortAbi(compiled.abi as unknown[]), sortAbi(json), 'the JSON is what solc compiles from the .sol')

    const fns = (json as AbiEntry[]).filter((e) => e.type === 'function')
    t.equal(fns.length, contract.functions.length, 'as many functions as the native contract dispatches')
    const iface = new Interface(json as never)
    for (const f of fns) {
      const sig = `${f.name}(${f.inputs.map((i) => i.type).join(',')})`
      const native = contract.functions.find((n) => n.signature === sig)
      if (native === undefined) {
        t.fail(`${sig} is not dispatched`)
        continue
      }
      t.equal(native.selector, iface.getFunction(sig)!.selector, `${sig}: selector`)
      t.same(
        native.outputs,
        (f.outputs ?? []).map((o) => o.type),
        `${sig}: outputs`,
      )
      t.equal(native.mutability, f.stateMutability, `${sig}: mutability`)
    }
    const events = (json as AbiEntry[]).filter((e) => e.type === 'event')
    t.equal(events.length, contract.events.length)
    for (const e of events) {
      const native = contract.events.find((n) => n.name === e.name)
      t.ok(native, `event ${e.name}`)
      t.equal(native!.signature, `${e.name}(${e.inputs.map((i) => i.type).join(',')})`)
      t.same(
        native!.params.map((p) => p.indexed === true),
        e.inputs.map((i) => i.indexed === true),
        `${e.name}: indexed`,
      )
      t.equal(bytesToHex(native!.topic), iface.getEvent(e.name)!.topicHash)
    }
  })
}

t.test('codec: round trips against ethers', async (t) => {
  const coder = AbiCoder.defaultAbiCoder()
  const rand = prng(7)
  const big = (bits: number) => {
    let v = 0n
    for (let i = 0; i < bits; i += 8) v = (v << 8n) | BigInt(Math.floor(rand() * 256))
    return v & ((1n << BigInt(bits)) - 1n)
  }
  const addr = () => '0x' + big(160).toString(16).padStart(40, '0')
  const types = [
    'uint8',
    'uint16',
    'uint64',
    'uint256',
    'int256',
    'address',
    'bool',
    'string',
    'bytes',
    'address[]',
    'uint256[]',
    '(uint256,address)',
    'bytes32',
    'bytes[]',
    'bytes32[][]',
  ] as const
  for (let n = 0; n < 50; n++) {
    const str = 'ü€'.repeat(Math.floor(rand() * 40))
    const bytes = Uint8Array.from({ length: Math.floor(rand() * 70) }, () => Math.floor(rand() * 256))
    const values = [
      big(8),
      big(16),
      big(64),
      big(256),
      big(256) - (1n << 255n),
      addr(),
      rand() < 0.5,
      str,
      bytes,
      Array.from({ length: Math.floor(rand() * 5) }, addr),
      Array.from({ length: Math.floor(rand() * 5) }, () => big(256)),
      [big(256), addr()],
      Uint8Array.from({ length: 32 }, () => Math.floor(rand() * 256)),
      Array.from({ length: Math.floor(rand() * 4) }, () => Uint8Array.from({ length: Math.floor(rand() * 70) }, () => Math.floor(rand() * 256))),
      Array.from({ length: Math.floor(rand() * 3) }, () =>
        Array.from({ length: Math.floor(rand() * 3) }, () => Uint8Array.from({ length: 32 }, () => Math.floor(rand() * 256))),
      ),
    ] as const
    const mine = encode(types, values as never)
    const theirs = coder.encode(types as unknown as string[], values.map(hexDeep) as never)
    if (bytesToHex(mine) !== theirs) {
      t.fail(`encode differs at ${n}`)
      break
    }
    const back = decode(types, hexToBytes(theirs as `0x${string}`))
    t.same(back.map(hexDeep), values.map(hexDeep))
  }
  t.equal(bytesToHex(selectorOf('transfer(address,uint256)')), '0xa9059cbb')
  t.equal(bytesToHex(encodeError('nope')), '0x08c379a0' + coder.encode(['string'], ['nope']).slice(2))
})

t.test('codec: strict decoding', async (t) => {
  const w = (n: bigint) => n.toString(16).padStart(64, '0')
  const bad = (types: string[], hex: string, what: string) => t.throws(() => decode(types, hexToBytes(('0x' + hex) as `0x${string}`)), AbiError, what)
  bad(['uint256'], w(1n).slice(2), 'short word')
  bad(['address'], w(1n << 160n), 'dirty address')
  bad(['uint8'], w(256n), 'dirty uint8')
  bad(['uint16'], w(1n << 16n), 'dirty uint16')
  bad(['int8'], w(128n), 'int8 out of range')
  bad(['bool'], w(2n), 'bool 2')
  bad(['string'], w(0x20n), 'missing length')
  bad(['string'], w(0x40n) + w(0n), 'offset past the end')
  bad(['bytes'], w(0x20n) + w(1n << 33n), 'huge length')
  bad(['bytes'], w(0x20n) + w(33n) + w(0n), 'length past the end')
  bad(['address[]'], w(0x20n) + w(2n) + w(1n), 'array past the end')
  bad(['address[]'], w(0x20n) + w(1n) + w(1n << 160n), 'dirty address in an array')
  bad(['bytes[]'], w(0x20n) + w(2n) + w(0x40n), 'offsets of a bytes[] past the end')
  bad(['bytes[]'], w(0x20n) + w(1n) + w(0x1000n), 'an item offset past the end')
  bad(['bytes32[][]'], w(0x20n) + w(1n) + w(0x20n) + w(3n) + w(0n), 'an inner array past the end')
  bad(['string'], w(0x20n) + w(1n) + 'ff' + '0'.repeat(62), 'invalid UTF-8')
  t.same(decode(['int8'], hexToBytes(('0x' + 'f'.repeat(64)) as `0x${string}`)), [-1n], 'sign-extended int8')
  t.same(decode(['uint8'], hexToBytes(('0x' + w(5n) + 'abcd') as `0x${string}`)), [5n], 'trailing bytes ignored')
})

t.test('encodeCall: selector and arguments from the signature, as ethers encodes the call', async (t) => {
  const cases: [string, unknown[]][] = [
    ['submitFraudProof(bytes)', [hexToBytes('0xdeadbeef')]],
    ['submitDoubleProduction(bytes,bytes)', [hexToBytes('0x01'), new Uint8Array(70).fill(7)]],
    ['vote(address[],uint256[])', [['0x' + '11'.repeat(20)], [5n]]],
    ['f((uint8,bytes32),bool)', [[3n, new Uint8Array(32).fill(1)], true]],
    ['noArgs()', []],
  ]
  const ethersArg = (a: unknown): unknown => (a instanceof Uint8Array ? bytesToHex(a) : Array.isArray(a) ? a.map(ethersArg) : a)
  for (const [sig, args] of cases) {
    const want = new Interface([`function ${sig}`]).encodeFunctionData(sig.slice(0, sig.indexOf('(')), args.map(ethersArg))
    t.equal(bytesToHex(encodeCall(sig, args as never)), want, sig)
  }
  t.throws(() => encodeCall('noParens', []), /not a function signature: "noParens"/)
  t.throws(() => encodeCall('f(uint256)', []), /want 1 values, got 0/)
})
