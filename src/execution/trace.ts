// Long on purpose (568 lines): two tracers (struct logger and callTracer) over one EVM step hook and one replay path.
/**
 * debug_traceTransaction / debug_traceCall: re-execution with a tracer on the EVM's `step`,
 * `beforeMessage` and `afterMessage` events. Two tracers, with geth's output shapes:
 *  - the struct logger (geth's default): one entry per executed opcode;
 *  - `callTracer`: the tree of call frames.
 * A mined transaction is traced by replaying its block on a private view of the parent's state
 * with `executeBlock` (the very executor that built the block, fee settlement included) up to
 * the transaction, then running it as the block did. A call is traced exactly as eth_call runs.
 */
import type { Common } from '@ethereumjs/common'
import type { EVM, EVMResult, InterpreterStep, Message } from '@ethereumjs/evm'
import type { TypedTransaction } from '@ethereumjs/tx'
import { Address, bigIntToBytes, bytesToHex, setLengthLeft } from '@ethereumjs/util'
import { createNodeVm } from './vmFactory.js'
import type { DposConfig } from '../consensus/dpos/engine.js'
import { runTx, type RunTxResult, type VM } from '@ethereumjs/vm'
import type { MerkleStateManager } from '@ethereumjs/statemanager'
import type { Block } from '../chain/block.js'
import type { BlockHeader } from '../chain/header.js'
import { NfcError } from '../util/errors.js'
import { evmBlock, executeBlock, type BlockContext } from './blockExecutor.js'
import { CALL_RUN_OPTS, callTransaction, gethWording, type CallEnv, type CallRequest } from './call.js'
import { ExecErrorCode } from './errors.js'

/** Codes of this module (EXEC_ prefix: the RPC layer answers -32000 with the message). */
export const TraceErrorCode = {
  TxNotFound: 'EXEC_TRACE_TX_NOT_FOUND',
  UnknownTracer: 'EXEC_TRACE_UNKNOWN_TRACER',
  Timeout: 'EXEC_TRACE_TIMEOUT',
  BadConfig: 'EXEC_TRACE_BAD_CONFIG',
} as const

export interface TraceConfig {
  /** undefined or "" = struct logger; "callTracer" */
  tracer?: string
  tracerConfig?: { onlyTopCall?: boolean; withLog?: boolean }
  disableStack?: boolean
  disableStorage?: boolean
  enableMemory?: boolean
  enableReturnData?: boolean
  /** struct logger: most entries kept (0 = no limit) */
  limit?: number
  /** wall-clock budget in ms (geth's default: 5 s) */
  timeoutMs?: number
}

export const DEFAULT_TRACE_TIMEOUT_MS = 5_000
export const SUPPORTED_TRACERS = ['callTracer'] as const

/** What a tracer learns when the transaction is over. */
interface TxOutcome {
  tx: TypedTransaction
  from: Address
  result: RunTxResult
}

interface Tracer {
  step(s: InterpreterStep): void | Promise<void>
  enter(m: Message): void
  exit(r: EVMResult): void
  result(o: TxOutcome): unknown
}

// ------------------------------------------------------------------ shared helpers

const CALL_OPS = new Set(['CALL', 'CALLCODE', 'DELEGATECALL', 'STATICCALL'])
const FRAME_OPS = new Set([...CALL_OPS, 'CREATE', 'CREATE2'])

/** geth's opcode name (ethereumjs says PREVRANDAO and INVALID for every undefined byte). */
function opName(op: InterpreterStep['opcode']): string {
  if (op.name === 'INVALID' && op.code !== 0xfe) return `opcode 0x${op.code.toString(16)} not defined`
  if (op.name === 'PREVRANDAO') return 'DIFFICULTY'
  return op.name
}

