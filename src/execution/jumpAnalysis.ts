/**
 * Jump analysis kept per contract code for the call VMs (eth_call and friends).
 *
 * ethereumjs' interpreter analyses a contract's whole code (valid JUMPDESTs, PUSH immediates,
 * the opcode of every byte) at the first jump of every message: for a 2 KB ERC-20 that was
 * ~8% of an eth_call. The analysis depends only on the code bytes and the EVM's opcode table,
 * so for code the call caches hand out (content-addressed, never mutated) it is computed once.
 *
 * Only EVMs registered with `analyseOnce` and code registered with `immutableCode` take the
 * cached path; every other interpreter — block execution included — runs ethereumjs' own
 * analysis, unchanged.
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'

interface Analysis {
  jumps: Uint8Array
  pushes: Record<number, bigint>
  opcodesCached: unknown[]
}

interface InterpreterLike {
  _evm: { _opcodeMap: object }
}

type Analyse = (this: InterpreterLike, code: Uint8Array) => Analysis

const evms = new WeakSet<object>()
const codes = new WeakSet<Uint8Array>()
/** opcode table → code → its analysis (the table changes with the hardfork) */
const analyses = new WeakMap<object, WeakMap<Uint8Array, Analysis>>()

let installed: Promise<void> | undefined
/** analyses made for registered code (tests: a code is analysed once per opcode table) */
let computed = 0

/** Patches the interpreter once (a wrapper that defers to the original for anything not registered). */
async function install(): Promise<void> {
  // the Interpreter class is not exported: load the module the EVM itself imports
  const entry = createRequire(import.meta.url).resolve('@ethereumjs/evm')
  const esm = join(dirname(entry), '..', 'esm', 'interpreter.js')
  const mod = (await import(pathToFileURL(esm).href)) as { Interpreter?: { prototype: { _getValidJumpDestinations?: Analyse } } }
  const proto = mod.Interpreter?.prototype
  const original = proto?._getValidJumpDestinations
  if (proto === undefined || typeof original !== 'function') return // another ethereumjs: no cache, same results
  proto._getValidJumpDestinations = function (this: InterpreterLike, code: Uint8Array): Analysis {
    if (!evms.has(this._evm) || !codes.has(code)) return original.call(this, code)
    let byCode = analyses.get(this._evm._opcodeMap)
    if (byCode === undefined) {
      byCode = new WeakMap()
      analyses.set(this._evm._opcodeMap, byCode)
    }
    let a = byCode.get(code)
    if (a === undefined) {
      a = original.call(this, code)
      byCode.set(code, a)
      computed++
    }
    return a
  }
}

/** The interpreters of `evm` analyse registered code once (see the module comment). */
export async function analyseOnce(evm: object): Promise<void> {
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
