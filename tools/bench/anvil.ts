/**
 * Anvil (Foundry's dev node, the optional dev dependency @foundry-rs/anvil-linux-amd64) as the
 * same-run reference of the `load` and `rpc` groups, and the one-call JSON-RPC helper they share.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createRequire } from 'node:module'
import net from 'node:net'
import { dirname, join } from 'node:path'

export const ANVIL_CHAIN_ID = 31337n

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port
      srv.close(() => resolve(port))
    })
  })
}

/** One JSON-RPC call; an error answer throws. */
export async function rpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  })
  const a = (await res.json()) as { result?: unknown; error?: { message: string } }
  if (a.error !== undefined) throw new Error(`${method}: ${a.error.message}`)
  return a.result
}

/** The Anvil binary of the optional dependency, or why there is none. */
export function anvilBinary(): { path: string } | { skip: string } {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    return { skip: `no Anvil package for ${process.platform}-${process.arch} in the dev dependencies` }
  try {
    const pkg = createRequire(import.meta.url).resolve('@foundry-rs/anvil-linux-amd64/package.json')
    return { path: join(dirname(pkg), 'bin', 'anvil') }
  } catch {
    return { skip: 'Anvil is not installed (optional dependency @foundry-rs/anvil-linux-amd64; `npm install --include=optional`)' }
  }
}

/** Anvil on a free port, answering; its exit is awaited by `stop`. */
export async function startAnvil(bin: string, blockTimeSec: number, gasLimit: bigint): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort()
  // Anvil mines on the same 1 s interval and gas limit as our dev chain, so both fill blocks the same way.
  // Its automine (a block per send), alone or as --mixed-mining, stops mining under this load in 1.5.1 and
  // 1.7.1 (ready transactions sit in its pool, the head stops; measured), so it is not used
  const args = ['--host', '127.0.0.1', '--port', String(port), '--chain-id', String(ANVIL_CHAIN_ID), '--silent']
  args.push('--block-time', String(blockTimeSec), '--gas-limit', String(gasLimit))
  const proc: ChildProcess = spawn(bin, args, { stdio: 'ignore' })
  // never leave Anvil behind when the bench itself is stopped
  const orphan = () => proc.kill('SIGKILL')
  process.once('exit', orphan)
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
  const url = `http://127.0.0.1:${port}`
  const until = performance.now() + 30_000
  for (;;) {
    try {
      await rpc(url, 'eth_chainId')
      break
    } catch (e) {
      if (proc.exitCode !== null || performance.now() > until) throw new Error(`Anvil did not start: ${(e as Error).message}`, { cause: e })
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  return {
    url,
    stop: async () => {
      process.off('exit', orphan)
      proc.kill('SIGTERM')
      await exited
    },
  }
}
