/**
 * The one real-client scenario (issue 3, "Real clients"), written once and run by every
 * client library: ethers v6, viem and web3.js v4, over HTTP and over WebSocket, each against
 * a real `nfc node --dev` process.
 *
 * A client file implements `ClientAdapter` with that library's own idioms (its wallet, its
 * fee estimation, its receipt waiting, its contract objects, its event watching, its error
 * decoding) and hands it to `runScenario`, which runs the steps below as ordered subtests and
 * makes the same assertions for every client:
 *
 *   1. chain id                 2100 from the client's own network detection
 *   2. balances                 genesis balances of untouched accounts; a fresh address holds 0
 *   3. EIP-1559 fee estimation  the client's maxFeePerGas / maxPriorityFeePerGas cover the
 *                               latest base fee, the tip is what eth_maxPriorityFeePerGas says
 *   4. send and wait            a type-2 transfer with the client's default fees; the client's
 *                               own wait; exact balance deltas (value + gasUsed·effectivePrice)
 *   5. deploy the ERC-20        test/fixtures/contracts/Token.sol compiled with solc
 *   6. call and send            name/balanceOf calls, a transfer() send, balances after it
 *   7. events via getLogs       the mint and the transfer, decoded by the client
 *   8. events via subscriptions new heads (or the client's block polling over HTTP) and the
 *                               Transfer event of a new transfer, pushed to a watcher
 *   9. revert decoding          a static call / simulation that reverts: the client decodes
 *                               Error(string) into the contract's reason
 *  10. nonce errors             a reused nonce: "nonce too low" (geth's wording), and the
 *                               client's own classification of it
 *
 * Every wait is event-driven with a hard timeout (`within`), so a step the node cannot do yet
 * (subscriptions and filters are being wired in) fails fast with a clear message instead of
 * hanging the file.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type { Test } from 'tap'
import { DEV_ACCOUNTS } from '../../../src/node/devAccounts.js'
import { REPO_ROOT, rpc, startNode, tempDir, type NodeProcess } from '../../helpers/nodeProcess.js'

/**
 * solc-js ships no type declarations. Its emscripten loader installs process-wide
 * `unhandledRejection`/`uncaughtException` handlers that re-throw (killing the test process on
 * the first stray rejection inside a client library): those handlers are removed again.
 */
const solc = withoutNewProcessHandlers(() => createRequire(import.meta.url)('solc')) as { compile(input: string): string }

function withoutNewProcessHandlers<T>(load: () => T): T {
  const proc = process as unknown as NodeJS.EventEmitter
  const events = ['unhandledRejection', 'uncaughtException']
  const before = new Map(events.map((e) => [e, new Set(proc.listeners(e))]))
  try {
    return load()
  } finally {
    for (const e of events) {
      for (const l of proc.listeners(e)) if (!before.get(e)!.has(l)) proc.off(e, l as (...a: any[]) => void)
    }
  }
}

export const CHAIN_ID = 2100n
export const GWEI = 10n ** 9n
export const ETHER = 10n ** 18n
/** every dev account starts with 10,000 NFC (genesis/dev.json) */
export const GENESIS_BALANCE = 10_000n * ETHER
export const TRANSFER_GAS = 21_000n

export const TOKEN_NAME = 'Scenario Token'
export const TOKEN_SYMBOL = 'SCN'
export const TOKEN_SUPPLY = 1_000_000n * ETHER
export const TOKEN_AMOUNT = 1234n * ETHER + 5n * 10n ** 17n
export const REASON_BALANCE = 'Token: transfer amount exceeds balance'
export const REASON_ZERO = 'Token: transfer to the zero address'
export const ZERO_ADDRESS = '0x0000000000000000000000000000000000000000'

/** hard timeouts (ms): blocks come every second on the dev chain */
export const TIMEOUT = {
  call: 10_000,
  mined: 30_000,
  /** a pushed event or head; long enough for a few blocks on a loaded machine */
  push: 20_000,
} as const

export interface DevKey {
  index: number
  address: string
  privateKey: string
}

export const devKey = (i: number): DevKey => {
  const a = DEV_ACCOUNTS[i]
  if (a === undefined) throw new Error(`no dev account ${i}`)
  return { index: a.index, address: a.address, privateKey: a.privateKey }
}

/** A decoded ERC-20 Transfer event, whatever the client's own shape. */
export interface TransferEvent {
  from: string
  to: string
  value: bigint
  transactionHash: string
  blockNumber: bigint
}

