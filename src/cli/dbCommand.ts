/**
 * `nfc db repair`: a data directory whose chain database a power cut or a disk fault damaged,
 * made usable again (src/storage/repair.ts), for the node that refused to start with the message
 * that names this command. The node must be stopped.
 */
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { chaindataDir } from '../node/datadir.js'
import { repairChainDb } from '../storage/repair.js'
import { hexOf } from '../util/bytes.js'
import { isNfcError } from '../util/errors.js'
import { processIo, UsageError, type CliIo } from './io.js'

const HELP = `nfc db — the chain database of a data directory

Usage:
  nfc db repair --datadir DIR

  repair    for a node that refused to start because its database lost writes or is damaged
            (power cut, disk fault): runs LevelDB's repair on DIR/chaindata, then sets the head
            back to the newest whole block and deletes the records above it (they come back
            from peers). The node must be stopped. The node key, keystores and the local
            transaction journal are not touched.

Options:
  --datadir DIR   the node's data directory (the one given to nfc node; ./data/dev for --dev)
  -h, --help      this text`

export async function dbCommand(argv: string[], io: CliIo = processIo()): Promise<number> {
  let values, positionals
  try {
    ;({ values, positionals } = parseArgs({
      args: argv,
      options: { datadir: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
      allowPositionals: true,
      strict: true,
    }))
  } catch (e) {
    io.err(`nfc db: ${(e as Error).message}\n\n${HELP}\n`)
    return 2
  }
  if (values.help) {
    io.out(HELP + '\n')
    return 0
  }
  try {
    const [sub, ...rest] = positionals
    if (sub !== 'repair') throw new UsageError(sub === undefined ? 'which command? (repair)' : `unknown command "${sub}" (repair)`)
    if (rest.length > 0) throw new UsageError(`nfc db repair takes no arguments, got "${rest.join(' ')}"`)
    if (values.datadir === undefined) throw new UsageError('nfc db repair wants --datadir DIR')
    const datadir = resolve(values.datadir)
    const chaindata = chaindataDir(datadir)
    if (!existsSync(chaindata)) throw new UsageError(`${datadir} holds no chain database (no ${chaindata})`)
    const r = await repairChainDb(datadir, chaindata, (line) => io.err(`${line}\n`))
    io.out(
      `repaired ${chaindata}: head ${r.headBefore === undefined ? '(unreadable)' : r.headBefore} → ${r.head} (${hexOf(r.headHash)}), ` +
        `${r.removedBlocks} block${r.removedBlocks === 1 ? '' : 's'} above it removed; final block ${r.final}\n`,
    )
    if (r.finalBefore !== undefined && r.finalBefore > r.final) {
      io.out(
        `blocks ${r.final + 1n}…${r.finalBefore} were final but are lost here: start the node with peers to fetch them ` +
          `again (other nodes hold them; the node follows the chain that extends block ${r.final})\n`,
      )
    }
    return 0
  } catch (e) {
    if (e instanceof UsageError || isNfcError(e)) {
      io.err(`nfc db: ${e.message}\n`)
      return e instanceof UsageError ? 2 : 1
    }
    io.err(`nfc db: repair failed: ${(e as Error).message}\n`)
    return 1
  }
}
