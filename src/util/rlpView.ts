/**
 * RLP for the bulk paths (snapshot sync's range answers and trie nodes): the same bytes and the
 * same strictness as @ethereumjs/rlp, without its copies.
 *
 * @ethereumjs/rlp's `decode` copies every list's payload and then every item again (a value three
 * lists deep is copied four times) and its `encode` concatenates each list level anew; on a 512 KiB
 * range answer of thousands of leaves that is most of the garbage a snapshot sync makes.
 * `decodeRlpView` returns views (`subarray`) on the input instead — the caller must not mutate the
 * input while it uses them — and refuses exactly what @ethereumjs/rlp refuses (non-canonical lengths,
 * a single byte below 0x80 with a prefix, items past their list's end, trailing bytes).
 * `encodeRlp` measures first and writes once.
 */

export type RlpItem = Uint8Array | RlpItem[]

function invalid(why: string): never {
  throw new Error(`invalid RLP: ${why}`)
}

/** the big-endian length in input[at, at+n): no leading zero byte (as @ethereumjs/rlp's decodeLength) */
function lengthAt(input: Uint8Array, at: number, n: number, end: number): number {
  if (at + n > end) invalid('not enough bytes for the length')
  if (input[at] === 0) invalid('extra zeros')
  let v = 0
  for (let i = 0; i < n; i++) v = v * 256 + input[at + i]!
  return v
}

/** where a list's payload starts and stops; one object, reused (read into locals at once) */
const span = { start: 0, stop: 0 }

/** the payload of the list whose header is at `at` (a list's first byte, ≥ 0xc0), within `end` */
function listSpan(input: Uint8Array, at: number, end: number): { readonly start: number; readonly stop: number } {
  const first = input[at]!
  let len: number
  if (first <= 0xf7) {
    len = first - 0xc0
    span.start = at + 1
  } else {
    const n = first - 0xf7
    len = lengthAt(input, at + 1, n, end)
    if (len < 56) invalid('a long list of fewer than 56 bytes')
    span.start = at + 1 + n
  }
  span.stop = span.start + len
  if (span.stop > end) invalid('a list runs past its end')
  return span
}

/** decodes the item at `at` (before `end`), puts it in `out.item` and returns where it ends */
function decodeAt(input: Uint8Array, at: number, end: number, out: { item: RlpItem }): number {
  const first = input[at]!
  if (first <= 0x7f) {
    out.item = input.subarray(at, at + 1)
    return at + 1
  }
  if (first <= 0xb7) {
    const len = first - 0x80
    if (at + 1 + len > end) invalid('a string runs past its end')
    if (len === 1 && input[at + 1]! < 0x80) invalid('a single byte below 0x80 is not prefixed')
    out.item = input.subarray(at + 1, at + 1 + len)
    return at + 1 + len
  }
  if (first <= 0xbf) {
    const n = first - 0xb7
    const len = lengthAt(input, at + 1, n, end)
    if (len <= 55) invalid('a long string of 55 bytes or fewer')
    const start = at + 1 + n
    if (start + len > end) invalid('a string runs past its end')
    out.item = input.subarray(start, start + len)
    return start + len
  }
  const { start, stop } = listSpan(input, at, end)
  const items: RlpItem[] = []
  for (let p = start; p < stop;) {
    p = decodeAt(input, p, stop, out)
    items.push(out.item)
  }
  out.item = items
  return stop
}

/**
 * One RLP item, its strings as views on `input` (no copies). Empty input decodes to empty bytes
 * and anything after the item is an error, as with @ethereumjs/rlp's `decode`.
 */
export function decodeRlpView(input: Uint8Array): RlpItem {
  if (input.length === 0) return new Uint8Array(0)
  const out: { item: RlpItem } = { item: input }
  if (decodeAt(input, 0, input.length, out) !== input.length) invalid('remainder must be zero')
  return out.item
}

/** bytes of the header of an item of `len` payload bytes (`offset` 0x80 for strings, 0xc0 for lists) */
function headerBytes(len: number): number {
  if (len < 56) return 1
  let n = 1
  for (let v = len; v >= 256; v = Math.floor(v / 256)) n++
  return 1 + n
}

/** the encoded size of `item`; pushes the payload length of each list, in pre-order, onto `lists` */
function measure(item: RlpItem, lists: number[]): number {
  if (!Array.isArray(item)) return item.length === 1 && item[0]! < 0x80 ? 1 : headerBytes(item.length) + item.length
  const slot = lists.length
  lists.push(0)
  let len = 0
  for (const x of item) len += measure(x, lists)
  lists[slot] = len
  return headerBytes(len) + len
}

function writeHeader(out: Uint8Array, at: number, len: number, offset: number): number {
  if (len < 56) {
    out[at] = offset + len
    return at + 1
  }
  const n = headerBytes(len) - 1
  out[at] = offset + 55 + n
  for (let i = n, v = len; i >= 1; i--, v = Math.floor(v / 256)) out[at + i] = v & 0xff
  return at + 1 + n
}

function write(item: RlpItem, out: Uint8Array, at: number, lists: number[], cursor: { i: number }): number {
  if (!Array.isArray(item)) {
    if (item.length === 1 && item[0]! < 0x80) {
      out[at] = item[0]!
      return at + 1
    }
    at = writeHeader(out, at, item.length, 0x80)
    out.set(item, at)
    return at + item.length
  }
  at = writeHeader(out, at, lists[cursor.i++]!, 0xc0)
  for (const x of item) at = write(x, out, at, lists, cursor)
  return at
}

/** The header of a list of `len` payload bytes (the payload itself is the caller's to append). */
export function listHeader(len: number): Uint8Array {
  const out = new Uint8Array(headerBytes(len))
  writeHeader(out, 0, len, 0xc0)
  return out
}

/**
 * The payload of the list `input` encodes (a view: its items' encodings, back to back), refused
 * as `decodeRlpView` refuses: not a list, a non-canonical length, a length other than the input's.
 */
export function listPayload(input: Uint8Array): Uint8Array {
  const first = input[0]
  if (first === undefined || first < 0xc0) invalid('not a list')
  const { start, stop } = listSpan(input, 0, input.length)
  if (stop !== input.length) invalid('remainder must be zero')
  return input.subarray(start)
}

/** The RLP encoding of `item` (byte strings and lists of them): @ethereumjs/rlp's bytes, one allocation. */
export function encodeRlp(item: RlpItem): Uint8Array {
  const lists: number[] = []
  const out = new Uint8Array(measure(item, lists))
  write(item, out, 0, lists, { i: 0 })
  return out
}
