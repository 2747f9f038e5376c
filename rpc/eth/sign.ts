/**
 * eth_sign(address, data): not supported — the node holds no user keys.
 *
 * Also the shared error of eth_signTransaction and eth_sendTransaction. geth answers these, for
 * an account it does not hold, with -32000 "unknown account"; we keep geth's code and words and
 * say why. (An NfcError outside the mapped domains goes out as -32000 with its message.)
 */
import { NfcError } from '../../src/util/errors.js'
import { address, data, defineMethod, required } from '../params.js'

export const NO_USER_KEYS = 'RPC_NO_USER_KEYS'
export const NO_USER_KEYS_MESSAGE = 'unknown account: not supported: the node holds no user keys; sign locally and use eth_sendRawTransaction'

export function noUserKeys(method: string): NfcError {
  return new NfcError(NO_USER_KEYS, NO_USER_KEYS_MESSAGE, { method })
}

export const eth_sign = defineMethod('eth_sign', [required(address), required(data)], (): never => {
  throw noUserKeys('eth_sign')
})
