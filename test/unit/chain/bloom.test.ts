import t from 'tap'
import { Bloom } from '@ethereumjs/vm'
import { getBytes, id as keccakUtf8, keccak256, zeroPadValue } from 'ethers'
import { BLOOM_BYTES, bloomAdd, bloomMayContain, bloomOfLogs, bloomOr } from '../../../src/chain/bloom.js'
import type { Log } from '../../../src/chain/receipt.js'
import { prng, same } from '../../helpers/inProcessNode.js'

const rand = prng(42)
const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256))

/** The yellow paper's M3:2048, written independently with ethers' keccak. */
function referenceBloom(items: Uint8Array[]): Uint8Array {
  const bloom = new Uint8Array(256)
  for (const item of items) {
    const h = getBytes(keccak256(item))
    for (const i of [0, 2, 4]) {
      const bit = ((h[i] << 8) + h[i + 1]) % 2048
      bloom[255 - Math.floor(bit / 8)] |= 1 << (bit % 8)
    }
  }
  return bloom
}

function ethjsBloom(logs: Log[]): Uint8Array {
  const b = new Bloom()
  for (const l of logs) {
    b.add(l.address)
    for (const topic of l.topics) b.add(topic)
  }
  return b.bitvector
}

// An ERC-20 Transfer log: the classic example.
const transferLog: Log = {
  address: getBytes('0xdAC17F958D2ee523a2206206994597C13D831ec7'),
  topics: [
    getBytes(keccakUtf8('Transfer(address,address,uint256)')),
    getBytes(zeroPadValue('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266', 32)),
    getBytes(zeroPadValue('0x70997970C51812dc3A010C7d01b50e0d17dc79C8', 32)),
  ],
  data: getBytes(zeroPadValue('0x0de0b6b3a7640000', 32)),
}

t.test("bloom of a known log equals Ethereum's (ethereumjs Bloom and the yellow-paper formula)", async (t) => {
  const ours = bloomOfLogs([transferLog])
  t.equal(ours.length, BLOOM_BYTES)
  same(t, ours, ethjsBloom([transferLog]))
  same(t, ours, referenceBloom([transferLog.address, ...transferLog.topics]))
  // 4 items × 3 bits, at most 12 bits set, at least 1
  const bits = [...ours].reduce((n, b) => n + b.toString(2).split('1').length - 1, 0)
  t.ok(bits > 0 && bits <= 12, `${bits} bits set`)
  // data is not part of the bloom
  same(t, bloomOfLogs([{ ...transferLog, data: bytes(100) }]), ours)
})

t.test('many seeded random logs agree with ethereumjs', async (t) => {
  for (let round = 0; round < 25; round++) {
    const logs: Log[] = Array.from({ length: 1 + Math.floor(rand() * 5) }, () => ({
      address: bytes(20),
      topics: Array.from({ length: Math.floor(rand() * 5) }, () => bytes(32)),
      data: bytes(Math.floor(rand() * 64)),
    }))
    same(t, bloomOfLogs(logs), ethjsBloom(logs), `round ${round}`)
  }
})

t.test('no logs: zero bloom; bloomAdd, bloomOr, bloomMayContain', async (t) => {
  same(t, bloomOfLogs([]), new Uint8Array(256))
  const a = bytes(20)
  const b = bytes(32)
  const ba = new Uint8Array(256)
  bloomAdd(ba, a)
  same(t, ba, referenceBloom([a]))
  const bb = new Uint8Array(256)
  bloomAdd(bb, b)
  bloomOr(ba, bb)
  same(t, ba, referenceBloom([a, b]))
  t.ok(bloomMayContain(ba, a))
  t.ok(bloomMayContain(ba, b))
  // items that are certainly absent (per ethereumjs) are reported absent
  const ej = new Bloom(Uint8Array.from(ba))
  let absent = 0
  for (let i = 0; i < 200; i++) {
    const x = bytes(32)
    t.equal(bloomMayContain(ba, x), ej.check(x))
    if (!ej.check(x)) absent++
  }
  t.ok(absent > 150, 'most random items are absent from a 2-item bloom')
  t.notOk(bloomMayContain(new Uint8Array(256), a), 'nothing is in the empty bloom')
  // `into` accumulates
  const into = bloomOfLogs([transferLog])
  bloomOfLogs([{ address: a, topics: [b], data: new Uint8Array() }], into as Uint8Array<ArrayBuffer>)
  same(t, into, referenceBloom([transferLog.address, ...transferLog.topics, a, b]))
})
