/**
 * The client's side of the storage protocol (`nfc storage put` / `get`): the upload of a deal's
 * file to its provider, and the download of a stored file — every chunk checked against the deal's root as it arrives, written to a temporary file
 * that becomes FILE only when all of it checked out (a refused download leaves nothing behind).
 */
import { createReadStream, createWriteStream, renameSync, rmSync, statSync } from 'node:fs'
import { request } from 'node:http'
import { dirname, basename, join } from 'node:path'
import { finished } from 'node:stream/promises'
import { bytesEqual, hexOf } from '../util/bytes.js'
import { DealAgentError } from './errors.js'
import { chunksOf } from './rechunk.js'
import { errorOfResponse } from './protocol.js'
import { core } from '../core/index.js'
import { DEAL_CHUNK_BYTES, leafAt, leafCount, leafOf } from '../deals/fileTree.js'

/** `endpoint` (http://HOST:PORT) + path */
function urlOf(endpoint: string, path: string): URL {
  return new URL(path, endpoint.endsWith('/') ? endpoint : endpoint + '/')
}

/** GET `path` of the provider at `endpoint`; an unreachable provider is a PROTOCOL error saying so */
async function fetchFrom(endpoint: string, path: string, what: string): Promise<Response> {
  try {
    return await fetch(urlOf(endpoint, path))
  } catch (e) {
    const cause = (e as Error & { cause?: { code?: string; message?: string } }).cause
    throw new DealAgentError('PROTOCOL', `${what}: cannot reach the provider at ${endpoint}: ${cause?.code ?? cause?.message ?? (e as Error).message}`)
  }
}

/**
 * PUT the file of deal `id` to the provider at `endpoint`; resolves with the hash of the
 * provider's accept transaction, or throws the provider's refusal.
 */
export function uploadFile(endpoint: string, id: string, file: string, onBytes?: (n: number) => void): Promise<string> {
  const size = statSync(file).size
  const url = urlOf(endpoint, `deals/${id}`)
  return new Promise<string>((resolve, reject) => {
    const req = request(url, { method: 'PUT', headers: { 'content-type': 'application/octet-stream', 'content-length': size } }, (res) => {
      const parts: Buffer[] = []
      res.on('data', (d: Buffer) => parts.push(d))
      res.on('error', reject)
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8')
        const answer = new Response(text, { status: res.statusCode ?? 500 })
        if (res.statusCode !== 200) return void errorOfResponse(answer, `upload of deal ${id}`).then(reject, reject)
        try {
          resolve((JSON.parse(text) as { accepted: string }).accepted)
        } catch {
          reject(new DealAgentError('PROTOCOL', `upload of deal ${id}: the provider answered 200 without its accept transaction: ${text.slice(0, 200)}`))
        }
      })
    })
    req.on('error', (e) => reject(new DealAgentError('PROTOCOL', `upload of deal ${id}: cannot reach the provider at ${endpoint}: ${e.message}`)))
    const body = createReadStream(file, { highWaterMark: 1 << 20 })
    let sent = 0
    body.on('data', (d) => {
      sent += d.length
      onBytes?.(sent)
    })
    body.on('error', (e) => req.destroy(e))
    body.pipe(req)
  })
}

/**
 * Downloads deal `id` (root, size from the chain) from `endpoint` into `out`: the leaves first
 * (their root must be the deal's), then the file, each chunk checked against its leaf as it
 * arrives. Any mismatch throws ROOT_MISMATCH naming the chunk, and no file is left at `out`.
 */
export async function downloadFile(
  endpoint: string,
  deal: { id: string; root: string; size: number },
  out: string,
  onBytes?: (n: number) => void,
): Promise<void> {
  const what = `download of deal ${deal.id}`
  const count = leafCount(deal.size)
  const leavesRes = await fetchFrom(endpoint, `deals/${deal.id}/leaves`, what)
  if (leavesRes.status !== 200) throw await errorOfResponse(leavesRes, what)
  const leaves = new Uint8Array(await leavesRes.arrayBuffer())
  if (leaves.length !== count * 32 || hexOf(core.merkleRoot('keccak256', leaves)) !== deal.root.toLowerCase()) {
    throw new DealAgentError('ROOT_MISMATCH', `${what}: the provider's leaves do not have the deal's root ${deal.root}`, { id: deal.id })
  }
  const tmp = join(dirname(out), `.${basename(out)}.part-${process.pid}`)
  const sink = createWriteStream(tmp)
  try {
    const res = await fetchFrom(endpoint, `deals/${deal.id}`, what)
    if (res.status !== 200 || res.body === null) throw await errorOfResponse(res, what)
    let index = 0
    let received = 0
    const check = (chunk: Uint8Array): void => {
      if (index >= count || !bytesEqual(leafOf(chunk), leafAt(leaves, index))) {
        throw new DealAgentError(
          'ROOT_MISMATCH',
          `${what}: chunk ${index} (bytes ${index * DEAL_CHUNK_BYTES}–${index * DEAL_CHUNK_BYTES + chunk.length - 1}) does not match the deal's root: the provider's copy is corrupt`,
          {
            id: deal.id,
            index,
          },
        )
      }
      index++
    }
    const tooMany = () => new DealAgentError('SIZE_MISMATCH', `${what}: the provider sent more than the deal's ${deal.size} bytes`, { id: deal.id })
    for await (const chunk of chunksOf(res.body as AsyncIterable<Uint8Array>, deal.size, tooMany, onBytes)) {
      check(chunk)
      received += chunk.length
      if (!sink.write(chunk)) await new Promise<void>((r) => sink.once('drain', () => r()))
    }
    if (received !== deal.size) throw new DealAgentError('SIZE_MISMATCH', `${what}: ${received} bytes arrived, the deal is for ${deal.size}`, { id: deal.id })
    sink.end()
    await finished(sink)
    renameSync(tmp, out)
  } catch (e) {
    sink.destroy()
    rmSync(tmp, { force: true })
    throw e
  }
}
