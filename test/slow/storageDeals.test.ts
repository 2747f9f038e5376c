/**
 * Storage deals end to end with real programs (DESIGN §14, issue 20): a dev chain (`nfc node`,
 * 8 s proof periods), `nfc storage provide` (pledges itself, publishes its offer, stores, proves),
 * and the CLI as child processes: `nfc storage put` a 20 MB random file, periods pass with proofs
 * (the deal's proven period moves on, NB is released to the provider), `nfc storage get` brings it
 * back byte-identical (sha256). Then deleted chunks, made deterministic: the provider is stopped
 * (SIGSTOP), every chunk file of the deal is deleted, the provider continues (SIGCONT): the next
 * period it proves, it logs an ERROR naming the deal and a challenged chunk, sends no proof, and at
 * the period after that the deal is slashed (status slashed, half the collateral to the client, the
 * unpaid NB back to the client). Bad input: a provider without an offer, an unknown deal, a file
 * too large for the offer, a download whose chunk is corrupt on the provider's disk (refused, no
 * file left), an unpledged provider.
 */
import t, { type Test } from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Interface } from 'ethers'
import { NFC, SYSTEM_CONTRACTS } from '../../src/chain/systemAddresses.js'
import nbAbi from '../../src/execution/system/abi/INB.json' with { type: 'json' }
import dealsAbi from '../../src/execution/system/abi/IStorageDeals.json' with { type: 'json' }
import { CLI, DEV_GENESIS, rpc, runScript, spawnCli, startNode, tempDir, waitFor } from '../helpers/nodeProcess.js'
import { devAddress, devKey } from '../helpers/inProcessNode.js'
import { sendTx, toHex } from '../helpers/flowChain.js'

// a long suite on 2 shared cores (slow tier)
t.setTimeout(15 * 60_000)

const nb = new Interface(nbAbi)
const deals = new Interface(dealsAbi)
const PERIOD_SEC = 8
const FILE_BYTES = 20 * 1000 * 1000
const client = { key: devKey(1), address: devAddress(1) }
const provider = { key: devKey(2), address: devAddress(2) }
const stranger = { key: devKey(3), address: devAddress(3) }
const SLASH_BPS = 5000n

