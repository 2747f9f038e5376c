/**
 * The remaining simple methods of issue 3 (block/tx lookups by position, block receipts,
 * access lists, the keyless wallet methods, uncles, net_ and txpool_). The lead wires them in
 * rpc/index.ts: `buildMethods([...existing, ...moreMethods])`.
 */
import type { RpcMethod } from './types.js'
import { eth_accounts } from './eth/accounts.js'
import { eth_createAccessList } from './eth/createAccessList.js'
import { eth_getBlockReceipts } from './eth/getBlockReceipts.js'
import { eth_getBlockTransactionCountByHash } from './eth/getBlockTransactionCountByHash.js'
import { eth_getBlockTransactionCountByNumber } from './eth/getBlockTransactionCountByNumber.js'
import { eth_getTransactionByBlockHashAndIndex } from './eth/getTransactionByBlockHashAndIndex.js'
import { eth_getTransactionByBlockNumberAndIndex } from './eth/getTransactionByBlockNumberAndIndex.js'
import { eth_getUncleByBlockHashAndIndex } from './eth/getUncleByBlockHashAndIndex.js'
import { eth_getUncleByBlockNumberAndIndex } from './eth/getUncleByBlockNumberAndIndex.js'
import { eth_getUncleCountByBlockHash } from './eth/getUncleCountByBlockHash.js'
import { eth_getUncleCountByBlockNumber } from './eth/getUncleCountByBlockNumber.js'
import { eth_sendTransaction } from './eth/sendTransaction.js'
import { eth_sign } from './eth/sign.js'
import { eth_signTransaction } from './eth/signTransaction.js'
import { eth_syncing } from './eth/syncing.js'
import { net_listening } from './net/listening.js'
import { net_peerCount } from './net/peerCount.js'
import { txpool_content } from './txpool/content.js'
import { txpool_inspect } from './txpool/inspect.js'
import { txpool_status } from './txpool/status.js'

export const moreMethods: RpcMethod<any, any>[] = [
  eth_accounts,
  eth_createAccessList,
  eth_getBlockReceipts,
  eth_getBlockTransactionCountByHash,
  eth_getBlockTransactionCountByNumber,
  eth_getTransactionByBlockHashAndIndex,
  eth_getTransactionByBlockNumberAndIndex,
  eth_getUncleByBlockHashAndIndex,
  eth_getUncleByBlockNumberAndIndex,
  eth_getUncleCountByBlockHash,
  eth_getUncleCountByBlockNumber,
  eth_sendTransaction,
  eth_sign,
  eth_signTransaction,
  eth_syncing,
  net_listening,
  net_peerCount,
  txpool_content,
  txpool_inspect,
  txpool_status,
]
