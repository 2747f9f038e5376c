/**
 * The one-pass ordered-trie builder against @ethereumjs/mpt (a general MPT): the same root for
 * every size that changes the trie's shape (0, 1, 2, the one-byte keys up to 127, the two-byte
 * keys from 128) and a large block; the receipt's consensus encoding against @ethereumjs/vm's.
 */
import t from 'tap'
import { createMPT } from '@ethereumjs/mpt'
import { RLP } from '@ethereumjs/rlp'
import { bytesToHex } from '@ethereumjs/util'
import { encodeReceipt as ejsEncodeReceipt } from '@ethereumjs/vm'
import { core } from '../../../src/core/index.js'
import { bloomOfLogs } from '../../../src/chain/bloom.js'
import { EMPTY_TRIE_ROOT, orderedTrieRoot, rlpIndex, trieRoot } from '../../../src/chain/orderedTrie.js'
import { encodeConsensusReceipt, type TxReceipt } from '../../../src/chain/receipt.js'

/** deterministic values of varied lengths: short ones end up inline in their parent node */
function item(i: number): Uint8Array {
  const len = 1 + ((i * 37) % 90)
  const out = new Uint8Array(len)
  let h = core.keccak256(Uint8Array.of(i & 255, i >> 8))
  for (let j = 0; j < len; j++) {
    if (j % 32 === 0 && j > 0) h = core.keccak256(h)
    out[j] = h[j % 32]
  }
  return out
}

async function mptRoot(entries: { key: Uint8Array; value: Uint8Array }[]): Promise<string> {
  const trie = await createMPT()
  for (const e of entries) await trie.put(e.key, e.value)
  return bytesToHex(trie.root())
}

t.test('the empty trie is keccak(RLP(""))', async (t) => {
  t.equal(bytesToHex(orderedTrieRoot([])), '0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421')
  t.equal(bytesToHex(EMPTY_TRIE_ROOT), bytesToHex((await createMPT()).root()))
})

t.test('rlpIndex is RLP of the integer', async (t) => {
  for (const i of [0, 1, 127, 128, 255, 256, 65535, 65536, 4000]) t.equal(bytesToHex(rlpIndex(i)), bytesToHex(RLP.encode(i)), `index ${i}`)
})

t.test('orderedTrieRoot equals @ethereumjs/mpt for 0…129 and 1000 items', async (t) => {
  const sizes = [...Array.from({ length: 130 }, (_, n) => n), 1000]
  let agree = 0
  for (const n of sizes) {
    const items = Array.from({ length: n }, (_, i) => item(i))
    const want = await mptRoot(items.map((value, i) => ({ key: RLP.encode(i), value })))
    if (bytesToHex(orderedTrieRoot(items)) === want) agree++
    else t.fail(`${n} items: root differs from @ethereumjs/mpt`)
  }
  t.equal(agree, sizes.length, 'every size agrees')
})

t.test('trieRoot handles any keys, one a prefix of another (a branch value)', async (t) => {
  const entries = [
    { key: Uint8Array.of(0x12), value: item(1) },
    { key: Uint8Array.of(0x12, 0x34), value: item(2) },
    { key: Uint8Array.of(0x12, 0x35), value: Uint8Array.of(7) },
    { key: Uint8Array.of(0xab, 0xcd, 0xef), value: item(4) },
    { key: Uint8Array.of(0x01), value: item(5) },
  ]
  t.equal(bytesToHex(trieRoot(entries)), await mptRoot(entries))
  t.equal(bytesToHex(trieRoot([...entries].reverse())), await mptRoot(entries), 'the order given does not matter')
})

t.test("a receipt's consensus encoding is Ethereum's (legacy and typed)", async (t) => {
  const log = { address: new Uint8Array(20).fill(0xaa), topics: [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)], data: Uint8Array.of(1, 2, 3) }
  const receipts: TxReceipt[] = [
    { status: 1, cumulativeGasUsed: 21_000n, gasUsed: 21_000n, effectiveGasPrice: 1n, contractAddress: new Uint8Array(0), logs: [] },
    { status: 0, cumulativeGasUsed: 90_000n, gasUsed: 69_000n, effectiveGasPrice: 1n, contractAddress: new Uint8Array(0), logs: [log] },
  ]
  for (const r of receipts) {
    for (const type of [0, 1, 2] as const) {
      const ejs = ejsEncodeReceipt(
        {
          status: r.status,
          cumulativeBlockGasUsed: r.cumulativeGasUsed,
          bitvector: bloomOfLogs(r.logs),
          logs: r.logs.map((l) => [l.address, l.topics, l.data]),
        },
        type,
      )
      t.equal(bytesToHex(encodeConsensusReceipt(r, type)), bytesToHex(ejs), `status ${r.status}, type ${type}`)
    }
  }
})