/** ethereumjs' EVM error in geth's words. `lastOp`: the frame's last opcode (invalid opcode). */
export function gethVmError(error: string, lastOp?: string): string {
  switch (error) {
    case 'revert':
      return 'execution reverted'
    case 'invalid opcode':
      return `invalid opcode: ${lastOp ?? 'INVALID'}`
    case 'invalid JUMP':
      return 'invalid jump destination'
    case 'static state change':
      return 'write protection'
    case 'code store out of gas':
      return 'contract creation code storage out of gas'
    case 'code size to deposit exceeds maximum code size':
      return 'max code size exceeded'
    case 'create collision':
      return 'contract address collision'
    case 'invalid bytecode deployed':
      return 'invalid code: must not begin with 0xef'
    case 'initcode exceeds max initcode size':
      return 'max initcode size exceeded'
    case 'insufficient balance':
      return 'insufficient balance for transfer'
    case 'stack overflow':
      return 'stack limit reached 1024 (1023)'
    case 'value overflow':
      return 'gas uint64 overflow'
    default:
      return error
  }
}

const PANIC_REASONS: Record<string, string> = {
  '0': 'generic panic',
  '1': 'assert(false)',
  '17': 'arithmetic underflow or overflow',
  '18': 'division or modulo by zero',
  '33': 'enum overflow',
  '34': 'invalid encoded storage byte array accessed',
  '49': 'out-of-bounds array access; popping on an empty array',
  '50': 'out-of-bounds access of an array or bytesN',
  '65': 'out of memory',
  '81': 'uninitialized function',
}

/** geth's abi.UnpackRevert: Error(string) → the reason, Panic(uint256) → its description. */
export function unpackRevert(out: Uint8Array): string | undefined {
  if (out.length < 4) return undefined
  const sel = bytesToHex(out.subarray(0, 4))
  const body = out.subarray(4)
  const word = (at: number): bigint | undefined => (at + 32 <= body.length ? BigInt(bytesToHex(body.subarray(at, at + 32))) : undefined)
  if (sel === '0x08c379a0') {
    const offset = word(0)
    if (offset === undefined || offset > BigInt(body.length)) return undefined
    const len = word(Number(offset))
    if (len === undefined || Number(offset) + 32 + Number(len) > body.length) return undefined
    const start = Number(offset) + 32
    return new TextDecoder().decode(body.subarray(start, start + Number(len)))
  }
  if (sel === '0x4e487b71') {
    const code = word(0)
    if (code === undefined) return undefined
    return PANIC_REASONS[code.toString()] ?? `unknown panic code: 0x${code.toString(16)}`
  }
  return undefined
}

const hexQ = (n: bigint) => '0x' + n.toString(16)
const EMPTY = new Uint8Array(0)

/** EIP-150: the gas a CALL-family opcode passes on (geth counts it in the opcode's gasCost). */
function callGasAllotment(s: InterpreterStep, cost: bigint): bigint {
  const available = s.gasLeft - cost
  const requested = s.stack[s.stack.length - 1]
  if (available <= 0n || requested === undefined) return 0n
  const cap = available - available / 64n
  return requested < cap ? requested : cap
}

// ------------------------------------------------------------------ struct logger

interface StructLog {
  pc: number
  op: string
  gas: number
  gasCost: number
  depth: number
  error?: string
  stack?: string[]
  returnData?: string
  memory?: string[]
  storage?: Record<string, string>
  refund?: number
}

class StructLogger implements Tracer {
  private readonly logs: StructLog[] = []
  /** per contract: the slots touched so far (geth keeps them for the whole trace) */
  private readonly storage = new Map<string, Record<string, string>>()
  /** per open frame: its last log (for errors) and the return data of its last sub-call */
  private readonly frames: { last?: StructLog; lastOp?: string; returnData: Uint8Array; create: boolean }[] = []

  constructor(private readonly cfg: TraceConfig) {}

