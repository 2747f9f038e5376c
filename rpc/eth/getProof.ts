/**
 * eth_getProof(address, storageKeys, block): EIP-1186 Merkle proofs of an account and storage
 * slots against the block's stateRoot (or the pending block's), verifiable with any MPT verifier.
 */
import { Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import { hexQ } from '../format.js'
import { getMerkleStateProof } from '@ethereumjs/statemanager'
import { requireBlock } from '../blocks.js'
import { isPending } from '../pendingBlock.js'
import { address, arrayOf, blockTag, defineMethod, required } from '../params.js'
import { storageSlot } from './getStorageAt.js'

export const eth_getProof = defineMethod(
  'eth_getProof',
  [required(address), required(arrayOf(storageSlot, { max: 1024, what: 'storage key' })), required(blockTag)],
  async ([addr, keys, ref], ctx) => {
    const node = ctx.node
    // `pending`: a private view of the pending block's state, proven against its stateRoot
    const state = isPending(ref) ? (await node.pendingBlock()).state() : await node.chain.stateAt((await requireBlock(node, ref)).header)
    const proof = await getMerkleStateProof(state, new Address(hexToBytes(addr as `0x${string}`)), keys)
    // geth's shape: one entry per requested key (an absent account has an empty storage trie, so
    // each key's proof of absence is empty), values as quantities without leading zeros
    const storageProof =
      proof.storageProof.length === keys.length ? proof.storageProof : keys.map((k) => ({ key: bytesToHex(k), value: '0x0', proof: [] as string[] }))
    return { ...proof, storageProof: storageProof.map((p) => ({ ...p, value: hexQ(BigInt(p.value)) })) }
  },
)
