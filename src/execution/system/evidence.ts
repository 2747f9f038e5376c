/**
 * Evidence (0x…1004, DESIGN §4 "Invalid block / double production"): anyone submits proof that
 * a candidate misbehaved; the offender loses 100 trust and evidenceSlashBps of its RN pledge and
 * of its unwithdrawn traffic rewards goes to the shared pool (engine.ts penalizeViolation; the
 * events' `slashed` is the sum). Evidence has no age limit: it is accepted for as long as the
 * stake it targets exists — a pledge in its unlock period, or unlocked and not yet withdrawn, is
 * slashed like an active one (DESIGN §12). The submitter pays the gas and gets nothing:
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
 * Flow fraud (DESIGN §5.7), against an entry of a checkpoint still in its challenge window
 * (status pending and block time < challengeEndsMs); the sender must be an active RN or CN:
 * kind 1–3, submitFraudProof(bytes): flow/fraudProof.ts RLP([kind, cycle, entryIndex, receipt,
 *   second?]) — BadSignature, DuplicateSeq, Inflated, checked by checkFraud against the stored
 *   entry. A proven fraud voids the entry (no reward; its session's settled seq/total roll back
 *   when still the entry's) and, the first time a checkpoint is proven bad, every signer of it
 *   gets penalizeViolation (−100 trust, evidenceSlashBps of its pledge to the shared pool; a CN
 *   is penalised the same way, its trust word simply unused). Decided here: the signers are
 *   penalised once per checkpoint, not once per bad entry — signing one bad checkpoint is one
 *   offence (as one slot is one offence for double production); every bad entry is still voided.
 * challengeSlice(cycle, entryIndex): opens a SliceMismatch challenge on a live entry once the
 *   seed block is known (the engine recorded the hash of block committedAt + k) and only in the
 *   first half of the window, so the provider always has challengeMs/2 to answer with
 *   FlowRewards.openSlice; an entry whose challenge is still open when the window ends is voided
 *   by the engine (no committee penalty: an unanswered challenge proves the provider, not the
 *   committee, failed).
 *
 * Known limit: a header carries no chain id, so a witness key shared with another chain whose
 * slot grid differs could be faulted with that chain's headers. Witness keys must be per chain.
 */
import { decodeHeader, headerHash, recoverProducer, equalBytes, type BlockHeader } from '../../chain/header.js'
import { flowOf, penalizeViolation } from '../../consensus/dpos/engine.js'
import { isActiveAuditor, voidEntry } from '../../consensus/povf/engine.js'
import { Challenge, CpStatus, EntryStatus, FlowStore } from '../../consensus/povf/store.js'
import { FlowError } from '../../flow/errors.js'
import { checkFraud, decodeFraudProof, type FraudProof } from '../../flow/fraudProof.js'
import { EVIDENCE, type Addr } from '../../consensus/dpos/store.js'
import { bytesToHex } from '@ethereumjs/util'
import { ensure, event, fn, Revert, type CallContext, type SystemContract } from './contract.js'

export const EVIDENCE_GAS = {
  submitDoubleProduction: 60_000n,
  submitInvalidBlock: 50_000n,
  /** per 32-byte word of header or proof bytes (RLP decoding and keccak) */
  perWord: 6n,
  submitFraudProof: 80_000n,
  /** per signer penalised (trust, pledge slice, possible seat replacement) */
  perSignerPenalized: 30_000n,
  challengeSlice: 30_000n,
} as const

export const EvidenceKind = { DoubleProduction: 1n, InvalidBlock: 2n } as const

/** The slot key of every header dated before genesis. */
export const BEFORE_GENESIS_SLOT = (1n << 64n) - 1n

/** The slot a header dated `t` is evidence for (store.evidenceUsed's key): BEFORE_GENESIS_SLOT before genesis. */
export function evidenceSlotOf(t: bigint, cfg: { genesisTime: bigint; intervalMs: bigint }): bigint {
  return t < cfg.genesisTime ? BEFORE_GENESIS_SLOT : (t - cfg.genesisTime) / cfg.intervalMs
}

export const EvidenceAccepted = event('EvidenceAccepted', [
  { name: 'producer', type: 'address', indexed: true },
  { name: 'slot', type: 'uint256' },
  { name: 'kind', type: 'uint8' },
  { name: 'slashed', type: 'uint256' },
] as const)

