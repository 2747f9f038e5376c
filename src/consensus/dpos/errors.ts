/**
 * Error codes of the DPoS rules (NfcError codes; `rpc/errors.ts` maps them if they ever reach
 * the RPC edge): schedule, election, trust, rewards and the voter index.
 */
export const DposError = {
  /** a seed that is not 32 bytes */
  BAD_SEED: 'DPOS_BAD_SEED',
  /** an index, count or bound outside its domain (negative, zero, too large, non-integer) */
  BAD_ARG: 'DPOS_BAD_ARG',
  /** a string that is not a 0x-prefixed 20-byte hex address */
  BAD_ADDRESS: 'DPOS_BAD_ADDRESS',
  /** the same address twice in a candidate or witness list */
  DUPLICATE_ADDRESS: 'DPOS_DUPLICATE_ADDRESS',
  /** more witnesses than seats (W) */
  TOO_MANY_WITNESSES: 'DPOS_TOO_MANY_WITNESSES',
  /** draw() ran out of uint32 k values (probability < 2^-(2^32) — unreachable in practice) */
  DRAW_EXHAUSTED: 'DPOS_DRAW_EXHAUSTED',
  /** a slot outside the round whose order was given */
  SLOT_NOT_IN_ROUND: 'DPOS_SLOT_NOT_IN_ROUND',
  /** a time before genesis */
  BEFORE_GENESIS: 'DPOS_BEFORE_GENESIS',
  /** a time, slot, interval, pool or reward outside its domain */
  BAD_REWARD_INPUT: 'DPOS_BAD_REWARD_INPUT',
  /** a bonus ratio that is not an integer in [0, 10000] bps */
  BAD_BONUS_RATIO: 'DPOS_BAD_BONUS_RATIO',
  /** a reward index, votes or debt outside its domain (or an inconsistent position) */
  BAD_INDEX_INPUT: 'DPOS_BAD_INDEX_INPUT',
  /** unvote of more than the position holds */
  UNVOTE_EXCEEDS_VOTES: 'DPOS_UNVOTE_EXCEEDS_VOTES',
  /** a block whose slot is not after its parent's slot (or whose time is before genesis) */
  BAD_SLOT: 'DPOS_BAD_SLOT',
  /** a block produced by someone other than the owner of its slot (or in a vacant seat's slot) */
  WRONG_PRODUCER: 'DPOS_WRONG_PRODUCER',
  /** a confirmation by a non-witness, of a non-ancestor number, or not above the witness's last one */
  BAD_CONFIRMATION: 'DPOS_BAD_CONFIRMATION',
  /** genesis witnesses that break a rule (more than W, duplicates, bad ratio) */
  BAD_GENESIS_WITNESSES: 'DPOS_BAD_GENESIS_WITNESSES',
} as const
export type DposErrorCode = (typeof DposError)[keyof typeof DposError]
