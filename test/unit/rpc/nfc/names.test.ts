/**
 * nfc_resolveName and nfc_listNames on an in-process dev node whose genesis allows 1-second
 * terms: records against rpc/openrpc.json, pages and the owner filter, the lock in nfc_getSupply,
 * and the errors — invalid name (-32602), unknown and expired names (-32000 with data.code), bad
 * list options.
 */
import t from 'tap'
import { Interface, ZeroHash } from 'ethers'
import namesAbi from '../../../../src/execution/system/abi/INames.json' with { type: 'json' }
import { SYSTEM_CONTRACTS } from '../../../../src/chain/systemAddresses.js'
import { devAddress, devGenesis, devKey, startNode } from '../../../helpers/inProcessNode.js'
import { sendTx } from '../../../helpers/flowChain.js'
import { documented, rpcError } from '../flow/documented.js'

const N = new Interface(namesAbi)
const LOCK_PER_YEAR = 365_000n // wei: 1 wei per day
const TERM_MS = 60_000n

t.test('nfc_resolveName / nfc_listNames', async (t) => {
  const genesis = devGenesis((g) => {
    g.params.nameLockPerYear = LOCK_PER_YEAR
    g.params.nameMinTermSec = 1
  })
  const n = await startNode(t, { genesis })
  const register = (i: number, name: string, endpoint: string) =>
    sendTx(n, devKey(i), SYSTEM_CONTRACTS.names, N.encodeFunctionData('register', [name, TERM_MS, ZeroHash, endpoint]), 1_000n)
  await register(1, 'relay-one', 'ws://10.0.0.1:30303')
  await register(2, 'second', '')
  await register(1, 'third', 'ws://third')
  await n.produceBlock()
  const head = n.node.chain.head.header

  const r = await documented(t, n, 'nfc_resolveName', ['relay-one'])
  t.same(r, {
    name: 'relay-one',
    owner: devAddress(1),
    nodeId: ZeroHash,
    endpoint: 'ws://10.0.0.1:30303',
    expiresAt: '0x' + (head.timestamp + TERM_MS).toString(16),
    lock: '0x3e8',
    status: 'active',
  })
  t.equal((await documented(t, n, 'nfc_resolveName', ['second', 'latest'])).owner, devAddress(2))
  const supply = await n.rpc('nfc_getSupply', [])
  t.equal(supply.lockedDetail.names, '0xbb8', 'the three locks are in nfc_getSupply')

  const all = await documented(t, n, 'nfc_listNames', [])
  t.same(
    all.names.map((x: { name: string }) => x.name),
    ['relay-one', 'second', 'third'],
  )
  t.equal(all.next, null)
  const p1 = await documented(t, n, 'nfc_listNames', [{ limit: 2 }])
  t.equal(p1.names.length, 2)
  t.equal(p1.next, '0x2')
  const p2 = await documented(t, n, 'nfc_listNames', [{ limit: 2, cursor: p1.next }])
  t.same(
    p2.names.map((x: { name: string }) => x.name),
    ['third'],
  )
  t.equal(p2.next, null)
  const mine = await documented(t, n, 'nfc_listNames', [{ owner: devAddress(1) }])
  t.same(
    mine.names.map((x: { name: string }) => x.name),
    ['relay-one', 'third'],
  )
  t.same((await n.rpc('nfc_listNames', [{}, 'earliest'])).names, [], 'no names at genesis')

  // bad input
  const invalid = await rpcError(n, 'nfc_resolveName', ['Bad_Name'])
  t.same([invalid.code, invalid.message], [-32602, 'invalid argument 0: invalid name: only lowercase a-z, 0-9 and - are allowed'])
  t.equal((await rpcError(n, 'nfc_resolveName', ['ab'])).message, 'invalid argument 0: invalid name: 2 characters; a name has 3 to 32')
  t.equal((await rpcError(n, 'nfc_resolveName', [42])).code, -32602)
  t.equal((await rpcError(n, 'nfc_resolveName', [])).code, -32602, 'the name is required')
  const unknown = await rpcError(n, 'nfc_resolveName', ['nobody'])
  t.same(unknown, { code: -32000, message: 'unknown name: nobody', data: { code: 'NAME_UNKNOWN' } })
  t.equal((await rpcError(n, 'nfc_listNames', [{ limit: 0 }])).message, 'invalid argument 0: field "limit": want an integer from 1 to 100, got 0')
  t.equal((await rpcError(n, 'nfc_listNames', [{ owner: '0x12' }])).code, -32602)
  t.equal((await rpcError(n, 'nfc_listNames', [{ cursor: 7 }])).code, -32602)
  t.equal((await rpcError(n, 'nfc_listNames', ['x'])).code, -32602)

  // past the expiry: resolve refuses, the list still shows it as expired, an older block resolves it
  await n.produceBlock({ timestamp: head.timestamp + TERM_MS })
  const expired = await rpcError(n, 'nfc_resolveName', ['relay-one'])
  t.equal(expired.code, -32000)
  t.same(expired.data, { code: 'NAME_EXPIRED' })
  t.match(expired.message, /^name expired: relay-one \(at \d{4}-\d\d-\d\dT/)
  t.same(
    (await documented(t, n, 'nfc_listNames', [])).names.map((x: { status: string }) => x.status),
    ['expired', 'expired', 'expired'],
  )
  t.equal((await n.rpc('nfc_resolveName', ['relay-one', '0x' + head.number.toString(16)])).status, 'active', 'at the older block it was live')
})
