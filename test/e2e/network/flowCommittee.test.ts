/**
 * A flow committee of two: two witness nodes in this process (dev accounts 0 and 1, both RNs,
 * so both are in every cycle's committee and the quorum is 2), connected over real P2P sockets.
 * A third node without a key (not in the committee) forwards what it is given. Receipts
 * submitted to any node reach the others by gossip (FlowReceipt 0x15); at the cycle
 * end each node signs the same checkpoint and gossips its signature (FlowSignature 0x16); with
 * both signatures one of them submits it, and both chains apply it.
 */
import path from 'node:path'
import t from 'tap'
import { Interface } from 'ethers'
import { hexToBytes } from '@ethereumjs/util'
import { devnetGenesis } from '../../../src/cli/devnetGenesis.js'
import { parseGenesis } from '../../../src/chain/genesis.js'
import { NFC, SYSTEM_CONTRACTS } from '../../../src/chain/systemAddresses.js'
import { startNode, type RunningNode } from '../../../src/cli/start.js'
import { createLogger, silentLogger } from '../../../src/util/logger.js'
import { RECEIPT_DOMAIN_TAG, ZERO_HASH, receiptHash, type FlowReceipt } from '../../../src/flow/receipt.js'
import registryAbi from '../../../src/execution/system/abi/INodeRegistry.json' with { type: 'json' }
import nbAbi from '../../../src/execution/system/abi/INB.json' with { type: 'json' }
import { devAddress, devKey, RpcCallError, tempDir } from '../../helpers/inProcessNode.js'
import { freePort } from '../../helpers/devnetProcess.js'
import { hex, nextCycle, send, sideChainOf, signedJson, toHex, untilApplied, untilHead, type RpcNode } from '../../helpers/flowChain.js'

const registry = new Interface(registryAbi)
const nb = new Interface(nbAbi)
const consumer = { key: devKey(3), address: devAddress(3) }
const provider = { key: devKey(4), address: devAddress(4) }

async function rpcNode(running: RunningNode): Promise<RpcNode> {
  let id = 0
  return {
    node: running.node,
    async rpc(method: string, params: unknown[] = []) {
      const res = await fetch(running.rpc!.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
      })
      const r = (await res.json()) as { result?: unknown; error?: { code: number; message: string; data?: unknown } }
      if (r.error !== undefined) throw new RpcCallError(r.error)
      return r.result
    },
  }
}

