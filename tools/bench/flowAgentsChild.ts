/**
 * The traffic agents of the `flowAgents` bench (flowAgents.ts): how it starts them in its own
 * process, and this file run as a process of its own (`fork`), one agent in it as `nfc flow
 * provide` / `nfc flow consume` run — every receipt accepted by a chain that is not there.
 *
 *   node flowAgentsChild.js provider             → sends { port } once listening
 *   node flowAgentsChild.js consumer PORT        → the consumer of the provider on PORT; sends { port }
 *
 * Over IPC it answers 'cpu' with { cpu: µs of user + system time so far } and 'stop' by stopping
 * the agent and exiting.
 */
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

async function main(role: string, providerPort: string | undefined): Promise<void> {
  if (process.send === undefined || (role !== 'provider' && role !== 'consumer')) throw new Error('usage (with an IPC channel): provider | consumer PORT')
  const agent = role === 'provider' ? await startProvider() : await startConsumer(Number(providerPort))
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
