/**
 * The providers' side of the slice audits (DESIGN §12 "Audits run by themselves"): the nodes'
 * watchers challenge a seeded fraction of each checkpoint's entries (Evidence.challengeSlice); a
 * provider answers with FlowRewards.openSlice, the opening of the leaf the seed block picks
 * (sampledStream.ts openingFor), or its entry is voided when the window ends. Used by `nfc flow
 * simulate` (src/flowSim, for all its providers) and `nfc flow provide` (src/flowAgent, for one).
 */
import type { Contract, Signer, TransactionResponse } from 'ethers'
import { bytesOfHexLoose, hexOf } from '../util/bytes.js'
import { openingFor, type Stream } from './sampledStream.js'

/** the checkpoints are read at most this often (the traffic loop calls `poll` every tick) */
const POLL_INTERVAL_MS = 1000

/** one JSON-RPC call to the node */
export type RpcCall = (method: string, params: unknown[]) => Promise<unknown>

/** what the auditor needs of a simulated session */
export interface AuditedSession {
  id: Uint8Array
  provider: { address: string }
  /** the provider's sending stream: its sampled slices are what the receipts commit to */
  down: Stream
  /** seq → how many sampled slices its receipt's sampleRoot commits to */
  sliceCounts: Map<bigint, number>
  /**
   * the flow cycle of its first receipt, when it is older than the auditor (a session a restarted
   * provider loads from disk): the auditor reads the checkpoints from that cycle on
   */
  firstCycle?: bigint
}

/** a provider's slice audits over the run, as the chain recorded them */
export interface ProviderAudit {
  address: string
  /** `--cheat no-openings`: this provider never answers */
  cheater: boolean
  challenged: number
  answered: number
  voided: number
}

/** flow_getCheckpoint's answer, the parts the auditor reads */
interface CheckpointJson {
  status: 'pending' | 'applied' | 'voided'
  seedHash: string | null
  entries: { sessionId: string; provider: string; seq: string; status: 'live' | 'voided'; challenge: 'none' | 'open' | 'answered' }[]
}

/**
 * The providers' side of the slice audits: each poll reads the run's pending checkpoints and
 * answers the open challenges on its sessions' entries (a cheating provider does not); `tally`
 * counts, from the chain, each provider's challenged, answered and voided entries.
 */
export class Auditor {
  private first: bigint | null = null
  private last: bigint | null = null
  /** `${cycle}:${entry}` of the challenges answered (or, for the cheater, ignored) */
  private readonly handled = new Set<string>()
  private readonly sent: Promise<void>[] = []
  /** cycles whose checkpoint is applied or voided: nothing more to answer */
  private readonly settled = new Set<bigint>()
  private polledAtMs = 0
  private readonly bySession: Map<string, AuditedSession>

  /**
   * `audits[i]`, `providers[i]` (lowercase address) and `signers[i]` are provider i's; `flowRewards`
   * is the FlowRewards contract (its openSlice is sent through the provider's signer).
   */
  constructor(
    private readonly call: RpcCall,
    sessions: readonly AuditedSession[],
    private readonly audits: ProviderAudit[],
    private readonly providers: readonly string[],
    private readonly signers: readonly Signer[],
    private readonly flowRewards: Contract,
    private readonly log: (line: string) => void,
  ) {
    this.bySession = new Map(sessions.map((s) => [hexOf(s.id), s]))
  }

  /** a session that started after the auditor, or one from before it (`firstCycle`): its entries are answered from now on */
  addSession(s: AuditedSession): void {
    this.bySession.set(hexOf(s.id), s)
    if (s.firstCycle !== undefined && (this.first === null || s.firstCycle < this.first)) {
      this.first = s.firstCycle
      this.last ??= s.firstCycle
    }
  }

  private checkpoint(cycle: bigint): Promise<CheckpointJson | null> {
    return this.call('flow_getCheckpoint', [`0x${cycle.toString(16)}`]) as Promise<CheckpointJson | null>
  }

  /** the provider index and session of an entry of this run, or null */
  private ours(e: CheckpointJson['entries'][number]): { p: number; s: AuditedSession } | null {
    const s = this.bySession.get(e.sessionId.toLowerCase())
    if (s === undefined) return null
    return { p: this.providers.indexOf(s.provider.address), s }
  }

  /**
   * Answers the open challenges of the cycles this run sent receipts in, up to `cycle` (at most
   * once a second; a failed read is logged and retried at the next poll, never thrown).
   */
  async poll(cycle: bigint | null): Promise<void> {
    if (cycle === null) return
    this.first ??= cycle
    if (this.last === null || cycle > this.last) this.last = cycle
    if (Date.now() - this.polledAtMs < POLL_INTERVAL_MS) return
    this.polledAtMs = Date.now()
    try {
      await this.answerOpen(this.first, this.last)
    } catch (e) {
      // a busy node may refuse a read ("limit exceeded"): the challenge is still open at the next poll
      this.log(`could not read the checkpoints for slice challenges (next poll retries): ${(e as Error).message}`)
    }
  }

  private async answerOpen(first: bigint, last: bigint): Promise<void> {
    for (let c = first; c <= last; c++) {
      if (this.settled.has(c)) continue
      const cp = await this.checkpoint(c)
      if (cp !== null && cp.status !== 'pending') this.settled.add(c)
      if (cp === null || cp.status !== 'pending' || cp.seedHash === null) continue
      cp.entries.forEach((e, i) => {
        const key = `${c}:${i}`
        const mine = this.ours(e)
        if (e.challenge !== 'open' || e.status !== 'live' || mine === null || this.handled.has(key)) return
        this.handled.add(key)
        if (this.audits[mine.p]!.cheater) {
          this.log(`provider ${mine.s.provider.address} ignores the slice challenge on entry ${i} of cycle ${c} (--cheat no-openings)`)
          return
        }
        this.sent.push(this.answer(c, i, mine.s, BigInt(e.seq), bytesOfHexLoose(cp.seedHash!), mine.p))
      })
    }
  }

  private async answer(cycle: bigint, index: number, s: AuditedSession, seq: bigint, seedHash: Uint8Array, p: number): Promise<void> {
    try {
      const count = s.sliceCounts.get(seq)
      if (count === undefined) throw new Error(`no receipt of seq ${seq} was signed in this run`)
      const o = openingFor(s.down, count, seedHash, s.id, seq)
      const f = this.flowRewards.connect(this.signers[p]!) as Contract
      const tx = (await f.getFunction('openSlice')(cycle, index, o.pktSeq, o.slice, o.merkleRoot, o.count, o.proof)) as TransactionResponse
      const r = await tx.wait()
      if (r === null || r.status !== 1) throw new Error(`transaction ${tx.hash} failed`)
    } catch (e) {
      // still open: the next poll tries again (a busy node sheds calls; a revert repeats and is logged again)
      this.handled.delete(`${cycle}:${index}`)
      this.log(`provider ${s.provider.address} could not answer the slice challenge on entry ${index} of cycle ${cycle}: ${(e as Error).message}`)
    }
  }

  /** waits for the answers in flight, then counts each provider's entries from the chain */
  async tally(): Promise<void> {
    await Promise.all(this.sent)
    if (this.first === null || this.last === null) return
    for (let c = this.first; c <= this.last; c++) {
      const cp = await this.checkpoint(c)
      for (const e of cp?.entries ?? []) {
        const mine = this.ours(e)
        if (mine === null) continue
        const a = this.audits[mine.p]!
        if (e.challenge !== 'none') a.challenged++
        if (e.challenge === 'answered') a.answered++
        if (e.status === 'voided') a.voided++
      }
    }
  }
}
