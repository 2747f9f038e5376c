/**
 * The ABI JSON of a native system contract as shipped in src/execution/system/abi (`I<Name>.json`),
 * read from the package (source tree or the one `dist/` was built from), for programs that talk
 * to a node over JSON-RPC with ethers: the flow simulator, `nfc flow channel`.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { packageRoot } from './packageRoot.js'

/** The ABI entries of system contract `name` ("NB", "PaymentChannels", …). */
export function systemAbiJson(name: string): unknown[] {
  const text = readFileSync(join(packageRoot() ?? '.', 'src', 'execution', 'system', 'abi', `I${name}.json`), 'utf8')
  const doc = JSON.parse(text) as unknown[] | { abi: unknown[] }
  return Array.isArray(doc) ? doc : doc.abi
}