/** A receipt reduced to what the scenario checks. */
export interface MinedReceipt {
  status: 'success' | 'reverted'
  blockNumber: bigint
  gasUsed: bigint
  effectiveGasPrice: bigint
  contractAddress?: string | null
  logCount: number
}

/** Stops a watcher; may be async. */
export type Unwatch = () => unknown

/**
 * What a client library must do for the scenario. Every method uses the library's own API
 * (no raw JSON-RPC), so the test measures what that library makes of the node's answers.
 */
export interface ClientAdapter {
  /** "ethers JsonRpcProvider", "viem webSocket", … */
  name: string
  transport: 'http' | 'ws'
  chainId(): Promise<bigint>
  blockNumber(): Promise<bigint>
  balance(address: string, block?: bigint): Promise<bigint>
  /** the client's EIP-1559 fee estimate */
  fees(): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }>
  /** a type-2 value transfer with the client's default fees, gas and nonce; returns the hash */
  sendTransfer(from: DevKey, to: string, value: bigint): Promise<string>
  /** the client's own "wait for the receipt" */
  waitReceipt(hash: string): Promise<MinedReceipt>
  /** deploys Token(name, symbol, supply) from `from` and waits for it */
  deployToken(from: DevKey, abi: readonly unknown[], bytecode: string): Promise<{ address: string; hash: string }>
  tokenName(token: string): Promise<string>
  tokenBalance(token: string, holder: string): Promise<bigint>
  /** token.transfer(to, amount) sent from `from`; returns the hash */
  tokenTransfer(from: DevKey, token: string, to: string, amount: bigint): Promise<string>
  /** Transfer events of `token` in [fromBlock, toBlock] through eth_getLogs, decoded */
  transferLogs(token: string, fromBlock: bigint, toBlock: bigint): Promise<TransferEvent[]>
  /**
   * Calls `onBlock` with each new head number (the client's newHeads subscription over WS, its
   * block polling over HTTP); undefined when the client cannot watch blocks on this transport.
   */
  watchBlocks?(onBlock: (n: bigint) => void, onError: (e: unknown) => void): Promise<Unwatch>
  /** Calls `onEvent` with each new Transfer event of `token` (eth_subscribe logs / filters). */
  watchTransfers?(token: string, onEvent: (e: TransferEvent) => void, onError: (e: unknown) => void): Promise<Unwatch>
  /**
   * Simulates token.transfer(to, amount) from `from` expecting a revert; returns the reason
   * the client decoded (or throws if the call did not revert).
   */
  revertReason(from: DevKey, token: string, to: string, amount: bigint): Promise<string>
  /**
   * Sends a transfer from `from` with an already used `nonce`, expecting a refusal; returns
   * the client's error message and its own classification of the error.
   */
  sendWithNonce(from: DevKey, nonce: number): Promise<{ message: string; kind: string }>
  /** the classification `sendWithNonce` must report for "nonce too low" */
  nonceTooLowKind: string
  close(): Promise<void> | void
}

// ------------------------------------------------------------------------- helpers

/** Rejects with "`what`: timed out after `ms` ms" unless `p` settles first. */
export function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms)
  })
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}

/** A promise with its resolve/reject exposed, for event callbacks. */
export function deferred<T>(): { promise: Promise<T>; resolve(v: T): void; reject(e: unknown): void } {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  // a rejection nobody awaits (the step already failed on a timeout) must not crash the file
  promise.catch(() => undefined)
  return { promise, resolve, reject }
}

/** A random address nobody holds a key for: its balance starts at 0 and only our transfers change it. */
export function freshAddress(): string {
  const bytes = new Uint8Array(20)
  crypto.getRandomValues(bytes)
  return '0x' + Buffer.from(bytes).toString('hex')
}

/** A watcher's error as an Error whose message says who failed and why (clients pass odd shapes). */
export function watchError(client: string, what: string, e: unknown): Error {
  const err = e as { shortMessage?: string; details?: string; message?: string; code?: unknown }
  const why = [err?.shortMessage ?? err?.message ?? String(e), err?.details, err?.code === undefined ? undefined : `code ${err.code}`]
    .filter((x) => x !== undefined && x !== '')
    .join('; ')
  return new Error(`${client}: ${what} reported an error: ${why}`)
}

export const sameAddress = (a: string | null | undefined, b: string | null | undefined) =>
  typeof a === 'string' && typeof b === 'string' && a.toLowerCase() === b.toLowerCase()

let compiled: { abi: any[]; bytecode: string } | undefined

