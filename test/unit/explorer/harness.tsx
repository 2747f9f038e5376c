/**
 * Shared by the explorer's view tests: a real in-process dev node with a few real transactions
 * on it, the App rendered with ink-testing-library against its RPC URL, and waiting for a frame
 * (polling lastFrame() with a deadline — never a fixed sleep as the assertion).
 */
import type { Test } from 'tap'
import { render } from 'ink-testing-library'
import { Interface, Wallet } from 'ethers'
import stakingAbi from '../../../src/execution/system/abi/IStaking.json' with { type: 'json' }
import { App, type AppProps } from '../../../src/explorer/app.js'
import { DEV_ACCOUNTS } from '../../../src/node/devAccounts.js'
import { devAddress, probeContract, startNode, type InProcessNode } from '../../helpers/inProcessNode.js'
import { waitFor } from '../../helpers/nodeProcess.js'
import { SYSTEM_CONTRACTS } from '../../../src/chain/systemAddresses.js'

export const GWEI = 1_000_000_000n
export const NFC = 10n ** 18n
export const staking = new Interface(stakingAbi as never)

export const KEY = {
  enter: '\r',
  esc: '\u001B',
  up: '\u001B[A',
  down: '\u001B[B',
  right: '\u001B[C',
  left: '\u001B[D',
  tab: '\t',
  backspace: '\u007F',
}

/** Signs and sends a legacy transaction from dev account `from`; returns its hash. */
export async function send(n: InProcessNode, from: number, tx: { to?: string; value?: bigint; data?: string; gasLimit?: bigint }): Promise<string> {
  const acct = DEV_ACCOUNTS[from]!
  const wallet = new Wallet(acct.privateKey)
  const nonce = Number(await n.rpc('eth_getTransactionCount', [acct.address, 'pending']))
  const raw = await wallet.signTransaction({
    type: 0,
    chainId: 2100,
    nonce,
    to: tx.to ?? null,
    value: tx.value ?? 0n,
    data: tx.data ?? '0x',
    gasLimit: tx.gasLimit ?? 21_000n,
    gasPrice: 2n * GWEI,
  })
  return n.rpc('eth_sendRawTransaction', [raw])
}

export interface Chain {
  n: InProcessNode
  /** block 2: a 1.5 NFC transfer 0 → 1 */
  transfer: string
  transferBlock: number
}

/** A dev node with block 1 empty and block 2 holding one transfer from account 0 to account 1. */
export async function chainWithTransfer(t: Test): Promise<Chain> {
  const n = await startNode(t)
  await n.produceBlock()
  const transfer = await send(n, 0, { to: devAddress(1), value: 15n * 10n ** 17n })
  const built = await n.produceBlock()
  t.equal(built.rejected.length, 0, 'the transfer is in block 2')
  return { n, transfer, transferBlock: 2 }
}

/** Adds a Staking.vote (account 2 → witness), a deployed Probe, a Probe.store and a failing Probe.fail. */
export async function addContractTxs(n: InProcessNode): Promise<{ vote: string; probe: string; store: string; fail: string; block: number }> {
  const probe = probeContract()
  const witness = devAddress(0)
  const vote = await send(n, 2, {
    to: SYSTEM_CONTRACTS.staking,
    value: 1000n * NFC,
    data: staking.encodeFunctionData('vote', [witness, 1000n * NFC]),
    gasLimit: 200_000n,
  })
  const deploy = await send(n, 3, { data: '0x' + Buffer.from(probe.bytecode).toString('hex'), gasLimit: 1_000_000n })
  await n.produceBlock()
  const receipt = await n.rpc('eth_getTransactionReceipt', [deploy])
  const address = receipt.contractAddress as string
  const iface = new Interface(probe.abi as never)
  const store = await send(n, 3, { to: address, data: iface.encodeFunctionData('store', [77n]), gasLimit: 200_000n })
  const fail = await send(n, 3, { to: address, data: iface.encodeFunctionData('fail', ['no way']), gasLimit: 200_000n })
  await n.produceBlock()
  const block = Number(BigInt((await n.rpc('eth_getTransactionReceipt', [fail])).blockNumber))
  return { vote, probe: address, store, fail, block }
}

export type Rendered = ReturnType<typeof render>

/** Renders <App> and unmounts it at teardown. */
export function renderApp(t: Test, props: AppProps): Rendered {
  const r = render(<App {...props} />)
  t.teardown(() => r.unmount())
  return r
}

/** Strips ANSI styling so assertions read the text. */
export const plain = (s: string | undefined): string => (s ?? '').replace(/\u001B\[[0-9;?]*[A-Za-z]/g, '')

/** Resolves with the first frame that matches (all of) `want`; fails with the last frame after `timeoutMs`. */
export async function waitFrame(r: Rendered, want: RegExp | string | (RegExp | string)[], timeoutMs = 20_000): Promise<string> {
  const wants = Array.isArray(want) ? want : [want]
  const ok = (f: string) => wants.every((w) => (typeof w === 'string' ? f.includes(w) : w.test(f)))
  const frame = () => {
    const f = plain(r.lastFrame())
    return ok(f) ? f : undefined
  }
  return waitFor(frame, timeoutMs, wants.map(String).join(' & '), 25).catch((e: Error) => {
    throw new Error(`${e.message}; last frame:\n${plain(r.lastFrame())}`)
  })
}

/** Writes keys one at a time, letting Ink handle each (the stdin stub delivers synchronously). */
export async function press(r: Rendered, ...keys: string[]): Promise<void> {
  for (const k of keys) {
    r.stdin.write(k)
    await new Promise((res) => setImmediate(res))
  }
}

/** Types text into the search prompt and submits it. */
export async function search(r: Rendered, text: string): Promise<void> {
  await press(r, '/')
  await waitFrame(r, 'search:')
  for (const ch of text) await press(r, ch)
  await waitFrame(r, text.slice(-8))
  await press(r, KEY.enter)
}

export { devAddress }
