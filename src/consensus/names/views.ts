/**
 * Read-only views of the name records at one state (nfc_resolveName, nfc_listNames): a record
 * with its status at the block's time, and a page of the list.
 */
import { NfcError } from '../../util/errors.js'
import type { Addr, StateAccess } from '../dpos/store.js'
import { NameErrorCode } from './errors.js'
import { statusOf, type NameStatus } from './rules.js'
import { NamesStore, type NameRecord } from './store.js'

/** A record as the views show it: its name, the stored fields, its status at the block time. */
export interface NameView extends NameRecord {
  name: string
  status: NameStatus
}

/** The record of `name` (status 'free' and zero fields when there is none) at block time `nowMs`. */
export async function readName(sm: StateAccess, name: string, nowMs: bigint): Promise<NameView> {
  const rec = await new NamesStore(sm).get(name)
  return { name, ...rec, status: statusOf(rec.owner, rec.expiresAtMs, nowMs) }
}

/** The live record of `name`; throws NAME_UNKNOWN (no record) or NAME_EXPIRED (past its expiry). */
export async function resolveName(sm: StateAccess, name: string, nowMs: bigint): Promise<NameView> {
  const v = await readName(sm, name, nowMs)
  if (v.status === 'free') throw new NfcError(NameErrorCode.Unknown, `unknown name: ${name}`, { name })
  if (v.status === 'expired') {
    throw new NfcError(NameErrorCode.Expired, `name expired: ${name} (at ${new Date(Number(v.expiresAtMs)).toISOString()})`, {
      name,
      expiresAt: v.expiresAtMs,
    })
  }
  return v
}

export interface NamePage {
  names: NameView[]
  /** the offset of the next page, null after the last */
  next: bigint | null
}

/** the most list positions one page reads (an `owner` page may hold fewer than its limit: go on with `next`) */
export const MAX_NAMES_SCANNED = 1_000

/**
 * The records at list positions offset … offset + limit − 1 (registration order, a release moves
 * the last name into the freed place), live and expired; with `owner`, only that owner's, scanning
 * on until `limit` are found, the list ends or `maxScan` positions were read (`next` is where the
 * scan stopped), so one call's work is bounded however many names the chain holds.
 */
export async function listNames(sm: StateAccess, nowMs: bigint, opts: { offset: bigint; limit: number; owner?: Addr; maxScan?: number }): Promise<NamePage> {
  const store = new NamesStore(sm)
  const total = await store.list().length()
  const end = opts.offset + BigInt(opts.maxScan ?? MAX_NAMES_SCANNED)
  const out: NameView[] = []
  let i = opts.offset
  for (; i < total && i < end && out.length < opts.limit; i++) {
    const [name] = await store.names(i, i + 1n)
    const v = await readName(sm, name!, nowMs)
    if (opts.owner === undefined || v.owner === opts.owner) out.push(v)
  }
  return { names: out, next: i < total ? i : null }
}
