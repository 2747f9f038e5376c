/**
 * Who submits double-production evidence (issue 15): one witness, not all of them.
 *
 * Every witness that sees two blocks signed by the same producer for one slot can prove it, but
 * the Evidence contract accepts a (producer, slot) once: every later copy reverts "evidence
 * already used" and still costs its sender ~91k gas. So the witnesses rank themselves the same
 * way, from data they all share — the seats at their head, the offender and the slot — and only
 * the first submits at once. The witness of rank r waits r fallback steps and submits only if the
 * evidence is still not used on chain by then (the designated one may be offline or may not have
 * seen the second block). The offender ranks last: on a chain where it is the only witness it
 * still reports itself, as before.
 *
 * This is node-side policy, not a state transition: the waits are timers on the node's clock and
 * the ranking only decides who pays for a transaction anyone may send.
 */
import { createHash } from 'node:crypto'
import { TxPoolErrorCode } from '../txpool/errors.js'
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js'
import { isNfcError } from '../util/errors.js'
import type { Logger } from '../util/logger.js'

/** block intervals between two ranks: one for the evidence to be included, one for gossip and lateness */
export const EVIDENCE_FALLBACK_INTERVALS = 2

/**
 * The seated witnesses in the order they are to submit evidence against `offender` for `slot`:
 * the others by sha256(offender ‖ slot ‖ witness), ascending (a fresh order per offence, so no
 * one witness always pays), then the offender itself if it is seated. Addresses compare lowercased.
 */
export function evidenceSubmitters(seats: readonly (string | null)[], offender: string, slot: bigint): string[] {
  const off = offender.toLowerCase()
  const seated = [...new Set(seats.filter((s): s is string => s !== null).map((s) => s.toLowerCase()))]
  const key = (w: string) => createHash('sha256').update(`nfc-evidence-duty/v1:${off}:${slot.toString()}:${w}`).digest('hex')
  const others = seated
    .filter((w) => w !== off)
    .map((w) => ({ w, k: key(w) }))
    .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
    .map((x) => x.w)
  return seated.includes(off) ? [...others, off] : others
}

/** the rank of `me` among the submitters; a key that holds no seat comes after all of them */
export function evidenceRank(submitters: readonly string[], me: string): number {
  const i = submitters.indexOf(me.toLowerCase())
  return i === -1 ? submitters.length : i
}

export interface EvidenceOffence {
  producer: string
  slot: bigint
}

export interface EvidenceDutyOptions {
  /** this node's witness address */
  me: string
  /** the seats at the head, as every node reads them */
  seats: () => readonly (string | null)[]
  /** true once the Evidence contract has used a proof of (producer, slot), at the head */
  used: (producer: string, slot: bigint) => Promise<boolean>
  /** sends the evidence transaction */
  submit: () => Promise<void>
  /** the wait between two ranks, ms (EVIDENCE_FALLBACK_INTERVALS block intervals) */
  stepMs: number
  /** called once the duty is over (submitted, found used, or failed); not after a cancel */
  done?: () => void
  logger: Logger
  clock?: Clock
}

/**
 * Runs the duty for one offence: submits at once at rank 0, otherwise after rank × stepMs if the
 * evidence is still unused then. Returns a cancel function (node shutdown).
 */
export function scheduleEvidence(offence: EvidenceOffence, o: EvidenceDutyOptions): () => void {
  const clock = o.clock ?? systemClock
  const rank = evidenceRank(evidenceSubmitters(o.seats(), offence.producer, offence.slot), o.me)
  const meta = { producer: offence.producer, slot: offence.slot, rank }
  let timer: TimerHandle | undefined
  let cancelled = false
  const run = async () => {
    if (cancelled) return
    if (rank > 0 && (await o.used(offence.producer, offence.slot))) {
      o.logger.debug('double-production evidence already used: not submitting', meta)
      return
    }
    if (cancelled) return
    await o.submit()
  }
  const start = () =>
    void run()
      .catch((e) =>
        // another submitter's proof reached the head first: the pool refused ours, nothing was spent
        isNfcError(e) && e.code === TxPoolErrorCode.PRECHECK_REFUSED
          ? o.logger.debug('double-production evidence already applied: not submitted', meta)
          : o.logger.warn('could not submit double-production evidence', { ...meta, error: e }),
      )
      .finally(() => {
        if (!cancelled) o.done?.()
      })
  if (rank === 0) start()
  else {
    o.logger.info('double production seen: another witness is designated to submit the evidence', { ...meta, fallbackInMs: rank * o.stepMs })
    timer = clock.setTimeout(start, rank * o.stepMs)
    timer.unref()
  }
  return () => {
    cancelled = true
    clock.clearTimeout(timer)
  }
}
