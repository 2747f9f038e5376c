/**
 * Issue 15, strangers at the P2P port (DESIGN §11), with real processes:
 * - a witness under 64 silent TCP connections plus 64 silent WebSocket upgrades — from 127.0.0.1
 *   (exempt, as in every test devnet) and from 16 other loopback addresses (not exempt) — still
 *   lets a new follower process connect and sync to its head, and misses no slot;
 * - a hand-driven peer that sends one invalid block is dropped, refused on reconnect while its
 *   ban lasts (by node id, and by address: here 127.0.0.1 is not exempt), accepted after it.
 * Counts only, never a time: the waits are generous bounds.
 */
import { connect, type Socket } from 'node:net'
import path from 'node:path'
import t, { type Test } from 'tap'
import { hexToBytes } from '@ethereumjs/util'
import { WebSocket } from 'ws'
import { decodeBlock, encodeBlock, makeBlock } from '../../../src/chain/block.js'
import { makeCommon } from '../../../src/execution/common.js'
import { decodeBlocks, encodeGetBlocks } from '../../../src/p2p/chainMessages.js'
import { generateIdentity, MessageType, Transport, type NodeIdentity, type Peer, type PeerCloseInfo } from '../../../src/p2p/interface.js'
import { silentLogger } from '../../../src/util/logger.js'
import { rpc, startNode, tempDir, waitFor, type NodeProcess } from '../../helpers/nodeProcess.js'
import { freePort, headOf } from '../../helpers/devnetProcess.js'
import { metric, oneWitnessChain } from '../../helpers/loneWitness.js'

const SILENT_TCP = 64
const SILENT_UPGRADES = 64
/** the attack's other sources: 127.0.1.1 … 127.0.1.16 */
const OTHER_SOURCES = Array.from({ length: 16 }, (_, i) => `127.0.1.${i + 1}`)
/** an attacker reopens each connection the node cut after this long (bounded churn, not a busy loop) */
const REOPEN_AFTER_MS = 1000

/** keeps `count` silent connections of one kind open at the port, reopening what the node cuts */
function silentFlood(port: number, count: number, kind: 'tcp' | 'ws', stats: { opened: number }) {
  let stopped = false
  const open = new Set<Socket | WebSocket>()
  const source = (i: number) => (i % 2 === 0 ? '127.0.0.1' : OTHER_SOURCES[i % OTHER_SOURCES.length]!)
  const openOne = (i: number) => {
    if (stopped) return
    stats.opened++
    const again = () => {
      open.delete(c)
      if (!stopped) setTimeout(() => openOne(i), REOPEN_AFTER_MS)
    }
    const c: Socket | WebSocket =
      kind === 'tcp'
        ? connect({ host: '127.0.0.1', port, localAddress: source(i) })
        : // the upgrade completes, the node's Hello arrives, nothing is ever answered
          new WebSocket(`ws://127.0.0.1:${port}`, { localAddress: source(i), perMessageDeflate: false })
    c.on('error', () => undefined)
    c.once('close', again)
    open.add(c)
  }
  for (let i = 0; i < count; i++) openOne(i)
  return {
    stop() {
      stopped = true
      for (const c of open) c instanceof WebSocket ? c.terminate() : c.destroy()
    },
  }
}

t.test('a witness under 64 silent TCP connections and 64 silent upgrades lets a new follower in and misses no slot', async (t) => {
  const dir = tempDir(t, 'nfc-strangers-')
  const { genesisFile, keyFile } = oneWitnessChain(dir)
  const p2pPort = await freePort()
  const witness = await startNode({
    dev: false,
    datadir: path.join(dir, 'witness'),
    genesis: genesisFile,
    extraArgs: ['--witness-key', keyFile, '--p2p', `127.0.0.1:${p2pPort}`],
  })
  t.teardown(() => witness.stop().catch(() => undefined))
  await waitFor(async () => (await headOf(witness.url)) >= 3, 30_000, 'the witness makes blocks')
  const missedBefore = await metric(witness.url, 'nfc_producer_missed_slots_total{')
  const ownBefore = await metric(witness.url, 'nfc_producer_own_slots_total ')

  const stats = { opened: 0 }
  const floods = [silentFlood(p2pPort, SILENT_TCP, 'tcp', stats), silentFlood(p2pPort, SILENT_UPGRADES, 'ws', stats)]
  t.teardown(() => floods.forEach((f) => f.stop()))
  // the node has seen the whole attack: every connection was accepted or refused at least once
  await waitFor(
    async () => (await metric(witness.url, 'nfc_p2p_pending_handshakes')) > 0 && (await metric(witness.url, 'nfc_p2p_connections_refused_total{')) >= 64,
    30_000,
    'the flood to reach the node',
  )

  const follower = await startNode({
    dev: false,
    datadir: path.join(dir, 'follower'),
    genesis: genesisFile,
    extraArgs: ['--p2p', `127.0.0.1:${await freePort()}`, '--peers', `ws://127.0.0.1:${p2pPort}`],
  })
  t.teardown(() => follower.stop().catch(() => undefined))
  await waitFor(async () => (await rpc<string>(follower.url, 'net_peerCount', [])) === '0x1', 30_000, 'the follower to connect under the flood')
  const target = await headOf(witness.url)
  await waitFor(async () => (await headOf(follower.url)) >= target, 60_000, `the follower to sync to ${target}`)
  t.pass(`the follower connected and synced to ${target} while ${stats.opened} silent connections were opened`)

  const refused = (reason: string) => metric(witness.url, `nfc_p2p_connections_refused_total{reason="${reason}"}`)
  t.ok((await refused('pending-evicted')) > 0, 'silent connections were evicted for newer ones')
  t.ok((await refused('per-ip')) + (await refused('rate')) > 0, 'the other loopback sources ran into their per-address limits')
  // (under this churn the pending cap evicts silent connections before their 5 s deadline; the
  // deadline itself is tested on a clock in test/unit/p2p/transport.test.ts)
  t.equal(await metric(witness.url, 'nfc_p2p_peers{direction="inbound"}'), 1, 'one inbound peer: the follower')
  floods.forEach((f) => f.stop())

  const own = (await metric(witness.url, 'nfc_producer_own_slots_total ')) - ownBefore
  const missed = (await metric(witness.url, 'nfc_producer_missed_slots_total{')) - missedBefore
  t.ok(own > 0, `the witness owned ${own} slots during the attack`)
  t.equal(missed, 0, 'and missed none of them')
})

