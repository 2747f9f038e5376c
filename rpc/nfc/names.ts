/** Shared by nfc_resolveName and nfc_listNames: the name parameter and a record's JSON form. */
import { bytesToHex } from '@ethereumjs/util'
import { nameProblem } from '../../src/consensus/names/rules.js'
import type { NameView } from '../../src/consensus/names/views.js'
import { InvalidParamsError } from '../errors.js'
import { hexQ } from '../format.js'
import type { Validator } from '../params.js'

/** A name as the Names contract keys it (src/consensus/names/rules.ts): the rule's reason when it is not one. */
export const nameParam: Validator<string> = (v) => {
  if (typeof v !== 'string') throw new InvalidParamsError(`cannot unmarshal ${v === null ? 'null' : typeof v} into name (a string)`)
  const problem = nameProblem(v)
  if (problem !== undefined) throw new InvalidParamsError(problem)
  return v
}

export interface NameJson {
  name: string
  owner: string
  nodeId: string
  endpoint: string
  /** ms */
  expiresAt: string
  lock: string
  status: 'active' | 'expired'
}

export function nameJson(v: NameView): NameJson {
  return {
    name: v.name,
    owner: v.owner!,
    nodeId: bytesToHex(v.nodeId),
    endpoint: v.endpoint,
    expiresAt: hexQ(v.expiresAtMs),
    lock: hexQ(v.lockWei),
    status: v.status === 'active' ? 'active' : 'expired',
  }
}
