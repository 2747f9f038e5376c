/**
 * nfc_listNames([{owner, cursor, limit}[, block]]): the records of the Names contract, live and
 * expired (`status`), one page at a time in list order (registration order; a release moves the
 * last name into the freed place). `owner` keeps only that owner's names (a page reads at most
 * MAX_NAMES_SCANNED list positions, so it may hold fewer than `limit`); `cursor` is the `next` of
 * the previous page (a list position, hex), null on the last page.
 */
import { listNames } from '../../src/consensus/names/views.js'
import { stateFor } from '../dpos/common.js'
import { InvalidParamsError } from '../errors.js'
import { hexQ } from '../format.js'
import { address, blockTag, defineMethod, optional, quantity, type Validator } from '../params.js'
import { nameJson } from './names.js'

export const DEFAULT_NAMES_LIMIT = 25
export const MAX_NAMES_LIMIT = 100

export interface NameListOptions {
  owner?: string
  offset: bigint
  limit: number
}

/** `{owner?: address, cursor?: quantity | null, limit?: 1..100}`; unknown fields are ignored, as in the other methods. */
export const nameListOptions: Validator<NameListOptions> = (v) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new InvalidParamsError(`cannot unmarshal ${v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v} into options object {owner, cursor, limit}`)
  }
  const o = v as Record<string, unknown>
  const out: NameListOptions = { offset: 0n, limit: DEFAULT_NAMES_LIMIT }
  const field = <T>(k: string, validate: Validator<T>): T => {
    try {
      return validate(o[k])
    } catch (e) {
      throw new InvalidParamsError(`field "${k}": ${(e as Error).message}`)
    }
  }
  if (o.owner !== undefined && o.owner !== null) out.owner = field('owner', address)
  if (o.cursor !== undefined && o.cursor !== null) out.offset = field('cursor', quantity)
  if (o.limit !== undefined && o.limit !== null) {
    const limit = o.limit
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_NAMES_LIMIT) {
      throw new InvalidParamsError(`field "limit": want an integer from 1 to ${MAX_NAMES_LIMIT}, got ${JSON.stringify(limit)}`)
    }
    out.limit = limit
  }
  return out
}

export const nfc_listNames = defineMethod('nfc_listNames', [optional(nameListOptions), optional(blockTag)], async ([opts, ref], ctx) => {
  const { block, state } = await stateFor(ctx.node, ref)
  const o = opts ?? { offset: 0n, limit: DEFAULT_NAMES_LIMIT }
  const page = await listNames(state, block.header.timestamp, o)
  return { names: page.names.map(nameJson), next: page.next === null ? null : hexQ(page.next) }
})
