/**
 * Issue 15: bytes before the handshake. CONNECTIONS WebSockets at a lone witness process, each
 * from its own loopback source address, each sending a 16 MiB message (just under ws's
 * maxPayload) before any Hello. `ws` would buffer and unmask each one whole before the P2P
 * Hello limit applies (CONNECTIONS × 16 MiB); the node's handshake budget must cut every
 * connection on the message's header instead. Checked: every connection is closed by the node
 * and counted as `handshake-oversize` (not as a frame error after buffering, nor a timeout),
 * each address is banned, the node's RSS grows by at most MEMORY_BOUND_MB (sampled all along),
 * it misses no slot, and a legitimate peer is still accepted after.
 */
import t from 'tap'
import type { Socket } from 'node:net'
import { generateIdentity, Transport } from '../../../src/p2p/interface.js'
import { silentLogger } from '../../../src/util/logger.js'
import { memoryOf } from '../../../tools/fuzz/fuzzKit.js'
import { RawPeer, sourceAddress } from '../../../tools/fuzz/p2pFuzz.js'
import { headOf } from '../../helpers/devnetProcess.js'
import { tempDir, waitFor } from '../../helpers/nodeProcess.js'
import { metric, slotCounts, startLoneWitness } from '../../helpers/loneWitness.js'

/** fewer than the node's 32 pending handshakes: none is evicted, each must be cut by the budget */
const CONNECTIONS = 24
const MESSAGE_BYTES = 16 * 1024 * 1024
/** a client's WebSocket frame header with a 64-bit length: 2 bytes, the length, a 4-byte mask key */
const WS_HEADER_BYTES = 14
const WS_FIN_BINARY = 0x82
const WS_MASKED_64BIT_LENGTH = 0x80 | 127
/** each connection is given this long to be closed by the node (its handshake deadline is 5 s) */
const HOLD_MS = 15_000
/** RSS growth bound, MiB: without the budget the node would buffer CONNECTIONS × 16 MiB (384 MiB) */
const MEMORY_BOUND_MB = 64

t.setTimeout(240_000)

t.test(`${CONNECTIONS} connections each sending a 16 MiB message before any Hello`, async (t) => {
  const w = await startLoneWitness(t, tempDir(t, 'nfc-prehandshake-'))
  const pid = w.node.proc.pid!
  const before = await slotCounts(w.node.url)
  const headBefore = await headOf(w.node.url)
  const refused = (reason: string) => metric(w.node.url, `nfc_p2p_connections_refused_total{reason="${reason}"}`)
  const oversizeBefore = await refused('handshake-oversize')
  const timeoutsBefore = await refused('handshake-timeout')
  const rssBefore = memoryOf(pid)!.rssKb
  let rssMax = rssBefore
  const sampler = setInterval(() => (rssMax = Math.max(rssMax, memoryOf(pid)?.rssKb ?? 0)), 100)
  t.teardown(() => clearInterval(sampler))

  // the message is written on the raw socket with an all-zero mask key (masking is then the
  // identity): one body for every connection and no masking work in this process, so each
  // connection sends right after it opens — the node's 5 s handshake deadline runs from its accept
  const head = Buffer.alloc(WS_HEADER_BYTES)
  head[0] = WS_FIN_BINARY
  head[1] = WS_MASKED_64BIT_LENGTH
  head.writeBigUInt64BE(BigInt(MESSAGE_BYTES), 2)
  const body = Buffer.alloc(MESSAGE_BYTES, 0x5a)
  const peers = await Promise.all(
    Array.from({ length: CONNECTIONS }, async (_, i) => {
      const p = await RawPeer.open(w.p2pUrl, sourceAddress(3_000_000 + i), 20_000)
      const socket = (p.ws as unknown as { _socket: Socket })._socket
      socket.write(head)
      socket.write(body)
      return p
    }),
  )
  t.pass(`${CONNECTIONS} WebSockets open`)
  const closed = await Promise.all(peers.map((p) => p.closedWithin(HOLD_MS)))
  clearInterval(sampler)
  for (const p of peers) p.terminate()
  t.equal(closed.filter(Boolean).length, CONNECTIONS, 'the node closed every connection')
  t.equal((await refused('handshake-oversize')) - oversizeBefore, CONNECTIONS, 'each was cut for its bytes before the handshake')
  t.equal((await refused('handshake-timeout')) - timeoutsBefore, 0, 'none was left to its handshake deadline')
  t.ok((await metric(w.node.url, 'nfc_p2p_bans_total{reason="invalid-frame"}')) >= CONNECTIONS, 'each address banned as an invalid frame')
  t.equal(peers.filter((p) => p.disconnect !== undefined).length, 0, 'cut, not answered: no Disconnect was sent to any of them')

  const again = await RawPeer.open(w.p2pUrl, sourceAddress(3_000_000), 10_000).then(
    (p) => p,
    (e: Error) => e,
  )
  t.ok(again instanceof Error, `a banned address is refused on reconnect (${again instanceof Error ? again.message : 'accepted'})`)
  if (again instanceof RawPeer) again.terminate()

  const status = { chainId: w.chainId, genesisHash: w.genesisHash, head: { number: 0n, hash: w.genesisHash } }
  const transport = new Transport({ identity: generateIdentity(), status: () => status, logger: silentLogger, port: 0 })
  t.teardown(() => transport.close())
  const peer = await waitFor(() => transport.connect(w.p2pUrl).catch(() => undefined), 30_000, 'a legitimate peer accepted')
  t.ok(peer.established, 'a legitimate peer from 127.0.0.1 is accepted after')

  await waitFor(async () => (await headOf(w.node.url)) >= headBefore + 3, 30_000, 'blocks continue')
  const after = await slotCounts(w.node.url)
  t.ok(after.own > before.own, `own slots during the test: ${after.own - before.own}`)
  t.equal(after.missed - before.missed, 0, `no own slot missed of ${after.own - before.own}`)
  const growthMb = (rssMax - rssBefore) / 1024
  t.comment(`node RSS ${(rssBefore / 1024).toFixed(1)} MiB before, ${(rssMax / 1024).toFixed(1)} MiB at most (bound +${MEMORY_BOUND_MB} MiB)`)
  t.ok(growthMb <= MEMORY_BOUND_MB, `RSS growth ${growthMb.toFixed(1)} MiB ≤ ${MEMORY_BOUND_MB} MiB`)
  t.equal(w.node.proc.exitCode, null, 'the node is still running')
})
