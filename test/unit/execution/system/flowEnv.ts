/**
 * Fixture of the FlowRewards/Evidence flow tests: the system VM of test/helpers/systemVm.ts with
 * the traffic pool funded, RN nodes pledged, and the flow engine run at the start of every block
 * (`tx` = begin hook + one transaction per block, `emptyBlock` = begin hook only), plus real
 * signed receipts and committee-signed checkpoints. Defaults of DEFAULT_FLOW_CONFIG (CFG has no
 * `flow`): cycle 1 h, challenge window 1 h, committee 7, k = 3, L = 10^10 bytes, lock 30 d +
 * 180 d, fuel 0.01 NB/GB, NFC at 0.1 NB, cap ×1.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Account, Address, hexToBytes, type Address as AddressT } from '@ethereumjs/util'
import type { RunTxResult } from '@ethereumjs/vm'
import { Interface } from 'ethers'
import { core } from '../../../../src/core/index.js'
import { flowOf } from '../../../../src/consensus/dpos/engine.js'
import { flowBeginBlock, TRAFFIC_POOL_ACCOUNT, type FlowBeginResult } from '../../../../src/consensus/povf/engine.js'
import { NbStore } from '../../../../src/consensus/povf/nbStore.js'
import { FLOW_REWARDS, FlowStore } from '../../../../src/consensus/povf/store.js'
import { buildCheckpoint, encodeCheckpointCall, entryOfReceipt, signCheckpoint, type CheckpointEntry } from '../../../../src/flow/checkpoint.js'
import { RECEIPT_DOMAIN_TAG, signReceipt, type FlowReceipt, type SignedReceipt } from '../../../../src/flow/receipt.js'
import { devKey } from '../../../helpers/inProcessNode.js'
import { CFG, GENESIS_TIME, hexOf, NFC, outcome, registryIface, systemEnv, type SystemEnv } from '../../../helpers/systemVm.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const abiDir = path.resolve(here, '..', '..', '..', '..', 'src', 'execution', 'system', 'abi')

export const flowIface = new Interface(JSON.parse(fs.readFileSync(path.join(abiDir, 'IFlowRewards.json'), 'utf8')) as never)
export const evidenceIface2 = new Interface(JSON.parse(fs.readFileSync(path.join(abiDir, 'IEvidence.json'), 'utf8')) as never)

export const FLOW = flowOf(CFG)
export const CHAIN_ID = 2100n
export const DAY = 86_400_000n
/** dev accounts: 1–4 RN committee candidates, 5 consumer, 6 provider, 7 relay, 8 late RN, 9 submitter */
export const CONSUMER = 5
export const PROVIDER = 6
/** a relay on the path must be a pledged RN/CN node: dev 4, one of the RNs flowEnv pledges */
export const RELAY = 4

export interface FlowEnv extends SystemEnv {
  fs: FlowStore
  nb: NbStore
  /** runs the flow begin hook for the current block (env.number, env.timeMs) */
  begin(): Promise<FlowBeginResult>
  /** begin hook, then one transaction from dev account `from` (its own block) */
  tx(from: number, to: AddressT, data: string | Uint8Array): Promise<RunTxResult>
  /** a block without transactions */
  emptyBlock(): Promise<FlowBeginResult>
  /** moves the clock to `t` ms (whole seconds) */
  at(t: bigint): void
}

const parentHashOf = (n: bigint): Uint8Array => core.keccak256(new TextEncoder().encode(`block ${n}`))

export async function flowEnv(rns: number[] = [1, 2, 3, 4]): Promise<FlowEnv> {
  const env = (await systemEnv()) as FlowEnv
  await env.sm.putAccount(TRAFFIC_POOL_ACCOUNT, new Account(1n, 1_344_000_000n * NFC))
  env.fs = new FlowStore(env.sm)
  env.nb = new NbStore(env.sm)
  for (const i of rns) {
    const r = await env.send(i, new Address(hexToBytes('0x0000000000000000000000000000000000001001')), registryIface.encodeFunctionData('pledge', [1]), {
      value: CFG.rnPledge,
    })
    if (outcome(r) !== 'ok') throw new Error(`pledge ${i}: ${outcome(r)}`)
  }
  // the provider is an edge node (only pledged nodes earn traffic rewards)
  const en = await env.send(PROVIDER, new Address(hexToBytes('0x0000000000000000000000000000000000001001')), registryIface.encodeFunctionData('pledge', [3]), {
    value: FLOW.enPledge,
  })
  if (outcome(en) !== 'ok') throw new Error(`EN pledge of the provider: ${outcome(en)}`)
  env.begin = () =>
    flowBeginBlock(
      env.sm,
      {
        number: env.number,
        timestamp: env.timeMs,
        producer: '0x00000000000000000000000000000000000000fe',
        parentHash: parentHashOf(env.number - 1n),
        parentTimestamp: env.timeMs - 1_000n,
        confirmations: [],
      },
      CFG,
    )
  env.tx = async (from, to, data) => {
    await env.begin()
    return env.send(from, to, data)
  }
  env.emptyBlock = async () => {
    const r = await env.begin()
    env.number++
    return r
  }
  env.at = (t) => {
    if (t % 1_000n !== 0n || t < env.timeMs) throw new Error(`bad time ${t}`)
    env.timeMs = t
  }
  return env
}

/** the hash of block n as the flow engine sees it (the parent hash of block n + 1) */
export const blockHashOf = (n: bigint): Uint8Array => parentHashOf(n)

export const cycleStart = (c: bigint): bigint => GENESIS_TIME + c * FLOW.cycleMs

export function receipt(over: Partial<FlowReceipt> = {}, keys: { consumer?: Uint8Array; provider?: Uint8Array } = {}): SignedReceipt {
  const r: FlowReceipt = {
    domainTag: RECEIPT_DOMAIN_TAG,
    chainId: CHAIN_ID,
    sessionId: core.keccak256(new TextEncoder().encode('session 1')),
    consumer: hexOf(CONSUMER),
    provider: hexOf(PROVIDER),
    relays: [hexOf(RELAY)],
    seq: 1n,
    bytesUp: 10n ** 9n,
    bytesDown: 3n * 10n ** 9n,
    sampleRoot: new Uint8Array(32).fill(7),
    prevReceiptHash: new Uint8Array(32),
    cycle: 0n,
    expiryHeight: 1_000_000n,
    ...over,
  }
  return { ...r, consumerSignature: signReceipt(r, keys.consumer ?? devKey(CONSUMER)), providerSignature: signReceipt(r, keys.provider ?? devKey(PROVIDER)) }
}

export function entryOf(r: FlowReceipt, prevTotal = 0n, over: Partial<CheckpointEntry> = {}): CheckpointEntry {
  return { ...entryOfReceipt(r, prevTotal), ...over }
}

/** submitCheckpoint calldata of a checkpoint of `cycle` signed by the dev accounts `signers` */
export function checkpointData(cycle: bigint, prev: Uint8Array, entries: CheckpointEntry[], signers: number[], chainId = CHAIN_ID): string {
  const cp = buildCheckpoint({ cycle, prevCheckpoint: prev, entries })
  const sigs = signers.map((i) => signCheckpoint(cp, chainId, devKey(i)))
  return flowIface.encodeFunctionData('submitCheckpoint', [encodeCheckpointCall(cp, sigs)])
}

/** dev account index of an address */
export function devIndex(a: string): number {
  for (let i = 0; i < 10; i++) if (hexOf(i) === a.toLowerCase()) return i
  throw new Error(`not a dev account: ${a}`)
}

export { FLOW_REWARDS }
