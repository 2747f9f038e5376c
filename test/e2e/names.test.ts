/**
 * Names as a user meets them (DESIGN §14, issue 20): one dev node process whose genesis allows
 * 1-second terms, driven by the built `nfc names` CLI (ethers, signed transactions) — register
 * with an NFC lock, resolve, transfer, the lock in nfc_getSupply, expiry (resolve refuses it),
 * re-registration by someone else paying the old owner's lock back, release returning the last
 * lock: the Names account ends holding nothing.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { DEV_ACCOUNTS } from '../../src/node/devAccounts.js'
import { CLI, DEV_GENESIS, rpc, rpcRaw, runScript, startNode, tempDir, waitFor } from '../helpers/nodeProcess.js'

const NAMES = '0x0000000000000000000000000000000000001007'
const YEAR_MS = 365n * 86_400_000n
/** the lock of a term at the default 100 NFC a year, rounded up (rules.ts lockFor) */
const lockOf = (termMs: bigint) => (100n * 10n ** 18n * termMs + YEAR_MS - 1n) / YEAR_MS
const SHORT_LOCK = lockOf(1_000n)
const LONG_LOCK = lockOf(30n * 86_400_000n)

t.test('register, resolve, transfer, expiry, locks returned', async (t) => {
  const dir = tempDir(t)
  const genesis = JSON.parse(readFileSync(DEV_GENESIS, 'utf8')) as { params: Record<string, unknown> }
  genesis.params.nameMinTermSec = 1
  const genesisFile = join(dir, 'names-dev.json')
  writeFileSync(genesisFile, JSON.stringify(genesis))
  // a busy machine lags the event loop: this test is not about admission control (statePruning.test.ts does the same)
  const node = await startNode({ datadir: join(dir, 'data'), genesis: genesisFile, extraArgs: ['--rpc-max-lag', '0'] })
  t.teardown(() => node.kill('SIGKILL'))

  const keyFile = (i: number) => {
    const f = join(dir, `key${i}.hex`)
    writeFileSync(f, DEV_ACCOUNTS[i]!.privateKey)
    return f
  }
  const addr = (i: number) => DEV_ACCOUNTS[i]!.address.toLowerCase()
  const names = (...args: string[]) => runScript(CLI, ['names', ...args, '--rpc', node.url])
  const balance = async (a: string) => BigInt(await rpc(node.url, 'eth_getBalance', [a, 'latest']))

  // dev 1 registers relay-one for 30 days, dev 2 short-one for 1 second (two senders: at once)
  const [reg, short] = await Promise.all([
    names('register', 'relay-one', '--key', keyFile(1), '--term', '30d', '--endpoint', 'ws://127.0.0.1:30303'),
    names('register', 'short-one', '--key', keyFile(2), '--term', '1s'),
  ])
  t.equal(reg.code, 0, reg.err)
  t.equal(short.code, 0, short.err)
  t.match(reg.out, /^registered relay-one until .+; 8\.219178082191780822 NFC locked \(tx 0x[0-9a-f]{64}, block \d+\)$/m)
  t.equal(await balance(NAMES), LONG_LOCK + SHORT_LOCK, 'the Names account holds both locks')
  const supply = await rpc(node.url, 'nfc_getSupply', [])
  t.equal(BigInt(supply.lockedDetail.names), LONG_LOCK + SHORT_LOCK, 'nfc_getSupply counts them')
  const rec = await rpc(node.url, 'nfc_resolveName', ['relay-one'])
  t.same([rec.owner, rec.endpoint, rec.status, BigInt(rec.lock)], [addr(1), 'ws://127.0.0.1:30303', 'active', LONG_LOCK])

  const tr = await names('transfer', 'relay-one', '--to', addr(2), '--key', keyFile(1))
  t.equal(tr.code, 0, tr.err)
  t.equal((await rpc(node.url, 'nfc_resolveName', ['relay-one'])).owner, addr(2), 'dev 2 owns relay-one now, and its lock')

  // short-one's term runs out: resolve refuses it, the list shows it expired
  await waitFor(async () => (await rpcRaw(node.url, 'nfc_resolveName', ['short-one'])).error?.data?.code === 'NAME_EXPIRED', 30_000, 'short-one to expire')
  const gone = await names('resolve', 'short-one')
  t.equal(gone.code, 1)
  t.match(gone.err, /^nfc names resolve: name expired: short-one \(at .+\)$/m)
  const listed = (await rpc(node.url, 'nfc_listNames', [])).names.map((r: { name: string; status: string }) => `${r.name} ${r.status}`)
  t.same(listed.sort(), ['relay-one active', 'short-one expired'], 'both listed (the two registrations raced: list order is theirs)')

  // dev 1 registers short-one again: dev 2, its owner when it expired, gets that lock back
  const before = await balance(addr(2))
  const again = await names('register', 'short-one', '--key', keyFile(1), '--term', '30d')
  t.equal(again.code, 0, again.err)
  t.equal(await balance(addr(2)), before + SHORT_LOCK, "the old owner's lock came back to it")

  // releases: each lock back to its owner; Names ends holding nothing
  const [rel2, rel1] = await Promise.all([names('release', 'relay-one', '--key', keyFile(2)), names('release', 'short-one', '--key', keyFile(1))])
  t.equal(rel2.code, 0, rel2.err)
  t.equal(rel1.code, 0, rel1.err)
  t.match(rel2.out, new RegExp(`^released relay-one; 8\\.219178082191780822 NFC returned to ${DEV_ACCOUNTS[2]!.address}`, 'm'))
  t.equal(await balance(NAMES), 0n, 'every lock went back')
  t.equal((await rpcRaw(node.url, 'nfc_resolveName', ['relay-one'])).error?.data?.code, 'NAME_UNKNOWN')
  t.same((await rpc(node.url, 'nfc_listNames', [])).names, [])
})
