/**
 * The storage provider agent and the client's upload/download in-process on real loopback HTTP
 * and a real temp directory, against an in-memory chain that keeps deals the way the contract
 * does (posted → active on accept; proofs per period): a file goes up, is accepted and comes back
 * byte-identical; every refusal the protocol has (unknown deal, another provider's deal, a deal
 * not posted, too large for the offer, wrong Content-Length, a corrupt upload whose root is not
 * the deal's, too many uploads at once) answers its code and keeps nothing; a download whose
 * chunk is corrupt on disk is refused and leaves no file; a deleted chunk is logged as an ERROR
 * naming the deal and chunk and no proof is sent, while the other deals are proven.
 */
import t, { type Test } from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ChainDeal, DealChain } from '../../../src/dealAgent/chain.js'
import { ChunkStore } from '../../../src/dealAgent/chunkStore.js'
import { downloadFile, uploadFile } from '../../../src/dealAgent/client.js'
import { DealProvider, PROOF_ATTEMPTS } from '../../../src/dealAgent/provider.js'
import { LEAF_COUNT_HEADER, PROOF_HEADER } from '../../../src/dealAgent/protocol.js'
import { DEAL_CHUNK_BYTES as CHUNK_BYTES, leafOf, treeOfFile as treeOf } from '../../../src/deals/fileTree.js'
import { core } from '../../../src/core/index.js'
import { bytesOfHexLoose, hexOf } from '../../../src/util/bytes.js'
import { waitFor } from '../../helpers/nodeProcess.js'

const ME = '0x' + '11'.repeat(20)
const OTHER = '0x' + '22'.repeat(20)
const CLIENT = '0x' + '33'.repeat(20)

/** the contract's deal rules, in memory */
class MemoryChain implements DealChain {
  readonly address = ME
  readonly deals = new Map<string, ChainDeal>()
  readonly proofs: { id: string; period: bigint; indexes: number[]; ok: boolean }[] = []
  now = 10n
  /** proofs to refuse before the contract sees them (a node shedding load) */
  refuseProofs = 0
  private nextId = 1

  post(root: string, size: number, provider = ME): string {
    const id = String(this.nextId++)
    this.deals.set(id, {
      id,
      client: CLIENT,
      provider,
      root,
      size,
      periods: 5,
      status: 'posted',
      price: 5000n,
      paid: 0n,
      collateral: 0n,
      startPeriod: null,
      lastProvenPeriod: null,
    })
    return id
  }
  async deal(id: string) {
    const d = this.deals.get(id)
    return d === undefined ? null : { ...d }
  }
  async period() {
    return this.now
  }
  async challenge(id: string, period: bigint) {
    const d = this.deals.get(id)!
    const count = Math.ceil(d.size / CHUNK_BYTES)
    // three distinct leaves that depend on the period
    return [0, 1, 2].map((k) => Number((period * 7n + BigInt(k) * 5n) % BigInt(count))).filter((v, i, a) => a.indexOf(v) === i)
  }
  async accept(id: string) {
    const d = this.deals.get(id)!
    if (d.status !== 'posted') throw new Error(`deal ${id} is ${d.status}`)
    d.status = 'active'
    d.collateral = 10n ** 18n
    d.startPeriod = this.now + 1n
    return '0xaccept' + id
  }
  async prove(id: string, period: bigint, chunks: Uint8Array[], proofs: Uint8Array[][]) {
    if (this.refuseProofs > 0) {
      this.refuseProofs--
      throw new Error('prove: refused: server busy')
    }
    const d = this.deals.get(id)!
    const indexes = await this.challenge(id, period)
    const count = Math.ceil(d.size / CHUNK_BYTES)
    const ok = indexes.every((i, k) => core.verifyMerkleProof('keccak256', leafOf(chunks[k]!), i, count, proofs[k]!, bytesOfHexLoose(d.root)))
    this.proofs.push({ id, period, indexes, ok })
    if (!ok) throw new Error('wrong proof')
    d.lastProvenPeriod = period
    d.paid += 1000n
    return '0xprove' + id
  }
}

