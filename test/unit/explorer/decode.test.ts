/**
 * Every system contract's calls and events decode from the shipped ABIs (src/execution/system/abi):
 * each function's calldata and each event's log, encoded with sample values for its parameter types.
 */
import t from 'tap'
import { readdirSync } from 'node:fs'
import { type ParamType } from 'ethers'
import { createDecoder, SYSTEM_ABIS } from '../../../src/explorer/decode.js'
import { SYSTEM_CONTRACTS } from '../../../src/chain/systemAddresses.js'

/** A value of ABI type `p` (the same for every parameter of a type: enough to round-trip). */
function sample(p: ParamType): unknown {
  if (p.isArray()) return [sample(p.arrayChildren)]
  if (p.isTuple()) return p.components.map(sample)
  if (p.baseType === 'address') return '0x' + '12'.repeat(20)
  if (p.baseType === 'bool') return true
  if (p.baseType === 'string') return 'text'
  if (p.baseType === 'bytes') return '0x1234'
  if (p.baseType.startsWith('bytes')) return '0x' + 'ab'.repeat(Number(p.baseType.slice(5)))
  return 7n // uintN, intN
}

t.test('every shipped system ABI is decoded, at its contract address', async (t) => {
  const shipped = readdirSync('src/execution/system/abi').filter((f) => f.endsWith('.json'))
  t.equal(SYSTEM_ABIS.length, shipped.length, `one decoder entry per shipped ABI (${shipped.join(', ')})`)
  t.same(SYSTEM_ABIS.map((s) => s.address).sort(), Object.values(SYSTEM_CONTRACTS).sort(), 'one per system contract address')
})

for (const c of SYSTEM_ABIS) {
  t.test(`${c.name}: every call and event`, async (t) => {
    const d = createDecoder()
    t.equal(d.contractName(c.address), c.name, 'named by its address')
    c.iface.forEachFunction((f) => {
      const data = c.iface.encodeFunctionData(f, f.inputs.map(sample))
      const call = d.input(c.address, data)
      t.equal(call?.contract, c.name, `${f.format()}: the contract`)
      t.equal(call?.signature, f.format(), `${f.format()}: the signature`)
      t.equal(call?.args.length, f.inputs.length, `${f.format()}: every argument`)
    })
    let events = 0
    c.iface.forEachEvent((e) => {
      events++
      const log = c.iface.encodeEventLog(e, e.inputs.map(sample))
      const ev = d.log({ address: c.address, topics: log.topics, data: log.data })
      t.equal(ev?.contract, c.name, `${e.format()}: the contract`)
      t.equal(ev?.name, e.name, `${e.format()}: the event`)
      t.same(
        ev?.args.map((a) => a.name),
        e.inputs.map((p, i) => p.name || `arg${i}`),
        `${e.format()}: every argument, named`,
      )
    })
    t.ok(events > 0, `${c.name} has events`)
  })
}

t.test('a log of an unknown event from a system contract is not decoded (shown raw)', async (t) => {
  const d = createDecoder()
  t.equal(d.log({ address: SYSTEM_CONTRACTS.nb, topics: ['0x' + '99'.repeat(32)], data: '0x' }), undefined)
  t.equal(d.input(SYSTEM_CONTRACTS.flowRewards, '0xdeadbeef'), undefined, 'nor an unknown selector')
})
