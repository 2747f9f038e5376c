/**
 * Issue 4, done-when (in process, the real chain: Blockchain + executor + system contracts):
 * 21 witnesses run full election cycles while votes change through ordinary signed
 * transactions; the new schedule takes effect exactly at the activation round; a witness
 * penalised by submitted double-production evidence below 10,000 trust is replaced in its seat
 * by the first standby.
 */
import t from 'tap'
import { Interface } from 'ethers'
import { createFeeMarket1559Tx, type TypedTransaction } from '@ethereumjs/tx'
import { Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import { devnetGenesis } from '../../../src/cli/devnetGenesis.js'
import { parseGenesis } from '../../../src/chain/genesis.js'
import { encodeHeader, signHeader, type BlockHeader } from '../../../src/chain/header.js'
import { core } from '../../../src/core/index.js'
import { addressOf, publicKeyOf } from '../../../src/crypto/secp256k1.js'
import { roundOrder } from '../../../src/consensus/dpos/schedule.js'
import { readCandidates, readTrust, readWitnesses } from '../../../src/consensus/dpos/views.js'
import { NFC, SYSTEM_CONTRACTS } from '../../../src/execution/systemAddresses.js'
import { openChain, tempDir } from '../../helpers/inProcessNode.js'
import stakingAbi from '../../../src/execution/system/abi/IStaking.json' with { type: 'json' }
import registryAbi from '../../../src/execution/system/abi/INodeRegistry.json' with { type: 'json' }
import evidenceAbi from '../../../src/execution/system/abi/IEvidence.json' with { type: 'json' }

const W = 21
const CYCLE = 42 // two rounds per counting cycle
const staking = new Interface(stakingAbi)
const registry = new Interface(registryAbi)
const evidence = new Interface(evidenceAbi)
const keyOf = (label: string) => core.keccak256(new TextEncoder().encode(label))
const addrOf = (k: Uint8Array) => bytesToHex(addressOf(publicKeyOf(k)))

t.test('21 witnesses: elections with changing votes, activation at the boundary, removal by evidence', async (t) => {
  let n = 0
  const genesisTime = 1_800_000_000_000
  const { doc, witnessKeys } = devnetGenesis({ nodes: W, timestamp: genesisTime, newKey: () => keyOf(`witness ${n++}`) })
  doc.params.electionCycleBlocks = CYCLE
  doc.params.evidenceSlashBps = 0 // trust only: the pledge stays, so removal is by trust
  // three newcomers with 2,000,000 NFC each, and a reporter, paid from the foundation
  const newcomers = [0, 1, 2].map((i) => keyOf(`candidate ${i}`))
  const reporter = keyOf('reporter')
  const foundation = Object.entries(doc.alloc).find(([, a]) => /foundation/.test(a.label ?? ''))![1]
  for (const k of [...newcomers, reporter]) {
    doc.alloc[addrOf(k)] = { balance: (2_000_000n * NFC).toString(), label: k === reporter ? 'reporter' : 'candidate' }
    foundation.balance = (BigInt(foundation.balance) - 2_000_000n * NFC).toString()
  }
  const genesis = parseGenesis(doc)
  const { chain } = await openChain(t, tempDir(t), genesis, () => genesisTime)
  const keys = new Map<string, Uint8Array>()
  for (const k of witnessKeys) keys.set(addrOf(hexToBytes(k as `0x${string}`)), hexToBytes(k as `0x${string}`))
  for (const k of newcomers) keys.set(addrOf(k), k)

  const common = chain.common
  const nonces = new Map<string, bigint>()
  const tx = (key: Uint8Array, to: string, data: string, value = 0n, gasLimit = 300_000n): TypedTransaction => {
    const from = addrOf(key)
    const nonce = nonces.get(from) ?? 0n
    nonces.set(from, nonce + 1n)
    return createFeeMarket1559Tx(
      {
        nonce,
        to: new Address(hexToBytes(to as `0x${string}`)),
        data: hexToBytes(data as `0x${string}`),
        value,
        gasLimit,
        maxFeePerGas: 10n ** 10n,
        maxPriorityFeePerGas: 0n,
        chainId: common.chainId(),
      },
      { common },
    ).sign(key)
  }
  const slotOfBlock = new Map<bigint, bigint>()
  const produce = async (slot: bigint, txs: TypedTransaction[] = []) => {
    const s = await chain.schedule(slot)
    if (s.owner === null) return null
    const built = await chain.produceBlock(keys.get(s.owner)!, BigInt(genesisTime) + slot * 1000n, txs)
    slotOfBlock.set(built.block.header.number, slot)
    t.equal(built.rejected.length, 0, `block ${built.block.header.number}: nothing rejected`)
    return built
  }
  const state = async () => chain.stateAt(chain.head.header)

  // cycle 0: the newcomers pledge, register and vote for themselves (1.5 M > the 1 M of each genesis witness)
  const setup: TypedTransaction[] = []
  newcomers.forEach((k, i) => {
    setup.push(tx(k, SYSTEM_CONTRACTS.nodeRegistry, registry.encodeFunctionData('pledge', [1]), genesis.params.rnPledge))
    setup.push(tx(k, SYSTEM_CONTRACTS.staking, staking.encodeFunctionData('registerCandidate', [500, `https://candidate-${i}.example`])))
    setup.push(tx(k, SYSTEM_CONTRACTS.staking, staking.encodeFunctionData('vote', [addrOf(k), 1_500_000n * NFC]), 1_500_000n * NFC))
  })
  const first = await produce(1n, setup)
  t.ok(
    first!.receipts.every((r) => r.status === 1),
    'pledge, register and vote succeed',
  )
  const cands = await readCandidates(await state())
  t.equal(cands.length, W + 3, 'three candidates registered by transaction')
  for (const k of newcomers) t.equal(cands.find((c) => c.address === addrOf(k))!.votes, 1_500_000n * NFC)
  const genesisSeats = (await readWitnesses(await state())).seats

  for (let s = 2n; s < BigInt(CYCLE); s++) await produce(s)
  t.equal(chain.head.header.number, BigInt(CYCLE - 1), 'every slot of cycle 0 filled')
  const view = await readWitnesses(await state())
  t.ok(view.pending !== null, 'the election at the last block of the cycle left a pending result')
  t.equal(view.pending!.activationRound, 2n, 'it applies from round 2 (slot 42)')
  for (const k of newcomers) t.ok(view.pending!.seats.includes(addrOf(k)), `newcomer ${addrOf(k)} elected`)
  t.equal(view.pending!.standby.length, 3, 'three genesis witnesses on standby')
  // the round in progress finishes with the old seats; the boundary slot uses the new ones
  t.same((await chain.schedule(BigInt(CYCLE))).seats, view.pending!.seats, 'slot 42 uses the new seats')
  t.same(view.seats, genesisSeats, 'the seats in force are still the genesis ones')
  // round 2's order is the §4 shuffle of the new seats under the hash of the first block of round 1
  const seed = (await chain.headerByNumber(21n))!.hash
  const expected = roundOrder(seed, view.pending!.seats, W)
  for (let s = BigInt(CYCLE); s < BigInt(CYCLE + W); s++) {
    const sched = await chain.schedule(s)
    t.equal(sched.owner, expected[Number(s % BigInt(W))], `slot ${s} owner per the shuffle`)
    await produce(s)
  }

  // cycle 1: one newcomer unvotes most of its votes; the next election drops it again
  const loser = newcomers[0]!
  await produce(BigInt(CYCLE + W), [tx(loser, SYSTEM_CONTRACTS.staking, staking.encodeFunctionData('unvote', [addrOf(loser), 1_400_000n * NFC]))])
  for (let s = BigInt(CYCLE + W + 1); chain.head.header.number < BigInt(2 * CYCLE - 1); s++) await produce(s)
  const v2 = await readWitnesses(await state())
  t.ok(v2.pending !== null && !v2.pending.seats.includes(addrOf(loser)), 'after unvoting, the next election leaves it out')
  t.ok(v2.pending!.standby.includes(addrOf(loser)), 'it is on standby')
  let slot = slotOfBlock.get(chain.head.header.number)! + 1n
  for (let i = 0; i < W; i++, slot++) await produce(slot)
  t.same((await readWitnesses(await state())).seats, v2.pending!.seats, 'cycle 2 seats in force')

  // one more cycle with no vote change: the same witnesses are re-elected (evidence must also name past slots)
  while (slot < 200n) await produce(slot++)
  t.ok(chain.head.header.number >= 3n * BigInt(CYCLE), `${chain.head.header.number} blocks, four counting cycles`)

  // removal: pieces of double-production evidence push a seated witness below 10,000
  const seats = (await readWitnesses(await state())).seats
  const victim = seats[5]!
  const standbyFirst = (await readWitnesses(await state())).standby[0]!
  const victimKey = keys.get(victim)!
  const proto = chain.head.header
  // two different headers signed by the victim for the same (past) slot k
  const evidenceFor = (k: bigint): TypedTransaction => {
    const h: BlockHeader = {
      ...proto,
      producer: hexToBytes(victim as `0x${string}`),
      number: k,
      timestamp: BigInt(genesisTime) + k * 1000n,
      signature: new Uint8Array(0),
    }
    const a = signHeader(h, victimKey)
    const b = signHeader({ ...h, stateRoot: keyOf(`other ${k}`) }, victimKey)
    return tx(reporter, SYSTEM_CONTRACTS.evidence, evidence.encodeFunctionData('submitDoubleProduction', [encodeHeader(a), encodeHeader(b)]), 0n, 150_000n)
  }
  const before = (await readTrust(await state(), victim))!
  // enough pieces to go below 10,000 (about 189 from 28,800 plus what it earned producing)
  const pieces = (before - 10_000n) / 100n + 1n
  const evidenceTxs: TypedTransaction[] = []
  for (let k = 1n; k <= pieces; k++) evidenceTxs.push(evidenceFor(k))
  let built = null
  while (built === null) built = await produce(slot++, evidenceTxs)
  t.ok(
    built.receipts.every((r) => r.status === 1),
    `all ${pieces} pieces of evidence accepted`,
  )
  const after = (await readTrust(await state(), victim))!
  t.equal(
    after,
    before - 100n * pieces + (built.block.header.producer.every((b, i) => b === hexToBytes(victim as `0x${string}`)[i]) ? 10n : 0n),
    'each piece of evidence cost 100 trust',
  )
  t.ok(after < 10_000n, `trust ${after} is below 10,000`)
  const seatsAfter = (await readWitnesses(await state())).seats
  t.equal(seatsAfter[5], standbyFirst, 'the first standby took the removed witness’s seat')
  t.notOk(seatsAfter.includes(victim), 'the removed witness holds no seat')
  // a repeated piece of evidence is refused (one penalty per producer and slot)
  let again = null
  while (again === null) again = await produce(slot++, [evidenceFor(1n)])
  t.equal(again.receipts[0]!.status, 0, 'the same evidence again reverts')
  t.equal((await readTrust(await state(), victim))!, after, 'and costs nothing more')
})
