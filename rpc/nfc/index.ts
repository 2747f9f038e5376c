/** The nfc_ namespace: NetFlowCoin's own queries (account history for the explorer, supply, names, storage deals, …). */
import type { RpcMethod } from '../types.js'
import { nfc_getTransactionsByAddress } from './getTransactionsByAddress.js'
import { nfc_getSupply } from './getSupply.js'
import { nfc_getParams } from './getParams.js'

import { nfc_resolveName } from './resolveName.js'
import { nfc_listNames } from './listNames.js'
import { nfc_getDeal } from './getDeal.js'
import { nfc_listDeals } from './listDeals.js'
import { nfc_getDealChallenge } from './getDealChallenge.js'
import { nfc_listStorageOffers } from './listStorageOffers.js'

export const nfcMethods: RpcMethod<any, any>[] = [
  nfc_getTransactionsByAddress,
  nfc_getSupply,
  nfc_getParams,
  nfc_resolveName,
  nfc_listNames,
  nfc_getDeal,
  nfc_listDeals,
  nfc_getDealChallenge,
  nfc_listStorageOffers,
]