  async step(s: InterpreterStep): Promise<void> {
    const frame = this.frames[this.frames.length - 1]
    const op = opName(s.opcode)
    if (frame !== undefined) frame.lastOp = op
    if (this.cfg.limit !== undefined && this.cfg.limit > 0 && this.logs.length >= this.cfg.limit) {
      if (frame !== undefined) frame.last = undefined
      return
    }
    let cost = s.opcode.dynamicFee ?? BigInt(s.opcode.fee)
    if (CALL_OPS.has(op)) cost += callGasAllotment(s, cost)
    const log: StructLog = {
      pc: s.pc,
      op,
      gas: Number(s.gasLeft),
      gasCost: Number(cost),
      depth: s.depth + 1,
      error: undefined,
    }
    if (this.cfg.disableStack !== true) log.stack = s.stack.map(hexQ)
    if (this.cfg.enableReturnData === true && frame !== undefined && frame.returnData.length > 0) {
      log.returnData = bytesToHex(frame.returnData)
    }
    if (this.cfg.enableMemory === true) {
      const words: string[] = []
      for (let i = 0; i < s.memory.length; i += 32)
        words.push(
          Buffer.from(s.memory.subarray(i, i + 32))
            .toString('hex')
            .padEnd(64, '0'),
        )
      log.memory = words
    }
    if (this.cfg.disableStorage !== true && (op === 'SLOAD' || op === 'SSTORE')) {
      const n = s.stack.length
      const key = s.stack[n - 1]
      if (key !== undefined && (op === 'SLOAD' || n >= 2)) {
        const addr = s.address.toString()
        const slots = this.storage.get(addr) ?? {}
        this.storage.set(addr, slots)
        const keyBytes = setLengthLeft(bigIntToBytes(key), 32)
        const value = op === 'SSTORE' ? s.stack[n - 2]! : BigInt(bytesToHex(setLengthLeft(await s.stateManager.getStorage(s.address, keyBytes), 32)))
        slots[key.toString(16).padStart(64, '0')] = value.toString(16).padStart(64, '0')
        log.storage = { ...slots }
      }
    }
    if (s.gasRefund > 0n) log.refund = Number(s.gasRefund)
    this.logs.push(log)
    if (frame !== undefined) frame.last = log
  }

  enter(m: Message): void {
    const parent = this.frames[this.frames.length - 1]
    if (parent !== undefined) parent.returnData = EMPTY
    this.frames.push({ returnData: EMPTY, create: m.to === undefined })
  }

  exit(r: EVMResult): void {
    const frame = this.frames.pop()
    const err = r.execResult.exceptionError?.error
    // geth logs an error on the opcode only when it fails before running (gas, stack checks)
    if (frame?.last !== undefined && err !== undefined && err !== 'revert' && err !== 'invalid opcode') {
      frame.last.error = gethVmError(err, frame.lastOp)
    }
    const parent = this.frames[this.frames.length - 1]
    if (parent !== undefined) {
      const keep = err === 'revert' || (err === undefined && frame?.create !== true)
      parent.returnData = keep ? r.execResult.returnValue.slice() : EMPTY
    }
  }

  result({ result }: TxOutcome): unknown {
    const err = result.execResult.exceptionError?.error
    const failed = err !== undefined
    const ret = failed && err !== 'revert' ? EMPTY : result.execResult.returnValue
    return { gas: Number(result.totalGasSpent), failed, returnValue: bytesToHex(ret), structLogs: this.logs }
  }
}

// ------------------------------------------------------------------ call tracer

interface CallLog {
  address: string
  topics: string[]
  data: string
  position: string
}

interface CallFrame {
  type: string
  from: string
  gas: bigint
  gasUsed: bigint
  to?: string
  input: Uint8Array
  output?: Uint8Array
  error?: string
  revertReason?: string
  calls: CallFrame[]
  logs: CallLog[]
  value?: bigint
}

class CallTracer implements Tracer {
  private readonly stack: CallFrame[] = []
  private root: CallFrame | undefined
  /** the last CALL/CREATE-family opcode seen, which the next message belongs to */
  private pendingOp: { op: string; address: string } | undefined
  /** per open frame: its last opcode (for "invalid opcode: X") */
  private readonly lastOps: string[] = []
  /** frames entered but not recorded (onlyTopCall) */
  private skipped = 0

