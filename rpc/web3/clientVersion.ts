import { defineMethod } from '../params.js'

/** `web3_clientVersion` → e.g. "nfc/v0.1.0/linux-x64/node20.20.2". */
export const web3_clientVersion = defineMethod('web3_clientVersion', [], (_params, ctx) => ctx.node.clientVersion)
