/**
 * Evidence (0x…1004, DESIGN §4 "Invalid block / double production"): anyone submits proof that
 * a candidate misbehaved; the offender loses 100 trust and evidenceSlashBps of its RN pledge goes
 * to the shared pool (engine.ts penalizeViolation). The submitter pays the gas and gets nothing:
 * a bounty would make it worth a witness's while to fault itself through a friend, and honest
 * nodes submit evidence anyway to protect the chain they validate.
 *
 * kind 1, submitDoubleProduction(headerA, headerB): two RLP-encoded signed headers
 *   (src/chain/header.ts) both validly signed by their `producer`, the same producer, the same
 *   timestamp (= the same slot), different header hashes.
 * kind 2, submitInvalidBlock(header): a validly signed header whose timestamp is not on the slot
 *   grid ((t − genesisTime) mod interval ≠ 0) or lies before genesis — a block no honest
 *   producer signs. State-root or transaction fraud is not provable here: it needs the block's
 *   transactions and parent state re-executed, which every validating node does on import (it
 *   refuses the block and drops the peer that sent it); proving it on chain is out of scope.
 *
 * Both: the producer must be a registered candidate, the header must not be from the future
 * (t ≤ the current block's time, to the EVM's second), and one violation is penalised once per
 * (producer, slot) whatever its kind (store.evidenceUsed / markEvidence). Every header before
 * genesis maps to the single slot key 2^64 − 1.
 *
 * Known limit: a header carries no chain id, so a witness key shared with another chain whose
 * slot grid differs could be faulted with that chain's headers. Witness keys must be per chain.
 */
import { decodeHeader, headerHash, recoverProducer, equalBytes, type BlockHeader } from '../../chain/header.js'
import { penalizeViolation } from '../../consensus/dpos/engine.js'
import { EVIDENCE, type Addr } from '../../consensus/dpos/store.js'
import { bytesToHex } from '@ethereumjs/util'
import { ensure, event, fn, Revert, type CallContext, type SystemContract } from './contract.js'

export const EVIDENCE_GAS = {
  submitDoubleProduction: 60_000n,
  submitInvalidBlock: 50_000n,
  /** per 32-byte word of header bytes (RLP decoding and keccak) */
  perWord: 6n,
} as const

export const EvidenceKind = { DoubleProduction: 1n, InvalidBlock: 2n } as const

/** The slot key of every header dated before genesis. */
export const BEFORE_GENESIS_SLOT = (1n << 64n) - 1n

export const EvidenceAccepted = event('EvidenceAccepted', [
  { name: 'producer', type: 'address', indexed: true },
  { name: 'slot', type: 'uint256' },
  { name: 'kind', type: 'uint8' },
  { name: 'slashed', type: 'uint256' },
] as const)

/** Decodes a header and checks it is signed by its own producer. */
function signedHeader(ctx: CallContext, bytes: Uint8Array): { header: BlockHeader; hash: Uint8Array; producer: Addr } {
  ctx.gas.use(BigInt(Math.ceil(bytes.length / 32)) * EVIDENCE_GAS.perWord)
  let header: BlockHeader
  try {
    header = decodeHeader(bytes)
  } catch {
    throw new Revert('invalid header encoding')
  }
  const hash = headerHash(header)
  const signer = recoverProducer(header, hash)
  ensure(signer !== null && equalBytes(signer, header.producer), 'invalid header signature')
  return { header, hash, producer: bytesToHex(header.producer) }
}

function notFromTheFuture(ctx: CallContext, t: bigint): void {
  // the EVM block time is whole seconds: allow the rest of the current second
  ensure(t <= ctx.call.blockTimeMs + 999n, 'header is from the future')
}

async function penalize(ctx: CallContext, producer: Addr, slot: bigint, kind: bigint): Promise<[]> {
  ensure(await ctx.store.getCandidateField(producer, 'registered'), 'producer is not a candidate')
  ensure(!(await ctx.store.evidenceUsed(producer, slot)), 'evidence already used')
  await ctx.store.markEvidence(producer, slot)
  const r = await penalizeViolation(ctx.sm, producer, ctx.cfg)
  ctx.emit(EvidenceAccepted, [producer, slot, kind, r.slashed])
  return []
}

async function submitDoubleProduction(ctx: CallContext, a: Uint8Array, b: Uint8Array): Promise<[]> {
  const A = signedHeader(ctx, a)
  const B = signedHeader(ctx, b)
  ensure(A.producer === B.producer, 'headers are by different producers')
  ensure(A.header.timestamp === B.header.timestamp, 'headers are for different slots')
  ensure(!equalBytes(A.hash, B.hash), 'headers are identical')
  const t = A.header.timestamp
  ensure(t >= ctx.cfg.genesisTime, 'header is before genesis')
  notFromTheFuture(ctx, t)
  const slot = (t - ctx.cfg.genesisTime) / ctx.cfg.intervalMs
  return penalize(ctx, A.producer, slot, EvidenceKind.DoubleProduction)
}

async function submitInvalidBlock(ctx: CallContext, bytes: Uint8Array): Promise<[]> {
  const H = signedHeader(ctx, bytes)
  const t = H.header.timestamp
  const { genesisTime, intervalMs } = ctx.cfg
  let slot: bigint
  if (t < genesisTime) {
    slot = BEFORE_GENESIS_SLOT
  } else {
    ensure((t - genesisTime) % intervalMs !== 0n, 'header is on the slot grid: no provable fault')
    notFromTheFuture(ctx, t)
    slot = (t - genesisTime) / intervalMs
  }
  return penalize(ctx, H.producer, slot, EvidenceKind.InvalidBlock)
}

export const evidence: SystemContract = {
  name: 'Evidence',
  address: EVIDENCE,
  events: [EvidenceAccepted],
  functions: [
    fn({
      name: 'submitDoubleProduction',
      inputs: ['bytes', 'bytes'],
      outputs: [],
      mutability: 'nonpayable',
      gas: EVIDENCE_GAS.submitDoubleProduction,
      run: (ctx, [a, b]) => submitDoubleProduction(ctx, a, b),
    }),
    fn({
      name: 'submitInvalidBlock',
      inputs: ['bytes'],
      outputs: [],
      mutability: 'nonpayable',
      gas: EVIDENCE_GAS.submitInvalidBlock,
      run: (ctx, [h]) => submitInvalidBlock(ctx, h),
    }),
  ],
}
