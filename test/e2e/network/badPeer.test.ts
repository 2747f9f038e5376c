/**
 * Issue 4, bad input over a real socket: a hand-driven peer (our own P2P library) connects to a
 * running witness process and sends invalid blocks, a garbage transaction and an oversized
 * frame; another connects with a foreign genesis. Each is refused with a logged reason, the peer
 * is dropped (one invalid block is enough: issue 15), and the node keeps making blocks and
 * answering RPC.
 */
import path from 'node:path'
import t from 'tap'
import { hexToBytes } from '@ethereumjs/util'
import { WebSocket } from 'ws'
import { decodeBlock, encodeBlock, makeBlock } from '../../../src/chain/block.js'
import { signHeader } from '../../../src/chain/header.js'
import { makeCommon } from '../../../src/execution/common.js'
import { generateIdentity, MessageType, Transport, type Peer, type PeerCloseInfo } from '../../../src/p2p/interface.js'
import { decodeBlocks, encodeGetBlocks } from '../../../src/p2p/chainMessages.js'
import { silentLogger } from '../../../src/util/logger.js'
import { rpc, startNode, tempDir, waitFor } from '../../helpers/nodeProcess.js'
import { freePort, headOf } from '../../helpers/devnetProcess.js'
import { oneWitnessChain } from '../../helpers/loneWitness.js'

t.test('invalid blocks, garbage and a foreign genesis from peers: refused, scored, node unharmed', async (t) => {
  const dir = tempDir(t, 'nfc-badpeer-')
  const { genesisFile, keyFile, key: witnessKey } = oneWitnessChain(dir)
  const p2pPort = await freePort()
  const node = await startNode({
    dev: false,
    datadir: path.join(dir, 'node'),
    genesis: genesisFile,
    extraArgs: ['--witness-key', keyFile, '--p2p', `127.0.0.1:${p2pPort}`],
  })
  t.teardown(() => node.stop().catch(() => undefined))
  await waitFor(async () => (await headOf(node.url)) >= 2, 20_000, 'the node makes blocks')
  const common = makeCommon(2100n)
  const genesisHash = hexToBytes((await rpc<{ hash: string }>(node.url, 'eth_getBlockByNumber', ['0x0', false])).hash as `0x${string}`)
  const url = `ws://127.0.0.1:${p2pPort}`
  const connect = async (hash: Uint8Array): Promise<{ transport: Transport; peer: Peer; closed: Promise<PeerCloseInfo> }> => {
    const transport = new Transport({
      identity: generateIdentity(),
      status: () => ({ chainId: 2100n, genesisHash: hash, head: { number: 0n, hash } }),
      logger: silentLogger,
      port: 0,
    })
    t.teardown(() => transport.close())
    const peer = await transport.connect(url)
    const closed = new Promise<PeerCloseInfo>((r) => peer.once('close', r))
    return { transport, peer, closed }
  }

  // 1. a foreign genesis is refused at the handshake
  const foreign = new Uint8Array(32).fill(7)
  await t.rejects(connect(foreign), /genesis/i, 'a peer of another genesis is refused in the handshake')

  // 2. invalid blocks: a real block 1 of this chain with its signature broken, then with a wrong producer
  const { peer, closed } = await connect(genesisHash)
  const blocks: Uint8Array[] = []
  peer.on('message', (m) => {
    if (m.type === MessageType.Blocks) blocks.push(...decodeBlocks(m.payload))
  })
  peer.send(MessageType.GetBlocks, encodeGetBlocks({ from: 1n, count: 1 }))
  await waitFor(() => blocks.length > 0, 20_000, 'block 1 served over P2P')
  const good = decodeBlock(blocks[0]!, common)
  // (a changed header keeps the old signature: not the producer's; an off-grid time, properly signed)
  const badSig = makeBlock({ ...good.header, stateRoot: new Uint8Array(32).fill(1) }, good.transactions, good.confirmations)
  peer.send(MessageType.Block, encodeBlock(badSig))
  const info = await closed
  t.equal(info.reasonName, 'BadScore', 'one invalid block: dropped (and its node id banned)')
  // a second peer (another node id; 127.0.0.1 is exempt from address bans in test nodes)
  const key = hexToBytes(witnessKey as `0x${string}`)
  const offGrid = makeBlock(signHeader({ ...good.header, timestamp: good.header.timestamp + 1n }, key), good.transactions, good.confirmations)
  const second = await connect(genesisHash)
  second.peer.send(MessageType.Block, encodeBlock(offGrid))
  t.equal((await second.closed).reasonName, 'BadScore', 'the other invalid block: dropped too')
  // stderr arrives in chunks: wait for both lines
  await waitFor(
    () =>
      /invalid block from peer[^\n]*signature is not the producer/.test(node.stderr()) &&
      /invalid block from peer[^\n]*not the start of a slot/.test(node.stderr()),
    20_000,
    'both reasons logged',
  )
  t.match(node.stderr(), /invalid block from peer[^\n]*signature is not the producer/, 'the log names what was wrong (signature)')
  t.match(node.stderr(), /invalid block from peer[^\n]*not the start of a slot/, 'the log names what was wrong (slot)')

  // 3. a raw socket sending an oversized frame is cut off
  const ws = new WebSocket(url)
  await new Promise((r) => ws.once('open', r))
  const huge = Buffer.alloc(64)
  huge.writeUInt32BE(0x7fffffff, 0)
  huge[4] = MessageType.Hello
  const wsClosed = new Promise((r) => ws.once('close', r))
  ws.send(huge)
  await wsClosed
  t.pass('an oversized frame closes the connection')

  // the node is unharmed
  const h = await headOf(node.url)
  await waitFor(async () => (await headOf(node.url)) >= h + 2, 20_000, 'blocks continue')
  t.pass('the node keeps making blocks and answering RPC')
})
