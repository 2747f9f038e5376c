import t from 'tap'
import { chmodSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { P2pErrorCode } from '../../../src/p2p/framing.js'
import { generateIdentity, identityFromSeed, isNodeId, loadIdentity, loadOrCreateIdentity, saveIdentity, verifySignature } from '../../../src/p2p/identity.js'

t.test('node id is the hex public key; signatures verify', async (t) => {
  const id = generateIdentity()
  t.ok(isNodeId(id.nodeId))
  t.equal(id.nodeId, Buffer.from(id.publicKey).toString('hex'))
  const msg = Buffer.from('hello')
  const sig = id.sign(msg)
  t.ok(verifySignature(id.publicKey, msg, sig))
  t.notOk(verifySignature(id.publicKey, Buffer.from('hellO'), sig))
  t.notOk(verifySignature(new Uint8Array(32), msg, sig), 'bad key → false, no throw')
  t.equal(identityFromSeed(id.exportSeed()).nodeId, id.nodeId)
})

t.test('key file: 0600, round trip, refuses loose permissions and garbage', async (t) => {
  const dir = t.testdir({})
  const path = join(dir, 'sub', 'nodekey')
  const a = loadOrCreateIdentity(path)
  t.ok(a.created)
  if (process.platform !== 'win32') t.equal(statSync(path).mode & 0o777, 0o600)
  const b = loadOrCreateIdentity(path)
  t.notOk(b.created)
  t.equal(b.identity.nodeId, a.identity.nodeId)
  saveIdentity(path, a.identity)
  t.equal(loadIdentity(path).nodeId, a.identity.nodeId)
  if (process.platform !== 'win32') {
    chmodSync(path, 0o644)
    t.throws(() => loadIdentity(path), { code: P2pErrorCode.BadKey })
  }
  const junk = join(dir, 'junk')
  writeFileSync(junk, 'not a key\n', { mode: 0o600 })
  t.throws(() => loadIdentity(junk), { code: P2pErrorCode.BadKey })
  t.throws(() => loadIdentity(join(dir, 'missing')), { code: P2pErrorCode.BadKey })
})
