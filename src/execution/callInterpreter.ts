/**
 * What the call VMs' interpreters (eth_call and friends, on pooled VMs) do differently from
 * ethereumjs' own, for the same results:
 *
 * - Jump analysis once per contract code. ethereumjs' interpreter analyses a contract's whole code
 *   (valid JUMPDESTs, PUSH immediates, the opcode of every byte) at the first jump of every
 *   message: for a 2 KB ERC-20 that was ~8% of an eth_call. The analysis depends only on the code
 *   bytes and the EVM's opcode table, so for code the call caches hand out (content-addressed,
 *   never mutated) it is computed once.
 * - A slim run state in the message result. `EVM.runInterpreter` returns, beside the message's
 *   result, a `runState` that is a copy spread together from the interpreter's run state, its
 *   result and its environment (~40 fields). Nothing reads that copy (runTx, the EVM and the
 *   interpreter's call handlers read the result's own fields; the node never reads it), yet making
 *   it cost ~30% of a warm ERC-20 `balanceOf` call (measured, docs/decisions.md). For registered
 *   EVMs `Interpreter.run` hands runInterpreter a run state holding only the three fields it reads
 *   (gasLeft, gasRefund, stateGasSpilled) and an empty environment to copy, once the run is over.
 *
 * Only EVMs registered with `callInterpreter` (and, for the analysis, code registered with
 * `immutableCode`) take these paths: the pooled call VMs and, since the execSpeed pass, the chain's
 * block-execution VM (node/chainOpen.ts makeVm, whose live state registers the code it hands out).
 * Every other interpreter — tracing, access lists, the `pending` block — runs ethereumjs' own
 * code, unchanged.
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'

interface Analysis {
  jumps: Uint8Array
  pushes: Record<number, bigint>
  opcodesCached: unknown[]
}

interface RunState {
  gasLeft: bigint
  gasRefund: bigint
  stateGasSpilled: bigint
}

interface RunResult {
  runState: RunState
  exceptionError?: unknown
}

interface InterpreterLike {
  _evm: { _opcodeMap: object }
  _env: object
}

type Analyse = (this: InterpreterLike, code: Uint8Array) => Analysis
type Run = (this: InterpreterLike, code: Uint8Array, opts?: unknown) => Promise<RunResult>

interface InterpreterProto {
  _getValidJumpDestinations?: Analyse
  run?: Run
}

const evms = new WeakSet<object>()
const codes = new WeakSet<Uint8Array>()
/** opcode table → code → its analysis (the table changes with the hardfork) */
const analyses = new WeakMap<object, WeakMap<Uint8Array, Analysis>>()

let installed: Promise<void> | undefined
/** analyses made for registered code (tests: a code is analysed once per opcode table) */
let computed = 0
/** runs that returned the slim run state (tests: registered EVMs take the path, others do not) */
let slimRuns = 0

/** Patches the interpreter once (wrappers that defer to the original for anything not registered). */
async function install(): Promise<void> {
  // the Interpreter class is not exported: load the module the EVM itself imports
  const entry = createRequire(import.meta.url).resolve('@ethereumjs/evm')
  const esm = join(dirname(entry), '..', 'esm', 'interpreter.js')
  const mod = (await import(pathToFileURL(esm).href)) as { Interpreter?: { prototype: InterpreterProto } }
  const proto = mod.Interpreter?.prototype
  if (proto === undefined) return // another ethereumjs: ethereumjs' own paths, same results
  const analyse = proto._getValidJumpDestinations
  if (typeof analyse === 'function') {
    proto._getValidJumpDestinations = function (this: InterpreterLike, code: Uint8Array): Analysis {
      if (!evms.has(this._evm) || !codes.has(code)) return analyse.call(this, code)
      let byCode = analyses.get(this._evm._opcodeMap)
      if (byCode === undefined) {
        byCode = new WeakMap()
        analyses.set(this._evm._opcodeMap, byCode)
      }
      let a = byCode.get(code)
      if (a === undefined) {
        a = analyse.call(this, code)
        byCode.set(code, a)
        computed++
      }
      return a
    }
  }
  const run = proto.run
  if (typeof run === 'function') {
    proto.run = async function (this: InterpreterLike, code: Uint8Array, opts?: unknown): Promise<RunResult> {
      const out = await run.call(this, code, opts)
      if (!evms.has(this._evm)) return out
      const s = out.runState
      // runInterpreter spreads `runState` and `_env` into the result's copy: give it little to copy
      this._env = {}
      slimRuns++
      return { runState: { gasLeft: s.gasLeft, gasRefund: s.gasRefund, stateGasSpilled: s.stateGasSpilled }, exceptionError: out.exceptionError }
    }
  }
}

/** The interpreters of `evm` take the call VMs' paths (see the module comment). */
export async function callInterpreter(evm: object): Promise<void> {
  installed ??= install()
  await installed
  evms.add(evm)
}

/** `code` is never mutated (it may be analysed once for all runs). */
export function immutableCode(code: Uint8Array): void {
  codes.add(code)
}

/** How many analyses of registered code were made (each is then reused). */
export function jumpAnalysesComputed(): number {
  return computed
}

/** How many interpreter runs returned the slim run state. */
export function slimInterpreterRuns(): number {
  return slimRuns
}
