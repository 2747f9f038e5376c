/**
 * Traffic for real (DESIGN §13), end to end with real programs: a dev chain (`nfc node`, short
 * flow cycles), `nfc flow provide` (pledges itself with --pledge and advertises its endpoint),
 * `nfc flow providers` (lists it), `nfc flow consume --provider ADDRESS` (finds the endpoint on
 * chain), and curl through the consumer's SOCKS5 endpoint (`--socks5-hostname`) fetching 50 MB from
 * a local HTTP server: the file arrives intact; after the checkpoints the session's settled total
 * is within 1% of the bytes the HTTP server itself read and wrote (DESIGN §5 counting rule), and
 * the provider's locked reward is exactly what the curve pays for it. The fuel is paid through a
 * payment channel (`--channel-deposit`, the consumer's whole NB): the provider redeemed vouchers
 * for exactly the fuel of the settled bytes (fuelOwed, to the wei), and that is what the
 * checkpoints burned (NB's supply fell by it, the pair's escrow is empty).
 */
import t, { type Test } from 'tap'
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { createServer as createHttpServer } from 'node:http'
import { join } from 'node:path'
import { formatEther, Interface } from 'ethers'
import { NFC, SYSTEM_CONTRACTS } from '../../src/chain/systemAddresses.js'
import { trafficReward } from '../../src/consensus/povf/curve.js'
import { splitTrafficReward } from '../../src/consensus/povf/split.js'
import { fuelOwed } from '../../src/flow/fuel.js'
import nbAbi from '../../src/execution/system/abi/INB.json' with { type: 'json' }
import { CLI, DEV_GENESIS, rpc, runScript, spawnCli, startNode, tempDir, waitFor } from '../helpers/nodeProcess.js'
import { devAddress, devKey } from '../helpers/inProcessNode.js'
import { sendTx, toHex } from '../helpers/flowChain.js'

// a long suite on 2 shared cores (slow tier): more than the tap config's 300 s per file (the root setTimeout is sent to the runner)
t.setTimeout(12 * 60_000)

const nb = new Interface(nbAbi)
const FILE_BYTES = 50 * 1000 * 1000
const CYCLE_SEC = 8
const CHALLENGE_SEC = 2
const consumer = { key: devKey(1), address: devAddress(1) }
const provider = { key: devKey(2), address: devAddress(2) }

/** an `nfc flow …` agent process; `line(re)` waits for a stdout line matching `re` */
function agent(t: Test, args: string[]) {
  return spawnCli(t, ['flow', ...args])
}

async function mined(url: string, hash: Promise<string>): Promise<any> {
  const h = await hash
  return waitFor(async () => (await rpc(url, 'eth_getTransactionReceipt', [h])) ?? undefined, 60_000, `receipt of ${h}`)
}

