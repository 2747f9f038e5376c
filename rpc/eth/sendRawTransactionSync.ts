/**
 * eth_sendRawTransactionSync(bytes, timeoutMs?) — EIP-7966: sends like eth_sendRawTransaction, then
 * waits for the transaction's block and returns its receipt exactly as eth_getTransactionReceipt
 * does (it is that method's answer).
 *
 * The wait is event-driven: one `block` listener per chain serves every waiting call (a map from
 * tx hash to waiters), so a thousand waiting wallets cost one listener, not a thousand, and no
 * call polls. Timeout: the caller's (ms, a number or hex quantity), cut to `txSyncMaxTimeoutMs`
 * (default 60 s); absent, zero or unreadable → `txSyncDefaultTimeoutMs` (default 2 s), as the EIP
 * says an invalid timeout falls back to the node's default. On timeout: error code 4 with the tx
 * hash as data; a transaction pooled behind a nonce gap (it cannot be mined before the gap fills)
 * is answered at once with code 5 and the hash, as the EIP recommends.
 */
import { bytesToHex } from '@ethereumjs/util'
import { rpcDefaults } from '../config.js'
import { RpcErrorCode, rpcError } from '../errors.js'
import { data, defineMethod, optional, quantityAsNumber, required, type Validator } from '../params.js'
import type { ChainApi, NewBlockEvent } from '../../src/node/interface.js'
import { eth_getTransactionReceipt } from './getTransactionReceipt.js'

/** EIP-7966: an invalid timeout is not an error, it means "the node's default" (undefined here). */
const timeoutMs: Validator<number | undefined> = (v) => {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v > 0 ? v : undefined
  try {
    const n = quantityAsNumber(v)
    return n > 0 ? n : undefined
  } catch {
    return undefined
  }
}

type Waiter = () => void

/** Per chain: tx hash (hex) → the calls waiting for its block, and the one `block` listener (on while any wait). */
interface Registry {
  waiters: Map<string, Set<Waiter>>
  onBlock: (ev: NewBlockEvent) => void
}
const registries = new WeakMap<ChainApi, Registry>()

function registryOf(chain: ChainApi): Registry {
  let reg = registries.get(chain)
  if (reg === undefined) {
    const waiters = new Map<string, Set<Waiter>>()
    const onBlock = (ev: NewBlockEvent) => {
      for (const tx of ev.block.transactions) {
        const set = waiters.get(bytesToHex(tx.hash()))
        if (set !== undefined) for (const w of [...set]) w()
      }
    }
    reg = { waiters, onBlock }
    registries.set(chain, reg)
  }
  return reg
}

/** Resolves true when a block with `txHash` joins the chain, false after `ms` or on cancel(). */
function waitForInclusion(chain: ChainApi, txHash: string, ms: number): { mined: Promise<boolean>; cancel(): void } {
  const reg = registryOf(chain)
  if (reg.waiters.size === 0) chain.on('block', reg.onBlock)
  let settle: (mined: boolean) => void = () => {}
  const mined = new Promise<boolean>((resolve) => (settle = resolve))
  const set = reg.waiters.get(txHash) ?? new Set<Waiter>()
  reg.waiters.set(txHash, set)
  let finished = false
  const finish = (ok: boolean) => {
    if (finished) return
    finished = true
    clearTimeout(timer)
    set.delete(waiter)
    if (set.size === 0) reg.waiters.delete(txHash)
    if (reg.waiters.size === 0) chain.off('block', reg.onBlock)
    settle(ok)
  }
  const waiter: Waiter = () => finish(true)
  const timer = setTimeout(() => finish(false), ms)
  set.add(waiter)
  return { mined, cancel: () => finish(false) }
}

export const eth_sendRawTransactionSync = defineMethod('eth_sendRawTransactionSync', [required(data), optional(timeoutMs)], async ([raw, asked], ctx) => {
  const node = ctx.node
  const max = ctx.limits?.txSyncMaxTimeoutMs ?? rpcDefaults.txSyncMaxTimeoutMs
  const ms = asked === undefined ? (ctx.limits?.txSyncDefaultTimeoutMs ?? rpcDefaults.txSyncDefaultTimeoutMs) : Math.min(asked, max)
  const receipt = (hash: string) => eth_getTransactionReceipt.handler(eth_getTransactionReceipt.params([hash]), ctx)

  const sent = await node.sendRawTransaction(raw)
  const hash = bytesToHex(sent)
  // listen before looking: a block that lands between the look and the listen is not missed
  const wait = waitForInclusion(node.chain, hash, ms)
  try {
    const now = await receipt(hash)
    if (now !== null) return now
    const pooled = node.txpool.get(sent)
    if (pooled !== undefined && pooled.nonce >= (await node.txpool.pendingNonce(pooled.getSenderAddress()))) {
      throw rpcError(RpcErrorCode.SyncNotReady, 'the transaction was added to the pool but cannot be mined yet: its nonce is past the next one of its sender', {
        hash,
      })
    }
    if (await wait.mined) {
      const got = await receipt(hash)
      if (got !== null) return got
    }
    throw rpcError(RpcErrorCode.SyncTimeout, `the transaction was added to the pool but was not mined within ${ms} ms`, { hash })
  } finally {
    wait.cancel()
  }
})
