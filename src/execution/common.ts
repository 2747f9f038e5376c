/**
 * The ethereumjs Common for a chain: Cancun rules, our chain id, and the fast crypto of the node
 * (WASM keccak/sha256, native secp256k1) injected through `customCrypto`, so transaction
 * decoding, the trie and the EVM all use it.
 */
import { Common, createCustomCommon, Hardfork, Mainnet } from '@ethereumjs/common'
import { core } from '../core/index.js'
import { ecrecoverCustomCrypto } from '../crypto/secp256k1.js'

/**
 * `Common.isActivatedEIP` as a Set lookup. The EVM asks it for every gas rule of every opcode
 * (~1.5% of an ERC-20 call) and ethereumjs answers with `Array.includes` over the ~50 activated
 * EIPs. Common rebuilds that array as a new one whenever its hardfork or EIPs change (never in
 * place), so a Set kept per array object answers the same.
 */
const eipSets = new WeakMap<readonly number[], Set<number>>()
let lastEips: readonly number[] | undefined
let lastSet = new Set<number>()
let eipSetsInstalled = false
function fastIsActivatedEIP(): void {
  if (eipSetsInstalled) return
  eipSetsInstalled = true
  const proto = Common.prototype as unknown as { isActivatedEIP(eip: number): boolean }
  proto.isActivatedEIP = function (this: { _activatedEIPsCache: readonly number[] }, eip: number): boolean {
    const eips = this._activatedEIPsCache
    if (eips !== lastEips) {
      let set = eipSets.get(eips)
      if (set === undefined) eipSets.set(eips, (set = new Set(eips)))
      lastEips = eips
      lastSet = set
    }
    return lastSet.has(eip)
  }
}
fastIsActivatedEIP()

export function makeCommon(chainId: bigint, name = `nfc-${chainId}`): Common {
  return createCustomCommon({ chainId: Number(chainId), name }, Mainnet, {
    hardfork: Hardfork.Cancun,
    customCrypto: { keccak256: core.keccak256, sha256: core.sha256, ...ecrecoverCustomCrypto },
  })
}