async function setUp(t: Test, opts: { maxBytes?: number; maxUploads?: number; uploadIdleMs?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'nfc-deal-agent-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const chain = new MemoryChain()
  const lines: string[] = []
  const store = new ChunkStore(join(dir, 'store'))
  // pollMs: far beyond any test; the tests call tick() themselves
  const provider = new DealProvider({
    store,
    chain,
    host: '127.0.0.1',
    port: 0,
    maxBytes: opts.maxBytes ?? 1 << 30,
    maxUploads: opts.maxUploads ?? 4,
    uploadIdleMs: opts.uploadIdleMs,
    log: (l) => lines.push(l),
    pollMs: 3_600_000,
  })
  const port = await provider.start()
  t.teardown(() => provider.stop())
  await provider.tick()
  const file = (name: string, bytes: Uint8Array) => {
    const p = join(dir, name)
    writeFileSync(p, bytes)
    return p
  }
  return { dir, chain, store, provider, endpoint: `http://127.0.0.1:${port}`, lines, file }
}

/** the root (hex) and size of a file */
async function treeOfFile(path: string) {
  const t = await treeOf(path)
  return { root: hexOf(t.root), size: t.size }
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

t.test('a file goes up, is accepted, is proven each period and comes back byte-identical', async (t) => {
  const { dir, chain, store, provider, endpoint, file, lines } = await setUp(t)
  // not a multiple of the chunk size: the last chunk is short
  const bytes = randomBytes(CHUNK_BYTES * 37 + 1234)
  const path = file('in.bin', bytes)
  const tree = await treeOfFile(path)
  t.equal(tree.size, bytes.length)
  const id = chain.post(tree.root, tree.size)
  const seen: number[] = []
  t.equal(await uploadFile(endpoint, id, path, (n) => seen.push(n)), '0xaccept' + id, 'the provider answers with its accept transaction')
  t.equal(seen.at(-1), bytes.length, 'upload progress reaches the size')
  t.equal(chain.deals.get(id)!.status, 'active')
  t.equal(readdirSync(join(store.dir, id)).filter((n) => n.endsWith('.chunk')).length, 38, 'one file per chunk under DIR/<id>/')

  const out = join(dir, 'out.bin')
  await downloadFile(endpoint, { id, root: tree.root, size: tree.size }, out)
  t.equal(sha(readFileSync(out)), sha(bytes), 'the download is byte-identical')

  // chunk i with its proof, checked by the provider
  const res = await fetch(`${endpoint}/deals/${id}/chunk/37`)
  t.equal(res.status, 200)
  const chunk = new Uint8Array(await res.arrayBuffer())
  t.equal(chunk.length, 1234, 'the last chunk is short')
  const proof = res.headers.get(PROOF_HEADER)!.split(',').map(bytesOfHexLoose)
  t.ok(
    core.verifyMerkleProof('keccak256', leafOf(chunk), 37, Number(res.headers.get(LEAF_COUNT_HEADER)), proof, bytesOfHexLoose(tree.root)),
    'its proof verifies against the root',
  )

  // the periods: nothing is due in the accept period, then one proof per period
  await provider.tick()
  t.equal(chain.proofs.length, 0, 'no proof before the deal starts')
  chain.now++
  await provider.tick()
  await provider.tick()
  chain.now++
  await provider.tick()
  t.same(
    chain.proofs.map((p) => [p.period, p.ok]),
    [
      [11n, true],
      [12n, true],
    ],
    'one right proof per period',
  )
  t.equal(provider.stats.proofsSent, 2)
  await provider.tick()
  t.equal(provider.stats.nbEarned, 2000n, 'NB earned is what the chain released')
  t.equal(provider.stats.deals, 1)
  t.equal(provider.stats.bytesStored, bytes.length)
  t.match(lines.join('\n'), new RegExp(`deal ${id}: proved period 12`))

  // a restarted agent (a new one on the same directory) serves and proves the same deal
  const again = new DealProvider({ store: new ChunkStore(store.dir), chain, host: '127.0.0.1', port: 0, maxBytes: 1 << 30, log: () => {}, pollMs: 3_600_000 })
  await again.start()
  t.teardown(() => again.stop())
  await again.tick()
  chain.now++
  await again.tick()
  t.same(chain.proofs.at(-1), { id, period: 13n, indexes: await chain.challenge(id, 13n), ok: true }, 'a restarted agent proves from disk + chain')

  // an ended deal's bytes are removed
  chain.deals.get(id)!.status = 'completed'
  await provider.tick()
  t.notOk(existsSync(join(store.dir, id)), 'a completed deal is removed from disk')
  t.match(lines.join('\n'), new RegExp(`deal ${id} has completed: removing`))
})

t.test('a deleted or corrupt chunk: an ERROR naming the deal and chunk, no proof; the other deal is proven', async (t) => {
  const { chain, store, provider, endpoint, file, lines } = await setUp(t)
  const ids: string[] = []
  for (const name of ['a', 'b']) {
    const path = file(name, randomBytes(CHUNK_BYTES * 20))
    const tree = await treeOfFile(path)
    const id = chain.post(tree.root, tree.size)
    await uploadFile(endpoint, id, path)
    ids.push(id)
  }
  const [bad, good] = ids as [string, string]
  chain.now++
  const challenged = await chain.challenge(bad, chain.now)
  unlinkSync(store.chunkPath(bad, challenged[1]!))
  await provider.tick()
  t.same(
    chain.proofs.map((p) => p.id),
    [good],
    'only the whole deal is proven',
  )
  t.match(lines.join('\n'), new RegExp(`ERROR deal ${bad} chunk ${challenged[1]}: cannot prove period ${chain.now}`), 'an ERROR names the deal and the chunk')
  t.equal(provider.stats.proofsMissed, 1)
  await provider.tick()
  t.equal(lines.filter((l) => l.startsWith('ERROR')).length, 1, 'logged once per period, not once per tick')

  // a corrupt (not missing) chunk: same
  chain.now++
  const next = await chain.challenge(bad, chain.now)
  writeFileSync(store.chunkPath(bad, next[0]!), randomBytes(CHUNK_BYTES))
  await provider.tick()
  t.match(lines.join('\n'), new RegExp(`ERROR deal ${bad} chunk ${next[0]}: .*is corrupt`), 'a corrupt chunk is an ERROR too')
  t.notOk(
    chain.proofs.some((p) => p.id === bad),
    'no proof of the damaged deal was ever sent',
  )
})

t.test('a proof the node refuses is sent again at the next tick, up to PROOF_ATTEMPTS a period', async (t) => {
  const { chain, provider, endpoint, file, lines } = await setUp(t)
  const path = file('a', randomBytes(CHUNK_BYTES * 8))
  const tree = await treeOfFile(path)
  const id = chain.post(tree.root, tree.size)
  await uploadFile(endpoint, id, path)
  chain.now++
  chain.refuseProofs = 1
  await provider.tick()
  t.equal(chain.deals.get(id)!.lastProvenPeriod, null, 'the first proof was refused')
  t.match(lines.join('\n'), /the proof of period 11 failed \(attempt 1 of 3\).*trying again/, 'the failure is logged with the retry')
  await provider.tick()
  t.equal(chain.deals.get(id)!.lastProvenPeriod, 11n, 'the next tick proved the period')
  t.equal(provider.stats.proofsSent, 1)

  // a period whose every attempt fails is given up after PROOF_ATTEMPTS sends, not retried forever
  chain.now++
  chain.refuseProofs = PROOF_ATTEMPTS + 5
  for (let i = 0; i < PROOF_ATTEMPTS + 3; i++) await provider.tick()
  t.equal(chain.refuseProofs, 5, `exactly ${PROOF_ATTEMPTS} sends for the period`)
  t.match(lines.join('\n'), /attempt 3 of 3\).*giving up on this period/, 'the last failure says it gives up')
  t.equal(chain.deals.get(id)!.lastProvenPeriod, 11n)
})

t.test('uploads refused: each refusal has its code and keeps nothing', async (t) => {
  const { chain, store, endpoint, file } = await setUp(t, { maxBytes: CHUNK_BYTES * 10 })
  const bytes = randomBytes(CHUNK_BYTES * 4)
  const path = file('in.bin', bytes)
  const tree = await treeOfFile(path)

  await t.rejects(uploadFile(endpoint, '999', path), { code: 'DEAL_UNKNOWN', message: /there is no deal 999 on chain/ }, 'an unknown deal')
  const other = chain.post(tree.root, tree.size, OTHER)
  await t.rejects(uploadFile(endpoint, other, path), { code: 'DEAL_NOT_MINE', message: /names provider 0x2222/ }, "another provider's deal")

  // a corrupt upload: the bytes are not the ones the deal's root commits to
  const wrongRoot = chain.post(hexOf(new Uint8Array(32).fill(7)), tree.size)
  await t.rejects(
    uploadFile(endpoint, wrongRoot, path),
    { code: 'ROOT_MISMATCH', message: new RegExp(`deal ${wrongRoot}: the bytes received have root ${tree.root}`) },
    'a root mismatch',
  )
  t.equal(chain.deals.get(wrongRoot)!.status, 'posted', 'a refused upload is not accepted')
  t.same(readdirSync(store.dir), [], 'and nothing is kept, not even the incoming directory')

  const wrongSize = chain.post(tree.root, tree.size + 1)
  await t.rejects(uploadFile(endpoint, wrongSize, path), { code: 'SIZE_MISMATCH', message: /Content-Length is 16384/ }, 'a size mismatch')

  const big = chain.post(tree.root, CHUNK_BYTES * 11)
  await t.rejects(uploadFile(endpoint, big, path), { code: 'TOO_LARGE', message: /at most 40960 bytes \(--max-bytes\)/ }, 'too large for the offer')

  const ok = chain.post(tree.root, tree.size)
  await uploadFile(endpoint, ok, path)
  await t.rejects(uploadFile(endpoint, ok, path), { code: 'DEAL_WRONG_STATE', message: /is active, not posted/ }, 'a deal already accepted')

  const res = await fetch(`${endpoint}/deals/${ok}/chunk/4`)
  t.equal(res.status, 404, 'a chunk index past the end')
  t.match(await res.json(), { error: { code: 'CHUNK_INDEX' } })
  t.equal((await fetch(`${endpoint}/nothing`)).status, 400, 'a path the protocol does not have')
  t.equal((await fetch(`${endpoint}/deals/${ok}`, { method: 'DELETE' })).status, 400, 'a method it does not serve')
})

t.test('uploads at once beyond --max-uploads are refused BUSY', async (t) => {
  const { chain, endpoint, file } = await setUp(t, { maxUploads: 1 })
  const path = file('in.bin', randomBytes(CHUNK_BYTES * 2))
  const tree = await treeOfFile(path)
  const first = chain.post(tree.root, tree.size)
  const second = chain.post(tree.root, tree.size)
  // the first upload stalls after its headers: a raw request whose body never ends
  const { request } = await import('node:http')
  const stalled = request(`${endpoint}/deals/${first}`, { method: 'PUT', headers: { 'content-length': tree.size } })
  stalled.on('error', () => {})
  stalled.write(Buffer.alloc(100))
  t.teardown(() => stalled.destroy())
  await waitFor(
    async () => {
      try {
        await uploadFile(endpoint, second, path)
        return undefined
      } catch (e) {
        return (e as { code?: string }).code === 'BUSY' ? e : undefined
      }
    },
    10_000,
    'the second upload refused BUSY',
  )
  t.pass('the second upload is refused while the first is in progress')
})

t.test('a stalled upload is cut after its idle time: its slot is freed and nothing of it is kept', async (t) => {
  const { chain, store, endpoint, file, lines } = await setUp(t, { maxUploads: 1, uploadIdleMs: 400 })
  const path = file('in.bin', randomBytes(CHUNK_BYTES * 2))
  const tree = await treeOfFile(path)
  const first = chain.post(tree.root, tree.size)
  const second = chain.post(tree.root, tree.size)
  const { request } = await import('node:http')
  const stalled = request(`${endpoint}/deals/${first}`, { method: 'PUT', headers: { 'content-length': tree.size } })
  const cut = new Promise<string>((resolve) => {
    stalled.on('error', (e) => resolve(`error ${(e as NodeJS.ErrnoException).code ?? e.message}`))
    stalled.on('response', (r) => resolve(`status ${r.statusCode}`))
  })
  stalled.write(Buffer.alloc(100))
  t.teardown(() => stalled.destroy())
  t.match(await cut, /ECONNRESET|socket hang up|status 4/, 'the stalled client is cut')
  await uploadFile(endpoint, second, path)
  t.equal(chain.deals.get(second)!.status, 'active', 'the freed slot takes the next upload')
  t.equal(chain.deals.get(first)!.status, 'posted', 'the stalled deal is not accepted')
  t.equal(store.get(first), null, 'nothing of the stalled upload is kept')
  t.match(lines.join('\n'), new RegExp(`deal ${first}: upload refused: .*no bytes for 400 ms`), 'the cut is logged')
})

t.test('a download whose chunk is corrupt on disk is refused and leaves no file', async (t) => {
  const { dir, chain, store, endpoint, file } = await setUp(t)
  const path = file('in.bin', randomBytes(CHUNK_BYTES * 30))
  const tree = await treeOfFile(path)
  const id = chain.post(tree.root, tree.size)
  await uploadFile(endpoint, id, path)
  const chunk = store.chunkPath(id, 17)
  const flipped = readFileSync(chunk)
  flipped[100] ^= 0xff
  writeFileSync(chunk, flipped)
  const out = join(dir, 'out.bin')
  await t.rejects(downloadFile(endpoint, { id, root: tree.root, size: tree.size }, out), {
    code: 'ROOT_MISMATCH',
    message: /chunk 17 .*does not match the deal's root/,
  })
  t.notOk(existsSync(out), 'no file at --out')
  t.same(
    readdirSync(dir).filter((n) => n.includes('out.bin')),
    [],
    'and no partial file beside it',
  )
  await t.rejects(
    downloadFile(endpoint, { id: '404', root: tree.root, size: tree.size }, out),
    { code: 'DEAL_UNKNOWN', message: /deal 404 is not stored here/ },
    'a deal the provider does not hold',
  )
  await t.rejects(
    downloadFile(endpoint, { id, root: hexOf(new Uint8Array(32)), size: tree.size }, out),
    { code: 'ROOT_MISMATCH', message: /leaves do not have the deal's root/ },
    'leaves of another root',
  )
})
