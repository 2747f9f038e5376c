import t from 'tap'
import { TypedDataEncoder, Wallet } from 'ethers'
import { addressOf, publicKeyOf } from '../../../src/crypto/secp256k1.js'
import { core } from '../../../src/core/index.js'
import { FlowError, FlowErrorCode } from '../../../src/flow/errors.js'
import {
  CHECKPOINT_ENTRY_TYPES,
  CHECKPOINT_TYPES,
  MAX_CHECKPOINT_ENTRIES,
  MAX_CHECKPOINT_SIGNATURES,
  buildCheckpoint,
  checkpointFromJson,
  checkpointHash,
  checkpointToJson,
  decodeCheckpointCall,
  encodeCheckpointCall,
  entriesHashOf,
  entryHash,
  providerTotalsOf,
  recoverCheckpointSigners,
  sideChainIdOf,
  signCheckpoint,
  validateCheckpoint,
  type Checkpoint,
  type CheckpointEntry,
} from '../../../src/flow/checkpoint.js'
import { flowDomain, hexOf, rlpDecode, rlpEncode } from '../../../src/flow/receipt.js'
import { sumTreeProof, totalsRootOf, verifySumProof } from '../../../src/flow/sumTree.js'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const h = (s: string): Uint8Array => core.keccak256(enc(s))
const keyOf = (s: string): Uint8Array => h(`key ${s}`)
const addrOfKey = (k: Uint8Array): string => hexOf(addressOf(publicKeyOf(k)))
const chainId = 777n
const providers = [0, 1, 2].map((i) => addrOfKey(keyOf(`p${i}`)))

function entry(i: number, over: Partial<CheckpointEntry> = {}): CheckpointEntry {
  return {
    sessionId: h(`session ${i}`),
    consumer: addrOfKey(keyOf(`c${i}`)),
    provider: providers[i % 3]!,
    relays: i % 2 ? [addrOfKey(keyOf(`r${i}`))] : [],
    seq: BigInt(10 + i),
    prevTotal: BigInt(i * 100),
    total: BigInt(i * 100 + 1000 + i),
    sampleRoot: h(`samples ${i}`),
    receiptHash: h(`receipt ${i}`),
    ...over,
  }
}

const entries = Array.from({ length: 7 }, (_, i) => entry(i))
const cp = buildCheckpoint({ cycle: 5n, prevCheckpoint: h('prev'), entries })

const entryValue = (e: CheckpointEntry) => ({
  ...e,
  sessionId: hexOf(e.sessionId),
  sampleRoot: hexOf(e.sampleRoot),
  receiptHash: hexOf(e.receiptHash),
})
const cpValue = (c: Checkpoint) => ({
  sideChainId: hexOf(c.sideChainId),
  cycle: c.cycle,
  totalsRoot: hexOf(c.totalsRoot),
  totalBytes: c.totalBytes,
  prevCheckpoint: hexOf(c.prevCheckpoint),
  entriesHash: hexOf(entriesHashOf(c.entries)),
})

t.test('build: sorted entries, totals, sum tree, side-chain id', async (t) => {
  t.equal(cp.entries.length, 7)
  for (let i = 1; i < 7; i++) t.ok(hexOf(cp.entries[i - 1]!.sessionId) < hexOf(cp.entries[i]!.sessionId))
  const sum = entries.reduce((s, e) => s + (e.total - e.prevTotal), 0n)
  t.equal(cp.totalBytes, sum)
  const leaves = providerTotalsOf(entries)
  t.equal(leaves.length, 3)
  t.same(
    leaves.map((l) => l.address),
    [...providers].sort(),
  )
  t.equal(
    leaves.reduce((s, l) => s + l.total, 0n),
    sum,
  )
  t.equal(hexOf(cp.totalsRoot), hexOf(totalsRootOf(leaves)))
  for (const l of leaves) t.ok(verifySumProof(cp.totalsRoot, l.address, l.total, sumTreeProof(leaves, l.address)))
  t.equal(hexOf(cp.sideChainId), hexOf(core.keccak256(Uint8Array.from([...enc('NFC-SIDECHAIN'), 0, 0, 0, 0, 0, 0, 0, 5]))))
  t.equal(hexOf(sideChainIdOf(5n)), hexOf(cp.sideChainId))
  t.doesNotThrow(() => validateCheckpoint(cp))
  t.throws(() => validateCheckpoint({ ...cp, totalBytes: cp.totalBytes + 1n }), { code: FlowErrorCode.FLOW_BAD_CHECKPOINT, meta: { field: 'totalBytes' } })
  t.throws(() => validateCheckpoint({ ...cp, totalsRoot: h('x') }), { code: FlowErrorCode.FLOW_BAD_CHECKPOINT, meta: { field: 'totalsRoot' } })
  t.throws(() => validateCheckpoint({ ...cp, sideChainId: sideChainIdOf(6n) }), { code: FlowErrorCode.FLOW_BAD_CHECKPOINT, meta: { field: 'sideChainId' } })
  t.throws(() => buildCheckpoint({ cycle: 5n, prevCheckpoint: h('prev'), entries: [...entries, entry(3)] }), { code: FlowErrorCode.FLOW_DUPLICATE_SEQ })
  t.throws(() => buildCheckpoint({ cycle: 5n, prevCheckpoint: h('prev'), entries: [entry(1, { total: 5n })] }), { code: FlowErrorCode.FLOW_TOTAL_DECREASED })
  const empty = buildCheckpoint({ cycle: 0n, prevCheckpoint: new Uint8Array(32), entries: [] })
  t.equal(empty.totalBytes, 0n)
  t.equal(hexOf(empty.totalsRoot), hexOf(totalsRootOf([])))
})