t.test('two committee members gossip receipts and signatures and settle one checkpoint', async (t) => {
  const dir = tempDir(t, 'nfc-flow2-')
  const { doc, witnessKeys } = devnetGenesis({ nodes: 2, timestamp: Math.floor(Date.now() / 1000) * 1000 })
  // every receipt below must reach both members and be submitted again (r2) inside one cycle, by
  // gossip and per-block polling: 12 s leaves room for a loaded machine (a late one is FLOW_WRONG_CYCLE)
  doc.params = { ...doc.params, flowCycleSec: 12, flowChallengeSec: 2 }
  const genesis = parseGenesis(doc)
  const aPort = await freePort()
  const start = (i: number, port: number, peers: string[], withKey = true) =>
    startNode({
      genesis,
      datadir: path.join(dir, `n${i}`),
      rpc: { host: '127.0.0.1', port: 0 },
      p2p: { host: '127.0.0.1', port, peers, nodeKeyFile: path.join(dir, `n${i}.key`) },
      witnessKey: withKey ? hexToBytes(witnessKeys[i] as `0x${string}`) : undefined,
      logger: process.env.FLOW_DEBUG ? createLogger({ level: 'debug', module: `n${i}` }) : silentLogger,
      recoverThreads: 0,
    })
  const aNode = await start(0, aPort, [])
  t.teardown(() => aNode.close())
  const bNode = await start(1, await freePort(), [`ws://127.0.0.1:${aPort}`])
  t.teardown(() => bNode.close())
  const cNode = await start(2, await freePort(), [`ws://127.0.0.1:${aPort}`], false)
  t.teardown(() => cNode.close())
  const a = await rpcNode(aNode)
  const b = await rpcNode(bNode)
  const c = await rpcNode(cNode)
  await untilHead(a, async () => (aNode.node.peerCount > 1 && bNode.node.peerCount > 0 && cNode.node.peerCount > 0 ? true : undefined), 'the nodes connected')

  const chainId = Number(genesis.chainId)
  t.equal(
    (await send(a, provider.key, SYSTEM_CONTRACTS.nodeRegistry, registry.encodeFunctionData('pledge', [3]), genesis.params.enPledge, chainId)).status,
    '0x1',
  )
  t.equal((await send(a, consumer.key, SYSTEM_CONTRACTS.nb, nb.encodeFunctionData('convert', []), 1n * NFC, chainId)).status, '0x1')
  // the committee admits only pairs with NB fuel in escrow for the provider
  t.equal((await send(a, consumer.key, SYSTEM_CONTRACTS.nb, nb.encodeFunctionData('escrow', [provider.address, 10n ** 16n]), 0n, chainId)).status, '0x1')

  const cycle = await nextCycle(a, BigInt((await a.rpc('flow_getStats')).cycle))
  const committee = [devAddress(0), devAddress(1)].sort()
  t.same([...(await sideChainOf(a, cycle)).committee].sort(), committee, 'both witnesses are the committee')
  // each node's flow service enters the cycle when its own head does: C refuses a receipt of
  // cycle 1 (FLOW_WRONG_CYCLE) until then, B would hold it back
  for (const n of [b, c]) await sideChainOf(n, cycle)

  const r1: FlowReceipt = {
    domainTag: RECEIPT_DOMAIN_TAG,
    chainId: genesis.chainId,
    sessionId: new Uint8Array(32).fill(0x21),
    consumer: consumer.address,
    provider: provider.address,
    relays: [],
    seq: 1n,
    bytesUp: 1_000_000n,
    bytesDown: 9_000_000n,
    sampleRoot: new Uint8Array(32).fill(1),
    prevReceiptHash: ZERO_HASH,
    cycle,
    expiryHeight: BigInt(await a.rpc('eth_blockNumber')) + 1000n,
  }
  t.equal((await c.rpc('flow_submitReceipt', [signedJson(r1, consumer.key, provider.key)])).height, null, 'seq 1 into C: forwarded')
  // A and B get it by gossip and put it into their own side-chains
  for (const n of [a, b]) {
    await untilHead(n, async () => ((await n.rpc('flow_getSession', [toHex(r1.sessionId)]))?.lastSeq === '0x1' ? true : undefined), 'a member has seq 1')
  }
  const r2: FlowReceipt = { ...r1, seq: 2n, bytesUp: 2_000_000n, bytesDown: 18_000_000n, prevReceiptHash: receiptHash(r1) }
  t.equal((await b.rpc('flow_submitReceipt', [signedJson(r2, consumer.key, provider.key)])).height, '0x2', 'seq 2 into B')
  await untilHead(a, async () => ((await a.rpc('flow_getSession', [toHex(r1.sessionId)]))?.lastSeq === '0x2' ? true : undefined), 'A has seq 2')

  const cpA = await untilApplied(a, cycle)
  const cpB = await untilApplied(b, cycle)
  t.same(cpB, cpA, 'both chains hold the same checkpoint')
  t.same([...cpA.signers].sort(), committee, 'signed by both members (quorum 2 of 2)')
  t.equal(cpA.totalBytes, hex(20_000_000n))
  for (const n of [a, b]) {
    const s = await n.rpc('flow_getSideChain', [hex(cycle)])
    t.equal(s.receipts, '0x2', 'each member sealed both receipts in its side-chain')
  }
  t.ok(BigInt((await b.rpc('flow_getRewards', [provider.address])).locked) > 0n, 'the provider is rewarded')
})