  constructor(private readonly cfg: TraceConfig) {}

  private get onlyTop(): boolean {
    return this.cfg.tracerConfig?.onlyTopCall === true
  }

  async step(s: InterpreterStep): Promise<void> {
    const op = opName(s.opcode)
    if (this.lastOps.length > 0) this.lastOps[this.lastOps.length - 1] = op
    if (FRAME_OPS.has(op)) {
      this.pendingOp = { op, address: s.address.toString() }
      return
    }
    const frame = this.stack[this.stack.length - 1]
    if (frame === undefined || this.skipped > 0) return
    if (op === 'SELFDESTRUCT' && !this.onlyTop) {
      const beneficiary = s.stack[s.stack.length - 1]
      const account = await s.stateManager.getAccount(s.address)
      frame.calls.push({
        type: 'SELFDESTRUCT',
        from: s.address.toString(),
        gas: 0n,
        gasUsed: 0n,
        to: beneficiary === undefined ? undefined : bytesToHex(setLengthLeft(bigIntToBytes(beneficiary), 20)),
        input: EMPTY,
        calls: [],
        logs: [],
        value: account?.balance ?? 0n,
      })
    } else if (this.cfg.tracerConfig?.withLog === true && /^LOG[0-4]$/.test(op)) {
      const n = s.stack.length
      const offset = Number(s.stack[n - 1] ?? 0n)
      const size = Number(s.stack[n - 2] ?? 0n)
      const topics = Array.from({ length: Number(op.slice(3)) }, (_, i) => s.stack[n - 3 - i] ?? 0n)
      const data = new Uint8Array(size)
      if (offset < s.memory.length) data.set(s.memory.subarray(offset, Math.min(offset + size, s.memory.length)))
      frame.logs.push({
        address: s.address.toString(),
        topics: topics.map((x) => bytesToHex(setLengthLeft(bigIntToBytes(x), 32))),
        data: bytesToHex(data),
        position: hexQ(BigInt(frame.calls.length)),
      })
    }
  }

  enter(m: Message): void {
    this.lastOps.push('')
    if (m.depth > 0 && (this.onlyTop || this.skipped > 0)) {
      this.skipped++
      return
    }
    let frame: CallFrame
    if (m.depth === 0) {
      frame = {
        type: m.to === undefined ? 'CREATE' : 'CALL',
        from: m.caller.toString(),
        gas: m.gasLimit,
        gasUsed: 0n,
        to: m.to?.toString(),
        input: m.data.slice(),
        calls: [],
        logs: [],
        value: m.value,
      }
    } else {
      const op = this.pendingOp?.op ?? (m.to === undefined ? 'CREATE' : m.isStatic ? 'STATICCALL' : 'CALL')
      const viaCode = op === 'DELEGATECALL' || op === 'CALLCODE'
      frame = {
        type: op,
        from: this.pendingOp?.address ?? m.caller.toString(),
        gas: m.gasLimit,
        gasUsed: 0n,
        to: m.to === undefined ? undefined : (viaCode ? m.codeAddress : m.to).toString(),
        input: m.data.slice(),
        calls: [],
        logs: [],
        value: op === 'STATICCALL' ? undefined : m.value,
      }
    }
    this.pendingOp = undefined
    this.stack.push(frame)
  }

