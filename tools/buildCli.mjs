/**
 * Bundles the `nfc` command (dist/src/cli/nfc.js, tsc's output) into dist/src/bin/: the CLI a user,
 * the e2e tests and the benches run (package.json "bin"). Node 20 loads ESM one file at a time;
 * the node's start read ~850 modules (our ~300 and the packages'), most of a second before
 * anything ran. The bundle is a few dozen files: each command still loads only its own code
 * (`--splitting`: a command's `import()` is a chunk of its own), so `nfc --help` loads no node.
 *
 * Left outside, loaded from node_modules as before: native addons (classic-level, secp256k1),
 * @ethereumjs/* (callInterpreter.ts patches the EVM's interpreter module in node_modules, and the
 * EVM must be that same instance), and the packages only some commands use (ink and react for
 * the explorer, ethers for the simulator and the agents; ws' optional native helpers).
 *
 * The chunks sit one directory below src/, as every compiled module does, so paths taken from
 * `import.meta.url` (the recovery worker, the package root) resolve as they do unbundled. A bundle
 * is made from tsc's output of the same build: run through `npm run build`, never alone.
 */
import { rmSync } from 'node:fs'
import { build } from 'esbuild'

const OUT = 'dist/src/bin'

const EXTERNAL = ['@ethereumjs/*', 'classic-level', 'secp256k1', 'ink', 'react', 'ethers', 'viem', 'solc', 'bufferutil', 'utf-8-validate']

rmSync(OUT, { recursive: true, force: true })
await build({
  entryPoints: ['dist/src/cli/nfc.js'],
  outdir: OUT,
  entryNames: '[name]',
  chunkNames: 'chunk-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: EXTERNAL,
  // the bundled CommonJS packages (fastify, prom-client, …) require Node's built-ins
  banner: { js: "import { createRequire as __nfcCreateRequire } from 'node:module'; const require = __nfcCreateRequire(import.meta.url);" },
  logLevel: 'warning',
})