/** an `nfc storage provide` process; `line(re)` waits for a stdout line matching `re` */
function agent(t: Test, args: string[]) {
  return spawnCli(t, ['storage', 'provide', ...args])
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

t.test('put 20 MB, proofs each period, get it back; a deleted chunk is slashed', async (t) => {
  const dir = tempDir(t)
  const genesisFile = join(dir, 'genesis.json')
  const g = JSON.parse(readFileSync(DEV_GENESIS, 'utf8')) as { timestamp: number; params: Record<string, number> }
  g.timestamp = Math.floor(Date.now() / 1000) * 1000
  g.params.storageProofPeriodSec = PERIOD_SEC
  writeFileSync(genesisFile, JSON.stringify(g, null, 2))
  // --rpc-max-lag 0: the test's own reads must not be shed as "server busy" on a loaded CI machine (seen once)
  const node = await startNode({ datadir: join(dir, 'data'), genesis: genesisFile, extraArgs: ['--rpc-max-lag', '0'] })
  t.teardown(() => node.stop())
  const url = node.url
  const n = { rpc: (m: string, p: unknown[] = []) => rpc(url, m, p) }
  const mined = async (hash: Promise<string>): Promise<any> => {
    const h = await hash
    return waitFor(async () => (await rpc(url, 'eth_getTransactionReceipt', [h])) ?? undefined, 60_000, `receipt of ${h}`)
  }
  const view = async (name: string, args: unknown[] = []) =>
    deals.decodeFunctionResult(name, await rpc(url, 'eth_call', [{ to: SYSTEM_CONTRACTS.storageDeals, data: deals.encodeFunctionData(name, args) }, 'latest']))
  const dealOf = async (id: string) => {
    const r = await view('deal', [BigInt(id)])
    return {
      paid: r[6] as bigint,
      price: r[5] as bigint,
      collateral: r[7] as bigint,
      firstPeriod: r[8] as bigint,
      proved: r[9] as bigint,
      status: Number(r[10]),
    }
  }
  const nbOf = async (a: string) =>
    nb.decodeFunctionResult(
      'balanceOf',
      await rpc(url, 'eth_call', [{ to: SYSTEM_CONTRACTS.nb, data: nb.encodeFunctionData('balanceOf', [a]) }, 'latest']),
    )[0] as bigint
  const nfcOf = async (a: string) => BigInt(await rpc(url, 'eth_getBalance', [a, 'latest']))
  const storage = (args: string[]) => runScript(CLI, ['storage', ...args, '--rpc', url], 300_000)

  // the client's NB: 1000 NFC converted (100 NB at the dev chain's price)
  t.equal((await mined(sendTx(n, client.key, SYSTEM_CONTRACTS.nb, nb.encodeFunctionData('convert', []), 1000n * NFC))).status, '0x1', 'NB bought')
  const keys: Record<string, string> = {}
  for (const [name, who] of Object.entries({ client, provider, stranger })) {
    keys[name] = join(dir, `${name}.key`)
    writeFileSync(keys[name], toHex(who.key))
  }
  const file = join(dir, 'file.bin')
  const bytes = randomBytes(FILE_BYTES)
  writeFileSync(file, bytes)

  // bad input before any offer exists
  const noOffer = await storage(['put', file, '--key', keys.client!, '--provider', provider.address, '--periods', '10'])
  t.equal(noOffer.code, 1, 'a provider without an offer')
  t.match(noOffer.err, new RegExp(`provider ${provider.address} has no storage offer`), noOffer.err.trim())
  const unknown = await storage(['get', '999', '--out', join(dir, 'x')])
  t.equal(unknown.code, 1, 'an unknown deal')
  t.match(unknown.err, /there is no deal 999 on chain/, unknown.err.trim())
  const unpledged = await storage(['provide', '--dir', join(dir, 'x'), '--key', keys.stranger!, '--listen', '127.0.0.1:0'])
  t.equal(unpledged.code, 1, 'an unpledged provider does not start')
  t.match(unpledged.err, /is not a pledged node: .*--pledge/, unpledged.err.trim())

  // the provider's name (nfc names), before its agent runs: the agent's transactions count on its account's nonces
  const named = await runScript(CLI, ['names', 'register', 'store-one', '--key', keys.provider!, '--term', '30d', '--rpc', url], 300_000)
  t.equal(named.code, 0, named.code === 0 ? 'the provider registered the name store-one' : named.err)

  const store = join(dir, 'store')
  const prov = agent(t, [
    '--dir',
    store,
    '--key',
    keys.provider!,
    '--listen',
    '127.0.0.1:0',
    '--rpc',
    url,
    '--pledge',
    '--price',
    '0.001',
    '--max-bytes',
    String(FILE_BYTES),
  ])
  await prov.line(/offer set: http:\/\/127\.0\.0\.1:\d+, 0\.001 NB per MiB per period, files up to 20000000 bytes/, 'the offer set')
  const offers = await storage(['offers'])
  t.match(
    offers.out,
    new RegExp(`${provider.address}\\s+0\\.001 NB per MiB per period\\s+files up to ${FILE_BYTES} bytes\\s+http://127\\.0\\.0\\.1:\\d+\\n1 offer`),
    'nfc storage offers lists it',
  )

  const big = join(dir, 'big.bin')
  writeFileSync(big, '')
  truncateSync(big, FILE_BYTES + 1)
  const tooBig = await storage(['put', big, '--key', keys.client!, '--provider', provider.address, '--periods', '10'])
  t.equal(tooBig.code, 1, 'a file too large for the offer')
  t.match(
    tooBig.err,
    new RegExp(`the file is ${FILE_BYTES + 1} bytes; provider ${provider.address} takes files of at most ${FILE_BYTES} bytes`),
    tooBig.err.trim(),
  )

  // the 20 MB deal, the provider chosen as the cheapest offer (the only one)
  const put = await storage(['put', file, '--key', keys.client!, '--periods', '60'])
  t.equal(put.code, 0, put.code === 0 ? 'put succeeds' : put.err)
  const id = put.out.trim()
  t.match(id, /^\d+$/, 'put prints the deal id')
  t.match(put.err, /price 1\.2 NB/, 'it showed the price first (20 MiB × 0.001 NB × 60 periods)')
  t.match(put.err, new RegExp(`deal ${id} accepted by ${provider.address}`))
  const accepted = await dealOf(id)
  t.equal(accepted.status, 2, 'the deal is active')
  t.equal(readdirSync(join(store, id)).filter((f) => f.endsWith('.chunk')).length, Math.ceil(FILE_BYTES / 4096), 'the provider holds one file per chunk')

  // periods pass with proofs
  const proven = await waitFor(
    async () => {
      const d = await dealOf(id)
      return d.proved >= accepted.firstPeriod + 2n ? d : undefined
    },
    120_000,
    `three periods proven\n${prov.out()}`,
    500,
  )
  t.ok(proven.paid > 0n, `NB released to the provider for the periods proven (${proven.paid})`)
  t.equal(proven.status, 2, 'still active')
  t.match(prov.out(), new RegExp(`deal ${id}: proved period ${accepted.firstPeriod}`), 'the agent logs each proof')

  const out = join(dir, 'back.bin')
  const got = await storage(['get', id, '--out', out])
  t.equal(got.code, 0, got.code === 0 ? 'get succeeds' : got.err)
  t.equal(sha(readFileSync(out)), sha(bytes), 'the file came back byte-identical (sha256)')

  // the deleted chunks, deterministic: the provider is stopped while every chunk file of the deal
  // is deleted, then continues. Whatever period it proves next (the current one if it had not
  // proven it yet, else the next), its challenge meets a missing chunk. (Deleting one challenged
  // chunk of a new period raced the period's 8 s: on a loaded box the provider woke after the
  // period had passed, the deal was slashed unproven and the ERROR never came.)
  const clientNfc = await nfcOf(client.address)
  const clientNb = await nbOf(client.address)
  prov.proc.kill('SIGSTOP')
  const dealDir = join(store, id)
  const deleted = readdirSync(dealDir).filter((f) => f.endsWith('.chunk'))
  for (const f of deleted) unlinkSync(join(dealDir, f))
  prov.proc.kill('SIGCONT')
  t.ok(deleted.length > 1, `all ${deleted.length} chunk files of deal ${id} deleted`)
  const error = await prov.line(new RegExp(`ERROR deal ${id} chunk (\\d+): cannot prove period (\\d+)`), 'the ERROR naming the deal and chunk')
  const q = BigInt(error[2]!)
  const challenge = ((await view('challenge', [BigInt(id), q]))[0] as bigint[]).map(Number)
  t.ok(challenge.includes(Number(error[1])), `chunk ${error[1]} is one period ${q} challenges (${challenge.join(', ')})`)
  const slashed = await waitFor(
    async () => {
      const d = await dealOf(id)
      return d.status === 5 ? d : undefined
    },
    60_000,
    'the deal slashed',
    500,
  )
  t.equal(slashed.proved < q, true, 'period q was never proven')
  t.equal(await nfcOf(client.address), clientNfc + (accepted.collateral * SLASH_BPS) / 10_000n, 'the slashed half of the collateral went to the client')
  t.equal(await nbOf(client.address), clientNb + slashed.price - slashed.paid, 'the unpaid NB came back to the client')
  t.notMatch(prov.out(), new RegExp(`deal ${id}: proved period ${q}`), 'no proof of the damaged deal was sent')

  // a corrupt chunk on the provider's disk: get refuses (a small second deal, after the first one's end)
  const small = join(dir, 'small.bin')
  writeFileSync(small, randomBytes(100_000))
  const put2 = await storage(['put', small, '--key', keys.client!, '--provider', 'store-one', '--days', '1'])
  t.equal(put2.code, 0, put2.code === 0 ? 'a second deal, its provider by name, its term in --days' : put2.err)
  t.match(put2.err, new RegExp(`name store-one resolves to ${provider.address}`), 'the name resolves to the provider')
  const id2 = put2.out.trim()
  t.match(put2.err, new RegExp(`10800 periods of ${PERIOD_SEC} s`), '--days 1 is 10800 periods of 8 s')
  const chunk = join(store, id2, '5.chunk')
  const flipped = readFileSync(chunk)
  flipped[0] ^= 0xff
  writeFileSync(chunk, flipped)
  const out2 = join(dir, 'small-back.bin')
  const corrupt = await storage(['get', id2, '--out', out2])
  t.equal(corrupt.code, 1, 'a download with a corrupt chunk is refused')
  t.match(corrupt.err, /chunk 5 .*does not match the deal's root/, corrupt.err.trim())
  t.notOk(existsSync(out2), 'and leaves no file')
  t.same(
    readdirSync(dir).filter((f) => f.includes('small-back')),
    [],
    'not even a partial one',
  )

  const listed = await storage(['deals', '--provider', provider.address])
  t.equal(listed.code, 0)
  t.match(
    listed.out,
    new RegExp(`\\s${id}\\s+slashed\\s+${client.address}\\s+${provider.address}\\s+${FILE_BYTES}\\s+60\\s`),
    'nfc storage deals lists the slashed deal',
  )
  t.match(listed.out, new RegExp(`\\s${id2}\\s+active\\s+${client.address}\\s+${provider.address}\\s+100000\\s+10800\\s`), 'and the active one')
  t.match(listed.out, new RegExp(`2 deals with provider ${provider.address}`))

  t.equal(await prov.stop(), 0, 'the provider exits cleanly on SIGINT')
  t.match(
    prov.out(),
    /summary: \d+ deals active, [\d.]+ MB stored, \d+ proofs sent, [\d.]+ NB earned; uploads accepted 2, refused 0; periods not proven [1-9]/,
    'with a summary',
  )

  // an upload that cannot happen (the agent is stopped, its offer still on chain): put cancels the deal, the NB come back
  const nbBefore = await nbOf(client.address)
  const down = await storage(['put', small, '--key', keys.client!, '--provider', provider.address, '--periods', '5'])
  t.equal(down.code, 1, 'put fails when the provider does not take the upload')
  t.match(down.err, /the upload failed: .*\ncancelling deal (\d+)\ndeal \d+ cancelled: its [\d.]+ NB came back/, down.err.trim())
  const id3 = /cancelling deal (\d+)/.exec(down.err)![1]!
  t.equal((await dealOf(id3)).status, 4, 'the deal is cancelled on chain')
  t.equal(await nbOf(client.address), nbBefore, 'and the escrow is back with the client')
  const unreachable = await storage(['get', id2, '--out', out2])
  t.equal(unreachable.code, 1, 'get fails when the provider is down')
  t.match(unreachable.err, /cannot reach the provider at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/, unreachable.err.trim())
  t.notOk(existsSync(out2), 'and writes nothing')
})
