/**
 * End-to-end harness: runs the real `nfc node` CLI (dist/src/bin/nfc.js, the bundle `npm run build`
 * makes) as a child process and talks to it over JSON-RPC.
 *
 * Everything is event-driven: `startNode` resolves on the "JSON-RPC listening" log line and
 * rejects (with the collected stderr) if the process exits first or takes longer than 60 s;
 * `waitFor` polls a condition (every 100 ms unless told) with a hard timeout: the one wait-until
 * helper of the tests, unit and e2e alike. No test depends on a sleep.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const CLI = join(REPO_ROOT, 'dist/src/bin/nfc.js')
export const DEV_GENESIS = join(REPO_ROOT, 'genesis/dev.json')

/** the address a devnet's nodes share, exempt from the per-address P2P limits */
export const DEVNET_EXEMPT = '127.0.0.1'

/**
 * A "did not hang" guard, not a figure: a start takes ~1.5 s of CPU (loading the modules), 2–5 s
 * in `npm test`, but over 30 s was seen on this 2-core machine at a load average of 15–20.
 */
const START_TIMEOUT_MS = 60_000
const STOP_TIMEOUT_MS = 20_000
/** the start-up line in either log format (text: key=value; json: one object) */
const LISTENING = /JSON-RPC listening http=(\S+) ws=(\S+)|"msg":"JSON-RPC listening","http":"([^"]+)","ws":"([^"]+)"/

export interface NodeProcess {
  url: string
  wsUrl: string
  proc: ChildProcess
  /** everything the node wrote to stderr so far */
  stderr(): string
  /** SIGINT, then resolves with the exit code (SIGKILL after 20 s, then rejects) */
  stop(): Promise<number>
  /** sends `signal` and resolves when the process is gone */
  kill(signal: NodeJS.Signals): Promise<void>
}

export interface StartOptions {
  datadir: string
  genesis?: string
  extraArgs?: string[]
  /** pass --dev (default true); false: a plain `nfc node` (give --genesis and what else it needs) */
  dev?: boolean
}

/** tsc's record of its last build: written when it emitted something */
const TSC_BUILD_INFO = join(REPO_ROOT, 'dist/.tsbuildinfo')

function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`)
  // a tsc run alone (no bundle after it) would leave the tests running the code of the build before
  if (existsSync(TSC_BUILD_INFO) && statSync(TSC_BUILD_INFO).mtimeMs > statSync(CLI).mtimeMs) {
    throw new Error(`${CLI} is older than tsc's last output: run \`npm run build\` (it bundles the CLI after tsc)`)
  }
}

function nodeArgs(opts: StartOptions): string[] {
  const args = [CLI, 'node', ...(opts.dev === false ? [] : ['--dev']), '--rpc', '127.0.0.1:0', '--datadir', opts.datadir]
  if (opts.genesis !== undefined) args.push('--genesis', opts.genesis)
  const extra = opts.extraArgs ?? []
  // test nodes talk to each other on 127.0.0.1: exempt exactly it from the per-address limits
  // (not 127.0.0.0/8: attack tests open connections from other loopback addresses)
  const p2p = extra.indexOf('--p2p')
  if (p2p >= 0 && extra[p2p + 1] !== 'off' && !extra.includes('--p2p-exempt')) args.push('--p2p-exempt', DEVNET_EXEMPT)
  return [...args, ...extra]
}

/**
 * Resolves when `proc` has exited and its stdio is closed ('close', not 'exit': by then all of
 * stderr has been read, so a test can look for the last log line). Call it right after spawning.
 */
function closedOf(proc: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolveClose) => proc.once('close', (code, signal) => resolveClose({ code, signal })))
}

