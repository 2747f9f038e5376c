/**
 * The Common every decoded transaction shares. @ethereumjs/tx copies the Common it is given for
 * each transaction it builds and merges its tx params into the copy (a JSON round trip and a
 * rebuilt params cache): ~0.15 ms per transaction, about a tenth of the node's main thread under
 * wallet load (CPU profile of `npm run bench -- load`), plus the garbage. Our chains run one
 * hardfork with fixed params for their whole life, so every transaction can share one copy that
 * already holds the tx params: its `copy` returns itself and its `updateParams` accepts only
 * those same params (anything else would change every transaction's view, so it throws).
 * Also the one way the node patches the transaction classes (`patchFrozenTxs`).
 */
import type { Common } from '@ethereumjs/common'
import type { Address } from '@ethereumjs/util'
import { AccessList2930Tx, Blob4844Tx, EOACode7702Tx, FeeMarket1559Tx, LegacyTx, paramsTx } from '@ethereumjs/tx'

const shared = new WeakMap<Common, Common>()

export function txCommon(common: Common): Common {
  let c = shared.get(common)
  if (c === undefined) {
    const copy = common.copy()
    copy.updateParams(paramsTx)
    copy.copy = () => copy
    copy.updateParams = (params) => {
      if (params !== paramsTx) throw new Error('the shared transaction Common takes no other params')
    }
    copy.setHardfork = (hardfork) => {
      if (hardfork !== copy.hardfork()) throw new Error('the shared transaction Common keeps its hardfork')
    }
    shared.set(common, copy)
    c = copy
  }
  return c
}

/**
 * Replaces method `name` of every @ethereumjs/tx transaction class (each type the node decodes) for
 * frozen transactions — every decoded or signed one: their fields and signature cannot change — by
 * `frozen(tx, own)` (`own`: ethereumjs' method, to call with `own.call(tx)`); a transaction that is
 * not frozen takes ethereumjs' own method. Used for work ethereumjs repeats on every call (hashing,
 * sender addresses): chain/block.ts `cacheTxHashes`, execution/senderAddress.ts.
 */
export function patchFrozenTxs<T extends object, R>(name: string, frozen: (tx: T, own: (this: T) => R) => R): void {
  for (const cls of [LegacyTx, AccessList2930Tx, FeeMarket1559Tx, Blob4844Tx, EOACode7702Tx]) {
    const proto = cls.prototype as unknown as Record<string, (this: T) => R>
    const own = proto[name]
    if (typeof own !== 'function') continue
    proto[name] = function (this: T): R {
      return Object.isFrozen(this) ? frozen(this, own) : own.call(this)
    }
  }
}

/**
 * What the node keeps of a frozen transaction beside ethereumjs' own `tx.cache` (hash, sender key):
 * its encoding (chain/block.ts serializedTx), the hash its signature signs (execution/txDecode.ts)
 * and its sender's address (execution/senderAddress.ts). Kept in that same plain object, not in
 * WeakMaps: an entry in a WeakMap holding every pooled transaction cost ~1–3 µs to add under wallet
 * load, ~1% of the main thread for the three of them (CPU profile of `npm run bench -- load`).
 * Only for frozen transactions, whose fields and signature cannot change.
 */
export interface NodeTxCache {
  serialized?: Uint8Array
  signingHash?: Uint8Array
  senderAddress?: Address
}

export function nodeTxCache(tx: { cache: object }): NodeTxCache {
  return tx.cache as NodeTxCache
}
