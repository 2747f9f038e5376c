import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { core, coreKind, defaultWasmPath, jsCore, loadWasmCore, packageRoot, wasmCore } from '../../../src/core/index.js'

t.test('the package root and the wasm path are found from the module', async (t) => {
  const root = packageRoot()
  t.ok(root && existsSync(join(root, 'package.json')))
  t.equal(defaultWasmPath(), join(root!, 'build', 'release.wasm'))
  t.equal(packageRoot(`file://${root}/dist/src/core/index.js`), root, 'also from the tsc output in dist/')
  t.equal(packageRoot('file:///'), null, 'no package.json above / → null')
})

t.test('core is the wasm build when it loads', async (t) => {
  t.ok(wasmCore, 'build/release.wasm loaded (run `npm run build:wasm` first)')
  t.equal(coreKind, 'wasm')
  t.equal(core, wasmCore)
  t.not(core, jsCore)
})

t.test('a missing or broken wasm file is reported, not thrown', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nfc-core-'))
  const missing = loadWasmCore(join(dir, 'nope.wasm'))
  t.ok('error' in missing && /nope\.wasm/.test(missing.error))
  const garbage = join(dir, 'garbage.wasm')
  writeFileSync(garbage, Buffer.from('not wasm at all'))
  t.ok('error' in loadWasmCore(garbage))
  t.ok('error' in loadWasmCore(null))
})

t.test('each load is an independent instance', async (t) => {
  const path = defaultWasmPath()
  const other = loadWasmCore(path)
  if (!('core' in other)) return t.fail('wasm did not load')
  const data = new Uint8Array(5_000_000).fill(7)
  t.same(other.core.keccak256(data), jsCore.keccak256(data))
  t.same(core.keccak256(new Uint8Array(3)), jsCore.keccak256(new Uint8Array(3)))
})
