/**
 * The ethereumjs Common for a chain: Cancun rules, our chain id, and the fast crypto of the node
 * (WASM keccak/sha256, native secp256k1) injected through `customCrypto`, so transaction
 * decoding, the trie and the EVM all use it.
 */
import { createCustomCommon, Hardfork, Mainnet, type Common } from '@ethereumjs/common'
import { core } from '../core/index.js'
import { ecrecoverCustomCrypto } from '../crypto/secp256k1.js'

export function makeCommon(chainId: bigint, name = `nfc-${chainId}`): Common {
  return createCustomCommon({ chainId: Number(chainId), name }, Mainnet, {
    hardfork: Hardfork.Cancun,
    customCrypto: { keccak256: core.keccak256, sha256: core.sha256, ...ecrecoverCustomCrypto },
  })
}
