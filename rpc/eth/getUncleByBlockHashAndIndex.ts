/** eth_getUncleByBlockHashAndIndex(hash, index): always null — this chain has no uncles. */
import { defineMethod, hash, required, uint64 } from '../params.js'

export const eth_getUncleByBlockHashAndIndex = defineMethod('eth_getUncleByBlockHashAndIndex', [required(hash), required(uint64)], () => null)
