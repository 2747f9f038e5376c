/**
 * The byte format of the local-transaction journal (geth's transactions.rlp, with framing that
 * tells a torn tail from damage): an 8-byte magic, then records of
 * `u32 length | u32 crc32(payload) | payload`, big-endian, where the payload is the transaction
 * exactly as eth_sendRawTransaction received it.
 *
 * A node killed mid-append leaves a short last record (or, after a power loss, a zero-filled tail):
 * that is "torn" — dropped, the rest is good. Anything else that does not check out (wrong magic,
 * a bad checksum before the last record, an impossible length followed by data) is "corrupt":
 * the records before it are still returned.
 */
import { crc32 } from 'node:zlib'

export const JOURNAL_MAGIC = new TextEncoder().encode('NFCTXJ1\n')
const HEADER = 8
/** far above any transaction the chain accepts (maxTxSizeBytes), so only damage exceeds it */
export const MAX_RECORD_BYTES = 4 * 1024 * 1024

export function encodeRecord(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER + payload.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, payload.length)
  view.setUint32(4, crc32(payload))
  out.set(payload, HEADER)
  return out
}

export function encodeJournal(payloads: readonly Uint8Array[]): Uint8Array {
  const parts = [JOURNAL_MAGIC, ...payloads.map(encodeRecord)]
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

export interface DecodedJournal {
  records: Uint8Array[]
  /** the last record was cut short (dropped) */
  torn: boolean
  /** why the file is damaged, with the byte offset; the records before it are in `records` */
  corrupt?: { offset: number; reason: string }
}

export function decodeJournal(bytes: Uint8Array): DecodedJournal {
  const records: Uint8Array[] = []
  if (bytes.length < JOURNAL_MAGIC.length) {
    // a node killed while writing the magic of a fresh file
    const prefix = JOURNAL_MAGIC.subarray(0, bytes.length).every((b, i) => b === bytes[i])
    return prefix ? { records, torn: bytes.length > 0 } : { records, torn: false, corrupt: { offset: 0, reason: 'not a transaction journal' } }
  }
  if (!JOURNAL_MAGIC.every((b, i) => b === bytes[i])) return { records, torn: false, corrupt: { offset: 0, reason: 'not a transaction journal' } }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let at = JOURNAL_MAGIC.length
  while (at < bytes.length) {
    const rest = bytes.length - at
    if (rest < HEADER) return { records, torn: true }
    const len = view.getUint32(at)
    const end = at + HEADER + len
    if (len === 0 || len > MAX_RECORD_BYTES) {
      if (bytes.subarray(at).every((b) => b === 0)) return { records, torn: true }
      return { records, torn: false, corrupt: { offset: at, reason: `impossible record length ${len}` } }
    }
    if (end > bytes.length) return { records, torn: true }
    const payload = bytes.subarray(at + HEADER, end)
    if (crc32(payload) !== view.getUint32(at + 4)) {
      if (end === bytes.length) return { records, torn: true }
      return { records, torn: false, corrupt: { offset: at, reason: 'checksum mismatch' } }
    }
    records.push(payload.slice())
    at = end
  }
  return { records, torn: false }
}
