/**
 * Test fixture: a real Node in this process, on a temp datadir with the dev genesis, JSON-RPC on
 * an ephemeral port. The slot producer is off (no witness key) unless asked for; `produceBlock()`
 * makes the next block at once, exactly as the producer would (pool selection, commit, pool
 * refresh), so tests never wait for the 1 s slot clock.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import { hexToBytes } from '@ethereumjs/util'
import { loadGenesisFile, type Genesis } from '../../src/chain/genesis.js'
import type { Node } from '../../src/node/node.js'
import { startNode as startFullNode } from '../../src/cli/start.js'
import { Blockchain, type BuiltBlock } from '../../src/node/blockchain.js'
import { openDatabase, type Db } from '../../src/chain/blockStore.js'
import { makeCommon } from '../../src/execution/common.js'
import { DEV_ACCOUNTS } from '../../src/node/devAccounts.js'
import { silentLogger, type Logger } from '../../src/util/logger.js'

const here = path.dirname(fileURLToPath(import.meta.url))
export const repoRoot = path.resolve(here, '..', '..')
export const devGenesisPath = path.join(repoRoot, 'genesis', 'dev.json')

/** The dev genesis with a fixed time (so block hashes are reproducible); `edit` may change it. */
export function devGenesis(edit?: (g: Genesis) => void): Genesis {
  const g = loadGenesisFile(devGenesisPath)
  g.timestamp = 1_700_000_000_000
  edit?.(g)
  return g
}

export const devKey = (i: number): Uint8Array => hexToBytes(DEV_ACCOUNTS[i]!.privateKey as `0x${string}`)
export const devAddress = (i: number): string => DEV_ACCOUNTS[i]!.address.toLowerCase()

/** A fresh temp directory, removed when `t` ends. */
export function tempDir(t: Test, prefix = 'nfc-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

export interface RpcError {
  code: number
  message: string
  data?: unknown
}

export class RpcCallError extends Error {
  constructor(readonly error: RpcError) {
    super(error.message)
  }
}

export interface InProcessNode {
  node: Node
  url: string
  wsUrl: string
  datadir: string
  genesis: Genesis
  /** the result, or throws RpcCallError with the JSON-RPC error */
  rpc(method: string, params?: unknown[]): Promise<any>
  /** the whole JSON-RPC response ({result} or {error}) */
  rpcRaw(method: string, params?: unknown[]): Promise<{ result?: any; error?: RpcError }>
  /** produce the next block now (timestamp one interval after the head unless given) */
  produceBlock(opts?: { key?: Uint8Array; timestamp?: bigint }): Promise<BuiltBlock>
  close(): Promise<void>
}

export interface StartOptions {
  genesis?: Genesis
  datadir?: string
  /** starts the slot producer with this key (most tests leave it off and call produceBlock) */
  witnessKey?: Uint8Array
  logger?: Logger
  now?: () => number
}

export async function startNode(t: Test, opts: StartOptions = {}): Promise<InProcessNode> {
  const genesis = opts.genesis ?? devGenesis()
  const datadir = opts.datadir ?? tempDir(t)
  const running = await startFullNode({
    genesis,
    datadir,
    rpc: { host: '127.0.0.1', port: 0 },
    witnessKey: opts.witnessKey,
    logger: opts.logger ?? silentLogger,
    now: opts.now,
    recoverThreads: 0,
  })
  const node = running.node
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await running.close()
  }
  t.teardown(close)
  const url = running.rpc!.url
  const wsUrl = running.rpc!.wsUrl
  let id = 0
  const rpcRaw = async (method: string, params: unknown[] = []) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
    })
    return (await res.json()) as { result?: any; error?: RpcError }
  }
  const rpc = async (method: string, params: unknown[] = []) => {
    const r = await rpcRaw(method, params)
    if (r.error !== undefined) throw new RpcCallError(r.error)
    return r.result
  }
  const produceBlock = async (p: { key?: Uint8Array; timestamp?: bigint } = {}) => {
    const chain = node.chain
    const timestamp = p.timestamp ?? chain.head.header.timestamp + BigInt(genesis.params.blockIntervalMs)
    const built = await chain.produceBlock(p.key ?? devKey(0), timestamp, node.txpool.selectForBlock(genesis.params.blockGasLimit))
    for (const { tx } of built.rejected) node.txpool.remove(tx.hash(), 'dropped')
    const sm = await chain.stateAt(chain.head.header)
    await node.txpool.onNewHead({
      async getNonce(a) {
        return (await sm.getAccount(a))?.nonce ?? 0n
      },
      async getBalance(a) {
        return (await sm.getAccount(a))?.balance ?? 0n
      },
    })
    return built
  }
  return { node, url, wsUrl, datadir, genesis, rpc, rpcRaw, produceBlock, close }
}

