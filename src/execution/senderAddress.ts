/**
 * A transaction's sender address, hashed once per transaction object.
 *
 * ethereumjs caches a frozen transaction's recovered public key (`tx.cache.senderPubKey`, which the
 * recovery workers fill) but hashes it again, with @noble/hashes' keccak in JS, on every
 * `getSenderAddress()`; `runTx` asks several times per transaction, the pool and the executor
 * more: ~3% of a block of value transfers. For frozen transactions (every decoded or signed one:
 * their fields and signature cannot change) the address is kept in the object's cache (chain/txCommon.ts nodeTxCache),
 * hashed with the WASM core. The result is the same address; a transaction that is not frozen
 * takes ethereumjs' own path every time.
 *
 * The tx classes are patched once (their prototype's `getSenderAddress`, chain/txCommon.ts
 * `patchFrozenTxs`), by `cacheSenderAddresses`.
 */
import { Address } from '@ethereumjs/util'
import { nodeTxCache, patchFrozenTxs } from '../chain/txCommon.js'
import { core } from '../core/index.js'

let installed = false
/** addresses hashed through the cache (tests: a transaction is hashed once) */
let hashed = 0

interface WithSender {
  cache: object
  getSenderPublicKey(): Uint8Array
  getSenderAddress(): Address
}

/** Patches the transaction classes once (idempotent). */
export function cacheSenderAddresses(): void {
  if (installed) return
  installed = true
  patchFrozenTxs<WithSender, Address>('getSenderAddress', (tx) => {
    const cache = nodeTxCache(tx)
    let a = cache.senderAddress
    if (a === undefined) {
      // getSenderPublicKey throws for a bad signature, as ethereumjs' getSenderAddress does
      a = new Address(core.keccak256(tx.getSenderPublicKey()).slice(12))
      cache.senderAddress = a
      hashed++
    }
    return a
  })
}

/** How many sender addresses were hashed through the cache. */
export function senderAddressesHashed(): number {
  return hashed
}
