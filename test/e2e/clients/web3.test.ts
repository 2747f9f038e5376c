/**
 * The real-client scenario (./scenario.ts) run by web3.js v4, once over its HTTP provider and
 * once over its WebSocket provider, against one real node process.
 *
 * web3's own machinery: eth.getChainId, calculateFeeData, sendTransaction signed by the
 * in-memory wallet (its PromiEvent: transactionHash, then the receipt it polls for),
 * Contract.deploy().send(), methods.x().call()/.send(), eth.getPastLogs decoded with
 * eth.abi.decodeLog, eth.subscribe('newBlockHeaders') and contract.events.Transfer() (WS
 * only: web3 has no subscriptions over HTTP), ContractExecutionError revert decoding.
 */
import t from 'tap'
import { Web3, HttpProvider, WebSocketProvider, type Contract } from 'web3'
import {
  ACCOUNTS_HTTP,
  ACCOUNTS_WS,
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

const node = await startScenarioNode(t)

/** web3's PromiEvent: resolves to the receipt, emits the hash first */
interface PromiEventLike<R> extends Promise<R> {
  on(event: 'transactionHash', cb: (hash: string) => void): this
  on(event: 'error', cb: (e: unknown) => void): this
}

function web3Adapter(web3: Web3, name: string, transport: 'http' | 'ws'): ClientAdapter {
  let abi: any[] = []
  let transferTopic = ''
  /** the receipt promise of every transaction this adapter sent, by hash */
  const receipts = new Map<string, Promise<any>>()
  const addKey = (k: DevKey) => {
    if (web3.eth.accounts.wallet.get(k.address) === undefined) web3.eth.accounts.wallet.add(k.privateKey)
  }
  const contract = (address: string) => new web3.eth.Contract(abi, address) as Contract<any>

  /** hands out the hash as soon as web3 has it; its receipt promise is kept for waitReceipt */
  function track(pe: PromiEventLike<any>): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      pe.on('transactionHash', (hash) => {
        receipts.set(hash, pe)
        resolve(hash)
      })
      pe.then(undefined, reject) // before a hash: the send itself failed
    })
  }

  const decodeTransfer = (log: any): TransferEvent => {
    const inputs = abi.find((x) => x.type === 'event' && x.name === 'Transfer').inputs
    const d = web3.eth.abi.decodeLog(inputs, log.data, log.topics.slice(1)) as any
    return {
      from: d.from,
      to: d.to,
      value: BigInt(d.value),
      transactionHash: log.transactionHash,
      blockNumber: BigInt(log.blockNumber),
    }
  }

  return {
    name,
    transport,
    chainId: () => web3.eth.getChainId(),
    blockNumber: () => web3.eth.getBlockNumber(),
    balance: (address, block) => web3.eth.getBalance(address, block ?? 'latest'),
    async fees() {
      const f = await web3.eth.calculateFeeData()
      if (f.maxFeePerGas === undefined || f.maxPriorityFeePerGas === undefined) throw new Error('web3 found no EIP-1559 fee data')
      return { maxFeePerGas: BigInt(f.maxFeePerGas), maxPriorityFeePerGas: BigInt(f.maxPriorityFeePerGas) }
    },
    sendTransfer(from, to, value) {
      addKey(from)
      return track(web3.eth.sendTransaction({ from: from.address, to, value }) as any)
    },
    async waitReceipt(hash): Promise<MinedReceipt> {
      const pending = receipts.get(hash)
      if (pending === undefined) throw new Error(`${hash} was not sent by this adapter`)
      const r = await pending
      return {
        status: BigInt(r.status) === 1n ? 'success' : 'reverted',
        blockNumber: BigInt(r.blockNumber),
        gasUsed: BigInt(r.gasUsed),
        effectiveGasPrice: BigInt(r.effectiveGasPrice),
        contractAddress: r.contractAddress ?? null,
        logCount: r.logs.length,
      }
    },
    async deployToken(from, tokenAbi, bytecode) {
      abi = tokenAbi as any[]
      transferTopic = web3.eth.abi.encodeEventSignature('Transfer(address,address,uint256)')
      addKey(from)
      let hash = ''
      const deployed = await (new web3.eth.Contract(abi) as Contract<any>)
        .deploy({ data: bytecode, arguments: [TOKEN_NAME, TOKEN_SYMBOL, TOKEN_SUPPLY] } as any)
        .send({ from: from.address })
        .on('transactionHash', (h: string | Uint8Array) => {
          hash = typeof h === 'string' ? h : '0x' + Buffer.from(h).toString('hex')
        })
      return { address: deployed.options.address!, hash }
    },
    tokenName: (address) => contract(address).methods.name!().call() as Promise<string>,
    async tokenBalance(address, holder) {
      return BigInt(await (contract(address).methods.balanceOf!(holder).call() as Promise<bigint>))
    },
    tokenTransfer(from, address, to, amount) {
      addKey(from)
      return track(contract(address).methods.transfer!(to, amount).send({ from: from.address }) as any)
    },
    async transferLogs(address, fromBlock, toBlock) {
      const logs = await web3.eth.getPastLogs({ address, topics: [transferTopic], fromBlock, toBlock })
      return logs.map(decodeTransfer)
    },
    ...(transport === 'ws'
      ? {
          async watchBlocks(onBlock: (n: bigint) => void, onError: (e: unknown) => void) {
            const sub = await web3.eth.subscribe('newBlockHeaders')
            sub.on('data', (h: any) => onBlock(BigInt(h.number)))
            sub.on('error', onError)
            return () => sub.unsubscribe()
          },
          async watchTransfers(address: string, onEvent: (e: TransferEvent) => void, onError: (e: unknown) => void) {
            const sub = contract(address).events.Transfer!()
            sub.on('data', (ev: any) =>
              onEvent({
                from: ev.returnValues.from,
                to: ev.returnValues.to,
                value: BigInt(ev.returnValues.value),
                transactionHash: ev.transactionHash,
                blockNumber: BigInt(ev.blockNumber),
              }),
            )
            sub.on('error', onError)
            // the subscription is made asynchronously: wait for eth_subscribe's answer
            await new Promise<void>((resolve, reject) => {
              sub.once('connected', () => resolve())
              sub.once('error', reject)
            })
            return () => sub.unsubscribe()
          },
        }
      : {}),
    async revertReason(from, address, to, amount) {
      try {
        await contract(address).methods.transfer!(to, amount).call({ from: from.address })
      } catch (e) {
        const cause = (e as { cause?: { errorArgs?: { message?: string }; message?: string } }).cause
        if (cause?.errorArgs?.message !== undefined) return cause.errorArgs.message
        throw e
      }
      throw new Error('the call did not revert')
    },
    async sendWithNonce(from, nonce) {
      addKey(from)
      try {
        await web3.eth.sendTransaction({ from: from.address, to: from.address, value: 1n, nonce })
      } catch (e) {
        const err = e as { name?: string; message: string; cause?: { message?: string } }
        return { kind: err.name ?? 'unclassified', message: err.cause?.message ?? err.message }
      }
      throw new Error('a reused nonce was accepted')
    },
    nonceTooLowKind: 'InvalidResponseError',
    async close() {
      if (transport === 'ws') web3.provider && (web3.currentProvider as WebSocketProvider).disconnect()
    },
  }
}

await t.test('web3.js v4 HttpProvider', (t) =>
  runScenario(t, node, () => web3Adapter(new Web3(new HttpProvider(node.url)), 'web3 HttpProvider', 'http'), ACCOUNTS_HTTP),
)

await t.test('web3.js v4 WebSocketProvider', (t) =>
  runScenario(
    t,
    node,
    () => web3Adapter(new Web3(new WebSocketProvider(node.wsUrl, {}, { autoReconnect: false })), 'web3 WebSocketProvider', 'ws'),
    ACCOUNTS_WS,
  ),
)