/** Token.sol compiled with solc (cached for the file). */
export function compileToken(): { abi: any[]; bytecode: string } {
  if (compiled !== undefined) return compiled
  const source = readFileSync(join(REPO_ROOT, 'test/fixtures/contracts/Token.sol'), 'utf8')
  const input = {
    language: 'Solidity',
    sources: { 'Token.sol': { content: source } },
    settings: {
      evmVersion: 'cancun',
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
    },
  }
  const out = JSON.parse(solc.compile(JSON.stringify(input)))
  const errors = (out.errors ?? []).filter((e: { severity: string }) => e.severity === 'error')
  if (errors.length > 0) throw new Error(errors.map((e: { formattedMessage: string }) => e.formattedMessage).join('\n'))
  const c = out.contracts['Token.sol'].Token
  compiled = { abi: c.abi, bytecode: '0x' + c.evm.bytecode.object }
  return compiled
}

/**
 * Starts the file's node (one per client file) in a temp dir; the process is SIGKILLed and
 * the dir removed at teardown even if the tests fail.
 */
export async function startScenarioNode(t: Test): Promise<NodeProcess> {
  const datadir = tempDir(t, 'nfc-clients-')
  const node = await startNode({ datadir })
  t.teardown(() => node.kill('SIGKILL'))
  return node
}

// ------------------------------------------------------------------------- the scenario

/**
 * Which dev accounts a run uses: distinct per transport so that runs never share a nonce.
 * Account 0 is the dev witness (it earns fees), so it is never a sender whose balance is checked.
 */
export interface ScenarioAccounts {
  /** pays the value transfer (its balance delta is checked exactly) */
  payer: DevKey
  /** deploys the token and sends token transfers */
  deployer: DevKey
  /** never sends anything: holds no tokens (the revert case) */
  tokenless: DevKey
  /** a genesis account no run ever touches: its balance must be exactly the genesis balance */
  untouched: DevKey
}

export const ACCOUNTS_HTTP: ScenarioAccounts = {
  payer: devKey(1),
  deployer: devKey(2),
  tokenless: devKey(3),
  untouched: devKey(9),
}
export const ACCOUNTS_WS: ScenarioAccounts = {
  payer: devKey(4),
  deployer: devKey(5),
  tokenless: devKey(6),
  untouched: devKey(9),
}

/**
 * Runs the scenario as ordered subtests of `t` with a client made by `connect`. `node` is used
 * only for ground truth the client must agree with (raw eth_getBlockByNumber and friends).
 */
