/**
 * `nfc export` and `nfc import` (geth's `export`/`import`, DESIGN §10): parse the flags, open
 * the chain as `nfc node` would (`--dev` / `--genesis`, `--datadir`), show progress on stderr
 * (blocks, blocks/s, ETA), print the summary. The work is src/node/chainFile.ts.
 */
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { bytesToHex } from '@ethereumjs/util'
import { exportChain, importChain, type ImportProgress } from '../node/chainFile.js'
import { isNfcError } from '../util/errors.js'
import { createLogger } from '../util/logger.js'
import { chainOfFlags, nonNegativeInt, positiveInt } from './nodeCommand.js'
import { processIo, progressLine, UsageError, type CliIo } from './io.js'

/** progress is redrawn at most this often */
const PROGRESS_INTERVAL_MS = 1000

const CHAIN_FLAGS = `  --dev                 the dev chain (genesis/dev.json, data in ./data/dev)
  --genesis FILE        genesis file (required without --dev)
  --datadir DIR         data directory (default ./data/<genesis name>)`

export const EXPORT_HELP = `nfc export — write a stopped node's blocks to a file

Usage:
  nfc export [--dev | --genesis FILE] [--datadir DIR] [--from N] [--to M] --out FILE [--force]

Writes the canonical blocks N..M of the data directory to FILE (gzip-compressed when FILE ends
in .gz), for \`nfc import\`. The node must be stopped (its data directory is locked while it runs).

Options:
${CHAIN_FLAGS}
  --from N              first block (default 1)
  --to M                last block (default: the head)
  --out FILE            the file to write (required)
  --force               overwrite FILE if it exists
  -h, --help            this text`

export const IMPORT_HELP = `nfc import — import blocks from a file, verifying each one

Usage:
  nfc import FILE [--dev | --genesis FILE] [--datadir DIR]

Imports the blocks of FILE (written by \`nfc export\`, gzip or not) into the data directory of
the same genesis, each through the node's full validation (header, signature, DPoS, execution)
as a block from the network. Blocks already present are skipped. At the first block refused,
a damaged or cut-short file, it stops with the block's number and the rule; the blocks before
it stay imported. The node must be stopped.

Options:
${CHAIN_FLAGS}
  -h, --help            this text`

const CHAIN_OPTIONS = {
  dev: { type: 'boolean', default: false },
  genesis: { type: 'string' },
  datadir: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const

/** 1,500 */
const count = (n: number | bigint) => n.toLocaleString('en-US')
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`

/** "12 s", "3 min 20 s": the time left at `rate` per second for `left` more */
export function etaText(left: number, ratePerS: number): string {
  if (!(ratePerS > 0) || !Number.isFinite(left / ratePerS)) return '?'
  const s = Math.ceil(left / ratePerS)
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`
}

/** The flags shared by both commands, with --dev and --genesis not both. */
function parseChainFlags(values: { dev?: boolean; genesis?: string; datadir?: string }) {
  if (values.dev === true && values.genesis !== undefined) throw new UsageError('give --dev or --genesis FILE, not both')
  return chainOfFlags(values)
}

/** Bad flags: exit 2 (with the help for what parseArgs refuses); a genesis file that does not load: exit 1. */
function refuseArgs(command: string, e: unknown, help: string, io: CliIo): number {
  io.err(`nfc ${command}: ${(e as Error).message}\n` + (e instanceof UsageError || isNfcError(e) ? '' : `\n${help}\n`))
  return isNfcError(e) ? 1 : 2
}