t.test('hashes are EIP-712 as ethers computes them; wallet signatures recover', async (t) => {
  for (const e of entries) {
    t.equal(hexOf(entryHash(e)), TypedDataEncoder.hashStruct('CheckpointEntry', CHECKPOINT_ENTRY_TYPES, entryValue(e)))
  }
  const digest = checkpointHash(cp, chainId)
  t.equal(hexOf(digest), TypedDataEncoder.hash(flowDomain(chainId), CHECKPOINT_TYPES, cpValue(cp)))
  t.not(hexOf(checkpointHash(cp, chainId + 1n)), hexOf(digest), 'chain id in the domain')

  const keys = [0, 1, 2, 3].map((i) => keyOf(`committee ${i}`))
  const sigs = keys.map((k) => signCheckpoint(cp, chainId, k))
  const ethersSig = await new Wallet(hexOf(keys[0]!)).signTypedData(flowDomain(chainId), CHECKPOINT_TYPES, cpValue(cp))
  t.equal(hexOf(sigs[0]!), ethersSig)
  t.same(recoverCheckpointSigners(cp, chainId, sigs), keys.map(addrOfKey))
  t.same(recoverCheckpointSigners(digest, sigs), keys.map(addrOfKey), 'hash form')
  const bad = sigs[1]!.slice()
  bad[64] = 30
  t.same(recoverCheckpointSigners(cp, chainId, [bad, sigs[2]!]), [null, addrOfKey(keys[2]!)])
  // any entry change changes the hash
  const changed = { ...cp, entries: cp.entries.map((e, i) => (i === 3 ? { ...e, seq: e.seq + 1n } : e)) }
  t.not(hexOf(checkpointHash(changed, chainId)), hexOf(digest))
})

