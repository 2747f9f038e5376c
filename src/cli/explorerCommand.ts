/**
 * `nfc explorer`: the Ink terminal explorer against a node's JSON-RPC. This file only parses
 * flags and loads the ABI files; everything else is in src/explorer (which talks JSON-RPC only).
 */
import { parseArgs } from 'node:util'
import { createElement } from 'react'
import { loadAbiFile, type NamedAbi } from '../explorer/decode.js'
import { UsageError } from './io.js'

export const DEFAULT_RPC = 'http://127.0.0.1:8545'

const HELP = `nfc explorer — browse a NetFlowCoin node in the terminal

Usage: nfc explorer [--rpc URL] [--abi FILE …]

Options:
  --rpc URL      the node's JSON-RPC over HTTP (default ${DEFAULT_RPC}); live heads come over
                 WebSocket on the same host and port (ws://…), polling when that is refused
  --abi FILE     a contract ABI (JSON array, or a Hardhat/Foundry artifact with an "abi" field)
                 to decode calls, events and errors with; repeat for more (the system
                 contracts' ABIs are built in)
  -h, --help     this text

Keys: 1-9 or Tab switch tabs (Dashboard, Blocks, Witnesses, Flow, Account, Gov, Storage,
Channels, Names), j/k or arrows move, Enter opens, Esc goes back, n/p page long lists, /
searches (block number, block or tx hash, address, name), ? shows help, q quits. Enter on a
transaction's "Logs" line lists its logs in full (r: raw topics and data too).`

export interface ExplorerOptions {
  help: boolean
  rpc: string
  abiFiles: string[]
}

/** argv → options; throws UsageError on unknown or malformed flags. */
export function parseExplorerArgs(argv: string[]): ExplorerOptions {
  let values
  try {
    values = parseArgs({
      args: argv,
      options: {
        rpc: { type: 'string' },
        abi: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values
  } catch (e) {
    throw new UsageError((e as Error).message)
  }
  const rpc = values.rpc ?? DEFAULT_RPC
  let url: URL | undefined
  try {
    url = new URL(rpc)
  } catch {
    url = undefined
  }
  if (url === undefined || !['http:', 'https:'].includes(url.protocol) || url.hostname === '') {
    throw new UsageError(`--rpc wants an http:// or https:// URL (e.g. ${DEFAULT_RPC}), got "${rpc}"`)
  }
  return { help: values.help === true, rpc, abiFiles: values.abi ?? [] }
}

/** Reads every --abi file; a bad one is a usage error naming the file. */
export function loadAbis(files: string[]): NamedAbi[] {
  return files.map((f) => {
    try {
      return loadAbiFile(f)
    } catch (e) {
      throw new UsageError(`--abi: ${(e as Error).message}`)
    }
  })
}

/** The variables by which Ink (through the is-in-ci package) and its colour detection decide they run in CI. */
const isCiVariable = (name: string) => name === 'CI' || name === 'CONTINUOUS_INTEGRATION' || name.startsWith('CI_')

/**
 * Loads Ink and the explorer for a terminal. Ink decides once, when it is first loaded, whether it
 * runs "in CI" (any of the variables above): there it draws nothing until the app exits, so on a
 * terminal whose shell exports CI=true the explorer showed a blank screen. The explorer only runs on
 * a terminal, so those variables are hidden while Ink loads and put back right after.
 */
async function loadInteractiveInk() {
  const hidden = Object.entries(process.env).filter(([name]) => isCiVariable(name))
  for (const [name] of hidden) delete process.env[name]
  try {
    const [{ render }, { App }] = await Promise.all([import('ink'), import('../explorer/app.js')])
    return { render, App }
  } finally {
    for (const [name, value] of hidden) process.env[name] = value
  }
}

export async function explorerCommand(argv: string[]): Promise<number> {
  let opts: ExplorerOptions
  let abis: NamedAbi[]
  try {
    opts = parseExplorerArgs(argv)
    if (opts.help) {
      process.stdout.write(HELP + '\n')
      return 0
    }
    abis = loadAbis(opts.abiFiles)
  } catch (e) {
    if (!(e instanceof UsageError)) throw e
    process.stderr.write(`nfc explorer: ${e.message}\n\n${HELP}\n`)
    return 2
  }
  if (!process.stdin.isTTY) {
    process.stderr.write('nfc explorer: needs an interactive terminal (stdin is not a TTY)\n')
    return 2
  }
  const { render, App } = await loadInteractiveInk()
  // the alternate screen: the shell's scrollback is left as it was when the explorer quits
  const alt = process.stdout.isTTY === true
  if (alt) process.stdout.write('\u001B[?1049h\u001B[H')
  // no incrementalRendering: in a real 80×24 tmux it left stale lines behind (Ink 6.8)
  const ink = render(createElement(App, { rpc: opts.rpc, abis }), { exitOnCtrlC: true, patchConsole: true })
  try {
    await ink.waitUntilExit()
  } finally {
    if (alt) process.stdout.write('\u001B[?1049l')
  }
  return 0
}