export async function runScenario(
  t: Test,
  node: NodeProcess,
  connect: () => Promise<ClientAdapter> | ClientAdapter,
  accounts: ScenarioAccounts,
): Promise<void> {
  const client = await within(TIMEOUT.call, 'connect', Promise.resolve(connect()))
  t.teardown(() => client.close())
  const { abi, bytecode } = compileToken()
  const state: { token?: string; deployBlock?: bigint; transferHash?: string; transferBlock?: bigint } = {}
  const recipient = freshAddress()
  const tokenRecipient = freshAddress()
  const c = <T>(what: string, p: Promise<T>, ms: number = TIMEOUT.call) => within(ms, `${client.name}: ${what}`, p)

  await t.test('chain id', async (t) => {
    t.equal(await c('chainId', client.chainId()), CHAIN_ID)
    t.ok((await c('blockNumber', client.blockNumber())) >= 0n)
  })

  await t.test('balances', async (t) => {
    t.equal(await c('balance', client.balance(accounts.untouched.address)), GENESIS_BALANCE, 'genesis balance')
    t.equal(await c('balance', client.balance(recipient)), 0n, 'a fresh address holds nothing')
    const head = await c('blockNumber', client.blockNumber())
    t.equal(await c('balance at 0', client.balance(accounts.untouched.address, 0n)), GENESIS_BALANCE, 'at block 0')
    t.equal(await c('balance at head', client.balance(accounts.untouched.address, head)), GENESIS_BALANCE, 'at the head')
  })

  await t.test('EIP-1559 fee estimation', async (t) => {
    // the oracle may move with a new block: the client's tip is the node's before or after
    const tipBefore = BigInt(await rpc(node.url, 'eth_maxPriorityFeePerGas'))
    const fees = await c('fees', client.fees())
    const tipAfter = BigInt(await rpc(node.url, 'eth_maxPriorityFeePerGas'))
    const latest = await rpc(node.url, 'eth_getBlockByNumber', ['latest', false])
    const baseFee = BigInt(latest.baseFeePerGas)
    t.ok(baseFee > 0n, 'the head has a base fee')
    t.ok(
      fees.maxPriorityFeePerGas === tipBefore || fees.maxPriorityFeePerGas === tipAfter,
      `the tip ${fees.maxPriorityFeePerGas} is the node’s eth_maxPriorityFeePerGas (${tipBefore}/${tipAfter})`,
    )
    t.ok(fees.maxPriorityFeePerGas > 0n, 'a non-zero tip')
    t.ok(fees.maxFeePerGas >= baseFee + fees.maxPriorityFeePerGas, `maxFee ${fees.maxFeePerGas} ≥ base ${baseFee} + tip`)
    // every client pads the base fee (ethers ×2, viem ×1.2, web3 ×2): never absurdly
    t.ok(fees.maxFeePerGas <= 4n * baseFee + fees.maxPriorityFeePerGas, 'maxFee is a sane multiple of the base fee')
  })

  await t.test('send and wait: exact balances', async (t) => {
    const value = 15n * 10n ** 17n
    const before = await c('balance', client.balance(accounts.payer.address))
    const hash = await c('sendTransfer', client.sendTransfer(accounts.payer, recipient, value))
    t.match(hash, /^0x[0-9a-f]{64}$/)
    const r = await c('waitReceipt', client.waitReceipt(hash), TIMEOUT.mined)
    t.equal(r.status, 'success')
    t.equal(r.gasUsed, TRANSFER_GAS)
    const block = await rpc(node.url, 'eth_getBlockByNumber', ['0x' + r.blockNumber.toString(16), true])
    const baseFee = BigInt(block.baseFeePerGas)
    const tx = block.transactions.find((x: { hash: string }) => x.hash === hash)
    t.ok(tx, 'the tx is in its block')
    t.equal(tx?.type, '0x2', 'the client sent an EIP-1559 transaction')
    const cap = BigInt(tx.maxFeePerGas)
    const tip = BigInt(tx.maxPriorityFeePerGas)
    t.equal(r.effectiveGasPrice, baseFee + tip < cap ? baseFee + tip : cap, 'effective price = min(cap, base + tip)')
    t.equal(await c('balance', client.balance(recipient)), value, 'the recipient got the value')
    const after = await c('balance', client.balance(accounts.payer.address, r.blockNumber))
    const prior = await c('balance', client.balance(accounts.payer.address, r.blockNumber - 1n))
    t.equal(prior, before, 'nothing else moved the payer')
    t.equal(prior - after, value + r.gasUsed * r.effectiveGasPrice, 'the payer paid value + gasUsed·effectiveGasPrice')
  })

  await t.test('deploy the ERC-20', async (t) => {
    const { address, hash } = await c('deployToken', client.deployToken(accounts.deployer, abi, bytecode), TIMEOUT.mined)
    t.match(address, /^0x[0-9a-fA-F]{40}$/)
    const receipt = await rpc(node.url, 'eth_getTransactionReceipt', [hash])
    t.equal(receipt?.status, '0x1')
    t.ok(sameAddress(receipt?.contractAddress, address), 'receipt.contractAddress')
    const code = await rpc(node.url, 'eth_getCode', [address, 'latest'])
    t.ok(code.length > 2, 'code is stored')
    state.token = address
    state.deployBlock = BigInt(receipt.blockNumber)
  })

  await t.test('call and send', async (t) => {
    const token = state.token
    if (token === undefined) return t.fail('no token (deploy failed)')
    t.equal(await c('name()', client.tokenName(token)), TOKEN_NAME)
    t.equal(await c('balanceOf()', client.tokenBalance(token, accounts.deployer.address)), TOKEN_SUPPLY)
    const hash = await c('token transfer', client.tokenTransfer(accounts.deployer, token, tokenRecipient, TOKEN_AMOUNT))
    const r = await c('waitReceipt', client.waitReceipt(hash), TIMEOUT.mined)
    t.equal(r.status, 'success')
    t.equal(r.logCount, 1, 'one Transfer log')
    t.equal(await c('balanceOf()', client.tokenBalance(token, tokenRecipient)), TOKEN_AMOUNT)
    t.equal(await c('balanceOf()', client.tokenBalance(token, accounts.deployer.address)), TOKEN_SUPPLY - TOKEN_AMOUNT)
    state.transferHash = hash
    state.transferBlock = r.blockNumber
  })

  await t.test('events through eth_getLogs', async (t) => {
    const { token, deployBlock, transferBlock, transferHash } = state
    if (token === undefined || deployBlock === undefined || transferBlock === undefined) return t.fail('no token transfer')
    const logs = await c('transferLogs', client.transferLogs(token, deployBlock, transferBlock))
    t.equal(logs.length, 2, 'the mint and the transfer')
    const [mint, sent] = logs
    t.ok(sameAddress(mint?.from, ZERO_ADDRESS), 'mint from 0')
    t.ok(sameAddress(mint?.to, accounts.deployer.address), 'mint to the deployer')
    t.equal(mint?.value, TOKEN_SUPPLY)
    t.equal(mint?.blockNumber, deployBlock)
    t.ok(sameAddress(sent?.from, accounts.deployer.address))
    t.ok(sameAddress(sent?.to, tokenRecipient))
    t.equal(sent?.value, TOKEN_AMOUNT)
    t.equal(sent?.transactionHash, transferHash)
    t.equal(sent?.blockNumber, transferBlock)
    // a range without the token's activity is empty
    t.same(await c('transferLogs (empty)', client.transferLogs(token, 0n, deployBlock - 1n)), [])
  })

  await t.test('new heads through a subscription (or block polling)', async (t) => {
    if (client.watchBlocks === undefined) return t.skip(`${client.name} cannot watch blocks`, () => undefined)
    const seen: bigint[] = []
    const two = deferred<void>()
    const unwatch = await c(
      'watchBlocks',
      client.watchBlocks(
        (n) => {
          seen.push(n)
          if (seen.length >= 2) two.resolve()
        },
        (e) => two.reject(watchError(client.name, 'watchBlocks', e)),
      ),
    )
    try {
      await within(TIMEOUT.push, `${client.name}: two new heads`, two.promise)
    } finally {
      await unwatch()
    }
    t.ok(seen[1]! > seen[0]!, `heads increase: ${seen.join(', ')}`)
    const head = await c('blockNumber', client.blockNumber())
    t.ok(head >= seen[1]!, 'the pushed head is real')
  })

  await t.test('events through a subscription (or filter)', async (t) => {
    const token = state.token
    if (client.watchTransfers === undefined) return t.skip(`${client.name} cannot watch events`, () => undefined)
    if (token === undefined) return t.fail('no token (deploy failed)')
    const to = freshAddress()
    const amount = 7n * ETHER
    const got = deferred<TransferEvent>()
    const unwatch = await c(
      'watchTransfers',
      client.watchTransfers(
        token,
        (e) => {
          if (sameAddress(e.to, to)) got.resolve(e)
        },
        (e) => got.reject(watchError(client.name, 'watchTransfers', e)),
      ),
    )
    try {
      const hash = await c('token transfer', client.tokenTransfer(accounts.deployer, token, to, amount))
      const ev = await within(TIMEOUT.push + TIMEOUT.mined, `${client.name}: the pushed Transfer event`, got.promise)
      t.equal(ev.transactionHash, hash)
      t.ok(sameAddress(ev.from, accounts.deployer.address))
      t.equal(ev.value, amount)
      const r = await c('waitReceipt', client.waitReceipt(hash), TIMEOUT.mined)
      t.equal(ev.blockNumber, r.blockNumber)
    } finally {
      await unwatch()
    }
  })

  await t.test('revert decoding', async (t) => {
    const token = state.token
    if (token === undefined) return t.fail('no token (deploy failed)')
    // tokenless holds no tokens at all
    t.equal(await c('revertReason', client.revertReason(accounts.tokenless, token, tokenRecipient, 1n)), REASON_BALANCE, 'no tokens at all')
    t.equal(await c('revertReason', client.revertReason(accounts.deployer, token, ZERO_ADDRESS, 1n)), REASON_ZERO, 'transfer to the zero address')
    t.equal(await c('revertReason', client.revertReason(accounts.deployer, token, tokenRecipient, TOKEN_SUPPLY * 2n)), REASON_BALANCE, 'more than the supply')
  })

  await t.test('nonce errors', async (t) => {
    // the payer sent one transaction (nonce 0): reusing it is "nonce too low"
    const res = await c('sendWithNonce', client.sendWithNonce(accounts.payer, 0))
    t.match(res.message, /nonce too low/, `message: ${res.message}`)
    t.equal(res.kind, client.nonceTooLowKind, 'the client classifies it')
    t.equal(await rpc(node.url, 'eth_getTransactionCount', [accounts.payer.address, 'pending']), '0x1', 'no nonce consumed')
  })
}
