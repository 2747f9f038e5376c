/** The dpos_ namespace (DESIGN §7): witnesses, candidates, schedule, trust, votes, finality. */
import type { RpcMethod } from '../types.js'
import { dpos_getCandidates } from './getCandidates.js'
import { dpos_getFinalized } from './getFinalized.js'
import { dpos_getSchedule } from './getSchedule.js'
import { dpos_getTrust } from './getTrust.js'
import { dpos_getVotes } from './getVotes.js'
import { dpos_getWitnesses } from './getWitnesses.js'

export const dposMethods: RpcMethod<any, any>[] = [dpos_getWitnesses, dpos_getCandidates, dpos_getSchedule, dpos_getTrust, dpos_getVotes, dpos_getFinalized]
