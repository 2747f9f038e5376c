/**
 * eth_createAccessList: runs the request like eth_call (runTx from an impersonated sender on a
 * private state view, nonce and balance unchecked) with ethereumjs' `reportAccessList`, and
 * repeats with the list found until it stops changing — an access list changes gas and so can
 * change the path taken, which is why geth iterates too.
 *
 * As geth's access-list tracer: the sender, the recipient (or the created contract) and the
 * precompiles are left out unless storage slots of theirs were touched (slots are always kept);
 * what the caller passed in `accessList` stays in the result; a revert or EVM error is not an
 * RPC error but the `error` field next to the list and the gas used.
 */
import type { AccessList } from '@ethereumjs/tx'
import { Address, createContractAddress } from '@ethereumjs/util'
import { getActivePrecompiles } from '@ethereumjs/evm'
import { createNodeVm } from './vmFactory.js'
import { runTx } from '@ethereumjs/vm'
import { NfcError } from '../util/errors.js'
import { evmBlock } from './blockExecutor.js'
import { CALL_RUN_OPTS, callTransaction, gethWording, type CallEnv, type CallRequest } from './call.js'
import { ExecErrorCode } from './errors.js'

export interface AccessListOutcome {
  accessList: { address: `0x${string}`; storageKeys: `0x${string}`[] }[]
  gasUsed: bigint
  /** geth's vm error text: "execution reverted", "out of gas", … */
  error?: string
}

/** geth gives up after this many rounds as well (it loops until stable; we bound it). */
const MAX_ROUNDS = 16

/** ethereumjs' EVM error names → geth's vm error strings where they differ. */
function gethVmError(error: string): string {
  if (error === 'revert') return 'execution reverted'
  return error
}

/**
 * @param nonce the sender's nonce for a contract creation's address (default: its state nonce)
 */
export async function createAccessList(env: CallEnv, req: CallRequest, nonce?: bigint): Promise<AccessListOutcome> {
  const { common, ctx } = env
  const from = new Address(req.from ?? new Uint8Array(20))
  const gasLimit = req.gas ?? ctx.gasLimit

  let to: Address
  if (req.to) to = new Address(req.to)
  else {
    const n = nonce ?? (await (await env.freshState()).getAccount(from))?.nonce ?? 0n
    to = createContractAddress(from, n)
  }
  const excluded = new Set<string>([from.toString(), to.toString()])
  for (const key of getActivePrecompiles(common).keys()) excluded.add('0x' + key)

  let list = normalise(req.accessList ?? [], excluded)
  for (let round = 0; ; round++) {
    const tx = callTransaction(req, ctx, gasLimit, common, list)
    const vm = await createNodeVm({ common, stateManager: await env.freshState(), blockchain: env.blockchain, dpos: env.dpos })
    let result
    try {
      result = await runTx(vm, { tx, block: evmBlock(ctx, common), ...CALL_RUN_OPTS, reportAccessList: true })
    } catch (e) {
      throw new NfcError(ExecErrorCode.CallFailed, gethWording((e as Error).message))
    }
    const found = normalise(result.accessList ?? [], excluded)
    const err = result.execResult.exceptionError
    if (sameList(found, list) || round + 1 >= MAX_ROUNDS) {
      const out: AccessListOutcome = { accessList: found, gasUsed: result.totalGasSpent }
      if (err !== undefined) out.error = gethVmError(err.error)
      return out
    }
    list = found
  }
}

/** Lowercase, duplicates merged, excluded addresses without slots dropped; first-seen order. */
function normalise(list: AccessList, excluded: ReadonlySet<string>): AccessListOutcome['accessList'] {
  const byAddress = new Map<string, Set<string>>()
  for (const item of list) {
    const address = item.address.toLowerCase()
    let slots = byAddress.get(address)
    if (slots === undefined) byAddress.set(address, (slots = new Set()))
    for (const key of item.storageKeys) slots.add(key.toLowerCase())
  }
  const out: AccessListOutcome['accessList'] = []
  for (const [address, slots] of byAddress) {
    if (slots.size === 0 && excluded.has(address)) continue
    out.push({ address: address as `0x${string}`, storageKeys: [...slots] as `0x${string}`[] })
  }
  return out
}

function sameList(a: AccessListOutcome['accessList'], b: AccessListOutcome['accessList']): boolean {
  if (a.length !== b.length) return false
  const bm = new Map(b.map((x) => [x.address, new Set(x.storageKeys)]))
  for (const x of a) {
    const slots = bm.get(x.address)
    if (slots === undefined || slots.size !== x.storageKeys.length) return false
    for (const k of x.storageKeys) if (!slots.has(k)) return false
  }
  return true
}