  exit(r: EVMResult): void {
    const lastOp = this.lastOps.pop()
    if (this.skipped > 0) {
      this.skipped--
      return
    }
    const frame = this.stack.pop()
    if (frame === undefined) return
    const ex = r.execResult
    frame.gasUsed = ex.executionGasUsed
    if (frame.type === 'CREATE' || frame.type === 'CREATE2') frame.to = r.createdAddress?.toString()
    const err = ex.exceptionError?.error
    const output = (ex.returnValue ?? EMPTY).slice()
    if (err === undefined) {
      frame.output = output
    } else {
      frame.error = gethVmError(err, lastOp)
      if (frame.type === 'CREATE' || frame.type === 'CREATE2') frame.to = undefined
      if (err === 'revert' && output.length > 0) {
        frame.output = output
        frame.revertReason = unpackRevert(output)
      }
      // logs of a failed frame never happened
      clearLogs(frame)
    }
    const parent = this.stack[this.stack.length - 1]
    if (parent === undefined) this.root = frame
    else parent.calls.push(frame)
  }

  result({ tx, from, result }: TxOutcome): unknown {
    const root = this.root
    if (root === undefined) {
      // nothing ran (cannot happen after runTx succeeded); describe the transaction
      return frameJson({
        type: tx.to === undefined ? 'CREATE' : 'CALL',
        from: from.toString(),
        gas: tx.gasLimit,
        gasUsed: result.totalGasSpent,
        to: tx.to?.toString(),
        input: tx.data,
        calls: [],
        logs: [],
        value: tx.value,
      })
    }
    // the top frame reports the transaction's gas, as geth does
    root.gas = tx.gasLimit
    root.gasUsed = result.totalGasSpent
    if (root.type === 'CREATE' && result.createdAddress !== undefined && root.error === undefined) {
      root.to = result.createdAddress.toString()
    }
    return frameJson(root)
  }
}

function clearLogs(f: CallFrame): void {
  f.logs = []
  for (const c of f.calls) clearLogs(c)
}

/** geth's JSON of a call frame (field order as geth's gencodec output). */
function frameJson(f: CallFrame): Record<string, unknown> {
  const out: Record<string, unknown> = { from: f.from, gas: hexQ(f.gas), gasUsed: hexQ(f.gasUsed) }
  if (f.to !== undefined) out.to = f.to
  out.input = bytesToHex(f.input)
  if (f.output !== undefined && f.output.length > 0) out.output = bytesToHex(f.output)
  if (f.error !== undefined) out.error = f.error
  if (f.revertReason !== undefined) out.revertReason = f.revertReason
  if (f.calls.length > 0) out.calls = f.calls.map(frameJson)
  if (f.logs.length > 0) out.logs = f.logs
  if (f.value !== undefined) out.value = hexQ(f.value)
  out.type = f.type
  return out
}

// ------------------------------------------------------------------ running

export function makeTracer(cfg: TraceConfig): Tracer {
  const name = cfg.tracer
  if (name === undefined || name === '' || name === 'structLogger') return new StructLogger(cfg)
  if (name === 'callTracer') return new CallTracer(cfg)
  throw new NfcError(TraceErrorCode.UnknownTracer, `tracer not found: ${JSON.stringify(name)} (supported: callTracer, or none for the struct logger)`)
}

class TraceAbort extends Error {}

/** Runs `fn` with `tracer` on the EVM's events; the listeners are removed afterwards. */
async function withTracer<T>(vm: VM, tracer: Tracer, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const evm = vm.evm as EVM
  const deadline = Date.now() + timeoutMs
  let failure: unknown
  const check = () => {
    if (failure !== undefined) throw failure
    if (Date.now() > deadline) throw new TraceAbort('execution timeout')
  }
  const onStep = (data: InterpreterStep, resolve?: (result?: unknown) => void) => {
    check() // a throw here rejects the EVM's emit: a non-EVM error ends the run
    Promise.resolve()
      .then(() => tracer.step(data))
      .catch((e: unknown) => (failure = e))
      .finally(() => resolve?.())
  }
  const onBefore = (m: Message, resolve?: (result?: unknown) => void) => {
    check()
    tracer.enter(m)
    resolve?.()
  }
  const onAfter = (r: EVMResult, resolve?: (result?: unknown) => void) => {
    tracer.exit(r)
    resolve?.()
  }
  evm.events.on('step', onStep)
  evm.events.on('beforeMessage', onBefore)
  evm.events.on('afterMessage', onAfter)
  try {
    const out = await fn()
    if (failure !== undefined) throw failure
    return out
  } catch (e) {
    if (e instanceof TraceAbort || (e as Error)?.message === 'execution timeout') {
      throw new NfcError(TraceErrorCode.Timeout, 'execution timeout')
    }
    throw e
  } finally {
    evm.events.off('step', onStep)
    evm.events.off('beforeMessage', onBefore)
    evm.events.off('afterMessage', onAfter)
  }
}

