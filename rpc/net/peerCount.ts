/** net_peerCount: "0x0" until the P2P issue brings peers. */
import { defineMethod } from '../params.js'

export const net_peerCount = defineMethod('net_peerCount', [], () => '0x0')
