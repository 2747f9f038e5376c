/** The nfc_ namespace: NetFlowCoin's own queries (account history for the explorer, supply, names, …). */
import type { RpcMethod } from '../types.js'
import { nfc_getTransactionsByAddress } from './getTransactionsByAddress.js'
import { nfc_getSupply } from './getSupply.js'
import { nfc_getParams } from './getParams.js'

import { nfc_resolveName } from './resolveName.js'
import { nfc_listNames } from './listNames.js'

export const nfcMethods: RpcMethod<any, any>[] = [nfc_getTransactionsByAddress, nfc_getSupply, nfc_getParams, nfc_resolveName, nfc_listNames]