export interface ReplayEnv {
  common: Common
  /** a private view of a block's post-state */
  stateAt: (header: BlockHeader) => Promise<MerkleStateManager>
  /** the BLOCKHASH source */
  blockchain: unknown
  sharedPool: Address
  /** the chain's consensus parameters: VMs get the native system contracts */
  dpos?: DposConfig
  /** the consensus step that ran before the block's transactions (rewards, trust), replayed too */
  beginBlock?: (sm: MerkleStateManager) => Promise<void>
}

/** The block context a mined block was executed with. */
export function blockContextOf(header: BlockHeader): BlockContext {
  return {
    number: header.number,
    timestamp: header.timestamp,
    producer: new Address(header.producer),
    gasLimit: header.gasLimit,
    baseFeePerGas: header.baseFeePerGas,
    parentHash: header.parentHash,
  }
}

/**
 * Traces transaction `index` of `block`: the block's earlier transactions run first through
 * `executeBlock` (runTx + fee settlement, as when the block was made) on the parent's state.
 */
export async function traceBlockTransaction(env: ReplayEnv, parent: BlockHeader, block: Block, index: number, cfg: TraceConfig): Promise<unknown> {
  const tx = block.transactions[index]
  if (tx === undefined) throw new NfcError(TraceErrorCode.TxNotFound, 'transaction not found')
  const tracer = makeTracer(cfg)
  const ctx = blockContextOf(block.header)
  const vm = await createNodeVm({ common: env.common, stateManager: await env.stateAt(parent), blockchain: env.blockchain, dpos: env.dpos })
  const before = await executeBlock(vm, ctx, block.transactions.slice(0, index), {
    mode: 'import',
    sharedPool: env.sharedPool,
    hooks: env.beginBlock === undefined ? undefined : { begin: env.beginBlock },
  })
  const result = await withTracer(vm, tracer, cfg.timeoutMs ?? DEFAULT_TRACE_TIMEOUT_MS, () =>
    runTx(vm, { tx, block: evmBlock(ctx, env.common), blockGasUsed: before.gasUsed, skipHardForkValidation: true }),
  )
  return tracer.result({ tx, from: tx.getSenderAddress(), result })
}

/** Traces a call exactly as eth_call runs it (impersonated sender, no nonce or balance checks). */
export async function traceCall(env: CallEnv, req: CallRequest, cfg: TraceConfig): Promise<unknown> {
  const tracer = makeTracer(cfg)
  const { common, ctx } = env
  const tx = callTransaction(req, ctx, req.gas ?? ctx.gasLimit, common)
  const from = tx.getSenderAddress()
  const vm = await createNodeVm({ common, stateManager: await env.freshState(), blockchain: env.blockchain, dpos: env.dpos })
  let result: RunTxResult
  try {
    result = await withTracer(vm, tracer, cfg.timeoutMs ?? DEFAULT_TRACE_TIMEOUT_MS, () => runTx(vm, { tx, block: evmBlock(ctx, common), ...CALL_RUN_OPTS }))
  } catch (e) {
    if (e instanceof NfcError) throw e
    // runTx refuses before executing: intrinsic gas too low, fee below the base fee, …
    throw new NfcError(ExecErrorCode.CallFailed, gethWording((e as Error).message))
  }
  return tracer.result({ tx, from, result })
}
