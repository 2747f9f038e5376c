/** eth_signTransaction(tx): not supported — the node holds no user keys (-32000, geth's "unknown account"). */
import { callObject, defineMethod, required } from '../params.js'
import { noUserKeys } from './sign.js'

export const eth_signTransaction = defineMethod('eth_signTransaction', [required(callObject)], (): never => {
  throw noUserKeys('eth_signTransaction')
})
