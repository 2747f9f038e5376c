/**
 * The real-client scenario (./scenario.ts) run by viem, once with the `http` transport and
 * once with the `webSocket` transport, against one real node process.
 *
 * viem's own actions throughout: getChainId, estimateFeesPerGas, sendTransaction from a local
 * account, waitForTransactionReceipt, deployContract, readContract/writeContract,
 * getContractEvents (eth_getLogs), watchBlocks and watchContractEvent (eth_subscribe over WS;
 * polling over HTTP), simulateContract revert decoding (ContractFunctionRevertedError) and
 * NonceTooLowError.
 */
import t from 'tap'
import {
  BaseError,
  ContractFunctionRevertedError,
  NonceTooLowError,
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  webSocket,
  type Abi,
  type Hex,
  type Transport,
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import {
  ACCOUNTS_HTTP,
  ACCOUNTS_WS,
  CHAIN_ID,
  TIMEOUT,
  TOKEN_NAME,
  TOKEN_SUPPLY,
  TOKEN_SYMBOL,
  runScenario,
  startScenarioNode,
  type ClientAdapter,
  type DevKey,
  type TransferEvent,
} from './scenario.js'

const node = await startScenarioNode(t)

const chain = defineChain({
  id: Number(CHAIN_ID),
  name: 'NetFlowCoin dev',
  nativeCurrency: { name: 'NetFlowCoin', symbol: 'NFC', decimals: 18 },
  rpcUrls: { default: { http: [node.url], webSocket: [node.wsUrl] } },
})

const POLL_MS = 200

function viemAdapter(transport: Transport, name: string, kind: 'http' | 'ws'): ClientAdapter {
  const client = createPublicClient({ chain, transport, pollingInterval: POLL_MS })
  let abi: Abi = []
  const wallet = (k: DevKey) => createWalletClient({ account: privateKeyToAccount(k.privateKey as Hex), chain, transport, pollingInterval: POLL_MS })
  const toEvent = (l: { args: { from?: string; to?: string; value?: bigint }; transactionHash: string | null; blockNumber: bigint | null }): TransferEvent => ({
    from: l.args.from!,
    to: l.args.to!,
    value: l.args.value!,
    transactionHash: l.transactionHash!,
    blockNumber: l.blockNumber!,
  })

  return {
    name,
    transport: kind,
    async chainId() {
      return BigInt(await client.getChainId())
    },
    blockNumber: () => client.getBlockNumber({ cacheTime: 0 }),
    balance: (address, blockNumber) => client.getBalance({ address: address as Hex, blockNumber }),
    async fees() {
      const f = await client.estimateFeesPerGas({ type: 'eip1559' })
      return { maxFeePerGas: f.maxFeePerGas, maxPriorityFeePerGas: f.maxPriorityFeePerGas }
    },
    sendTransfer: (from, to, value) => wallet(from).sendTransaction({ to: to as Hex, value }),
    async waitReceipt(hash) {
      const r = await client.waitForTransactionReceipt({ hash: hash as Hex, timeout: TIMEOUT.mined, pollingInterval: POLL_MS })
      return {
        status: r.status,
        blockNumber: r.blockNumber,
        gasUsed: r.gasUsed,
        effectiveGasPrice: r.effectiveGasPrice,
        contractAddress: r.contractAddress,
        logCount: r.logs.length,
      }
    },
    async deployToken(from, tokenAbi, bytecode) {
      abi = tokenAbi as Abi
      const hash = await wallet(from).deployContract({
        abi,
        bytecode: bytecode as Hex,
        args: [TOKEN_NAME, TOKEN_SYMBOL, TOKEN_SUPPLY],
      })
      const r = await client.waitForTransactionReceipt({ hash, timeout: TIMEOUT.mined, pollingInterval: POLL_MS })
      if (r.contractAddress == null) throw new Error('no contractAddress in the receipt')
      return { address: r.contractAddress, hash }
    },
    tokenName: (address) => client.readContract({ address: address as Hex, abi, functionName: 'name' }) as Promise<string>,
    tokenBalance: (address, holder) => client.readContract({ address: address as Hex, abi, functionName: 'balanceOf', args: [holder] }) as Promise<bigint>,
    tokenTransfer: (from, address, to, amount) => wallet(from).writeContract({ address: address as Hex, abi, functionName: 'transfer', args: [to, amount] }),
    async transferLogs(address, fromBlock, toBlock) {
      const logs = await client.getContractEvents({ address: address as Hex, abi, eventName: 'Transfer', fromBlock, toBlock })
      return logs.map((l) => toEvent(l as any))
    },
    async watchBlocks(onBlock, onError) {
      return client.watchBlocks({ onBlock: (b) => onBlock(b.number!), onError, pollingInterval: POLL_MS })
    },
    async watchTransfers(address, onEvent, onError) {
      return client.watchContractEvent({
        address: address as Hex,
        abi,
        eventName: 'Transfer',
        onLogs: (logs) => logs.forEach((l) => onEvent(toEvent(l as any))),
        onError,
        pollingInterval: POLL_MS,
      })
    },
    async revertReason(from, address, to, amount) {
      try {
        await client.simulateContract({
          account: from.address as Hex,
          address: address as Hex,
          abi,
          functionName: 'transfer',
          args: [to, amount],
        })
      } catch (e) {
        const reverted = e instanceof BaseError ? e.walk((x) => x instanceof ContractFunctionRevertedError) : null
        if (!(reverted instanceof ContractFunctionRevertedError)) throw e
        return reverted.reason ?? '(no reason decoded)'
      }
      throw new Error('the call did not revert')
    },
    async sendWithNonce(from, nonce) {
      try {
        await wallet(from).sendTransaction({ to: from.address as Hex, value: 1n, nonce })
      } catch (e) {
        if (!(e instanceof BaseError)) throw e
        const classified = e.walk((x) => x instanceof NonceTooLowError)
        return { kind: classified === null ? 'unclassified' : 'NonceTooLowError', message: e.details ?? e.message }
      }
      throw new Error('a reused nonce was accepted')
    },
    nonceTooLowKind: 'NonceTooLowError',
    async close() {
      if (kind !== 'ws') return
      const rpcClient = await (client.transport as { getRpcClient?: () => Promise<{ close(): void }> }).getRpcClient?.()
      rpcClient?.close()
    },
  }
}

await t.test('viem http transport', (t) => runScenario(t, node, () => viemAdapter(http(node.url, { retryCount: 0 }), 'viem http', 'http'), ACCOUNTS_HTTP))

await t.test('viem webSocket transport', (t) =>
  runScenario(t, node, () => viemAdapter(webSocket(node.wsUrl, { retryCount: 0, reconnect: false }), 'viem webSocket', 'ws'), ACCOUNTS_WS),
)