t.test('calldata round trip and strict decoding', async (t) => {
  const sigs = [0, 1, 2].map((i) => signCheckpoint(cp, chainId, keyOf(`committee ${i}`)))
  const bytes = encodeCheckpointCall(cp, sigs)
  const back = decodeCheckpointCall(bytes)
  t.same(back.checkpoint, cp)
  t.same(back.signatures, sigs)
  t.equal(hexOf(checkpointHash(back.checkpoint, chainId)), hexOf(checkpointHash(cp, chainId)))

  const top = rlpDecode(bytes, 'x') as unknown[]
  const codeOf = (b: Uint8Array): [string, string] => {
    try {
      decodeCheckpointCall(b)
      return ['accepted', '']
    } catch (e) {
      return [(e as FlowError).code, (e as FlowError).message]
    }
  }
  const names = ['sideChainId', 'cycle', 'totalsRoot', 'totalBytes', 'prevCheckpoint', 'entries', 'signatures']
  names.forEach((name, i) => {
    const bad = [...top]
    bad[i] = i >= 5 ? new Uint8Array(1) : new Uint8Array(33).fill(1)
    const [code, msg] = codeOf(rlpEncode(bad))
    t.equal(code, FlowErrorCode.FLOW_BAD_FORMAT, name)
    t.match(msg, name)
  })
  const entryItems = top[5] as unknown[][]
  const fieldNames = ['sessionId', 'consumer', 'provider', 'relays', 'seq', 'prevTotal', 'total', 'sampleRoot', 'receiptHash']
  fieldNames.forEach((name, i) => {
    const e = [...entryItems[2]!]
    e[i] = name === 'relays' ? [new Uint8Array(21)] : new Uint8Array(33).fill(1)
    const bad = [...top]
    bad[5] = entryItems.map((x, j) => (j === 2 ? e : x))
    const [code, msg] = codeOf(rlpEncode(bad))
    t.equal(code, FlowErrorCode.FLOW_BAD_FORMAT, `entry ${name}`)
    t.match(msg, `entries[2]`)
  })
  // out of order, duplicate session, total below prevTotal, bad signature size
  const swapped = [...top]
  swapped[5] = [entryItems[1], entryItems[0], ...entryItems.slice(2)]
  t.match(codeOf(rlpEncode(swapped)), [FlowErrorCode.FLOW_BAD_FORMAT, /sorted/])
  const dup = [...top]
  dup[5] = [entryItems[0], entryItems[0]]
  t.equal(codeOf(rlpEncode(dup))[0], FlowErrorCode.FLOW_DUPLICATE_SEQ)
  const dec = [...top]
  dec[5] = [[...entryItems[0]!.slice(0, 5), Uint8Array.of(0xff, 0xff), Uint8Array.of(1), ...entryItems[0]!.slice(7)]]
  t.equal(codeOf(rlpEncode(dec))[0], FlowErrorCode.FLOW_TOTAL_DECREASED)
  const shortSig = [...top]
  shortSig[6] = [new Uint8Array(64)]
  t.match(codeOf(rlpEncode(shortSig)), [FlowErrorCode.FLOW_BAD_FORMAT, /signatures\[0\]/])
  t.equal(codeOf(rlpEncode(top.slice(0, 6)))[0], FlowErrorCode.FLOW_BAD_FORMAT)
  t.equal(codeOf(Uint8Array.from([...bytes, 1]))[0], FlowErrorCode.FLOW_BAD_FORMAT)
})

t.test('limits: 4,096 entries and 101 signatures', async (t) => {
  t.equal(MAX_CHECKPOINT_ENTRIES, 4096)
  t.equal(MAX_CHECKPOINT_SIGNATURES, 101)
  const many = Array.from({ length: 4096 }, (_, i) => entry(i))
  const big = buildCheckpoint({ cycle: 9n, prevCheckpoint: h('p'), entries: many })
  const sig = signCheckpoint(big, chainId, keyOf('x'))
  const sigs = Array(101).fill(sig)
  const back = decodeCheckpointCall(encodeCheckpointCall(big, sigs))
  t.equal(back.checkpoint.entries.length, 4096)
  t.equal(back.signatures.length, 101)
  t.throws(() => buildCheckpoint({ cycle: 9n, prevCheckpoint: h('p'), entries: [...many, entry(5000)] }), {
    code: FlowErrorCode.FLOW_BAD_FORMAT,
    message: /entries/,
  })
  t.throws(() => encodeCheckpointCall(big, [...sigs, sig]), { code: FlowErrorCode.FLOW_BAD_FORMAT, message: /signatures/ })
  // hand-built over-limit calldata
  const top = rlpDecode(encodeCheckpointCall(big, sigs), 'x') as unknown[]
  const tooManySigs = [...top]
  tooManySigs[6] = [...sigs, sig]
  t.throws(() => decodeCheckpointCall(rlpEncode(tooManySigs)), { message: /signatures/ })
  const tooMany = [...top]
  tooMany[5] = [...(top[5] as unknown[]), (top[5] as unknown[])[0]]
  t.throws(() => decodeCheckpointCall(rlpEncode(tooMany)), { message: /4097 entries/ })
})

t.test('JSON', async (t) => {
  const j = checkpointToJson(cp)
  t.equal(j.cycle, '0x5')
  t.equal(j.entries.length, 7)
  t.equal(j.entries[0]!.sessionId, hexOf(cp.entries[0]!.sessionId))
  t.same(checkpointFromJson(JSON.parse(JSON.stringify(j))), cp)
  t.throws(() => checkpointFromJson({ ...j, totalBytes: '0x01' }), { code: FlowErrorCode.FLOW_BAD_FORMAT, message: /totalBytes/ })
  t.throws(() => checkpointFromJson({ ...j, entries: [{ ...j.entries[0], seq: 1 }] }), { message: /entries\[0\]\.seq/ })
})
