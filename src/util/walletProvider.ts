/**
 * The ethers provider our own clients sign through: the CLI's write commands, the traffic
 * simulator and the flow and storage agents.
 *
 * ethers (v6) shares identical requests made within 250 ms (`cacheTimeout`). A wallet that sends
 * a transaction, sees it mined and sends its next one inside that window is handed the pending
 * nonce it read before, signs a second transaction with a nonce already used and is refused
 * "nonce too low" (ethers-io/ethers.js#4549). Our blocks come every second and a receipt is
 * there the moment its block is, so this window is hit (test/e2e/flowEconomics.test.ts failed
 * this way about one run in three). This provider asks the node every time.
 */
import { JsonRpcProvider, Network } from 'ethers'

export interface WalletProviderOptions {
  /** the chain id when the caller knows it (no detection request); otherwise read once */
  chainId?: bigint
  /** how often `tx.wait()` and block events poll, ms */
  pollingInterval?: number
}

export function walletProvider(url: string, opts: WalletProviderOptions = {}): JsonRpcProvider {
  const network = opts.chainId === undefined ? undefined : Network.from(opts.chainId)
  return new JsonRpcProvider(url, network, { staticNetwork: true, pollingInterval: opts.pollingInterval ?? 250, cacheTimeout: -1 })
}
