#!/usr/bin/env node
/**
 * The `nfc` command. This is the shell around the library (STYLE §1): it parses arguments,
 * loads the genesis, wires SIGINT/SIGTERM to a clean stop, and calls the node.
 */
import { nodeCommand } from './nodeCommand.js'

const USAGE = `nfc — the NetFlowCoin node

Usage:
  nfc node [--dev] [--genesis FILE] [--datadir DIR] [--rpc HOST:PORT] [--witness-key FILE]
           [--reset] [--log-level debug|info|warn|error]

Commands:
  node      run a node from a genesis file (--dev: the single-node dev chain of genesis/dev.json,
            data in ./data/dev, RPC on 127.0.0.1:8545, producing with dev account 0)

Run \`nfc <command> --help\` for the options of a command.`

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case 'node':
      return nodeCommand(rest)
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(USAGE + '\n')
      return command === undefined ? 1 : 0
    default:
      process.stderr.write(`nfc: unknown command "${command}"\n\n${USAGE}\n`)
      return 2
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (e) => {
    process.stderr.write(`nfc: ${(e as Error).stack ?? e}\n`)
    process.exitCode = 1
  },
)
