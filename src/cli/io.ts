/**
 * What every `nfc` command shares for talking to its user: UsageError (a bad flag or file: one
 * line on stderr, exit 2 or 1), the output streams (tests pass their own) and passwords (first
 * line of a --password-file, else asked on the terminal without echo).
 */
import { readFileSync } from 'node:fs'

export class UsageError extends Error {}

/** Where a command writes; tests pass their own to capture the output. */
export interface CliIo {
  out(text: string): void
  err(text: string): void
  /** the terminal to prompt on, or null when stdin is not one */
  tty: NodeJS.ReadStream | null
}

export const processIo = (): CliIo => ({
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
  tty: process.stdin.isTTY ? process.stdin : null,
})

/** Reads a line from the terminal without echoing it. Ctrl-C cancels. */
function promptHidden(prompt: string, io: CliIo, tty: NodeJS.ReadStream): Promise<string> {
  io.err(prompt)
  return new Promise((resolvePw, reject) => {
    let buf = ''
    const onEnd = (): void => {
      done()
      reject(new UsageError('no password: the input ended before a line was typed'))
    }
    const done = (): void => {
      tty.off('data', onData)
      tty.off('end', onEnd)
      tty.setRawMode(false)
      tty.pause()
      io.err('\n')
    }
    const onData = (chunk: Buffer | string): void => {
      const chars = [...chunk.toString('utf8')]
      for (let i = 0; i < chars.length; i++) {
        const ch = chars[i]!
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          done()
          // pasted text can hold the next answer too: leave it for the next prompt
          const rest = chars
            .slice(i + 1)
            .join('')
            .replace(/^\n/, '')
          if (rest !== '') tty.unshift(Buffer.from(rest, 'utf8'))
          return resolvePw(buf)
        }
        if (ch === '\u0003') {
          done()
          return reject(new UsageError('cancelled'))
        }
        if (ch === '\u007f' || ch === '\b') buf = [...buf].slice(0, -1).join('')
        else buf += ch
      }
    }
    tty.setRawMode(true)
    tty.resume()
    tty.on('data', onData)
    tty.once('end', onEnd)
  })
}

/**
 * The password: the first line of `file`, else asked on the terminal (`confirm`: asked twice,
 * for a password that will lock a new file). `forNew` refuses an empty one.
 */
export async function readPassword(opts: { file?: string; confirm: boolean; what?: string }, io: CliIo): Promise<string> {
  const what = opts.what ?? 'password'
  let pw: string
  if (opts.file !== undefined) {
    let text: string
    try {
      text = readFileSync(opts.file, 'utf8')
    } catch (e) {
      throw new UsageError(`cannot read --password-file ${opts.file}: ${(e as Error).message}`)
    }
    pw = text.split('\n')[0]!.replace(/\r$/, '')
  } else if (io.tty !== null) {
    pw = await promptHidden(`${what[0]!.toUpperCase()}${what.slice(1)}: `, io, io.tty)
    if (opts.confirm) {
      const again = await promptHidden('Repeat it: ', io, io.tty)
      if (again !== pw) throw new UsageError('the passwords do not match')
    }
  } else {
    throw new UsageError('no password: give --password-file FILE (stdin is not a terminal, so it cannot be asked for)')
  }
  if (opts.confirm && pw === '') throw new UsageError(`the ${what} is empty; a key file needs a password`)
  return pw
}

/** Where progress goes: stderr, or a test's stand-in. */
export interface ProgressStream {
  isTTY?: boolean
  write(text: string): unknown
}

/**
 * The progress of a long command. On a terminal: one line, rewritten in place. Elsewhere (a
 * file, a pipe, CI): a line only when the phase changes — the text before the first ':' — so a
 * log gets "traffic: …" once, not once a second; the command's final summary says the rest.
 */
export function progressLine(stream: ProgressStream = process.stderr): { update(line: string): void; done(): void } {
  const tty = stream.isTTY === true
  let phase: string | undefined
  let shown = false
  return {
    update(line: string): void {
      if (tty) {
        stream.write(`\r\x1b[K${line}`)
        shown = true
        return
      }
      const next = line.split(':', 1)[0]!
      if (next === phase) return
      phase = next
      stream.write(line + '\n')
    },
    done(): void {
      if (tty && shown) stream.write('\r\x1b[K')
      shown = false
    },
  }
}
