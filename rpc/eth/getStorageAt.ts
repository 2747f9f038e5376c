/** eth_getStorageAt(address, slot, block): one 32-byte storage word. */
import { Address, bytesToHex, hexToBytes, setLengthLeft } from '@ethereumjs/util'
import { InvalidParamsError } from '../errors.js'
import { stateAtRef } from '../pendingBlock.js'
import { address, blockTag, defineMethod, optional, required, type Validator } from '../params.js'

/** geth accepts any hex of up to 32 bytes for the slot (quantity or padded hash). */
export const storageSlot: Validator<Uint8Array> = (v) => {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{0,64}$/.test(v)) {
    throw new InvalidParamsError('hex string of at most 32 bytes expected for the storage slot')
  }
  const digits = v.slice(2)
  return setLengthLeft(hexToBytes(`0x${digits.length % 2 ? '0' + digits : digits}`), 32)
}

export const eth_getStorageAt = defineMethod(
  'eth_getStorageAt',
  [required(address), required(storageSlot), optional(blockTag)],
  async ([addr, slot, ref], ctx) => {
    const node = ctx.node
    const state = await stateAtRef(node, ref)
    const who = new Address(hexToBytes(addr as `0x${string}`))
    if ((await state.getAccount(who)) === undefined) return bytesToHex(new Uint8Array(32))
    return bytesToHex(setLengthLeft(await state.getStorage(who, slot), 32))
  },
)
