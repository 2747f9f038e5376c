/**
 * The traffic agents of the `flowAgents` bench (flowAgents.ts): how it starts them in its own
 * process, and this file run as a process of its own (`fork`), one agent in it as `nfc flow
 * provide` / `nfc flow consume` run — every receipt accepted by a chain that is not there.
 *
 *   node flowAgentsChild.js provider             → sends { port } once listening
 *   node flowAgentsChild.js consumer PORT        → the consumer of the provider on PORT; sends { port }
 *   node flowAgentsChild.js hop PORT             → a bare relay hop to PORT (`pipe`, nothing else); sends { port }
 *
 * Over IPC it answers 'cpu' with { cpu: µs of user + system time so far } and 'stop' by stopping
 * the agent and exiting.
 */
import { connect, createServer, type AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'
import type { SignedReceipt } from '../../src/flow/receipt.js'
import { ConsumerAgent } from '../../src/flowAgent/consumer.js'
import { ProviderAgent, type ProviderChain } from '../../src/flowAgent/provider.js'
import { DEV_ACCOUNTS } from '../../src/node/devAccounts.js'
import { bytesOfHexLoose } from '../../src/util/bytes.js'

const CHAIN_ID = 2100n
const key = (i: number) => bytesOfHexLoose(DEV_ACCOUNTS[i]!.privateKey)

/** a chain that accepts every receipt (the bench measures the data path, not the node) */
function acceptingChain(): ProviderChain {
  return {
    chainId: CHAIN_ID,
    position: () => Promise.resolve({ cycle: 0n, head: 0n }),
    sampleSeed: () => Promise.resolve(new Uint8Array(32).fill(1)),
    submit: (_r: SignedReceipt) => Promise.resolve(null),
    watch: () => {},
  }
}

export interface RunningAgent {
  port: number
  stop(): Promise<void>
}

export async function startProvider(): Promise<RunningAgent> {
  const provider = new ProviderAgent({ key: key(2), host: '127.0.0.1', port: 0, chain: acceptingChain() })
  return { port: await provider.start(), stop: () => provider.stop() }
}

export async function startConsumer(providerPort: number): Promise<RunningAgent> {
  const consumer = new ConsumerAgent({ key: key(1), listenHost: '127.0.0.1', listenPort: 0, providerHost: '127.0.0.1', providerPort, chainId: CHAIN_ID })
  return { port: await consumer.start(), stop: () => consumer.stop() }
}

/**
 * One hop of a bare relay (no framing, no counting): each connection is piped both ways to 127.0.0.1:`to`.
 * Two such processes in a row: what relaying alone costs where the agents run (the bench's reference).
 */
export function startHop(to: number): Promise<RunningAgent> {
  const server = createServer((a) => {
    const b = connect({ host: '127.0.0.1', port: to })
    a.on('error', () => b.destroy())
    b.on('error', () => a.destroy())
    a.pipe(b)
    b.pipe(a)
  })
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as AddressInfo).port, stop: () => (server.close(), Promise.resolve()) })),
  )
}

async function main(role: string, port: string | undefined): Promise<void> {
  if (process.send === undefined || (role !== 'provider' && role !== 'consumer' && role !== 'hop'))
    throw new Error('usage (with an IPC channel): provider | consumer PORT | hop PORT')
  const agent = role === 'provider' ? await startProvider() : role === 'consumer' ? await startConsumer(Number(port)) : await startHop(Number(port))
  process.on('message', (m) => {
    if (m === 'cpu') {
      const c = process.cpuUsage()
      process.send!({ cpu: c.user + c.system })
    } else if (m === 'stop') void agent.stop().then(() => process.exit(0))
  })
  process.send!({ port: agent.port })
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv[2] ?? '', process.argv[3]).catch((e: Error) => {
    process.stderr.write(`bench/flowAgentsChild: ${e.stack ?? e.message}\n`)
    process.exit(1)
  })
}
