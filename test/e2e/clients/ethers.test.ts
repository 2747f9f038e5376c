/**
 * The real-client scenario (./scenario.ts) run by ethers v6, once over HTTP (JsonRpcProvider)
 * and once over WebSocket (WebSocketProvider), against one real node process.
 *
 * Everything is ethers' own machinery: network detection, getFeeData, Wallet.sendTransaction,
 * waitForTransaction, ContractFactory, Contract calls/sends, queryFilter (eth_getLogs),
 * provider.on('block') and contract.on('Transfer') (eth_subscribe over WS; block polling and
 * eth_newFilter over HTTP), staticCall revert decoding and the NONCE_EXPIRED error code.
 */
import t from 'tap'
import {
  Contract,
  ContractFactory,
  JsonRpcProvider,
  VoidSigner,
  Wallet,
  WebSocketProvider,
  type AbstractProvider,
  type ContractEventPayload,
  type EventLog,
} from 'ethers'
import {
  ACCOUNTS_HTTP,
  ACCOUNTS_WS,
  TIMEOUT,
  TOKEN_NAME,
  TOKEN_SUPPLY,
  TOKEN_SYMBOL,
  runScenario,
  startScenarioNode,
  type ClientAdapter,
  type DevKey,
  type MinedReceipt,
  type TransferEvent,
} from './scenario.js'

type Provider = JsonRpcProvider | WebSocketProvider

function ethersAdapter(provider: Provider, name: string, transport: 'http' | 'ws'): ClientAdapter {
  let abi: readonly any[] = []
  const wallet = (k: DevKey) => new Wallet(k.privateKey, provider)
  const token = (address: string) => new Contract(address, abi as any[], provider)
  const toEvent = (from: string, to: string, value: bigint, log: { transactionHash: string; blockNumber: number }): TransferEvent => ({
    from,
    to,
    value,
    transactionHash: log.transactionHash,
    blockNumber: BigInt(log.blockNumber),
  })

  return {
    name,
    transport,
    async chainId() {
      return (await provider.getNetwork()).chainId
    },
    async blockNumber() {
      return BigInt(await provider.getBlockNumber())
    },
    balance(address, block) {
      return provider.getBalance(address, block ?? 'latest')
    },
    async fees() {
      const f = await provider.getFeeData()
      if (f.maxFeePerGas === null || f.maxPriorityFeePerGas === null) throw new Error('ethers found no EIP-1559 fee data')
      return { maxFeePerGas: f.maxFeePerGas, maxPriorityFeePerGas: f.maxPriorityFeePerGas }
    },
    async sendTransfer(from, to, value) {
      return (await wallet(from).sendTransaction({ to, value })).hash
    },
    async waitReceipt(hash): Promise<MinedReceipt> {
      const r = await provider.waitForTransaction(hash, 1, TIMEOUT.mined)
      if (r === null) throw new Error(`no receipt for ${hash}`)
      return {
        status: r.status === 1 ? 'success' : 'reverted',
        blockNumber: BigInt(r.blockNumber),
        gasUsed: r.gasUsed,
        effectiveGasPrice: r.gasPrice,
        contractAddress: r.contractAddress,
        logCount: r.logs.length,
      }
    },
    async deployToken(from, tokenAbi, bytecode) {
      abi = tokenAbi
      const factory = new ContractFactory(tokenAbi as any[], bytecode, wallet(from))
      const c = await factory.deploy(TOKEN_NAME, TOKEN_SYMBOL, TOKEN_SUPPLY)
      await c.waitForDeployment()
      const tx = c.deploymentTransaction()!
      await tx.wait(1, TIMEOUT.mined)
      return { address: await c.getAddress(), hash: tx.hash }
    },
    async tokenName(address) {
      return token(address).getFunction('name')()
    },
    async tokenBalance(address, holder) {
      return token(address).getFunction('balanceOf')(holder)
    },
    async tokenTransfer(from, address, to, amount) {
      const c = token(address).connect(wallet(from)) as Contract
      return (await c.getFunction('transfer')(to, amount)).hash
    },
    async transferLogs(address, fromBlock, toBlock) {
      const logs = (await token(address).queryFilter('Transfer', fromBlock, toBlock)) as EventLog[]
      return logs.map((l) => toEvent(l.args[0], l.args[1], l.args[2], l))
    },
    async watchBlocks(onBlock) {
      const listener = (n: number) => onBlock(BigInt(n))
      await provider.on('block', listener)
      return () => provider.off('block', listener)
    },
    async watchTransfers(address, onEvent) {
      const c = token(address)
      const listener = (from: string, to: string, value: bigint, ev: ContractEventPayload) => onEvent(toEvent(from, to, value, ev.log))
      await c.on('Transfer', listener)
      return () => c.off('Transfer', listener)
    },
    async revertReason(from, address, to, amount) {
      const c = new Contract(address, abi as any[], new VoidSigner(from.address, provider))
      try {
        await c.getFunction('transfer').staticCall(to, amount)
      } catch (e) {
        const err = e as { code?: string; reason?: string | null }
        if (err.code !== 'CALL_EXCEPTION') throw e
        return err.reason ?? '(no reason decoded)'
      }
      throw new Error('the call did not revert')
    },
    async sendWithNonce(from, nonce) {
      try {
        await wallet(from).sendTransaction({ to: from.address, value: 1n, nonce })
      } catch (e) {
        const err = e as { code?: string; message: string; info?: { error?: { message?: string } } }
        return { kind: err.code ?? 'unclassified', message: err.info?.error?.message ?? err.message }
      }
      throw new Error('a reused nonce was accepted')
    },
    nonceTooLowKind: 'NONCE_EXPIRED',
    async close() {
      await (provider as AbstractProvider).destroy()
    },
  }
}

const node = await startScenarioNode(t)

await t.test('ethers v6 JsonRpcProvider (HTTP)', (t) =>
  runScenario(
    t,
    node,
    // no staticNetwork: ethers detects the chain with eth_chainId; fast polling for blocks
    () => ethersAdapter(new JsonRpcProvider(node.url, undefined, { pollingInterval: 200 }), 'ethers JsonRpcProvider', 'http'),
    ACCOUNTS_HTTP,
  ),
)

await t.test('ethers v6 WebSocketProvider', (t) =>
  runScenario(
    t,
    node,
    async () => {
      const provider = new WebSocketProvider(node.wsUrl)
      // the socket is open and the network detected before the scenario starts
      await provider._waitUntilReady()
      return ethersAdapter(provider, 'ethers WebSocketProvider', 'ws')
    },
    ACCOUNTS_WS,
  ),
)
