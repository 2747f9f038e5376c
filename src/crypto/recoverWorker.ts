/**
 * Worker thread of RecoverPool. It receives a SharedArrayBuffer holding a whole batch and the
 * slice [start, end) it owns, recovers in place and answers with just the job id, so no key
 * material is copied through postMessage either way.
 *
 * Buffer layout for a batch of `count` items (shared with recoverPool.ts):
 *   in  [0, count·97):            msgHash 32 | r 32 | s 32 | recid 1
 *   out [count·97, count·(97+65)): valid 1 | public key 64 (uncompressed, no 0x04)
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads'
import { recoverInto } from './secp256k1.js'

export const IN_ITEM = 97
export const OUT_ITEM = 65

export type WorkerRequest =
  | { kind: 'batch'; id: number; buf: SharedArrayBuffer; count: number; start: number; end: number }
  /** test hook: makes the worker die with an uncaught exception, to exercise crash handling */
  | { kind: 'crash' }

export interface WorkerResponse {
  id: number
}

/** Recovers items [start, end) of a packed batch, writing their out records. */
export function recoverRange(bytes: Uint8Array, count: number, start: number, end: number): void {
  const outBase = count * IN_ITEM
  for (let i = start; i < end; i++) {
    const p = i * IN_ITEM
    const o = outBase + i * OUT_ITEM
    const recid = bytes[p + 96]!
    const ok = recid <= 3 && recoverInto(bytes.subarray(p, p + 32), bytes.subarray(p + 32, p + 64), bytes.subarray(p + 64, p + 96), recid, bytes, o + 1)
    bytes[o] = ok ? 1 : 0
  }
}

// Only act as a worker when the pool started us: the pool imports this module for the layout
// constants, and that import must not hijack the parentPort of whatever thread runs the pool.
const marked = (workerData as { nfcRecoverWorker?: boolean } | null)?.nfcRecoverWorker === true
if (!isMainThread && parentPort !== null && marked) {
  const port = parentPort
  port.on('message', (m: WorkerRequest) => {
    if (m.kind === 'crash') throw new Error('recoverWorker: crash requested (test hook)')
    recoverRange(new Uint8Array(m.buf), m.count, m.start, m.end)
    port.postMessage({ id: m.id } satisfies WorkerResponse)
  })
}
