// Entry point of the WASM core: re-exports every function the host loader (src/core/wasmCore.ts)
// calls. Pointers are offsets into the exported memory; see arena.ts for the memory strategy.
export { arenaBase, ensureArena } from './arena'
export { keccak256 } from './keccak'
export { sha256 } from './sha256'
export { hashBatch, hashBatchFixed } from './hash'
export { merkleRoot, merkleProof, verifyMerkleProof } from './merkle'
export { counterBlock, countPackets } from './packetCounter'
