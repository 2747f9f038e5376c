/**
 * nfc_getSupply: the fixed 2,100,000,000 NFC and where they are, at the head and at genesis,
 * against rpc/openrpc.json; the parts add up to the total.
 */
import t from 'tap'
import { NFC } from '../../../../src/chain/systemAddresses.js'
import { startNode } from '../../../helpers/inProcessNode.js'
import { documented, rpcError } from '../flow/documented.js'

t.test('nfc_getSupply', async (t) => {
  const n = await startNode(t)
  await n.produceBlock()
  for (const block of [[], ['latest'], ['earliest'], ['0x1']]) {
    const s = await documented(t, n, 'nfc_getSupply', block)
    t.equal(BigInt(s.total), 2_100_000_000n * NFC, `total at ${block[0] ?? 'latest'}`)
    const pools = Object.values(s.pools as Record<string, string>).reduce((a, v) => a + BigInt(v), 0n)
    t.equal(BigInt(s.burned) + pools + BigInt(s.locked) + BigInt(s.circulating), BigInt(s.total), 'the parts add up')
    const detail = Object.values(s.lockedDetail as Record<string, string>).reduce((a, v) => a + BigInt(v), 0n)
    t.equal(detail, BigInt(s.locked), 'lockedDetail sums to locked')
  }
  const genesis = await n.rpc('nfc_getSupply', ['earliest'])
  t.equal(genesis.issued, '0x0', 'nothing issued at genesis')
  const head = await n.rpc('nfc_getSupply', [])
  t.ok(BigInt(head.issued) > 0n, 'block 1 paid a block reward from the mining pool')
  t.equal((await rpcError(n, 'nfc_getSupply', ['0x99'])).code, -32000, 'unknown block')
})
