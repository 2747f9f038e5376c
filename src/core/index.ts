/**
 * The core every other module imports: the WASM build when build/release.wasm loads, otherwise
 * the pure-JS fallback (one warning on stderr). Loaded synchronously so `core` is ready at import.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { packageRoot } from '../util/packageRoot.js'
import type { Core } from './interface.js'
import { jsCore } from './jsCore.js'
import { createWasmCore } from './wasmCore.js'

export type { Core, CountResult, CounterState, FrameBytes, HashKind, SampleParams } from './interface.js'
export { initialCounterState } from './interface.js'
export { jsCore }

export function defaultWasmPath(): string | null {
  const root = packageRoot()
  return root === null ? null : join(root, 'build', 'release.wasm')
}

/** The WASM core from `path`, or the reason it could not be loaded. */
export function loadWasmCore(path: string | null): { core: Core } | { error: string } {
  if (path === null) return { error: 'package root not found' }
  try {
    return { core: createWasmCore(readFileSync(path)) }
  } catch (e) {
    return { error: `${path}: ${(e as Error).message}` }
  }
}

const loaded = loadWasmCore(defaultWasmPath())

export const wasmCore: Core | null = 'core' in loaded ? loaded.core : null
export const coreKind: 'wasm' | 'js' = wasmCore ? 'wasm' : 'js'
export const core: Core = wasmCore ?? jsCore

if ('error' in loaded) {
  process.stderr.write(`warning: WASM core unavailable (${loaded.error}); using the slower JS core. Run \`npm run build:wasm\`.\n`)
}

export { packageRoot }
