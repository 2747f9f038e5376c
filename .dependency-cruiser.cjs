/**
 * `npm run deps:check`: the "may import" column of docs/layout.md, as rules. Written for the
 * target structure (STYLE.md "Where the house stands"): the node does not start the RPC (the
 * composition root in src/cli wires both), the CLI does not reach into tools/, rpc/ sees the node
 * only through its interface file, the explorer only through JSON-RPC. Each module may import
 * the modules named here (and itself, and npm packages); anything else in src/ or rpc/ is an
 * error. Change docs/layout.md and this file together.
 */

/** A rule: files under `from` may import, of src/ and rpc/, only what matches `allowed`. */
function layer(name, from, allowed, comment) {
  return {
    name: `layout-${name}`,
    comment,
    severity: 'error',
    from: { path: from },
    to: { path: '^(src|rpc)/', pathNot: allowed },
  }
}

const under = (...dirs) => `^(${dirs.map((d) => d.replace(/\//g, '\\/')).join('|')})/`

module.exports = {
  forbidden: [
    {
      name: 'no-test-or-tools-in-src',
      comment: 'src/ and rpc/ ship; test/ and tools/ do not (the flow simulator behind `nfc flow simulate` lives in src/)',
      severity: 'error',
      from: { path: '^(src|rpc)/' },
      to: { path: '^(test|tools)/' },
    },
    {
      name: 'no-circular-modules',
      comment: 'modules are a stack (docs/layout.md): no module imports one that imports it back',
      severity: 'warn',
      from: { path: '^(src|rpc)/' },
      to: { circular: true, pathNot: '^node_modules/' },
    },
    layer('util', '^src/util/', under('src/util'), 'util imports nothing of the node'),
    layer('core', '^src/core/', under('src/util', 'src/core'), 'core: util'),
    layer('crypto', '^src/crypto/', under('src/util', 'src/core', 'src/crypto'), 'crypto: util, core'),
    layer('chain', '^src/chain/', under('src/util', 'src/core', 'src/crypto', 'src/chain'), 'chain: util, core, crypto'),
    layer('state', '^src/state/', under('src/util', 'src/core', 'src/chain', 'src/state'), 'state: util, core, chain'),
    layer(
      'consensus',
      '^src/consensus/',
      `${under('src/util', 'src/core', 'src/chain', 'src/consensus', 'src/deals')}|^src/flow/fuel\\.ts$`,
      'consensus: util, core, chain, deals (the file tree), the fuel rule of flow/fuel.ts (shared with the traffic agents)',
    ),
    layer('deals', '^src/deals/', under('src/util', 'src/core', 'src/deals'), 'deals: util, core'),
    layer(
      'flow',
      '^src/flow/',
      `${under('src/util', 'src/core', 'src/crypto', 'src/chain', 'src/flow')}|^src/consensus/dpos/shuffle\\.ts$`,
      'flow: util, core, crypto, chain, and the pure draw of consensus/dpos/shuffle',
    ),
    layer(
      'execution',
      '^src/execution/',
      under('src/util', 'src/core', 'src/crypto', 'src/chain', 'src/state', 'src/consensus', 'src/flow', 'src/execution', 'src/deals'),
      'execution: util, core, crypto, chain, state, consensus, flow (formats), deals (the file tree)',
    ),
    layer(
      'storage',
      '^src/storage/',
      under('src/util', 'src/chain', 'src/state', 'src/flow', 'src/storage'),
      'storage: util, chain, state, flow (their stores)',
    ),
    layer('txpool', '^src/txpool/', under('src/util', 'src/execution', 'src/txpool'), 'txpool: util, execution (errors, types)'),
    layer('p2p', '^src/p2p/', under('src/util', 'src/core', 'src/crypto', 'src/chain', 'src/p2p'), 'p2p: util, core, crypto, chain'),
    layer(
      'node',
      '^src/node/',
      under(
        'src/util',
        'src/core',
        'src/crypto',
        'src/chain',
        'src/state',
        'src/consensus',
        'src/flow',
        'src/execution',
        'src/storage',
        'src/txpool',
        'src/p2p',
        'src/node',
      ),
      'node: everything in src/ above it; never rpc/ (the composition root in src/cli starts the RPC), never cli or explorer',
    ),
    layer(
      'rpc',
      '^rpc/',
      `${under('src/util', 'src/chain', 'src/execution', 'src/state', 'src/consensus', 'src/p2p', 'rpc')}|^src/node/interface\\.ts$|^src/txpool/pricing\\.ts$`,
      'rpc: util; chain, execution, state types; consensus views; p2p (peer url check); txpool pricing (txpool_inspect); src/node/interface.ts, never the Node class',
    ),
    layer('flowSim', '^src/flowSim/', under('src/util', 'src/core', 'src/chain', 'src/flow', 'src/flowSim'), 'flowSim: util, core, chain, flow (formats)'),
    layer(
      'flowAgent',
      '^src/flowAgent/',
      `${under('src/util', 'src/core', 'src/crypto', 'src/chain', 'src/flow', 'src/flowAgent')}|^src/execution/system/abi/`,
      'flowAgent: util, core, crypto, chain, flow (formats, sampled streams, slice answers), the static ABI JSON',
    ),
    layer(
      'dealAgent',
      '^src/dealAgent/',
      `${under('src/util', 'src/core', 'src/crypto', 'src/chain', 'src/dealAgent')}|^src/deals/fileTree\\.ts$|^src/execution/system/abi/`,
      'dealAgent: util, core, crypto, chain (system addresses), the deals file tree, the static ABI JSON',
    ),
    layer(
      'explorer',
      '^src/explorer/',
      `${under('src/explorer', 'src/execution/system/abi')}|^src/chain/systemAddresses\\.ts$`,
      'explorer: JSON-RPC only (plus the static ABI JSON and the fixed protocol addresses); never src/node or rpc/',
    ),
    {
      name: 'layout-nothing-imports-cli',
      comment: 'src/cli is the top: the composition root and the `nfc` command',
      severity: 'error',
      from: { path: '^(src|rpc)/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|build|node_modules|data|\\.tap)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.tsx', '.js', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
}
