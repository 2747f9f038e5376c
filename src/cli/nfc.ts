#!/usr/bin/env node
/**
 * The `nfc` command. This is the shell around the library (STYLE §1): it parses arguments,
 * loads the genesis, wires SIGINT/SIGTERM to a clean stop, and calls the node. Each command's
 * module is imported when that command runs: the node never loads the explorer's Ink and React
 * or the simulator's ethers, and `nfc --help` loads none of them (about 1 s of CPU per process
 * before; the e2e suites spawn about a hundred).
 */
import { buildInfo, versionText } from '../node/version.js'

const USAGE = `nfc — the NetFlowCoin node

Usage:
  nfc node [--config FILE] [--dev] [--genesis FILE] [--datadir DIR] [--rpc HOST:PORT]
           [--witness-key FILE [--password-file FILE]]
           [--p2p HOST:PORT|off] [--peers URL,…] [--node-key FILE]
           [--reset] [--log-level debug|info|warn|error] [--log-format text|json]
  nfc devnet [--nodes N] [--datadir DIR] [--genesis FILE] [--rpc-port PORT] [--p2p-port PORT]
             [--reset] [--log-level debug|info|warn|error] [--config FILE]
  nfc genesis devnet --nodes N [--chain-id ID] [--timestamp MS] --out FILE [--force]
  nfc explorer [--rpc URL] [--abi FILE …]   (terminal explorer; default RPC http://127.0.0.1:8545)
  nfc genesis new --witnesses N [--chain-id ID] [--timestamp MS] --out FILE [--keys-dir DIR]
                  [--password-file FILE | --insecure-plain-keys] [--light] [--force]
  nfc genesis check FILE
  nfc keys new|list|import|export [ADDRESS] [--keystore DIR] [--password-file FILE] [--light] …
  nfc status [--rpc URL] [--json]
  nfc export [--dev | --genesis FILE] [--datadir DIR] [--from N] [--to M] --out FILE [--force]
  nfc import FILE [--dev | --genesis FILE] [--datadir DIR]
  nfc flow simulate [--rpc URL] [--consumers C] [--providers P] [--seconds S] [--cheat KIND] …
  nfc flow provide|consume|providers …   (the traffic agents; \`nfc flow --help\`)
  nfc names register|renew|set|transfer|release NAME --key FILE [--rpc URL] …
  nfc names resolve NAME | list [--owner ADDRESS]   [--rpc URL] [--json]
  nfc flow channel open|topup|close|withdraw|show [ID] [--key FILE] [--amount NB] [--provider ADDRESS] …
  nfc bench [group…]   (the benchmarks of \`npm run bench\`; \`nfc bench --help\` lists the groups)
  nfc db repair --datadir DIR
  nfc gov propose|vote|list [--rpc URL] [--key FILE] …
  nfc storage provide|put|get|deals|offers …   (storage deals; \`nfc storage --help\`)
  nfc --version [--json]

Commands:
  node      run a node from a genesis file (--dev: the single-node dev chain of genesis/dev.json,
            data in ./data/dev, RPC on 127.0.0.1:8545, producing with dev account 0)
  devnet    N nodes on loopback, one per witness (data in ./data/devnet, RPC on 127.0.0.1:8545+i,
            P2P on 127.0.0.1:30303+i); Ctrl-C stops them all
  genesis   write a genesis file (\`devnet\`: the genesis of an N-node devnet; \`new\`: N fresh
            witness keys in keystore files) or check one (\`check\`)
  keys      encrypted key files (Ethereum v3 keystores, in ./data/keystore by default)
  status    a summary of a running node over JSON-RPC (head, finality, peers, witnesses)
  export    write a stopped node's canonical blocks to a file (gzip when it ends in .gz)
  import    import such a file into a stopped node's data directory, every block verified as
            one from the network (blocks already present are skipped)
  flow      Proof of Valuable Flow tools (\`simulate\`: consumers and providers carry real bytes,
            sign receipts and submit them to a running node; \`provide\` / \`consume\`: the
            traffic agents, a SOCKS5 proxy whose bytes are receipted; \`providers\`: endpoints;
            \`channel\`: NB payment channels)
  names     names on chain (name → owner, node id, endpoint; registering locks NFC for the term)
  bench     the DESIGN §8 benchmarks (WASM core, recovery, blocks, RPC, PoVF, devnets, load),
            each figure next to its same-run baseline and target
  db        \`repair\`: a chain database damaged by a power cut or a disk fault, usable again
  version   the version, the git commit and the WASM core this build runs (also --version)
  gov       governance: propose a parameter change or a shared-pool grant, vote with staked
            NFC, list the proposals and the parameters in force
  storage   storage deals: provide (the provider's agent: stores, serves, proves each period),
            put a file, get it back checked against its root, list deals and offers

Run \`nfc <command> --help\` for the options of a command. \`nfc node\` and \`nfc devnet\`
also read a TOML --config file and NFC_* environment variables (flag > variable > file > default).`

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case 'node':
      return (await import('./nodeCommand.js')).nodeCommand(rest)
    case 'devnet':
      return (await import('./devnetCommand.js')).devnetCommand(rest)
    case 'genesis':
      return (await import('./genesisCommand.js')).genesisCommand(rest)
    case 'explorer':
      return (await import('./explorerCommand.js')).explorerCommand(rest)
    case 'keys':
      return (await import('./keysCommand.js')).keysCommand(rest)
    case 'status':
      return (await import('./statusCommand.js')).statusCommand(rest)
    case 'export':
      return (await import('./chainFileCommand.js')).exportCommand(rest)
    case 'import':
      return (await import('./chainFileCommand.js')).importCommand(rest)
    case 'flow':
      return (await import('./flowCommand.js')).flowCommand(rest)
    case 'names':
      return (await import('./namesCommand.js')).namesCommand(rest)
    case 'bench':
      return (await import('./benchCommand.js')).benchCommand(rest)
    case 'db':
      return (await import('./dbCommand.js')).dbCommand(rest)
    case 'gov':
      return (await import('./govCommand.js')).govCommand(rest)
    case 'storage':
      return (await import('./storageCommand.js')).storageCommand(rest)
    case '--version':
    case '-V':
    case 'version':
      if (rest.length > 1 || (rest.length === 1 && rest[0] !== '--json')) {
        process.stderr.write(`nfc ${command}: the only option is --json\n`)
        return 2
      }
      process.stdout.write((rest[0] === '--json' ? JSON.stringify(buildInfo()) : versionText()) + '\n')
      return 0
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
