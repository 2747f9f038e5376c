/**
 * Re-cuts a byte stream, however it arrives, into the deal's 4 KiB chunks (the file tree's leaves):
 * the provider stores an upload this way and the client checks a download this way.
 */
import { DEAL_CHUNK_BYTES } from '../deals/fileTree.js'

/**
 * The chunks of `body` in order, each a fresh buffer (the last may be short). Throws `tooMany(received)`
 * as soon as more than `size` bytes have arrived; `onBytes` sees the running count after each part.
 * The caller checks that exactly `size` bytes came (the sum of the chunk lengths).
 */
export async function* chunksOf(
  body: AsyncIterable<Uint8Array>,
  size: number,
  tooMany: (received: number) => Error,
  onBytes?: (n: number) => void,
): AsyncGenerator<Uint8Array> {
  let pending = new Uint8Array(DEAL_CHUNK_BYTES)
  let fill = 0
  let received = 0
  for await (const part of body) {
    received += part.length
    if (received > size) throw tooMany(received)
    let at = 0
    while (at < part.length) {
      const n = Math.min(DEAL_CHUNK_BYTES - fill, part.length - at)
      pending.set(part.subarray(at, at + n), fill)
      fill += n
      at += n
      if (fill === DEAL_CHUNK_BYTES) {
        yield pending
        pending = new Uint8Array(DEAL_CHUNK_BYTES)
        fill = 0
      }
    }
    onBytes?.(received)
  }
  if (fill > 0) yield pending.subarray(0, fill)
}
