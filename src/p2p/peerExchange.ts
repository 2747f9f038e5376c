/**
 * Peer exchange, the dialing side: addresses learned from Peers answers, dialed (once, not as
 * static peers) while the node has fewer than `targetPeers`. An address that fails is dropped and
 * not dialed again for `dialBackoffMs`, so a peer handing out junk cannot make us hammer hosts.
 */
import { randomInt } from 'node:crypto'
import { systemClock, type Clock } from '../util/clock.js'
import type { Logger } from '../util/logger.js'
import { normalizePeerUrl } from './chainMessages.js'
import { BoundedSet } from './dedupe.js'
import type { Peer } from './peer.js'
import type { Transport } from './transport.js'

const MAX_PARALLEL_DIALS = 4
const MAX_LEARNED = 256

/** the url a peer accepts connections on: the host it connected from (or we dialed) and its Hello's listen port */
export function listenUrlOf(peer: Pick<Peer, 'address' | 'hello'>, scheme: string): string | undefined {
  const port = peer.hello?.listenPort
  if (!port) return undefined
  let host = peer.address.slice(0, peer.address.lastIndexOf(':'))
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1)
  if (host.startsWith('::ffff:') && host.includes('.')) host = host.slice(7)
  if (!host) return undefined
  return normalizePeerUrl(`${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`)
}

export interface PeerExchangeOptions {
  transport: Transport
  log: Logger
  targetPeers: number
  dialBackoffMs: number
  /** default: the system clock */
  clock?: Clock
  /** established peers right now, and the urls they listen on */
  peerCount(): number
  connectedUrls(): Set<string | undefined>
}

export class PeerExchange {
  private readonly learned = new BoundedSet(MAX_LEARNED)
  private readonly failedUntil = new Map<string, number>()
  private readonly dialing = new Set<string>()
  /** our own listen url, once listening */
  listenUrl: string | undefined
  private readonly clock: Clock

  constructor(private readonly o: PeerExchangeOptions) {
    this.clock = o.clock ?? systemClock
  }

  learn(urls: string[]): void {
    for (const u of urls) if (!this.isSelf(u)) this.learned.add(u)
  }

  get known(): number {
    return this.learned.size
  }

  /** dial learned addresses until connected + dialing reaches targetPeers */
  dial(): void {
    const want = Math.min(this.o.targetPeers - this.o.peerCount() - this.dialing.size, MAX_PARALLEL_DIALS - this.dialing.size)
    if (want <= 0) return
    const now = this.clock.now()
    const connected = this.o.connectedUrls()
    const candidates = [...this.learned.keys()].filter((u) => !connected.has(u) && !this.dialing.has(u) && (this.failedUntil.get(u) ?? 0) <= now)
    for (let i = 0; i < want && candidates.length > 0; i++) {
      const [url] = candidates.splice(randomInt(candidates.length), 1) as [string]
      this.dialing.add(url)
      this.o.log.debug('dialing learned peer', { url })
      this.o.transport
        .connect(url)
        .then(
          () => this.failedUntil.delete(url),
          (e: unknown) => {
            this.o.log.debug('learned peer dial failed', { url, error: e })
            this.learned.delete(url)
            this.failedUntil.set(url, this.clock.now() + this.o.dialBackoffMs)
          },
        )
        .finally(() => this.dialing.delete(url))
    }
  }

  /** forget failures whose backoff is over */
  expire(now: number): void {
    for (const [url, until] of this.failedUntil) if (until <= now) this.failedUntil.delete(url)
  }

  private isSelf(url: string): boolean {
    if (url === this.listenUrl) return true
    const u = new URL(url)
    const local = ['127.0.0.1', 'localhost', '[::1]', '0.0.0.0', '[::]']
    return Number(u.port) === this.o.transport.port && local.includes(u.hostname)
  }
}
