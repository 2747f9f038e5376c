/** eth_getUncleByBlockNumberAndIndex(tag, index): always null — this chain has no uncles. */
import { blockNumberOrTag, defineMethod, required, uint64 } from '../params.js'

export const eth_getUncleByBlockNumberAndIndex = defineMethod('eth_getUncleByBlockNumberAndIndex', [required(blockNumberOrTag), required(uint64)], () => null)
