/** eth_accounts: the node holds no user keys, so always the empty list (wallets sign locally). */
import { defineMethod } from '../params.js'

export const eth_accounts = defineMethod('eth_accounts', [], (): string[] => [])
