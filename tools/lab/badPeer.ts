/**
 * The lab's Byzantine peer, run in a namespace of its own (`ip netns exec nfclab-x node
 * dist/tools/lab/badPeer.js CONFIG_JSON`): it connects to every honest node over P2P (a real
 * handshake of this chain, our own P2P library), fetches block 1, and sends it back tampered (the
 * state root changed, so the producer's signature no longer matches), a different variant every
 * `intervalMs`, until the node drops it. Then it dials once more. One JSON line per node on
 * stdout: {"target", "invalidSent", "closed" (the reason name, or null), "reconnect"
 * ("accepted" | "refused: …")}.
 */
import { hexToBytes } from '@ethereumjs/util'
import { decodeBlock, encodeBlock, makeBlock } from '../../src/chain/block.js'
import { makeCommon } from '../../src/execution/common.js'
import { decodeBlocks, encodeGetBlocks } from '../../src/p2p/chainMessages.js'
import { generateIdentity, MessageType, Transport, type Peer, type PeerCloseInfo } from '../../src/p2p/interface.js'
import { silentLogger } from '../../src/util/logger.js'

/** The bad peer's configuration, passed as one JSON argument. */
export interface BadPeerConfig {
  targets: string[]
  chainId: string
  genesisHash: string
  /** most tampered blocks sent to one node */
  maxInvalid: number
  intervalMs: number
}

/** What one honest node did with the bad peer. */
export interface BadPeerReport {
  target: string
  invalidSent: number
  closed: string | null
  reconnect: string
}

/** generous: a node on a loaded machine can take long to answer */
const FETCH_TIMEOUT_MS = 60_000

/** how long to wait for the close event after the last block sent */
const CLOSE_WAIT_MS = 5_000

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

function transportFor(cfg: BadPeerConfig): Transport {
  const hash = hexToBytes(cfg.genesisHash as `0x${string}`)
  return new Transport({
    identity: generateIdentity(),
    status: () => ({ chainId: BigInt(cfg.chainId), genesisHash: hash, head: { number: 0n, hash } }),
    logger: silentLogger,
    port: 0,
  })
}

/** Block 1 as the node serves it. */
function fetchBlock1(peer: Peer): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('block 1 not served')), FETCH_TIMEOUT_MS)
    peer.on('message', (m) => {
      if (m.type !== MessageType.Blocks) return
      const blocks = decodeBlocks(m.payload)
      if (blocks.length === 0) return
      clearTimeout(timer)
      resolve(blocks[0]!)
    })
    peer.send(MessageType.GetBlocks, encodeGetBlocks({ from: 1n, count: 1 }))
  })
}

async function attack(cfg: BadPeerConfig, target: string): Promise<BadPeerReport> {
  const transport = transportFor(cfg)
  const report: BadPeerReport = { target, invalidSent: 0, closed: null, reconnect: 'not tried' }
  try {
    const peer = await transport.connect(target)
    let closed: PeerCloseInfo | undefined
    const closing = new Promise<void>((resolve) =>
      peer.once('close', (info: PeerCloseInfo) => {
        closed = info
        resolve()
      }),
    )
    const good = decodeBlock(await fetchBlock1(peer), makeCommon(BigInt(cfg.chainId)))
    while (closed === undefined && report.invalidSent < cfg.maxInvalid) {
      const root = new Uint8Array(32).fill(report.invalidSent + 1)
      try {
        peer.send(MessageType.Block, encodeBlock(makeBlock({ ...good.header, stateRoot: root }, good.transactions, good.confirmations)))
      } catch {
        break // the node is closing the connection: its close event says why
      }
      report.invalidSent++
      await sleep(cfg.intervalMs)
    }
    await Promise.race([closing, sleep(CLOSE_WAIT_MS)])
    report.closed = closed?.reasonName ?? null
  } finally {
    await transport.close()
  }
  const again = transportFor(cfg)
  try {
    await again.connect(target)
    report.reconnect = 'accepted'
  } catch (e) {
    report.reconnect = `refused: ${(e as Error).message}`
  } finally {
    await again.close()
  }
  return report
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '') as BadPeerConfig
  await Promise.all(
    cfg.targets.map(async (target) => {
      const r = await attack(cfg, target).catch((e: unknown): BadPeerReport => ({
        target,
        invalidSent: 0,
        closed: null,
        reconnect: `error: ${(e as Error).message}`,
      }))
      process.stdout.write(JSON.stringify(r) + '\n')
    }),
  )
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`badPeer: ${(e as Error).message}\n`)
    process.exit(1)
  },
)
