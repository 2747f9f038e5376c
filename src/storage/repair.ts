/**
 * `nfc db repair`: a chain database after a power cut or a disk fault, made usable again.
 *
 * 1. LevelDB's own repair (`ClassicLevel.repair`): it rebuilds the table index from every table and
 *    log record it can still read and drops the rest.
 * 2. The head goes back to the newest canonical block that is whole: indexed, its header decodes
 *    to its hash and number, its body is there and its state root node is there. Records of the
 *    canonical blocks above it (header, body, receipts, number and log index, address-index
 *    entries) are deleted, so those blocks are fetched and executed again, not taken as "known".
 * 3. The final block: a canonical block below a final one is final, so when the recorded final
 *    block is above the new head, the new head becomes the final block; `FINAL` (finalMarker.ts)
 *    follows, and the report says that final blocks were lost here (peers still hold them).
 *
 * Only the state root node is checked, not the whole trie under it: a table damaged in the middle
 * can still miss inner nodes, which the node finds when it reads them. The writes are one synced
 * batch.
 */
import { ClassicLevel } from 'classic-level'
import { key, KeySpace, u64 } from '../chain/db/keys.js'
import { openDatabase, type BatchOp, type Db } from '../chain/db/level.js'
import { decodeHeader, headerHash, type BlockHeader } from '../chain/header.js'
import { bytesEqual } from '../util/bytes.js'
import { readFinalMarker, writeFinalMarker } from './finalMarker.js'

export interface RepairReport {
  /** the head before, when its block was still readable */
  headBefore: bigint | undefined
  head: bigint
  headHash: Uint8Array
  /** the final block recorded before (database or FINAL, the higher), when known */
  finalBefore: bigint | undefined
  final: bigint
  /** canonical blocks above the new head whose records were deleted */
  removedBlocks: number
}

const FINALIZED_META = key(KeySpace.meta, new TextEncoder().encode('finalized'))
const HEAD_KEY = Uint8Array.of(KeySpace.head)

/** Repairs `<datadir>/chaindata` (the node must be stopped: a locked directory is refused first). */
export async function repairChainDb(datadir: string, chaindata: string, progress: (line: string) => void): Promise<RepairReport> {
  // a running node holds the lock: opening says so clearly, before LevelDB's repair touches anything
  await (await openDatabase(chaindata)).close()
  progress(`running LevelDB's repair on ${chaindata}…`)
  await ClassicLevel.repair(chaindata)
  const db = await openDatabase(chaindata)
  try {
    const headBefore = await readHeader(db, await db.get(HEAD_KEY))
    const top = await highestIndexed(db)
    if (top === undefined) throw new Error('no canonical block is left (not even genesis): remove the chain data and sync again')
    progress(`highest indexed block ${top}; looking for the newest whole block…`)
    let head: { number: bigint; hash: Uint8Array; header: BlockHeader } | undefined
    for (let n = top; n >= 0n && head === undefined; n--) {
      const hash = await db.get(key(KeySpace.number, u64(n)))
      if (hash === undefined) continue
      const header = await readHeader(db, hash)
      if (header === undefined || header.number !== n) continue
      if ((await db.get(key(KeySpace.body, hash))) === undefined) continue
      if ((await db.get(key(KeySpace.trie, header.stateRoot))) === undefined) continue
      head = { number: n, hash, header }
    }
    if (head === undefined) throw new Error('no whole block is left (not even genesis): remove the chain data and sync again')

    const ops: BatchOp[] = [{ type: 'put', key: HEAD_KEY, value: head.hash }]
    let removedBlocks = 0
    for (let n = head.number + 1n; n <= top; n++) {
      const numberKey = key(KeySpace.number, u64(n))
      const hash = await db.get(numberKey)
      ops.push({ type: 'del', key: numberKey }, { type: 'del', key: key(KeySpace.logs, u64(n)) })
      if (hash === undefined) continue
      removedBlocks++
      for (const space of [KeySpace.header, KeySpace.body, KeySpace.receipts, KeySpace.txHashes]) ops.push({ type: 'del', key: key(space, hash) })
    }
    // address-index entries (A ‖ address(20) ‖ u64 number ‖ u32 index) of the removed blocks
    for await (const k of db.keys({ gte: Uint8Array.of(KeySpace.addressTx), lt: Uint8Array.of(KeySpace.addressTx + 1) })) {
      if (k.length >= 29 && new DataView(k.buffer, k.byteOffset + 21, 8).getBigUint64(0) > head.number) ops.push({ type: 'del', key: k })
    }

    const finalInDb = await readHeader(db, await db.get(FINALIZED_META))
    const marker = readFinalMarker(datadir)
    const finalBefore = maxOf(finalInDb?.number, marker?.number)
    let final = finalInDb !== undefined && finalInDb.number <= head.number ? finalInDb.number : head.number
    if (finalInDb !== undefined && finalInDb.number <= head.number) {
      // still canonical? (else the head's own ancestry decides: the head is the safe final block)
      const canonical = await db.get(key(KeySpace.number, u64(finalInDb.number)))
      if (canonical === undefined || !bytesEqual(canonical, headerHash(finalInDb))) final = head.number
    }
    const finalHash = final === head.number ? head.hash : (await db.get(key(KeySpace.number, u64(final))))!
    ops.push({ type: 'put', key: FINALIZED_META, value: finalHash })
    await db.batch(ops as never, { sync: true })
    if (
      marker === undefined ||
      marker.number > final ||
      !bytesEqual(marker.hash, (await db.get(key(KeySpace.number, u64(marker.number)))) ?? new Uint8Array())
    ) {
      writeFinalMarker(datadir, { number: final, hash: finalHash })
    }
    return { headBefore: headBefore?.number, head: head.number, headHash: head.hash, finalBefore, final, removedBlocks }
  } finally {
    await db.close()
  }
}

async function readHeader(db: Db, hash: Uint8Array | undefined): Promise<BlockHeader | undefined> {
  if (hash === undefined) return undefined
  const raw = await db.get(key(KeySpace.header, hash))
  if (raw === undefined) return undefined
  try {
    const header = decodeHeader(raw)
    return bytesEqual(headerHash(header), hash) ? header : undefined
  } catch {
    return undefined
  }
}

async function highestIndexed(db: Db): Promise<bigint | undefined> {
  for await (const k of db.keys({ gte: Uint8Array.of(KeySpace.number), lt: Uint8Array.of(KeySpace.number + 1), reverse: true, limit: 1 })) {
    if (k.length === 9) return new DataView(k.buffer, k.byteOffset + 1, 8).getBigUint64(0)
  }
  return undefined
}

function maxOf(a: bigint | undefined, b: bigint | undefined): bigint | undefined {
  if (a === undefined) return b
  if (b === undefined) return a
  return a > b ? a : b
}
