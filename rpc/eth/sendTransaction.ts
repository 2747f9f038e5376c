/** eth_sendTransaction(tx): not supported — the node holds no user keys (-32000, geth's "unknown account"). */
import { callObject, defineMethod, required } from '../params.js'
import { noUserKeys } from './sign.js'

export const eth_sendTransaction = defineMethod('eth_sendTransaction', [required(callObject)], (): never => {
  throw noUserKeys('eth_sendTransaction')
})
