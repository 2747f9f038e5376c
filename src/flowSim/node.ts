/**
 * What the traffic simulator (`nfc flow simulate`) and its cheats share: the node's JSON-RPC, the
 * system contracts' ABIs, the simulated parties (keys derived from the run's seed) and sessions,
 * and waiting for a batch of transactions.
 */
import { JsonRpcProvider, Wallet, keccak256 as keccakHex, type InterfaceAbi, type TransactionResponse } from 'ethers'
import type { SignedReceipt } from '../flow/receipt.js'
import { bytesOfHexLoose } from '../util/bytes.js'
import { systemAbiJson } from '../util/systemAbi.js'
import { Rpc, RpcFailure } from '../util/jsonRpc.js'
import type { Stream } from '../flow/sampledStream.js'

/** A system contract's ABI as shipped in src/execution/system/abi (`IName.json`). */
export function abi(name: string): InterfaceAbi {
  return systemAbiJson(name) as InterfaceAbi
}

export const hexToBytes = bytesOfHexLoose

export { Rpc, RpcFailure }

/** A simulated key: its wallet on the node, the raw key (receipt signatures) and its address (lowercase). */
export interface Party {
  wallet: Wallet
  key: Uint8Array
  address: string
}

/** A consumer–provider session: its streams, running totals and receipt chain. */
export interface Session {
  id: Uint8Array
  consumer: Party
  provider: Party
  down: Stream
  up: Stream
  seq: bigint
  bytesUp: bigint
  bytesDown: bigint
  prevHash: Uint8Array
  last: SignedReceipt | null
  /** seq → how many sampled slices its receipt's sampleRoot commits to (what an opening of it needs) */
  sliceCounts: Map<bigint, number>
}

export function party(key: string, provider: JsonRpcProvider): Party {
  const wallet = new Wallet(key, provider)
  return { wallet, key: hexToBytes(key), address: wallet.address.toLowerCase() }
}

/** The run's key number `i` of `role`, from its seed. */
export function deriveKey(seed: number, role: string, i: number): string {
  return keccakHex(Buffer.from(`nfc-flow-sim:${seed}:${role}:${i}`))
}

/** Waits until every transaction of the batch is mined, with progress; throws on a failed one. */
export async function waitAll(txs: Promise<TransactionResponse>[], what: string, progress: (s: string) => void): Promise<void> {
  const sent = await Promise.all(txs)
  let done = 0
  await Promise.all(
    sent.map(async (tx) => {
      const r = await tx.wait()
      if (r === null || r.status !== 1) throw new Error(`${what}: transaction ${tx.hash} failed`)
      progress(`${what}: ${++done}/${sent.length} mined`)
    }),
  )
}

/** The rejection reason of a failed flow_submitReceipt (its error code when the node sent one). */
export function reasonOf(e: unknown): string {
  if (e instanceof RpcFailure) {
    const code = (e.data as { code?: string } | undefined)?.code
    return code ?? e.message.replace(/^receipt rejected: /, '')
  }
  return (e as Error).message
}
