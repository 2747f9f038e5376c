/** net_listening: true — the node is serving (geth answers true while its P2P server runs). */
import { defineMethod } from '../params.js'

export const net_listening = defineMethod('net_listening', [], () => true)
