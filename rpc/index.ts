/** Every JSON-RPC method the node serves, by namespace. */
import { buildMethods } from './methods.js'
import type { RpcMethod } from './types.js'
import { eth_blockNumber } from './eth/blockNumber.js'
import { eth_call } from './eth/call.js'
import { eth_chainId } from './eth/chainId.js'
import { eth_estimateGas } from './eth/estimateGas.js'
import { eth_feeHistory } from './eth/feeHistory.js'
import { eth_gasPrice } from './eth/gasPrice.js'
import { eth_getBalance } from './eth/getBalance.js'
import { eth_getBlockByHash } from './eth/getBlockByHash.js'
import { eth_getBlockByNumber } from './eth/getBlockByNumber.js'
import { eth_getCode } from './eth/getCode.js'
import { eth_getLogs } from './eth/getLogs.js'
import { eth_getProof } from './eth/getProof.js'
import { eth_getStorageAt } from './eth/getStorageAt.js'
import { eth_getTransactionByHash } from './eth/getTransactionByHash.js'
import { eth_getTransactionCount } from './eth/getTransactionCount.js'
import { eth_getTransactionReceipt } from './eth/getTransactionReceipt.js'
import { eth_maxPriorityFeePerGas } from './eth/maxPriorityFeePerGas.js'
import { eth_sendRawTransaction } from './eth/sendRawTransaction.js'
import { eth_sendRawTransactionSync } from './eth/sendRawTransactionSync.js'
import { net_version } from './net/version.js'
import { web3_clientVersion } from './web3/clientVersion.js'
import { debugMethods } from './debug/index.js'
import { filterMethods } from './filters/index.js'
import { moreMethods } from './more.js'
import { dposMethods } from './dpos/index.js'
import { adminMethods } from './admin/index.js'
import { nfcMethods } from './nfc/index.js'
import { flowMethods } from './flow/index.js'

export function allMethods(): Map<string, RpcMethod<any, any>> {
  return buildMethods([
    eth_blockNumber,
    eth_call,
    eth_chainId,
    eth_estimateGas,
    eth_feeHistory,
    eth_gasPrice,
    eth_getBalance,
    eth_getBlockByHash,
    eth_getBlockByNumber,
    eth_getCode,
    eth_getLogs,
    eth_getProof,
    eth_getStorageAt,
    eth_getTransactionByHash,
    eth_getTransactionCount,
    eth_getTransactionReceipt,
    eth_maxPriorityFeePerGas,
    eth_sendRawTransaction,
    eth_sendRawTransactionSync,
    net_version,
    web3_clientVersion,
    ...moreMethods,
    ...filterMethods,
    ...debugMethods,
    ...dposMethods,
    ...adminMethods,
    ...nfcMethods,
    ...flowMethods,
  ])
}
