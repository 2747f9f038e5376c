/**
 * The provider's sampled slices on disk (DESIGN §12 audits, §13): what each accepted receipt's
 * sampleRoot commits to, kept under DIR/<sessionId>.jsonl so a restarted agent still answers the
 * openings of the challenge window, and pruned once a session's file is older than the window.
 *
 * One JSON object a line, appended when a receipt is accepted (provider.ts submit):
 *   {"pkt":N,"hash":"0x…32","slice":"0x…"}  a sampled packet of the provider's sending stream, in stream order
 *   {"seq":"0x…","count":N,"cycle":"0x…"}  receipt seq (of flow cycle `cycle`) commits to the first N slices
 * A restarted agent answers the openings of the checkpoints from the session's first cycle on
 * (`AuditedSession.firstCycle`): they were submitted before it started.
 * A line cut by a crash is skipped when loading (only the last one can be).
 */
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { hexOf } from '../flow/receipt.js'
import { newStream } from '../flow/sampledStream.js'
import type { AuditedSession } from '../flow/sliceAnswers.js'
import { bytesOfHexLoose } from '../util/bytes.js'

const FILE_SUFFIX = '.jsonl'

/** Slices of many sessions under one directory. */
export class SliceStore {
  private readonly written = new Map<string, number>()

  constructor(
    readonly dir: string,
    /** a session file untouched for this long is pruned (the challenge window and then some) */
    readonly retainMs: number,
  ) {
    mkdirSync(dir, { recursive: true })
  }

  private file(sessionId: Uint8Array): string {
    return join(this.dir, hexOf(sessionId) + FILE_SUFFIX)
  }

  /** appends the slices of `s` not written yet, then that receipt `seq` of flow cycle `cycle` commits to the first `count` */
  commit(s: AuditedSession, seq: bigint, count: number, cycle: bigint): void {
    const id = hexOf(s.id)
    const from = this.written.get(id) ?? 0
    const lines: string[] = []
    for (let i = from; i < count; i++) {
      const pkt = s.down.sampledSeqs[i]!
      const slice = s.down.sampledPayloads.get(pkt)
      lines.push(JSON.stringify({ pkt, hash: hexOf(s.down.slices[i]!), slice: slice === undefined ? null : hexOf(slice) }))
    }
    lines.push(JSON.stringify({ seq: `0x${seq.toString(16)}`, count, cycle: `0x${cycle.toString(16)}` }))
    appendFileSync(this.file(s.id), lines.join('\n') + '\n')
    this.written.set(id, Math.max(from, count))
  }

  /** the sessions on disk (after `prune`), as the auditor answers them; `provider` is this agent's address */
  load(provider: string): AuditedSession[] {
    const out: AuditedSession[] = []
    for (const name of readdirSync(this.dir).sort()) {
      if (!name.endsWith(FILE_SUFFIX)) continue
      const down = newStream()
      const sliceCounts = new Map<bigint, number>()
      let firstCycle: bigint | undefined
      for (const line of readFileSync(join(this.dir, name), 'utf8').split('\n')) {
        let o: { pkt?: number; hash?: string; slice?: string | null; seq?: string; count?: number; cycle?: string }
        try {
          o = JSON.parse(line) as typeof o
        } catch {
          continue // empty, or cut by a crash
        }
        if (typeof o.pkt === 'number' && typeof o.hash === 'string') {
          down.sampledSeqs.push(o.pkt)
          down.slices.push(bytesOfHexLoose(o.hash))
          if (typeof o.slice === 'string') down.sampledPayloads.set(o.pkt, bytesOfHexLoose(o.slice))
        } else if (typeof o.seq === 'string' && typeof o.count === 'number' && o.count <= down.sampledSeqs.length) {
          sliceCounts.set(BigInt(o.seq), o.count)
          if (typeof o.cycle === 'string' && /^0x[0-9a-f]+$/.test(o.cycle) && (firstCycle === undefined || BigInt(o.cycle) < firstCycle))
            firstCycle = BigInt(o.cycle)
        }
      }
      const id = bytesOfHexLoose(name.slice(0, -FILE_SUFFIX.length))
      this.written.set(hexOf(id), down.sampledSeqs.length)
      out.push({ id, provider: { address: provider }, down, sliceCounts, ...(firstCycle === undefined ? {} : { firstCycle }) })
    }
    return out
  }

  /** removes the session files last written more than retainMs before `nowMs`; returns how many */
  prune(nowMs = Date.now()): number {
    let n = 0
    for (const name of readdirSync(this.dir)) {
      if (!name.endsWith(FILE_SUFFIX)) continue
      const path = join(this.dir, name)
      if (nowMs - statSync(path).mtimeMs > this.retainMs) {
        rmSync(path, { force: true })
        this.written.delete(name.slice(0, -FILE_SUFFIX.length))
        n++
      }
    }
    return n
  }
}