export const FraudProven = event('FraudProven', [
  { name: 'cycle', type: 'uint64', indexed: true },
  { name: 'entryIndex', type: 'uint256', indexed: true },
  { name: 'kind', type: 'uint8' },
] as const)
export const SignerPenalized = event('SignerPenalized', [
  { name: 'signer', type: 'address', indexed: true },
  { name: 'cycle', type: 'uint64', indexed: true },
  { name: 'slashed', type: 'uint256' },
] as const)
export const SliceChallenged = event('SliceChallenged', [
  { name: 'cycle', type: 'uint64', indexed: true },
  { name: 'entryIndex', type: 'uint256', indexed: true },
  { name: 'challenger', type: 'address' },
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
  const r = await penalizeViolation(ctx.sm, producer, ctx.genesisCfg)
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
  return penalize(ctx, A.producer, evidenceSlotOf(t, ctx.cfg), EvidenceKind.DoubleProduction)
}

async function submitInvalidBlock(ctx: CallContext, bytes: Uint8Array): Promise<[]> {
  const H = signedHeader(ctx, bytes)
  const t = H.header.timestamp
  const { genesisTime, intervalMs } = ctx.cfg
  if (t >= genesisTime) {
    ensure((t - genesisTime) % intervalMs !== 0n, 'header is on the slot grid: no provable fault')
    notFromTheFuture(ctx, t)
  }
  return penalize(ctx, H.producer, evidenceSlotOf(t, ctx.cfg), EvidenceKind.InvalidBlock)
}

async function auditor(ctx: CallContext): Promise<void> {
  ensure(await isActiveAuditor(ctx.store, ctx.sender, ctx.cfg), 'sender is not an active RN or CN')
}

async function submitFraudProof(ctx: CallContext, bytes: Uint8Array): Promise<[]> {
  ctx.gas.use(BigInt(Math.ceil(bytes.length / 32)) * EVIDENCE_GAS.perWord)
  await auditor(ctx)
  let proof: FraudProof
  try {
    proof = decodeFraudProof(bytes)
  } catch (e) {
    if (e instanceof FlowError) throw new Revert(`invalid fraud proof: ${e.message}`)
    throw e
  }
  const fs = new FlowStore(ctx.sm)
  const cp = await fs.getCheckpoint(proof.cycle)
  ensure(cp.status === CpStatus.Pending, 'checkpoint is not pending')
  ensure(ctx.call.blockTimeMs < cp.challengeEndsMs, 'challenge window is over')
  const i = BigInt(proof.entryIndex)
  ensure(i < cp.entryCount, 'no such entry')
  const e = await fs.getEntry(proof.cycle, i)
  ensure(e.status === EntryStatus.Live, 'entry already voided')
  const verdict = checkFraud(proof, e)
  ensure(verdict.proven, `fraud not proven: ${verdict.proven ? '' : verdict.reason}`)
  await voidEntry(fs, proof.cycle, i, e)
  ctx.emit(FraudProven, [proof.cycle, i, BigInt(proof.kind)])
  if (!cp.penalized) {
    await fs.putCheckpoint(proof.cycle, { penalized: true })
    const signers = await fs.signers(proof.cycle).all()
    ctx.gas.use(BigInt(signers.length) * EVIDENCE_GAS.perSignerPenalized)
    for (const s of signers) {
      const r = await penalizeViolation(ctx.sm, s, ctx.genesisCfg)
      ctx.emit(SignerPenalized, [s, proof.cycle, r.slashed])
    }
  }
  return []
}

async function challengeSlice(ctx: CallContext, cycle: bigint, entryIndex: bigint): Promise<[]> {
  await auditor(ctx)
  const fs = new FlowStore(ctx.sm)
  const cp = await fs.getCheckpoint(cycle)
  ensure(cp.status === CpStatus.Pending, 'checkpoint is not pending')
  ensure(
    ctx.call.blockTimeMs < cp.challengeEndsMs - flowOf(ctx.cfg).challengeMs / 2n,
    'too late to challenge: the provider must have half the window to answer',
  )
  ensure(
    cp.seedHash.some((b) => b !== 0),
    'the sample seed block is not known yet',
  )
  ensure(entryIndex < cp.entryCount, 'no such entry')
  const e = await fs.getEntry(cycle, entryIndex)
  ensure(e.status === EntryStatus.Live, 'entry already voided')
  ensure(e.challenge === Challenge.None, 'entry already challenged')
  await fs.setEntryField(cycle, entryIndex, 'challenge', Challenge.Open)
  ctx.emit(SliceChallenged, [cycle, entryIndex, ctx.sender])
  return []
}

export const evidence: SystemContract = {
  name: 'Evidence',
  address: EVIDENCE,
  events: [EvidenceAccepted, FraudProven, SignerPenalized, SliceChallenged],
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
    fn({
      name: 'submitFraudProof',
      inputs: ['bytes'],
      outputs: [],
      mutability: 'nonpayable',
      gas: EVIDENCE_GAS.submitFraudProof,
      run: (ctx, [p]) => submitFraudProof(ctx, p),
    }),
    fn({
      name: 'challengeSlice',
      inputs: ['uint64', 'uint256'],
      outputs: [],
      mutability: 'nonpayable',
      gas: EVIDENCE_GAS.challengeSlice,
      run: (ctx, [c, i]) => challengeSlice(ctx, c, i),
    }),
  ],
}