// ------------------------------------------------------------------ contracts

const require = createRequire(import.meta.url)
let solc: { compile(input: string): string } | undefined

export interface Compiled {
  abi: unknown[]
  bytecode: Uint8Array
}

/** Compiles Solidity sources (standard JSON, cancun); returns every contract by name. */
export function compileSolidity(sources: Record<string, string>): Record<string, Compiled> {
  solc ??= require('solc')
  const input = {
    language: 'Solidity',
    sources: Object.fromEntries(Object.entries(sources).map(([name, content]) => [name, { content }])),
    settings: {
      evmVersion: 'cancun',
      optimizer: { enabled: false, runs: 200 },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
    },
  }
  const out = JSON.parse(solc!.compile(JSON.stringify(input)))
  const errors = (out.errors ?? []).filter((e: { severity: string }) => e.severity === 'error')
  if (errors.length > 0) throw new Error(errors.map((e: { formattedMessage: string }) => e.formattedMessage).join('\n'))
  const result: Record<string, Compiled> = {}
  for (const file of Object.values(out.contracts) as Record<string, any>[]) {
    for (const [name, c] of Object.entries(file)) {
      result[name] = { abi: c.abi, bytecode: hexToBytes(`0x${c.evm.bytecode.object}`) }
    }
  }
  return result
}

export { prng } from './prng.js'

/** Deep copy with every byte array as 0x hex (Buffer and Uint8Array compare alike in t.same). */
export function norm(v: unknown): any {
  if (v instanceof Uint8Array) return '0x' + Buffer.from(v).toString('hex')
  if (Array.isArray(v)) return v.map(norm)
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x)]))
  return v
}

/** t.same after norm(): tap's t.same passes a Buffer vs a Uint8Array of other content. */
export function same(t: Test, a: unknown, b: unknown, msg?: string): boolean {
  return msg === undefined ? t.same(norm(a), norm(b)) : t.same(norm(a), norm(b), msg)
}

/**
 * Compiles `Nested` — `nestedContract`, a contract that drives a Probe (TEST_CONTRACT_SOURCE) from
 * its constructor — with what such a test contract needs before it: Probe imported, and `Doomed`,
 * a contract it can create and self-destruct.
 */
export function compileNested(nestedContract: string) {
  const source = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;
import "Probe.sol";
contract Doomed {
  function kill() external { selfdestruct(payable(msg.sender)); }
}
${nestedContract}`
  return compileSolidity({ 'Probe.sol': TEST_CONTRACT_SOURCE, 'Nested.sol': source }).Nested!
}

/** The contract the execution and RPC tests deploy. */
export const TEST_CONTRACT_SOURCE = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;
contract Probe {
  event Stored(uint256 indexed value, address indexed by, bytes note);
  event Ping(uint256 x);
  uint256 public stored;
  mapping(uint256 => uint256) public map;
  constructor() payable { stored = 0x2a; }
  function store(uint256 v) external { stored = v; emit Stored(v, msg.sender, "hi"); emit Ping(v + 1); }
  function fill(uint256 n) external { for (uint256 i = 0; i < n; i++) map[i] = i + 1; }
  function fail(string calldata reason) external pure { revert(reason); }
  function failBare() external pure { revert(); }
  function spin() external pure { uint256 i; while (true) { i++; } }
  function get() external view returns (uint256) { return stored; }
}
`

let probe: Compiled | undefined
/** Probe compiled once per process (solc takes a moment). */
export function probeContract(): Compiled {
  probe ??= compileSolidity({ 'Probe.sol': TEST_CONTRACT_SOURCE }).Probe
  return probe
}

/**
 * A bare Blockchain (no node around it) on `dir`, closed at teardown: for the chain-level tests.
 * A refusal to open closes the database and rethrows.
 */
export async function openChain(
  t: Test,
  dir: string,
  genesis: Genesis,
  now: () => number,
  opts: { archive?: boolean; stateBlocksKept?: bigint } = {},
): Promise<{ db: Db; chain: Blockchain; close(): Promise<void> }> {
  const db = await openDatabase(path.join(dir, 'chaindata'))
  let chain: Blockchain
  try {
    chain = await Blockchain.open({ db, genesis, common: makeCommon(genesis.chainId, genesis.name), logger: silentLogger, now, ...opts })
  } catch (e) {
    await db.close()
    throw e
  }
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await chain.close()
    await db.close()
  }
  t.teardown(close)
  return { db, chain, close }
}