/** Starts a dev node and waits until its JSON-RPC endpoint is serving. */
export function startNode(opts: StartOptions): Promise<NodeProcess> {
  assertBuilt()
  const proc = spawn(process.execPath, nodeArgs(opts), { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] })
  const closed = closedOf(proc)
  let err = ''
  proc.stderr!.setEncoding('utf8')
  return new Promise<NodeProcess>((resolveStart, rejectStart) => {
    let settled = false
    const fail = (why: string) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL')
      rejectStart(new Error(`${why}\n--- node stderr ---\n${err}`))
    }
    const timer = setTimeout(() => fail(`node did not start serving within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS)
    proc.once('error', (e) => fail(`cannot spawn the node: ${e.message}`))
    // 'close' (not 'exit'): all of stderr has been read by then
    proc.once('close', (code, signal) => fail(`node exited before serving (code ${code}, signal ${signal})`))
    proc.stderr!.on('data', (chunk: string) => {
      err += chunk
      if (settled) return
      const m = LISTENING.exec(err)
      if (m === null) return
      settled = true
      clearTimeout(timer)
      const kill = async (signal: NodeJS.Signals) => {
        const done = closed
        if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal)
        await done
      }
      let stopping: Promise<number> | undefined
      const stop = () =>
        (stopping ??= (async () => {
          const done = closed
          if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGINT')
          let hard: NodeJS.Timeout | undefined
          const overdue = new Promise<'overdue'>((r) => {
            hard = setTimeout(() => r('overdue'), STOP_TIMEOUT_MS)
          })
          const res = await Promise.race([done, overdue])
          clearTimeout(hard)
          if (res === 'overdue') {
            await kill('SIGKILL')
            throw new Error(`node did not stop within ${STOP_TIMEOUT_MS} ms of SIGINT\n${err}`)
          }
          return res.code ?? -1
        })())
      resolveStart({ url: (m[1] ?? m[3])!, wsUrl: (m[2] ?? m[4])!, proc, stderr: () => err, stop, kill })
    })
  })
}

/**
 * Runs `nfc <args>` expecting it to fail at start-up (it is killed if it starts serving or runs
 * for more than 60 s). `args` are passed as is, after the CLI path.
 */
export function runNodeExpectingFailure(args: string[]): Promise<{ code: number | null; stderr: string }> {
  assertBuilt()
  const proc = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  proc.stderr!.setEncoding('utf8')
  return new Promise((resolveRun, rejectRun) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL')
      rejectRun(new Error(`expected a start-up failure but the node still ran after ${START_TIMEOUT_MS} ms\n${err}`))
    }, START_TIMEOUT_MS)
    proc.once('error', (e) => {
      clearTimeout(timer)
      rejectRun(e)
    })
    proc.stderr!.on('data', (chunk: string) => {
      err += chunk
      if (LISTENING.test(err)) {
        clearTimeout(timer)
        proc.kill('SIGKILL')
        rejectRun(new Error(`expected a start-up failure but the node started serving\n${err}`))
      }
    })
    proc.once('close', (code) => {
      clearTimeout(timer)
      resolveRun({ code, stderr: err })
    })
  })
}

/** Args for a dev node on `datadir` with an ephemeral RPC port, for runNodeExpectingFailure. */
export function devNodeArgs(datadir: string, extra: string[] = []): string[] {
  return nodeArgs({ datadir, extraArgs: extra }).slice(1)
}

/** Polls `fn` every `everyMs` until it returns something other than undefined/false, or times out. */
export async function waitFor<T>(
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  what = 'condition',
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const v = await fn()
      if (v !== undefined && v !== false) return v as T
    } catch (e) {
      lastError = e
    }
    if (Date.now() >= deadline) {
      const why = lastError === undefined ? '' : ` (last error: ${(lastError as Error).message ?? lastError})`
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`)
    }
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

/** A fresh temp dir, removed at teardown. */
export function tempDir(t: { teardown(fn: () => unknown): void }, prefix = 'nfc-e2e-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Relative path → sha256 (files) or 'dir' for everything under `dir`, to prove it untouched. */
export function snapshotDir(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name)
      const rel = relative(dir, p)
      if (statSync(p).isDirectory()) {
        out[rel] = 'dir'
        walk(p)
      } else {
        out[rel] = createHash('sha256').update(readFileSync(p)).digest('hex')
      }
    }
  }
  walk(dir)
  return out
}

/** Raw JSON-RPC over HTTP: the parsed response envelope (for exact error checks). */
export async function rpcRaw(url: string, method: string, params: unknown[] = [], id: number = 1): Promise<any> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
  })
  return res.json()
}

/** JSON-RPC result or throws with the error object attached. */
export async function rpc<T = any>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const body = await rpcRaw(url, method, params)
  if (body.error !== undefined) {
    throw Object.assign(new Error(`${method}: ${body.error.message}`), { rpcError: body.error })
  }
  return body.result as T
}

/**
 * Runs `node <script> <args>` from the repository root and collects its output; rejects (with
 * its stderr) when it runs over `timeoutMs`.
 */
export function runScript(script: string, args: string[], timeoutMs = 60_000): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolveRun, reject) => {
    const p = spawn(process.execPath, [script, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
    p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d))
    const timer = setTimeout(() => {
      p.kill('SIGKILL')
      reject(new Error(`${relative(REPO_ROOT, script)} ran over ${timeoutMs / 1000} s\n${err}`))
    }, timeoutMs)
    p.once('error', reject)
    p.once('close', (code) => {
      clearTimeout(timer)
      resolveRun({ code, out, err })
    })
  })
}

/** A long-running `nfc …` process (an agent): its output so far, a wait for a stdout line, SIGINT. */
export interface CliProcess {
  proc: ChildProcess
  out(): string
  /** waits for a stdout line matching `re`; fails at once if the process exits first; the error shows stdout and stderr */
  line(re: RegExp, what: string, timeoutMs?: number): Promise<RegExpExecArray>
  /** SIGINT, then the exit code */
  stop(): Promise<number | null>
}

/** Spawns `nfc <args>` from dist/, killed with SIGKILL at teardown if still running. */
export function spawnCli(t: { teardown(fn: () => unknown): void }, args: string[]): CliProcess {
  const p = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
  p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d))
  let exited = false
  const closed = new Promise<number | null>((r) =>
    p.once('close', (code) => {
      exited = true
      r(code)
    }),
  )
  t.teardown(() => {
    if (p.exitCode === null) p.kill('SIGKILL')
  })
  // the output as it is when the wait ends, not when it started
  const output = () => `\n--- stdout ---\n${out}\n--- stderr ---\n${err}`
  return {
    proc: p,
    out: () => out,
    line: async (re, what, timeoutMs = 120_000) => {
      const m = await waitFor(async () => re.exec(out) ?? (exited ? ('exited' as const) : undefined), timeoutMs, what).catch((e: Error) => {
        throw new Error(e.message + output())
      })
      if (m === 'exited') throw new Error(`the process exited (code ${p.exitCode}, signal ${p.signalCode}) before ${what}${output()}`)
      return m
    },
    stop: async () => {
      p.kill('SIGINT')
      return closed
    },
  }
}