t.test('one invalid block: the peer is dropped and banned by node id and address until the ban expires', async (t) => {
  const dir = tempDir(t, 'nfc-strangers-ban-')
  const { genesisFile, keyFile } = oneWitnessChain(dir)
  const p2pPort = await freePort()
  const BAN_MS = 8000
  // 127.0.0.1 is not exempt here (another address is), so the address ban applies to the test's peers
  const node: NodeProcess = await startNode({
    dev: false,
    datadir: path.join(dir, 'node'),
    genesis: genesisFile,
    extraArgs: ['--witness-key', keyFile, '--p2p', `127.0.0.1:${p2pPort}`, '--p2p-exempt', '127.0.0.2', '--p2p-ban-ms', String(BAN_MS)],
  })
  t.teardown(() => node.stop().catch(() => undefined))
  await waitFor(async () => (await headOf(node.url)) >= 2, 30_000, 'the node makes blocks')
  const genesisHash = hexToBytes((await rpc<{ hash: string }>(node.url, 'eth_getBlockByNumber', ['0x0', false])).hash as `0x${string}`)
  const url = `ws://127.0.0.1:${p2pPort}`
  const connectAs = async (t: Test, identity: NodeIdentity): Promise<Peer> => {
    const transport = new Transport({
      identity,
      status: () => ({ chainId: 2100n, genesisHash, head: { number: 0n, hash: genesisHash } }),
      logger: silentLogger,
      port: 0,
    })
    t.teardown(() => transport.close())
    return transport.connect(url)
  }

  const evil = generateIdentity()
  const peer = await connectAs(t, evil)
  const closed = new Promise<PeerCloseInfo>((r) => peer.once('close', r))
  const blocks: Uint8Array[] = []
  peer.on('message', (m) => {
    if (m.type === MessageType.Blocks) blocks.push(...decodeBlocks(m.payload))
  })
  peer.send(MessageType.GetBlocks, encodeGetBlocks({ from: 1n, count: 1 }))
  await waitFor(() => blocks.length > 0, 20_000, 'block 1 served over P2P')
  const good = decodeBlock(blocks[0]!, makeCommon(2100n))
  // a changed header keeps the old signature: not the producer's
  peer.send(MessageType.Block, encodeBlock(makeBlock({ ...good.header, stateRoot: new Uint8Array(32).fill(1) }, good.transactions, good.confirmations)))
  const info = await closed
  t.equal(info.reasonName, 'BadScore', 'one invalid block: dropped')
  await waitFor(() => /peer banned[^\n]*reason=invalid-block/.test(node.stderr()), 20_000, 'the ban logged with its reason')

  await t.rejects(connectAs(t, evil), /cannot connect|socket hang up|closed|disconnected/i, 'its reconnect is refused while banned')
  await t.rejects(connectAs(t, generateIdentity()), /cannot connect|socket hang up|closed|disconnected/i, 'so is another node id from its address')
  t.ok((await metric(node.url, 'nfc_p2p_connections_refused_total{reason="banned"}')) >= 2, 'the refusals counted as "banned"')
  t.equal(await metric(node.url, 'nfc_p2p_bans_total{reason="invalid-block"}'), 1, 'the ban counted as "invalid-block"')

  // after the ban: accepted again (polled: each refused try before expiry is fine)
  const back = await waitFor(
    async () => {
      try {
        return await connectAs(t, evil)
      } catch {
        return undefined
      }
    },
    BAN_MS + 30_000,
    'a reconnect once the ban expired',
    500,
  )
  t.equal(back.nodeId.length > 0, true, 'accepted again after the ban expired')
  t.equal(await metric(node.url, 'nfc_p2p_banned{kind="node"}'), 0, 'no ban in force any more')
})