/** A stopped node's blocks to a file. */
export async function exportCommand(argv: string[], io: CliIo = processIo()): Promise<number> {
  let run: Parameters<typeof exportChain>[0]
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...CHAIN_OPTIONS, from: { type: 'string' }, to: { type: 'string' }, out: { type: 'string' }, force: { type: 'boolean', default: false } },
      allowPositionals: true,
    })
    if (values.help) {
      io.out(EXPORT_HELP + '\n')
      return 0
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}" (the file is given with --out FILE)`)
    if (values.out === undefined || values.out === '') throw new UsageError('--out FILE is required (the file to write)')
    const from = values.from === undefined ? undefined : BigInt(positiveInt('from', values.from))
    const to = values.to === undefined ? undefined : BigInt(nonNegativeInt('to', values.to))
    if (from !== undefined && to !== undefined && from > to) throw new UsageError(`--from ${from} is after --to ${to}`)
    const out = resolve(values.out)
    if (existsSync(out) && !values.force) throw new UsageError(`${out} exists; give --force to overwrite it`)
    const { genesis, datadir } = parseChainFlags(values)
    run = { genesis, datadir, from, to, out, logger: createLogger({ level: 'warn' }) }
  } catch (e) {
    return refuseArgs('export', e, EXPORT_HELP, io)
  }
  const progress = progressLine()
  const started = Date.now()
  let shown = started
  try {
    const r = await exportChain({
      ...run,
      onBlock: ({ number, from, to }) => {
        const now = Date.now()
        if (now - shown < PROGRESS_INTERVAL_MS) return
        shown = now
        const done = Number(number - from + 1n)
        const rate = done / ((now - started) / 1000)
        progress.update(`exporting: block ${count(number)} of ${count(to)}, ${count(Math.round(rate))} blocks/s, ETA ${etaText(Number(to - number), rate)}`)
      },
    })
    progress.done()
    const ms = Date.now() - started
    io.out(`exported ${count(r.blocks)} blocks (${count(r.from)}..${count(r.to)}) in ${seconds(ms)} to ${run.out} (${count(r.fileBytes)} bytes)\n`)
    return 0
  } catch (e) {
    progress.done()
    if (!isNfcError(e)) throw e
    io.err(`nfc export: ${e.message}\n`)
    return 1
  }
}

/** A file's blocks into a stopped node's data directory, each verified. */
export async function importCommand(argv: string[], io: CliIo = processIo()): Promise<number> {
  let run: Parameters<typeof importChain>[0]
  try {
    const { values, positionals } = parseArgs({ args: argv, options: CHAIN_OPTIONS, allowPositionals: true })
    if (values.help) {
      io.out(IMPORT_HELP + '\n')
      return 0
    }
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'give the FILE to import' : `one FILE at a time, got ${positionals.length}`)
    const file = resolve(positionals[0]!)
    if (!existsSync(file)) throw new UsageError(`${file}: no such file`)
    const { genesis, datadir } = parseChainFlags(values)
    run = { genesis, datadir, file, logger: createLogger({ level: 'warn' }) }
  } catch (e) {
    return refuseArgs('import', e, IMPORT_HELP, io)
  }
  const progress = progressLine()
  const started = Date.now()
  let shown = started
  try {
    const r = await importChain({
      ...run,
      onBlock: (p) => {
        const now = Date.now()
        if (now - shown < PROGRESS_INTERVAL_MS) return
        shown = now
        progress.update(importProgressText(p, now - started))
      },
    })
    progress.done()
    const ms = Date.now() - started
    const side = r.sideBlocks > 0 ? `, ${count(r.sideBlocks)} stored off the chain (this directory follows another branch)` : ''
    io.out(`imported ${count(r.blocks)} blocks (${count(r.newBlocks)} new${side}) in ${seconds(ms)}, head ${r.head.number} ${bytesToHex(r.head.hash)}\n`)
    return 0
  } catch (e) {
    progress.done()
    if (!isNfcError(e)) throw e
    io.err(`nfc import: ${e.message}\n`)
    if (typeof e.meta.imported === 'number') {
      io.err(
        `nfc import: the ${count(e.meta.imported)} blocks before it are imported (${count(e.meta.newBlocks as number)} new); head ${e.meta.head as bigint}\n`,
      )
    }
    return 1
  }
}

/** "importing: block 1,200, 1,200 blocks, 350 blocks/s, ETA 2 s" (the ETA from the bytes of the file read) */
export function importProgressText(p: ImportProgress, elapsedMs: number): string {
  const rate = p.blocks / (elapsedMs / 1000)
  const byteRate = p.fileBytesRead / (elapsedMs / 1000)
  return `importing: block ${count(p.number)}, ${count(p.blocks)} blocks, ${count(Math.round(rate))} blocks/s, ETA ${etaText(p.fileBytes - p.fileBytesRead, byteRate)}`
}
