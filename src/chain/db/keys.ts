/**
 * Every key space of the node database, in one table: one leading byte per space, big-endian
 * numbers after it so keys sort by height. The layouts behind each prefix are documented by the
 * store that owns it (named below). These bytes are on disk: never renumber them.
 */
import { concatBytes } from '@ethereumjs/util'
import { uint64be } from '../../util/bytes.js'

export const KeySpace = {
  // block store (src/chain/blockStore.ts)
  header: 0x68, // h ‖ hash → header RLP
  body: 0x62, // b ‖ hash → body RLP
  receipts: 0x72, // r ‖ hash → receipts RLP
  number: 0x6e, // n ‖ u64 number → canonical hash
  tx: 0x74, // t ‖ txHash → blockHash ‖ u32 index
  receiptRecord: 0x52, // R ‖ blockHash ‖ u32 index → receipt record (src/chain/receiptRecord.ts)
  /** retired address history: no longer written, cleared by the rebuild of the `A` index */
  oldAddress: 0x61, // a
  addressTx: 0x41, // A ‖ address ‖ u64 number ‖ u32 index → txHash ‖ u8 flags
  head: 0x48, // H → head hash
  meta: 0x4d, // M ‖ name → metadata
  // log index (src/chain/logIndex.ts)
  logs: 0x6c, // l ‖ u64 number → block hash [‖ logsBloom]
  txHashes: 0x78, // x ‖ block hash → the block's tx hashes
  // state trie nodes (src/state/trieNodeStore.ts)
  trie: 0x73, // s ‖ trie node key → node
  // flow side chain (src/flow/sideStore.ts): F ‖ table tag ‖ …
  side: 0x46, // F
} as const

export function key(prefix: number, ...parts: Uint8Array[]): Uint8Array {
  return concatBytes(Uint8Array.of(prefix), ...parts)
}

/** 8-byte big-endian number (the key form of heights and cycles) */
export const u64 = (n: bigint): Uint8Array => uint64be(n)
