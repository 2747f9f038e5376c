/**
 * Helpers of the PoVF end-to-end tests: wait for a head that satisfies a check (on chain
 * events, no sleeps), send a signed transaction from a dev key over RPC, sign receipts, and
 * expect a flow_submitReceipt refusal.
 */
import type { Test } from 'tap'
import { Wallet } from 'ethers'
import type { Node } from '../../src/node/node.js'
import { receiptToJson, signReceipt, type FlowReceipt, type ReceiptJson } from '../../src/flow/receipt.js'
import { RpcCallError } from './inProcessNode.js'

/** a node in this process and a JSON-RPC caller to it (throws RpcCallError on an error answer) */
export interface RpcNode {
  node: Node
  rpc(method: string, params?: unknown[]): Promise<any>
}

export const hex = (n: bigint) => '0x' + n.toString(16)
export const toHex = (b: Uint8Array) => '0x' + Buffer.from(b).toString('hex')

/** resolves with the first value `check` gives, checked now and at every new canonical block */
export function untilHead<T>(n: RpcNode, check: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const chain = n.node.chain
    let busy = false
    let again = false
    const done = (f: () => void) => {
      clearTimeout(timer)
      chain.off('block', onBlock)
      f()
    }
    const timer = setTimeout(() => done(() => reject(new Error(`timed out waiting for ${what}`))), timeoutMs)
    const onBlock = () => {
      if (busy) {
        again = true
        return
      }
      busy = true
      check().then(
        (v) => {
          busy = false
          if (v !== undefined) return done(() => resolve(v))
          if (again) {
            again = false
            onBlock()
          }
        },
        (e) => done(() => reject(e)),
      )
    }
    chain.on('block', onBlock)
    onBlock()
  })
}

/** a signed EIP-1559 transaction from a dev key, sent over RPC; resolves with its receipt */
export async function send(n: RpcNode, key: Uint8Array, to: string, data: string, value = 0n, chainId = 2100) {
  const hash = await sendTx(n, key, to, data, value, chainId)
  return untilHead(n, async () => (await n.rpc('eth_getTransactionReceipt', [hash])) ?? undefined, `receipt of ${hash}`)
}

/** the same, into the pool only: resolves with its hash (for tests that make the blocks themselves) */
export async function sendTx(n: Pick<RpcNode, 'rpc'>, key: Uint8Array, to: string, data: string, value = 0n, chainId = 2100): Promise<string> {
  const wallet = new Wallet(toHex(key))
  const from = wallet.address.toLowerCase()
  const gas = BigInt(await n.rpc('eth_estimateGas', [{ from, to, value: hex(value), data }]))
  const baseFee = BigInt((await n.rpc('eth_getBlockByNumber', ['latest', false])).baseFeePerGas)
  const tip = BigInt(await n.rpc('eth_maxPriorityFeePerGas'))
  const raw = await wallet.signTransaction({
    type: 2,
    chainId,
    nonce: Number(await n.rpc('eth_getTransactionCount', [from, 'pending'])),
    to,
    value,
    data,
    gasLimit: (gas * 3n) / 2n,
    maxPriorityFeePerGas: tip,
    maxFeePerGas: 4n * baseFee + tip,
  })
  return n.rpc('eth_sendRawTransaction', [raw])
}

/** the receipt's JSON form, signed by both sides */
export function signedJson(r: FlowReceipt, consumerKey: Uint8Array, providerKey: Uint8Array): ReceiptJson {
  return receiptToJson({ ...r, consumerSignature: signReceipt(r, consumerKey), providerSignature: signReceipt(r, providerKey) })
}

/** flow_submitReceipt must refuse `receipt` with -32000 "receipt rejected: …" and data.code */
export async function rejection(t: Test, n: RpcNode, receipt: unknown, code: string, what: string): Promise<void> {
  try {
    await n.rpc('flow_submitReceipt', [receipt])
    t.fail(`${what}: accepted`)
  } catch (e) {
    if (!(e instanceof RpcCallError)) throw e
    t.equal(e.error.code, -32000, `${what}: -32000`)
    t.match(e.error.message, /^receipt rejected: /, `${what}: message`)
    t.same(e.error.data, { code }, `${what}: ${code}`)
  }
}

/** the first head at which the flow cycle is above `after` */
export function nextCycle(n: RpcNode, after: bigint): Promise<bigint> {
  return untilHead(
    n,
    async () => {
      const c = BigInt((await n.rpc('flow_getStats')).cycle)
      return c > after ? c : undefined
    },
    `a flow cycle after ${after}`,
  )
}

/**
 * flow_getSideChain once the node's flow service has followed the head into `cycle` (the service
 * runs after the block is imported, so right after a new cycle's first block it can still report
 * the previous one)
 */
export function sideChainOf(n: RpcNode, cycle: bigint): Promise<any> {
  return untilHead(
    n,
    async () => {
      const side = await n.rpc('flow_getSideChain')
      return BigInt(side.cycle) === cycle ? side : undefined
    },
    `the flow service in cycle ${cycle}`,
  )
}

/** the checkpoint of `cycle` once it is applied */
export function untilApplied(n: RpcNode, cycle: bigint, timeoutMs = 60_000): Promise<any> {
  return untilHead(
    n,
    async () => {
      const cp = await n.rpc('flow_getCheckpoint', [hex(cycle)])
      return cp !== null && cp.status === 'applied' ? cp : undefined
    },
    `the checkpoint of cycle ${cycle} applied`,
    timeoutMs,
  )
}