t.test('curl through the consumer and provider agents: 50 MB intact, the reward for the bytes carried', async (t) => {
  const dir = tempDir(t)
  const genesisFile = join(dir, 'genesis.json')
  // the dev genesis with short flow cycles that start now
  const g = JSON.parse(readFileSync(DEV_GENESIS, 'utf8')) as { timestamp: number; params: Record<string, number> }
  g.timestamp = Math.floor(Date.now() / 1000) * 1000
  g.params.flowCycleSec = CYCLE_SEC
  g.params.flowChallengeSec = CHALLENGE_SEC
  writeFileSync(genesisFile, JSON.stringify(g, null, 2))
  // --rpc-max-lag 0: on a loaded machine the node shed the provider's channel read as "server busy", and the provider closed the tunnel as unpaid
  const node = await startNode({ datadir: join(dir, 'data'), genesis: genesisFile, extraArgs: ['--rpc-max-lag', '0'] })
  t.teardown(() => node.stop())
  const url = node.url
  const n = { rpc: (m: string, p: unknown[] = []) => rpc(url, m, p) }

  // the consumer's fuel: 1 NFC → NB, all of it into a payment channel to the provider (consume --channel-deposit)
  t.equal((await mined(url, sendTx(n, consumer.key, SYSTEM_CONTRACTS.nb, nb.encodeFunctionData('convert', []), NFC))).status, '0x1', 'NB bought')
  const nbView = async (fn: string, args: unknown[]) =>
    nb.decodeFunctionResult(fn, await rpc(url, 'eth_call', [{ to: SYSTEM_CONTRACTS.nb, data: nb.encodeFunctionData(fn, args) }, 'latest']))
  const balance = (await nbView('balanceOf', [consumer.address]))[0] as bigint

  const providerKey = join(dir, 'provider.key')
  const consumerKey = join(dir, 'consumer.key')
  writeFileSync(providerKey, toHex(provider.key))
  writeFileSync(consumerKey, toHex(consumer.key))

  const unpledged = await runScript(CLI, ['flow', 'provide', '--key', providerKey, '--listen', '127.0.0.1:0', '--rpc', url], 120_000)
  t.equal(unpledged.code, 1, 'an unpledged provider does not start')
  t.match(unpledged.err, /is not a pledged node.*--pledge/, `and says how to pledge: ${unpledged.err.trim()}`)

  const prov = agent(t, ['provide', '--key', providerKey, '--listen', '127.0.0.1:0', '--rpc', url, '--pledge'])
  const [, port] = await prov.line(/listening on 127\.0\.0\.1:(\d+)/, 'the provider listening')
  await prov.line(/advertised tcp:\/\/127\.0\.0\.1:\d+ on chain/, 'the provider advertised')
  t.match(prov.out(), /pledging 0x[0-9a-f]{40} as an edge node/, 'it pledged itself')

  const listed = await runScript(CLI, ['flow', 'providers', '--rpc', url], 120_000)
  t.equal(listed.code, 0)
  t.match(listed.out, new RegExp(`${provider.address}\\s+EN\\s+pledge [\\d.]+ NFC\\s+tcp://127\\.0\\.0\\.1:${port}`), 'nfc flow providers lists its endpoint')

  const noChannel = await runScript(
    CLI,
    ['flow', 'consume', '--key', consumerKey, '--provider', provider.address, '--listen', '127.0.0.1:0', '--rpc', url],
    120_000,
  )
  t.equal(noChannel.code, 1, 'a consumer without a channel and without --channel-deposit does not run')
  t.match(noChannel.err, /no open payment channel to 0x[0-9a-f]{40}.*--channel-deposit/, `and says how to open one: ${noChannel.err.trim()}`)

  const deposit = formatEther(balance)
  const cons = agent(t, [
    'consume',
    '--key',
    consumerKey,
    '--provider',
    provider.address,
    '--listen',
    '127.0.0.1:0',
    '--rpc',
    url,
    '--channel-deposit',
    deposit,
  ])
  const [, socksPort] = await cons.line(/SOCKS5 on 127\.0\.0\.1:(\d+)/, 'the consumer listening')
  const [, sessionId] = await cons.line(/session (0x[0-9a-f]{64})/, 'the session')
  const [, channelId] = await cons.line(/paying through channel (\d+) to/, 'the channel opened')
  t.equal((await nbView('balanceOf', [consumer.address]))[0], 0n, 'all of its NB is in the channel (nothing else can pay the fuel)')
  const supplyBefore = (await nbView('totalSupply', []))[0] as bigint

  // the file, served by a plain HTTP server that measures the bytes it read and wrote
  const file = randomBytes(FILE_BYTES)
  let serverBytes = 0
  const http = createHttpServer((req, res) => {
    res.setHeader('content-type', 'application/octet-stream')
    res.end(file)
  })
  http.on('connection', (s) => s.on('close', () => (serverBytes += s.bytesRead + s.bytesWritten)))
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()))
  t.teardown(() => new Promise<void>((r) => http.close(() => r())))
  const httpPort = (http.address() as AddressInfo).port

  const out = join(dir, 'download')
  await new Promise<void>((resolve, reject) =>
    execFile(
      'curl',
      ['--silent', '--show-error', '--fail', '--socks5-hostname', `127.0.0.1:${socksPort}`, '-o', out, `http://localhost:${httpPort}/file`],
      { timeout: 300_000 },
      (e) => (e ? reject(e) : resolve()),
    ),
  )
  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')
  t.equal(sha(readFileSync(out)), sha(file), 'the 50 MB arrived intact (sha256)')
  await waitFor(async () => (serverBytes > FILE_BYTES ? true : undefined), 30_000, 'the HTTP connection closed')

  t.equal(await cons.stop(), 0, 'the consumer exits cleanly on SIGINT')
  t.match(cons.out(), /summary: 1 tunnels, 1 streams, received [\d.]+ MB.*, \d+ vouchers, paid [\d.]+ NB on channel \d+/, 'with a summary')

  // every receipt of the session settled by an applied checkpoint
  const settled = await waitFor(
    async () => {
      const s = await rpc(url, 'flow_getSession', [sessionId])
      return s !== null && s.settledSeq === s.lastSeq && BigInt(s.settledTotal) > 0n ? s : undefined
    },
    180_000,
    'the session settled',
  )
  const total = BigInt(settled.settledTotal)
  const carried = BigInt(serverBytes)
  const diff = total > carried ? total - carried : carried - total
  t.ok(diff * 100n <= carried, `settled ${total} bytes, the HTTP server carried ${carried}: within 1% (off by ${diff})`)
  t.ok(total >= BigInt(FILE_BYTES), 'at least the file')

  // settled at the checkpoint's submission; paid at its application, after the challenge window
  // (the chain carried no other traffic: its cumulative bytes reach the session's total then)
  await waitFor(async () => (BigInt((await rpc(url, 'flow_getStats')).cumulativeBytes) === total ? true : undefined), 180_000, 'the checkpoints applied')

  // the curve pays M(total) − M(0) (the chain carried no other traffic), 90% to the provider;
  // split per cycle, so each cycle's floor may lose a wei
  const rewards = await rpc(url, 'flow_getRewards', [provider.address])
  const earned = BigInt(rewards.locked) + BigInt(rewards.unlocking) + BigInt(rewards.withdrawable)
  const expected = splitTrafficReward(trafficReward(0n, total), 0).provider
  t.ok(earned <= expected && expected - earned <= 20n, `the provider earned ${earned} wei for ${total} bytes (the curve: ${expected})`)

  // the channel paid the fuel: vouchers redeemed for exactly the fuel of the settled bytes (the
  // dev price is a whole number of wei per byte, so per-cycle rounding adds nothing), all of it burned
  const price = BigInt((await rpc(url, 'nfc_getParams')).params.find((p: { name: string }) => p.name === 'fuelPricePerGb').value)
  const ch = await rpc(url, 'flow_getChannel', [`0x${BigInt(channelId).toString(16)}`])
  t.equal(BigInt(ch.redeemed), fuelOwed(total, price), `the provider redeemed ${BigInt(ch.redeemed)} NB wei: the fuel of ${total} bytes, to the wei`)
  t.equal(BigInt(ch.deposit) - BigInt(ch.redeemed), BigInt(ch.available), 'the rest stays in the channel')
  t.equal((await nbView('escrowOf', [consumer.address, provider.address]))[0] as bigint, 0n, 'the redeemed fuel escrow was burned to the last wei')
  t.equal(supplyBefore - ((await nbView('totalSupply', []))[0] as bigint), BigInt(ch.redeemed), 'NB supply fell by exactly what the channel paid')

  t.equal(await prov.stop(), 0, 'the provider exits cleanly on SIGINT')
  t.match(prov.out(), /summary: 0 tunnels open \(1 in all\), 1 streams, carried [\d.]+ MB down/, 'with a summary')
  t.match(prov.out(), /receipts rejected: 0;/, 'no receipt rejected')
  t.match(prov.out(), /channels: \d+ vouchers, earned [\d.]+ NB redeemed \(\d+ redeems\) \+ 0\.0 NB held, 0 refused/, 'vouchers and NB earned in the summary')
})
