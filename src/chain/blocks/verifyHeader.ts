/**
 * The header checks of a block from the network that need nothing but plain values: its parent's
 * header, the chain's fixed parameters and the local clock reading (DESIGN §2, §4). No database,
 * clock or network; the caller reads those and passes the values in.
 */
import { bytesToHex } from '@ethereumjs/util'
import { BlockError, BlockErrorCode } from '../errors.js'
import { verifyHeaderSignature, type BlockHeader } from '../header.js'

/** a block may arrive this early (clock skew between nodes) and still be imported now */
export const FUTURE_SLACK_MS = 500n
/** further ahead than this, a block is invalid, not early */
export const MAX_FUTURE_MS = 15_000n

/** The chain parameters a header is checked against. */
export interface HeaderRules {
  /** genesis time in ms (slot 0 starts here) */
  genesisTime: bigint
  /** block interval in ms (a slot) */
  intervalMs: bigint
  /** the chain's fixed block gas limit */
  gasLimit: bigint
  /** the chain's minimum gas price, every header's baseFeePerGas */
  minGasPrice: bigint
}

/** The error for block `h` (hash `hash`) refused for `reason`; the message names the block. */
export function invalidBlock(h: BlockHeader, hash: Uint8Array, code: BlockErrorCode, reason: string): BlockError {
  return new BlockError(code, `block ${h.number} (${bytesToHex(hash)}): ${reason}`, { number: h.number })
}

/**
 * Checks `h` (hash `hash`) against its parent, the chain's rules and the clock reading `now`
 * (ms), in the order the node has always checked them. Returns 'future' when the block's slot
 * has not started on this clock yet (retry later; the rules after the time are then not checked),
 * 'ok' when every check passed; throws a BlockError naming the first broken rule.
 */
export function verifyHeader(h: BlockHeader, hash: Uint8Array, parent: BlockHeader, rules: HeaderRules, now: bigint): 'ok' | 'future' {
  const invalid = (code: BlockErrorCode, reason: string) => invalidBlock(h, hash, code, reason)
  if (h.number !== parent.number + 1n) throw invalid(BlockErrorCode.BadNumber, `number is not its parent's + 1 (${parent.number})`)
  if (h.timestamp <= parent.timestamp) throw invalid(BlockErrorCode.TimestampNotAfterParent, "timestamp is not after its parent's")
  if ((h.timestamp - rules.genesisTime) % rules.intervalMs !== 0n) throw invalid(BlockErrorCode.TimestampOffSlot, 'timestamp is not the start of a slot')
  if (h.timestamp > now + MAX_FUTURE_MS) {
    throw invalid(BlockErrorCode.TimestampTooFarInFuture, `timestamp ${h.timestamp} is ${h.timestamp - now} ms in the future`)
  }
  if (h.timestamp > now + FUTURE_SLACK_MS) return 'future'
  if (h.gasLimit !== rules.gasLimit) throw invalid(BlockErrorCode.BadGasLimit, `gas limit ${h.gasLimit} is not the chain's ${rules.gasLimit}`)
  if (h.baseFeePerGas !== rules.minGasPrice) throw invalid(BlockErrorCode.BadBaseFee, 'baseFeePerGas is not the chain minimum gas price')
  if (h.gasUsed > h.gasLimit) throw invalid(BlockErrorCode.GasUsedAboveLimit, 'gas used above the gas limit')
  if (!isZero(h.flowRoot)) throw invalid(BlockErrorCode.FlowRootNotAccepted, 'flow checkpoints are not accepted yet')
  try {
    verifyHeaderSignature(h, hash)
  } catch {
    throw invalid(BlockErrorCode.BadSignature, "the signature is not the producer's")
  }
  return 'ok'
}

function isZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false
  return true
}
