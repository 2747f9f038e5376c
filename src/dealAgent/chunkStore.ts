/**
 * The provider's chunks on disk: `<dir>/<id>/` holds one file per 4 KiB chunk of the deal's file
 * (`<i>.chunk`), the leaves of its tree (`leaves.bin`, 32 bytes each) and `deal.json` (id, root,
 * size). An upload is written to `<dir>/.incoming-<id>/` and renamed to `<dir>/<id>/` only once
 * its root is the deal's, so a deal directory always holds a whole file the chain agreed to.
 *
 * Chunks are read back through `provableChunk`: a chunk whose file is missing, or whose hash is not
 * its leaf, is a `CHUNK_BAD` error naming the deal and the chunk (the provider then proves nothing
 * rather than something wrong). Downloads stream the chunk files as they are (the client checks
 * every chunk against the root: client.ts).
 */
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { bytesEqual, hexOf } from '../util/bytes.js'
import { DealAgentError } from './errors.js'
import { chunksOf } from './rechunk.js'
import { FileTreeBuilder, leafAt, leafCount, leafOf, proofOf } from '../deals/fileTree.js'

/** what `deal.json` holds */
export interface StoredDeal {
  /** the deal id (decimal) */
  id: string
  /** the file's root, 0x hex */
  root: string
  /** the file's size in bytes */
  size: number
}

/** a deal id as it appears in paths and URLs: a decimal uint256 without leading zeros */
export const DEAL_ID = /^(0|[1-9]\d{0,77})$/

export class ChunkStore {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true })
  }

  private dealDir(id: string): string {
    if (!DEAL_ID.test(id)) throw new DealAgentError('BAD_REQUEST', `not a deal id: "${id}"`)
    return join(this.dir, id)
  }

  /** the file of chunk `index` of deal `id` */
  chunkPath(id: string, index: number): string {
    return join(this.dealDir(id), `${index}.chunk`)
  }

  /** the stored deal `id`, or null */
  get(id: string): StoredDeal | null {
    const file = join(this.dealDir(id), 'deal.json')
    if (!existsSync(file)) return null
    return JSON.parse(readFileSync(file, 'utf8')) as StoredDeal
  }

  /** every stored deal, in id order */
  list(): StoredDeal[] {
    const ids = readdirSync(this.dir).filter((n) => DEAL_ID.test(n))
    ids.sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0))
    return ids.map((id) => this.get(id)).filter((d): d is StoredDeal => d !== null)
  }

  /** bytes of every stored deal */
  bytesStored(): number {
    return this.list().reduce((n, d) => n + d.size, 0)
  }

  /**
   * Stores the upload `body` of deal `id`: exactly `size` bytes whose root is `root`, else a
   * SIZE_MISMATCH or ROOT_MISMATCH error and nothing is kept. `onBytes` sees the running count.
   */
  async receive(id: string, expected: { root: string; size: number }, body: AsyncIterable<Uint8Array>, onBytes?: (n: number) => void): Promise<StoredDeal> {
    const final = this.dealDir(id)
    const incoming = join(this.dir, `.incoming-${id}`)
    rmSync(incoming, { recursive: true, force: true })
    mkdirSync(incoming)
    try {
      const tree = new FileTreeBuilder(expected.size)
      const tooMany = () => new DealAgentError('SIZE_MISMATCH', `deal ${id}: more than its ${expected.size} bytes arrived`, { id, size: expected.size })
      let chunks = 0
      let received = 0
      for await (const chunk of chunksOf(body, expected.size, tooMany, onBytes)) {
        tree.update(chunk)
        await writeFile(join(incoming, `${chunks++}.chunk`), chunk)
        received += chunk.length
      }
      if (received !== expected.size) {
        throw new DealAgentError('SIZE_MISMATCH', `deal ${id}: ${received} bytes arrived, the deal is for ${expected.size}`, {
          id,
          size: expected.size,
          received,
        })
      }
      const { leaves, root: rootBytes } = tree.finish()
      const root = hexOf(rootBytes)
      if (root !== expected.root.toLowerCase()) {
        throw new DealAgentError('ROOT_MISMATCH', `deal ${id}: the bytes received have root ${root}, the deal's root is ${expected.root}`, {
          id,
          root,
          expected: expected.root,
        })
      }
      writeFileSync(join(incoming, 'leaves.bin'), leaves)
      const deal: StoredDeal = { id, root, size: expected.size }
      writeFileSync(join(incoming, 'deal.json'), JSON.stringify(deal) + '\n')
      rmSync(final, { recursive: true, force: true })
      renameSync(incoming, final)
      return deal
    } catch (e) {
      rmSync(incoming, { recursive: true, force: true })
      throw e
    }
  }

  /** the leaves of stored deal `id` (32 bytes each, back to back) */
  leaves(id: string): Uint8Array {
    return readFileSync(join(this.dealDir(id), 'leaves.bin'))
  }

  /**
   * Chunk `index` of deal `id` with its Merkle proof, checked against the stored leaf: a missing
   * or corrupt chunk file is a CHUNK_BAD error naming the deal, the chunk and the file.
   */
  async provableChunk(deal: StoredDeal, index: number, leaves = this.leaves(deal.id)): Promise<{ chunk: Uint8Array; proof: Uint8Array[] }> {
    const count = leafCount(deal.size)
    if (!Number.isInteger(index) || index < 0 || index >= count) {
      throw new DealAgentError('CHUNK_INDEX', `deal ${deal.id} has chunks 0–${count - 1}, not ${index}`, { id: deal.id, index })
    }
    const file = this.chunkPath(deal.id, index)
    let chunk: Uint8Array
    try {
      chunk = await readFile(file)
    } catch (e) {
      throw new DealAgentError(
        'CHUNK_BAD',
        `deal ${deal.id} chunk ${index}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
        {
          id: deal.id,
          index,
          file,
        },
      )
    }
    if (!bytesEqual(leafOf(chunk), leafAt(leaves, index))) {
      throw new DealAgentError('CHUNK_BAD', `deal ${deal.id} chunk ${index}: ${file} is corrupt (its hash is not the deal's leaf)`, {
        id: deal.id,
        index,
        file,
      })
    }
    return { chunk, proof: proofOf(leaves, index) }
  }

  /** the chunk files of deal `id` in order, as one stream of the file's bytes (unchecked) */
  async *fileBytes(deal: StoredDeal): AsyncGenerator<Uint8Array> {
    const count = leafCount(deal.size)
    for (let i = 0; i < count; i++) {
      for await (const part of createReadStream(this.chunkPath(deal.id, i))) yield part as Buffer
    }
  }

  /** forgets deal `id` (its directory) */
  remove(id: string): void {
    rmSync(this.dealDir(id), { recursive: true, force: true })
  }
}
