/**
 * The lab's latency emulation where the kernel has no netem: a TCP relay run inside a dialer's
 * namespace (`ip netns exec nfclab-i node dist/tools/lab/relay.js CONFIG_JSON`). The node dials
 * its peers' real addresses; an nftables DNAT in its namespace (netns.ts `setRelayRedirect`)
 * sends each connection to this relay, which opens the real connection from the namespace's own
 * data address (so the remote node sees the dialer's address) and forwards each chunk both ways
 * after a one-way delay of `delayMs` ± `jitterMs` (uniform), in order: a chunk is never delivered
 * before the one read before it. Loss stays in the kernel (nftables), on the relay→remote leg.
 *
 * Prints "relay ready" on stdout once every listener is up.
 */
import net from 'node:net'

/** The relay's configuration, passed as one JSON argument. */
export interface RelayConfig {
  /** the namespace's data address: the source of the outgoing connections */
  bindIp: string
  /** first and last source port to bind outgoing sockets to (the DNAT skips these) */
  sourcePorts: [number, number]
  delayMs: number
  jitterMs: number
  /** 127.0.0.1 listen port → the real remote address */
  routes: { listenPort: number; host: string; port: number }[]
}

const CONNECT_TIMEOUT_MS = 10_000
/** extra wait after the last delayed chunk before a half-closed pair is torn down */
const CLOSE_GRACE_MS = 50

/** Forwards `from` → `to`, each chunk after its own delay, never overtaking the previous chunk. */
function delayedPipe(from: net.Socket, to: net.Socket, cfg: RelayConfig): void {
  let lastDeliveryAt = 0
  from.on('data', (chunk: Buffer) => {
    const delay = cfg.delayMs + (Math.random() * 2 - 1) * cfg.jitterMs
    const at = Math.max(Date.now() + Math.max(0, delay), lastDeliveryAt)
    lastDeliveryAt = at
    setTimeout(() => {
      if (!to.destroyed) to.write(chunk)
    }, at - Date.now())
  })
  from.on('end', () => setTimeout(() => to.end(), Math.max(0, lastDeliveryAt - Date.now())))
}

let nextSourcePort = 0
/** Connects to the remote from `bindIp`, cycling through the source ports (skipping ones in use). */
function connectOut(cfg: RelayConfig, host: string, port: number): Promise<net.Socket> {
  const [first, last] = cfg.sourcePorts
  const attempt = (left: number): Promise<net.Socket> =>
    new Promise<net.Socket>((resolve, reject) => {
      const localPort = first + (nextSourcePort++ % (last - first + 1))
      const out = net.connect({ host, port, localAddress: cfg.bindIp, localPort })
      const timer = setTimeout(() => out.destroy(new Error('connect timed out')), CONNECT_TIMEOUT_MS)
      out.once('connect', () => {
        clearTimeout(timer)
        out.removeAllListeners('error')
        resolve(out)
      })
      out.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer)
        if (e.code === 'EADDRINUSE' && left > 0) resolve(attempt(left - 1))
        else reject(e)
      })
    })
  return attempt(last - first)
}

function serve(cfg: RelayConfig, route: RelayConfig['routes'][number]): Promise<void> {
  const server = net.createServer((inbound) => {
    inbound.pause()
    inbound.setNoDelay(true)
    inbound.on('error', () => undefined)
    connectOut(cfg, route.host, route.port).then(
      (out) => {
        out.setNoDelay(true)
        out.on('error', () => undefined)
        // the far side closed: let the chunks still in flight arrive first
        const drainMs = cfg.delayMs + cfg.jitterMs + CLOSE_GRACE_MS
        out.once('close', () => setTimeout(() => inbound.destroy(), drainMs))
        inbound.once('close', () => setTimeout(() => out.destroy(), drainMs))
        if (inbound.destroyed) return out.destroy()
        delayedPipe(inbound, out, cfg)
        delayedPipe(out, inbound, cfg)
        inbound.resume()
      },
      () => inbound.destroy(),
    )
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(route.listenPort, '127.0.0.1', () => resolve())
  })
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '') as RelayConfig
  await Promise.all(cfg.routes.map((r) => serve(cfg, r)))
  process.stdout.write('relay ready\n')
}

main().catch((e: unknown) => {
  process.stderr.write(`relay: ${(e as Error).message}\n`)
  process.exit(1)
})
