/**
 * A governed RN pledge and the witnesses already seated (docs/decisions.md, "rnPledge"): a rise
 * takes nobody's seat at once — no retroactive removal, no slashing — the next election admits
 * only RNs at the minimum in force, and the seats it fills are then held to that minimum. An
 * election where nobody meets the new minimum elects nobody and the seats stay, so the chain
 * keeps producing.
 */
import t from 'tap'
import { GOVERNED_PARAMS } from '../../../src/consensus/gov/params.js'
import { GovStore } from '../../../src/consensus/gov/store.js'
import { readWitnesses } from '../../../src/consensus/dpos/views.js'
import { NFC } from '../../../src/execution/systemAddresses.js'
import { addr, Chain, config, genesisState, registerCandidate, RN_PLEDGE, witnessInputs } from '../../helpers/dposHarness.js'

const W = 3
const RN = GOVERNED_PARAMS.find((p) => p.name === 'rnPledge')!

/** the override an executed proposal leaves (gov/engine.ts execute) */
async function governRnPledge(chain: Chain, value: bigint): Promise<void> {
  const gs = new GovStore(chain.sm)
  await gs.ensureAccount()
  await gs.setOverride(RN.id, { block: chain.number, proposal: 0n, value })
}

/** blocks in every slot with an owner up to and including `last` */
async function makeUpTo(chain: Chain, last: bigint): Promise<void> {
  for (let s = chain.parentSlot() + 1n; s <= last; s++) if ((await chain.schedule(s)).owner !== null) await chain.make(s)
}

t.test('a raised RN pledge: seats kept until the next election, which admits only RNs at the new minimum', async (t) => {
  const cfg = config({ W, cycleBlocks: 6n })
  const ws = witnessInputs(W) // pledged 2 × RN_PLEDGE each
  const sm = await genesisState(ws, cfg)
  const chain = new Chain(sm, cfg)
  const [rich, rich2] = [addr('rich'), addr('rich2')]
  await registerCandidate(sm, rich, 2n * NFC, 4n * RN_PLEDGE)
  await registerCandidate(sm, rich2, 1n * NFC, 4n * RN_PLEDGE)
  await makeUpTo(chain, 1n)
  await governRnPledge(chain, 3n * RN_PLEDGE)

  // blocks 2 … 4: the seated witnesses are below the new minimum and keep their seats
  await makeUpTo(chain, 4n)
  t.same(
    (await readWitnesses(sm)).seats,
    ws.map((w) => w.address),
    'no seat taken at once',
  )
  // block 5 is the last of the counting cycle: the election
  const m = await chain.make(5n)
  t.same(m.elected, [rich, rich2], 'only the RNs at the minimum in force are elected')
  t.same((await readWitnesses(sm)).pending?.seats, [rich, rich2, null])
  // the next round activates them; from then on the seats are held to the minimum they were elected under
  await makeUpTo(chain, 8n)
  t.same((await readWitnesses(sm)).seats, [rich, rich2, null], 'the elected seats hold at the new minimum')
  t.equal(await chain.store.getSeatPledge(), 3n * RN_PLEDGE, 'the seats’ minimum recorded at activation')
  await chain.store.putNode(rich2, { pledge: 2n * RN_PLEDGE }) // e.g. slashed: above the genesis minimum, below the new one
  await makeUpTo(chain, 10n)
  t.same((await readWitnesses(sm)).seats, [rich, null, null], 'a seat below its elected minimum is removed by the next block')
})

t.test('a raised RN pledge nobody meets: the election elects nobody, the seats stay, blocks go on', async (t) => {
  const cfg = config({ W, cycleBlocks: 6n })
  const ws = witnessInputs(W)
  const sm = await genesisState(ws, cfg)
  const chain = new Chain(sm, cfg)
  await makeUpTo(chain, 1n)
  await governRnPledge(chain, 10n * RN_PLEDGE)
  await makeUpTo(chain, 4n)
  t.same((await chain.make(5n)).elected, null, 'no eligible candidate')
  await makeUpTo(chain, 20n)
  t.same(
    (await readWitnesses(sm)).seats,
    ws.map((w) => w.address),
    'the seats stay and keep producing',
  )
  t.equal(chain.number, 20n)
})

t.test('a lowered RN pledge admits the RNs above it at the next election', async (t) => {
  const cfg = config({ W, cycleBlocks: 6n })
  const ws = witnessInputs(W)
  const sm = await genesisState(ws, cfg)
  const chain = new Chain(sm, cfg)
  const small = addr('small')
  await registerCandidate(sm, small, 1_000n * NFC, RN_PLEDGE / 2n)
  await makeUpTo(chain, 4n)
  t.notOk((await chain.make(5n)).elected?.includes(small), 'below the genesis minimum: not elected despite its votes')
  await governRnPledge(chain, RN_PLEDGE / 2n)
  await makeUpTo(chain, 10n)
  t.equal((await chain.make(11n)).elected?.[0], small, 'at the governed minimum: elected first by its votes')
})
