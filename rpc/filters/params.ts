/** Parameters shared by the filter and subscription methods. */
import { InvalidParamsError } from '../errors.js'
import type { Validator } from '../params.js'

/**
 * A filter or subscription id. Any string is accepted, as geth's rpc.ID is a plain string: an
 * id this node never issued is "filter not found", not a params error.
 */
export const filterId: Validator<string> = (v) => {
  if (typeof v !== 'string') throw new InvalidParamsError('cannot unmarshal non-string into filter id')
  return v
}
