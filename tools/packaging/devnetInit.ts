/**
 * The one-shot `init` service of docker-compose.yml: writes a 4-node devnet's genesis and witness
 * keys into the shared volume, exactly as `nfc devnet` lays them out (`prepareDevnet`:
 * DIR/genesis.json, DIR/node-<i>/witness.key), then exits. A later run finds them and only checks
 * them, so `docker compose up` after `down` continues the same chain; `down -v` starts over.
 *
 * The genesis time is set a little ahead: the four containers start one after another, and a
 * node that comes up after its first slots would count them as missed.
 *
 * Run: node dist/tools/packaging/devnetInit.js DIR [NODES]
 */
import { prepareDevnet } from '../../src/cli/devnetCommand.js'
import { UsageError } from '../../src/cli/io.js'
import { isNfcError } from '../../src/util/errors.js'

/** how far ahead of now the genesis time is put, ms: time for the node containers to start */
export const GENESIS_LEAD_MS = 15_000
const DEFAULT_NODES = 4
/** the ports inside every container (the plan's own per-node ports are for one loopback host) */
const RPC_PORT = 8545
const P2P_PORT = 30303

function main(argv: string[]): number {
  const [dir, nodesArg, ...extra] = argv
  if (dir === undefined || extra.length > 0 || (nodesArg !== undefined && !/^[1-9]\d*$/.test(nodesArg))) {
    process.stderr.write('usage: node dist/tools/packaging/devnetInit.js DIR [NODES]\n')
    return 2
  }
  try {
    const plan = prepareDevnet({
      datadir: dir,
      nodes: nodesArg === undefined ? DEFAULT_NODES : Number(nodesArg),
      rpcPort: RPC_PORT,
      p2pPort: P2P_PORT + 1000, // only checked for overlap with the RPC ports; each container uses 30303
      now: () => Date.now() + GENESIS_LEAD_MS,
    })
    const g = plan.genesis
    process.stdout.write(
      `${plan.created ? 'wrote' : 'kept'} ${plan.genesisFile}: ${g.name}, chain id ${g.chainId}, genesis time ${new Date(g.timestamp).toISOString()}\n` +
        plan.nodes.map((n) => `  ${n.name}: witness ${n.witness}, key ${n.keyFile}\n`).join(''),
    )
    return 0
  } catch (e) {
    if (e instanceof UsageError || isNfcError(e)) {
      process.stderr.write(`devnet init: ${e.message}\n`)
      return 1
    }
    throw e
  }
}

process.exitCode = main(process.argv.slice(2))
