/**
 * Issue 4, done-when: a 2/2 partition of a 4-witness devnet (real processes, real sockets).
 * Neither half can finalize (2 < ⌊8/3⌋+1 = 3); after the halves are joined (admin_addPeer) the
 * network settles on one chain and finality resumes, and no node ever reverts a block it had
 * reported final.
 */
import t from 'tap'
import { rpc, waitFor } from '../../helpers/nodeProcess.js'
import { hashAt, headOf, makeDevnet } from '../../helpers/devnetProcess.js'

async function finalized(url: string): Promise<{ number: number; hash: string }> {
  const f = await rpc<{ number: string; hash: string }>(url, 'dpos_getFinalized')
  return { number: Number(f.number), hash: f.hash }
}

t.test('partition 2/2: no finality on either side; heal: one chain, no final block reverted', async (t) => {
  const net = await makeDevnet(t, { nodes: 4 })
  await Promise.all([net.start(0, [1]), net.start(1, [0]), net.start(2, [3]), net.start(3, [2])])
  const urls = net.nodes.map((n) => n.url)

  // both halves make blocks in their own witnesses' slots
  await waitFor(async () => (await Promise.all(urls.map(headOf))).every((h) => h >= 4), 30_000, 'both halves make blocks')
  for (const u of urls) t.equal((await finalized(u)).number, 0, `no finality while partitioned (${u})`)
  const sideA = await hashAt(urls[0]!, 2)
  const sideB = await hashAt(urls[2]!, 2)
  t.not(sideA, sideB, 'the halves built different chains')
  t.equal(await hashAt(urls[1]!, 2), sideA, 'nodes 0 and 1 agree')
  t.equal(await hashAt(urls[3]!, 2), sideB, 'nodes 2 and 3 agree')

  // heal, and watch every finalized block each node reports
  const seen: { node: number; number: number; hash: string }[] = []
  const watch = setInterval(() => {
    urls.forEach(
      (u, i) =>
        void finalized(u)
          .then((f) => seen.push({ node: i, ...f }))
          .catch(() => undefined),
    )
  }, 200)
  t.teardown(() => clearInterval(watch))
  t.ok(await rpc(urls[0]!, 'admin_addPeer', [`ws://127.0.0.1:${net.nodes[2]!.p2pPort}`]), 'admin_addPeer 0 → 2')
  t.ok(await rpc(urls[1]!, 'admin_addPeer', [`ws://127.0.0.1:${net.nodes[3]!.p2pPort}`]), 'admin_addPeer 1 → 3')

  await waitFor(
    async () => (await Promise.all(urls.map(async (u) => (await finalized(u)).number))).every((n) => n >= 3),
    40_000,
    'finality on every node after the heal',
  )
  const common = Math.min(...(await Promise.all(urls.map(headOf)))) - 1
  const hashes = await Promise.all(urls.map((u) => hashAt(u, common)))
  t.equal(new Set(hashes).size, 1, `one chain: block ${common} is the same on all four`)
  clearInterval(watch)
  // no node reverted a block it had called final
  let reverted = 0
  for (const s of seen) {
    if (s.number === 0) continue
    if ((await hashAt(urls[s.node]!, s.number)) !== s.hash) reverted++
  }
  t.equal(reverted, 0, `${seen.filter((s) => s.number > 0).length} observations of final blocks, none reverted`)
})
