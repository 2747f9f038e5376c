/**
 * Blocks from the network (DESIGN §4, docs/decisions.md "Consensus in the node"): independent
 * chains on one 4-witness genesis, each in its own temp dir. One produces, another imports what
 * it receives over the wire encoding. Every refused block must leave the importer exactly as it
 * was (head, state, database), and the importer must go on accepting valid blocks afterwards.
 */
import { once } from 'node:events'
import t, { type Test } from 'tap'
import { RLP } from '@ethereumjs/rlp'
import { createLegacyTx, type TypedTransaction } from '@ethereumjs/tx'
import { Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import { devnetGenesis } from '../../../src/cli/devnetGenesis.js'
import { decodeBlock, encodeBlock, makeBlock, type Block } from '../../../src/chain/block.js'
import { type Db } from '../../../src/chain/blockStore.js'
import { confirmationsRoot, recoverConfirmer, signConfirmation, type Confirmation } from '../../../src/chain/confirmation.js'
import { parseGenesis, type Genesis } from '../../../src/chain/genesis.js'
import { headerToFields, signHeader, type BlockHeader } from '../../../src/chain/header.js'
import { core } from '../../../src/core/index.js'
import { RecoverPool } from '../../../src/crypto/recoverPool.js'
import { addressOf, publicKeyOf } from '../../../src/crypto/secp256k1.js'
import { Blockchain, VOTE_HOLD_ROUNDS, type Head, type ImportOutcome } from '../../../src/node/blockchain.js'
import { ConsensusLink, type ConsensusLinkOptions } from '../../../src/node/consensusLink.js'
import { DEV_ACCOUNTS } from '../../../src/node/devAccounts.js'
import { BlockProducer, type SlotOutcome } from '../../../src/node/producer.js'
import { TxPool } from '../../../src/txpool/txPool.js'
import { ManualClock } from '../../../src/util/clock.js'
import { createLogger, silentLogger } from '../../../src/util/logger.js'
import { openChain as openBareChain, tempDir } from '../../helpers/inProcessNode.js'

const GENESIS_TIME = 1_800_000_000_000
const { doc } = devnetGenesis({ nodes: 4, timestamp: GENESIS_TIME })
const hex = (b: Uint8Array): string => bytesToHex(b)
const keyOf = (i: number): Uint8Array => hexToBytes(DEV_ACCOUNTS[i]!.privateKey as `0x${string}`)
const addressOfKey = (k: Uint8Array): string => hex(addressOf(publicKeyOf(k)))
/** the witnesses are dev accounts 0..3 */
const witnessKeys = [0, 1, 2, 3].map(keyOf)
const witnesses = witnessKeys.map(addressOfKey)
const witnessKey = (address: string): Uint8Array => {
  const i = witnesses.indexOf(address.toLowerCase())
  if (i < 0) throw new Error(`${address} is not a witness`)
  return witnessKeys[i]!
}
/** a funded dev account that holds no seat */
const STRANGER = keyOf(7)
const timeOf = (slot: bigint): bigint => BigInt(GENESIS_TIME) + slot * 1000n
const producerOf = (b: Block): string => hex(b.header.producer)

interface Opened {
  chain: Blockchain
  db: Db
  dir: string
  genesis: Genesis
  close(): Promise<void>
}

async function openChain(t: Test, dir = tempDir(t)): Promise<Opened> {
  const genesis = parseGenesis(structuredClone(doc))
  return { ...(await openBareChain(t, dir, genesis, () => GENESIS_TIME)), dir, genesis }
}

/** The next block of `chain` in `slot`, signed by whoever owns the slot on top of its head. */
async function produce(chain: Blockchain, slot: bigint, txs: TypedTransaction[] = [], confirmations: Confirmation[] = []): Promise<Block> {
  const { owner } = await chain.schedule(slot)
  if (owner === null) throw new Error(`slot ${slot} has no owner`)
  const built = await chain.produceBlock(witnessKey(owner), timeOf(slot), txs, confirmations)
  if (built.rejected.length > 0) throw new Error(`block ${built.block.header.number}: ${built.rejected.length} txs rejected`)
  return built.block
}

/** `count` blocks of `chain` from slot `from` on, in the slots of only two producers (nothing becomes final by them). */
async function byTwoProducers(chain: Blockchain, from: bigint, count: number): Promise<{ blocks: Block[]; producers: Set<string>; next: bigint }> {
  const blocks: Block[] = []
  const producers = new Set<string>()
  let slot = from
  for (; blocks.length < count; slot++) {
    const { owner } = await chain.schedule(slot)
    if (owner === null || (!producers.has(owner) && producers.size === 2)) continue
    producers.add(owner)
    blocks.push(await produce(chain, slot))
  }
  return { blocks, producers, next: slot }
}

/** What a peer would receive: the block through its wire encoding (fresh tx objects, no cached senders). */
function wire(block: Block, chain: Blockchain): Block {
  return decodeBlock(encodeBlock(block), chain.common)
}

function importInto(o: Opened, block: Block, now = block.header.timestamp): Promise<ImportOutcome> {
  return o.chain.importBlock(wire(block, o.chain), now)
}

/** The header changed by `edit` and signed again with `key`, with the same body unless given. */
function forge(
  block: Block,
  edit: Partial<BlockHeader>,
  key: Uint8Array,
  body: { transactions?: TypedTransaction[]; confirmations?: Confirmation[] } = {},
): Block {
  const header = signHeader({ ...block.header, ...edit, signature: new Uint8Array(0) }, key)
  return makeBlock(header, body.transactions ?? block.transactions, body.confirmations ?? block.confirmations)
}

/** head, final block, live state root, pending trie writes and every database record */
async function snapshot(o: Opened) {
  const records: string[] = []
  for await (const [k, v] of o.db.iterator()) records.push(`${hex(k)}=${hex(v)}`)
  return {
    head: hex(o.chain.head.hash),
    headStateRoot: hex(o.chain.head.header.stateRoot),
    liveStateRoot: hex(await o.chain.state.live.getStateRoot()),
    finalized: hex(o.chain.finalized.hash),
    pending: o.chain.state.store.pendingCount,
    records,
  }
}

/** The import must throw `code` with a message matching `message`, and change nothing. */
async function refuses(t: Test, o: Opened, block: Block, code: string, message: RegExp | string, what: string, now = block.header.timestamp): Promise<void> {
  const before = await snapshot(o)
  t.equal(before.liveStateRoot, before.headStateRoot, `${what}: live state at the head before`)
  await t.rejects(o.chain.importBlock(wire(block, o.chain), now), { code, message }, what)
  t.same(await snapshot(o), before, `${what}: head, state and stored data unchanged`)
  t.equal(await o.chain.store.hasBlock(block.hash), false, `${what}: its hash is not stored`)
}

async function balance(chain: Blockchain, address: string): Promise<bigint> {
  const sm = await chain.stateAt(chain.head.header)
  return (await sm.getAccount(new Address(hexToBytes(address as `0x${string}`))))?.balance ?? 0n
}

/** 1 NFC from dev account 5 (first transaction on the chain) to dev account 6 */
function transfer(chain: Blockchain, genesis: Genesis): TypedTransaction {
  return createLegacyTx(
    {
      nonce: 0n,
      gasPrice: genesis.params.minGasPrice,
      gasLimit: 21_000n,
      to: new Address(hexToBytes(DEV_ACCOUNTS[6]!.address as `0x${string}`)),
      value: 10n ** 18n,
    },
    { common: chain.common },
  ).sign(keyOf(5))
}

/** Events of a chain, as `+number:hash` (block) and `-number:hash` (removedBlock). */
function recordEvents(chain: Blockchain): string[] {
  const out: string[] = []
  chain.on('removedBlock', ({ block }) => out.push(`-${block.header.number}:${hex(block.hash)}`))
  chain.on('block', ({ block }) => out.push(`+${block.header.number}:${hex(block.hash)}`))
  return out
}
const added = (b: Block) => `+${b.header.number}:${hex(b.hash)}`
const removed = (b: Block) => `-${b.header.number}:${hex(b.hash)}`

/** Witness `w` signs a confirmation of `block` and `chain` notes it, as if it came by gossip (signer recovered from the signature). */
function confirmOn(chain: Blockchain, w: string, block: Block): Promise<boolean> {
  const chainId = chain.common.chainId()
  const c = signConfirmation(chainId, block.hash, block.header.number, witnessKey(w))
  return chain.noteConfirmation(hex(recoverConfirmer(chainId, c)!), c.number, c.blockHash)
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.length - b.length
}

async function canonicalHashes(chain: Blockchain, upTo: bigint): Promise<string[]> {
  const out: string[] = []
  for (let n = 0n; n <= upTo; n++) out.push(hex((await chain.store.getHashByNumber(n)) ?? new Uint8Array()))
  return out
}

t.test('valid blocks import; again they are known; unknown parent is orphan; early blocks are future or invalid', async (t) => {
  const a = await openChain(t)
  const b = await openChain(t)
  t.equal(hex(a.chain.genesisHash), hex(b.chain.genesisHash), 'same genesis')
  t.equal(b.chain.seats.length, 4, 'four seats')

  const b1 = await produce(a.chain, 1n)
  const b2 = await produce(a.chain, 2n)
  const b3 = await produce(a.chain, 3n)
  t.equal(await importInto(b, b1), 'imported')
  t.equal(hex(b.chain.head.hash), hex(b1.hash), 'the head is block 1')
  t.equal(await importInto(b, b1), 'known', 'the same block again')
  t.equal(await importInto(b, b1, b1.header.timestamp + 60_000n), 'known', 'again, later')

  const before = await snapshot(b)
  t.equal(await importInto(b, b3), 'orphan', 'block 3 before block 2')
  t.same(await snapshot(b), before, 'an orphan changes nothing')
  t.equal(await b.chain.store.hasBlock(b3.hash), false)
  t.equal(await importInto(b, b2), 'imported')
  t.equal(await importInto(b, b3), 'imported', 'block 3 once its parent is there')
  t.equal(hex(b.chain.head.header.stateRoot), hex(a.chain.head.header.stateRoot), 'same state as the producer')

  // block 4 arrives before its slot started on this clock
  const b4 = await produce(a.chain, 4n)
  const ts = b4.header.timestamp
  const early = await snapshot(b)
  t.equal(await importInto(b, b4, ts - 501n), 'future', '501 ms early: future')
  t.equal(await importInto(b, b4, ts - 15_000n), 'future', '15 s early: still future')
  t.same(await snapshot(b), early, 'a future block changes nothing')
  await refuses(t, b, b4, 'CHAIN_INVALID_BLOCK', `block 4 (${hex(b4.hash)}): timestamp ${ts} is 15001 ms in the future`, 'more than 15 s early', ts - 15_001n)
  t.equal(await importInto(b, b4, ts - 500n), 'imported', '500 ms early is within the clock slack')
  t.equal(hex(b.chain.head.hash), hex(a.chain.head.hash))
  t.equal(hex(b.chain.head.header.stateRoot), hex(a.chain.head.header.stateRoot))
  t.same(await canonicalHashes(b.chain, 4n), await canonicalHashes(a.chain, 4n), 'same canonical index')
})

t.test('invalid blocks are refused with the rule they break, and change nothing', async (t) => {
  const a = await openChain(t)
  const b = await openChain(t)
  const chainId = a.chain.common.chainId()
  const b1 = await produce(a.chain, 1n)
  const b2 = await produce(a.chain, 2n)
  t.equal(await importInto(b, b1), 'imported')
  t.equal(await importInto(b, b2), 'imported')

  // the block under attack: slot 3 with a transfer and a confirmation of block 1
  const owner = (await a.chain.schedule(3n)).owner!
  // producing a block confirms it: the confirmer must not have produced block 2 (or 1) itself
  const confirmer = witnesses.find((w) => w !== owner && w !== producerOf(b1) && w !== producerOf(b2))!
  const conf = signConfirmation(chainId, b1.hash, 1n, witnessKey(confirmer))
  const tx = transfer(a.chain, a.genesis)
  const x = await produce(a.chain, 3n, [tx], [conf])
  t.equal(producerOf(x), owner)
  t.equal(x.transactions.length, 1, 'the transfer is in')
  t.equal(x.confirmations.length, 1, 'the confirmation is in')
  t.equal(x.header.gasUsed, 21_000n)
  const key = witnessKey(owner)
  const prefix = `block 3 \\(0x[0-9a-f]{64}\\): `
  const invalid = (what: string) => new RegExp(`^${prefix}${what}$`)

  // the signature
  const sig = x.header.signature.slice()
  sig[10]! ^= 0x01
  await refuses(
    t,
    b,
    makeBlock({ ...x.header, signature: sig }, x.transactions, x.confirmations),
    'CHAIN_INVALID_BLOCK',
    invalid("the signature is not the producer's"),
    'a flipped signature byte',
  )
  await refuses(
    t,
    b,
    makeBlock({ ...x.header, signature: new Uint8Array(0) }, x.transactions, x.confirmations),
    'CHAIN_INVALID_BLOCK',
    invalid("the signature is not the producer's"),
    'no signature',
  )
  const other = witnesses.find((w) => w !== owner)!
  await refuses(
    t,
    b,
    forge(x, {}, witnessKey(other)),
    'CHAIN_INVALID_BLOCK',
    invalid("the signature is not the producer's"),
    'signed by another witness, producer unchanged',
  )

  // a witness producing in a slot it does not own (correctly self-signed)
  await refuses(
    t,
    b,
    forge(x, { producer: hexToBytes(other as `0x${string}`) }, witnessKey(other)),
    'DPOS_WRONG_PRODUCER',
    `slot 3 belongs to ${owner}, not ${other}`,
    'wrong producer for the slot',
  )
  await refuses(
    t,
    b,
    forge(x, { producer: hexToBytes(addressOfKey(STRANGER) as `0x${string}`) }, STRANGER),
    'DPOS_WRONG_PRODUCER',
    `slot 3 belongs to ${owner}, not ${addressOfKey(STRANGER)}`,
    'a non-witness producer',
  )

  // header fields checked before execution
  await refuses(
    t,
    b,
    forge(x, { number: 4n }, key),
    'CHAIN_INVALID_BLOCK',
    new RegExp(`^block 4 \\(0x[0-9a-f]{64}\\): number is not its parent's \\+ 1 \\(2\\)$`),
    'number = parent + 2',
  )
  await refuses(
    t,
    b,
    forge(x, { number: 2n }, key),
    'CHAIN_INVALID_BLOCK',
    new RegExp(`^block 2 \\(0x[0-9a-f]{64}\\): number is not its parent's \\+ 1 \\(2\\)$`),
    'number = parent',
  )
  await refuses(
    t,
    b,
    forge(x, { timestamp: x.header.timestamp + 1n }, key),
    'CHAIN_INVALID_BLOCK',
    invalid('timestamp is not the start of a slot'),
    'off-grid timestamp',
    x.header.timestamp + 1n,
  )
  await refuses(
    t,
    b,
    forge(x, { timestamp: b2.header.timestamp }, key),
    'CHAIN_INVALID_BLOCK',
    invalid("timestamp is not after its parent's"),
    'timestamp of the parent',
  )
  const gasLimit = b.genesis.params.blockGasLimit
  await refuses(
    t,
    b,
    forge(x, { gasLimit: gasLimit - 1n }, key),
    'CHAIN_INVALID_BLOCK',
    invalid(`gas limit ${gasLimit - 1n} is not the chain's ${gasLimit}`),
    'wrong gas limit',
  )
  await refuses(
    t,
    b,
    forge(x, { baseFeePerGas: x.header.baseFeePerGas + 1n }, key),
    'CHAIN_INVALID_BLOCK',
    invalid('baseFeePerGas is not the chain minimum gas price'),
    'wrong base fee',
  )
  await refuses(t, b, forge(x, { gasUsed: gasLimit + 1n }, key), 'CHAIN_INVALID_BLOCK', invalid('gas used above the gas limit'), 'gas used above the limit')
  await refuses(
    t,
    b,
    forge(x, { flowRoot: core.keccak256(new Uint8Array([1])) }, key),
    'CHAIN_INVALID_BLOCK',
    invalid('flow checkpoints are not accepted yet'),
    'a flow root',
  )

  // roots of the body
  await refuses(
    t,
    b,
    forge(x, { transactionsRoot: core.keccak256(new Uint8Array([2])) }, key),
    'CHAIN_INVALID_BLOCK',
    invalid('transactionsRoot does not match the transactions'),
    'bad transactionsRoot',
  )
  // a forged body under the valid header (same hash as the real block)
  await refuses(
    t,
    b,
    makeBlock(x.header, [], x.confirmations),
    'CHAIN_INVALID_BLOCK',
    invalid('transactionsRoot does not match the transactions'),
    'the valid header with the transaction dropped',
  )
  await refuses(
    t,
    b,
    makeBlock(x.header, x.transactions, []),
    'CHAIN_INVALID_BLOCK',
    invalid('confirmationsRoot does not match the confirmations'),
    'the valid header with the confirmation dropped',
  )

  // confirmations
  const forgedConf = signConfirmation(chainId, b1.hash, 1n, STRANGER)
  await refuses(
    t,
    b,
    forge(x, { confirmationsRoot: confirmationsRoot([forgedConf]) }, key, { confirmations: [forgedConf] }),
    'DPOS_BAD_CONFIRMATION',
    `${addressOfKey(STRANGER)} holds no seat`,
    'a confirmation signed by a non-witness',
  )
  const badSig = { ...conf, signature: conf.signature.slice() }
  badSig.signature[64] = 7
  await refuses(
    t,
    b,
    forge(x, { confirmationsRoot: confirmationsRoot([badSig]) }, key, { confirmations: [badSig] }),
    'CHAIN_INVALID_BLOCK',
    invalid('a confirmation signature is invalid'),
    'a malformed confirmation signature',
  )
  const stranger = signConfirmation(chainId, core.keccak256(new Uint8Array([3])), 1n, witnessKey(confirmer))
  await refuses(
    t,
    b,
    forge(x, { confirmationsRoot: confirmationsRoot([stranger]) }, key, { confirmations: [stranger] }),
    'CHAIN_INVALID_BLOCK',
    invalid('a confirmation is for block 1, which is not an ancestor'),
    'a confirmation of a block not on this branch',
  )
  const ofItself = signConfirmation(chainId, x.hash, 3n, witnessKey(confirmer))
  await refuses(
    t,
    b,
    forge(x, { confirmationsRoot: confirmationsRoot([ofItself]) }, key, { confirmations: [ofItself] }),
    'CHAIN_INVALID_BLOCK',
    invalid('a confirmation is for block 3, which is not an ancestor'),
    'a confirmation of a block not below the parent',
  )

  // execution results
  await refuses(t, b, forge(x, { gasUsed: 21_001n }, key), 'CHAIN_INVALID_BLOCK', invalid('gas used is 21000, the header says 21001'), 'bad gasUsed')
  await refuses(
    t,
    b,
    forge(x, { stateRoot: core.keccak256(new Uint8Array([4])) }, key),
    'CHAIN_INVALID_BLOCK',
    invalid('state root does not match the execution'),
    'bad state root',
  )
  await refuses(
    t,
    b,
    forge(x, { receiptsRoot: core.keccak256(new Uint8Array([5])) }, key),
    'CHAIN_INVALID_BLOCK',
    invalid('receiptsRoot does not match the execution'),
    'bad receiptsRoot',
  )
  await refuses(
    t,
    b,
    forge(x, { logsBloom: new Uint8Array(256).fill(1) }, key),
    'CHAIN_INVALID_BLOCK',
    invalid('logsBloom does not match the execution'),
    'bad logsBloom',
  )

  // after all of that the real block still imports, with the same result as its producer's
  t.equal(await importInto(b, x), 'imported', 'the valid block imports afterwards')
  t.equal(hex(b.chain.head.hash), hex(x.hash))
  t.equal(hex(b.chain.head.header.stateRoot), hex(a.chain.head.header.stateRoot), 'same state root as the producer')
  t.equal(b.chain.state.store.pendingCount, 0)
  const loc = await b.chain.store.getTxLocation(tx.hash())
  t.equal(loc && hex(loc.blockHash), hex(x.hash), 'the transfer is indexed')
  t.equal((await b.chain.store.getReceipts(x.hash))?.length, 1)
  t.equal(await importInto(b, await produce(a.chain, 4n)), 'imported', 'and the next one too')
})

t.test('fork choice: longest branch, reorg events and indexes, side blocks, equal height by lower hash', async (t) => {
  const a = await openChain(t)
  const b = await openChain(t)
  const c = await openChain(t)
  const a1 = await produce(a.chain, 1n)
  t.equal(await importInto(b, a1), 'imported')
  t.equal(await importInto(c, a1), 'imported')

  // A: slots 2, 3 (with a transfer); C skips them and fills 4, 5, 6
  const tx = transfer(a.chain, a.genesis)
  const a2 = await produce(a.chain, 2n, [tx])
  const a3 = await produce(a.chain, 3n)
  const c2 = await produce(c.chain, 4n)
  const c3 = await produce(c.chain, 5n)
  const c4 = await produce(c.chain, 6n)
  t.equal(c2.transactions.length, 0)

  const receiver = DEV_ACCOUNTS[6]!.address.toLowerCase()
  const startBalance = await balance(b.chain, receiver)
  t.equal(await importInto(b, a2), 'imported')
  t.equal(await importInto(b, a3), 'imported')
  t.equal(hex((await b.chain.store.getTxLocation(tx.hash()))!.blockHash), hex(a2.hash), 'the transfer is found in block 2')
  t.equal(await balance(b.chain, receiver), startBalance + 10n ** 18n)

  const events = recordEvents(b.chain)
  t.equal(await importInto(b, c2), 'side', 'a shorter branch is a side branch')
  t.equal(hex(b.chain.head.hash), hex(a3.hash), 'the head stays')
  t.ok(await b.chain.store.hasBlock(c2.hash), 'the side block is stored')
  t.equal(hex((await b.chain.store.getHashByNumber(2n))!), hex(a2.hash), 'but not indexed')
  t.same(events, [], 'no events for a side block')

  // c3 has a3's height: the lower hash wins
  const c3wins = compareBytes(c3.hash, a3.hash) < 0
  t.equal(await importInto(b, c3), c3wins ? 'imported' : 'side', `equal height: the lower hash wins (${c3wins ? 'C' : 'A'})`)
  t.equal(hex(b.chain.head.hash), hex(c3wins ? c3.hash : a3.hash))
  t.equal(await importInto(b, c4), 'imported', 'the longer branch wins')
  t.equal(hex(b.chain.head.hash), hex(c4.hash))
  t.equal(hex(b.chain.head.header.stateRoot), hex(c.chain.head.header.stateRoot), 'the state of C')
  t.same(events, [removed(a3), removed(a2), added(c2), added(c3), added(c4)], 'removedBlock newest-first, then block oldest-first')
  t.same(await canonicalHashes(b.chain, 4n), await canonicalHashes(c.chain, 4n), 'the number index follows C')
  t.equal(await b.chain.store.getHashByNumber(5n), undefined)
  t.equal(await b.chain.store.getTxLocation(tx.hash()), undefined, "the transfer's location left the canonical index")
  t.equal(await balance(b.chain, receiver), startBalance, 'and its effect left the state')
  t.ok(await b.chain.store.hasBlock(a2.hash), "A's blocks stay stored")
  t.equal((await b.chain.store.getReceipts(a2.hash))?.length, 1, 'with their receipts')

  // producing confirms: a1, c2, c3, c4 come from three distinct witnesses (slots 1/5 share an
  // owner), so block 2 (the third-highest number among them) is final on B now
  t.equal(b.chain.finalized.header.number, 2n, "three distinct producers on C's branch make block 2 final")
  t.equal(hex(b.chain.finalized.hash), hex(c2.hash))

  // A grows its branch to C's height and then hears C's branch
  const a4 = await produce(a.chain, 7n)
  t.equal(a.chain.finalized.header.number, 1n, "on A only block 1 is final (A's blocks 1-4 have three producers, block 1 is the third-highest)")
  t.equal(await importInto(a, c2), 'side')
  t.equal(await importInto(a, c3), 'side')
  // whatever the hashes: C's branch has three distinct producers, so C's block 2 is final (DESIGN
  // §4: confirmed by ⌊2n/3⌋+1 witnesses, on whichever branch) and A follows it
  t.equal(await importInto(a, c4), 'imported', "A: C's tip makes C's block 2 final, so A follows C at equal height")
  t.equal(hex(a.chain.head.hash), hex(c4.hash), "A ends on C's tip")
  t.equal(hex(a.chain.finalized.hash), hex(c2.hash), "C's block 2 is final on A too")
  t.equal(await a.chain.store.getTxLocation(tx.hash()), undefined, "on A the transfer of A's own branch left the index")
  // B has block 2 of C final: A's branch is ignored whatever its tip
  const before = await snapshot(b)
  t.equal(await importInto(b, a4), 'known', "B: a branch without B's final block is ignored, even at equal height")
  t.same(await snapshot(b), before, 'and changes nothing on B')
  t.equal(await importInto(b, c4), 'known')
})

t.test('finality: quorum 3 of 4 distinct witnesses, persisted, and never left for a longer branch', async (t) => {
  const x = await openChain(t)
  const y = await openChain(t)
  const b = await openChain(t)
  // two rival blocks at height 1 from different producers
  const bx = await produce(x.chain, 1n)
  const by = await produce(y.chain, 2n)
  t.not(producerOf(bx), producerOf(by))
  const [lo, loOpened, hi, hiChain] = compareBytes(bx.hash, by.hash) < 0 ? [bx, x, by, y.chain] : [by, y, bx, x.chain]
  const loChain = loOpened.chain
  t.equal(await importInto(loOpened, hi), 'side', 'equal height, higher hash: a side block, the head stays')
  t.equal(hex(loChain.head.hash), hex(lo.hash))
  t.equal(await importInto(b, hi), 'imported')
  t.equal(await importInto(b, lo), 'imported', 'the lower hash takes over')
  t.equal(await importInto(b, hi), 'known')
  t.equal(hex(b.chain.head.hash), hex(lo.hash))
  t.equal(b.chain.finalized.header.number, 0n, 'only the producer has confirmed block 1')

  const finals: Head[] = []
  b.chain.on('finalized', (h) => finals.push(h))
  const confirm = (w: string, block: Block) => confirmOn(b.chain, w, block)
  const others = witnesses.filter((w) => w !== producerOf(lo))
  t.equal(await confirm(producerOf(lo), lo), true, 'the producer confirms its own block')
  t.equal(b.chain.finalized.header.number, 0n, 'the producer counts once')
  t.equal(await confirm(others[0]!, hi), false, 'a confirmation of a side block is not counted here')
  t.equal(b.chain.finalized.header.number, 0n)
  t.equal(await confirm(others[0]!, lo), true)
  t.equal(await confirm(others[0]!, lo), true, 'the same witness again')
  t.equal(b.chain.finalized.header.number, 0n, 'two distinct witnesses are not a quorum')
  t.same(finals, [])
  t.equal(await confirm(others[1]!, lo), true)
  t.equal(b.chain.finalized.header.number, 1n, 'the third distinct witness makes block 1 final')
  t.equal(hex(b.chain.finalized.hash), hex(lo.hash))
  t.same(
    finals.map((h) => hex(h.hash)),
    [hex(lo.hash)],
    "one 'finalized' event",
  )
  t.equal(hex((await b.chain.store.getMeta('finalized'))!), hex(lo.hash), 'persisted')

  // the rival branch grows longer than ours, but it lacks the final block
  const hi2 = await produce(hiChain, 3n)
  const before = await snapshot(b)
  t.equal(await importInto(b, hi2), 'known', 'a longer branch without the final block is ignored')
  t.same(await snapshot(b), before, 'and changes nothing')
  t.equal(await b.chain.store.hasBlock(hi2.hash), false)
  // our branch goes on
  const lo2 = await produce(loChain, 4n)
  t.equal(await importInto(b, lo2), 'imported')
  t.equal(b.chain.finalized.header.number, 1n, 'one witness at block 2 does not move finality')

  // a restart keeps the final block and still refuses the other branch
  await b.close()
  const b2 = await openChain(t, b.dir)
  t.equal(hex(b2.chain.head.hash), hex(lo2.hash))
  t.equal(b2.chain.finalized.header.number, 1n, 'finality survives a reopen')
  t.equal(hex(b2.chain.finalized.hash), hex(lo.hash))
  t.equal(await importInto(b2, hi2), 'known', 'still ignored after the reopen')
  t.equal(await importInto(b2, await produce(hiChain, 5n)), 'known', 'its children are refused too, unread: their parent was')
  t.equal(hex(b2.chain.head.hash), hex(lo2.hash))
  t.equal(await importInto(b2, await produce(loChain, 6n)), 'imported', 'the final branch goes on')
})

t.test('a block left for a longer branch that then becomes final is followed back (even to a shorter branch)', async (t) => {
  // The lab's stuck node: witnesses confirm block 1 of X; some move to Y's longer branch before
  // the last confirmation of X's block 1 reaches them. It is final: every node must end on it.
  const x = await openChain(t)
  const y = await openChain(t)
  const b = await openChain(t)
  const bx = await produce(x.chain, 1n)
  const by = await produce(y.chain, 2n)
  const by2 = await produce(y.chain, 3n)
  const confirm = (w: string, block: Block) => confirmOn(b.chain, w, block)
  const [o1, o2] = witnesses.filter((w) => w !== producerOf(bx))
  t.equal(await importInto(b, bx), 'imported')
  t.equal(await confirm(o1!, bx), true, "a second witness confirms X's block 1 (with its producer: 2 of the quorum of 3)")
  await importInto(b, by)
  t.equal(await importInto(b, by2), 'imported', "Y's longer branch takes over")
  t.equal(hex(b.chain.head.hash), hex(by2.hash))
  t.equal(b.chain.finalized.header.number, 0n, 'nothing final yet')

  const removed: string[] = []
  const added: string[] = []
  const finals: string[] = []
  b.chain.on('removedBlock', (e) => removed.push(hex(e.block.hash)))
  b.chain.on('block', (e) => added.push(hex(e.block.hash)))
  b.chain.on('finalized', (h) => finals.push(hex(h.hash)))
  t.equal(await confirm(o2!, bx), false, 'the third confirmation is of a block off the chain')
  t.equal(hex(b.chain.head.hash), hex(bx.hash), "the head went back to X's block 1, the shorter branch")
  t.equal(hex(b.chain.finalized.hash), hex(bx.hash), "X's block 1 is final")
  t.same(finals, [hex(bx.hash)], "one 'finalized' event")
  t.same(removed, [hex(by2.hash), hex(by.hash)], "Y's blocks left the chain, newest first")
  t.same(added, [hex(bx.hash)], "X's block 1 joined it")
  t.same(await canonicalHashes(b.chain, 2n), [hex(b.chain.genesisHash), hex(bx.hash), '0x'], 'the number index follows')
  t.equal(hex(await b.chain.state.live.getStateRoot()), hex(bx.header.stateRoot), "the live state is X's block 1's")
  t.equal(hex((await b.chain.store.getMeta('finalized'))!), hex(bx.hash), 'the final block is persisted')

  t.equal(await importInto(b, await produce(y.chain, 4n)), 'known', "Y's branch is never followed again")
  t.equal(await importInto(b, await produce(x.chain, 5n)), 'imported', "X's branch goes on")
  t.equal(b.chain.head.header.number, 2n)
})

t.test('a witness keeps the block it voted for against an equal-height rival with a lower hash; a follower takes the lower hash', async (t) => {
  const x = await openChain(t)
  const y = await openChain(t)
  const follower = await openChain(t)
  const bx = await produce(x.chain, 1n)
  const by = await produce(y.chain, 2n)
  const [lower, higher, higherChain] = compareBytes(bx.hash, by.hash) < 0 ? [bx, by, y] : [by, bx, x]
  // the producer of the higher-hash block voted for it by producing it
  t.equal(await importInto(higherChain, lower), 'side', 'its producer keeps its own block at equal height')
  t.equal(hex(higherChain.chain.head.hash), hex(higher.hash))
  t.equal(await importInto(follower, higher), 'imported')
  t.equal(await importInto(follower, lower), 'imported', 'a node that voted for neither takes the lower hash (DESIGN §4)')
  // a witness that confirmed the higher-hash block keeps it too
  const w = await openChain(t)
  t.equal(await importInto(w, higher), 'imported')
  w.chain.noteOwnVote(higher.hash, 1n, higher.header.timestamp)
  t.equal(await importInto(w, lower), 'side', 'a witness that confirmed the higher-hash block keeps it')
  t.equal(
    w.chain.holding(higher.header.timestamp + 1n),
    false,
    'and votes on: an equal-height rival (a double-produced twin, say) does not silence it, the next block settles the tie',
  )
  // a longer branch wins once the vote no longer holds the witness (the next test)
  const next = await produce(compareBytes(bx.hash, by.hash) < 0 ? x.chain : y.chain, 3n)
  t.equal(await importInto(w, next, higher.header.timestamp + holdMs(w)), 'imported', 'a longer branch takes over once the hold is over')
  t.equal(hex(w.chain.head.hash), hex(next.hash))
})

/** How long a vote holds a witness to its branch on `o`'s chain (VOTE_HOLD_ROUNDS rounds). */
const holdMs = (o: Opened): bigint => BigInt(VOTE_HOLD_ROUNDS * o.chain.dpos.W) * o.chain.dpos.intervalMs

t.test("a witness holds the branch of its vote against a longer one for two rounds: the vote's block can become final meanwhile", async (t) => {
  // The devnet's finality split: a witness confirmed X's block 1, moved to Y's longer branch before
  // the last confirmation of X's block 1 reached it, and confirmed Y's block 2 — one vote for both
  // branches, and both became final on different nodes. Held, it confirms nothing on Y's branch.
  const x = await openChain(t)
  const y = await openChain(t)
  const bx = await produce(x.chain, 1n)
  const by = await produce(y.chain, 2n)
  const by2 = await produce(y.chain, 3n)
  const [o1, o2] = witnesses.filter((w) => w !== producerOf(bx))

  const w = await openChain(t)
  t.equal(await importInto(w, bx), 'imported')
  const votedAt = bx.header.timestamp + 200n
  w.chain.noteOwnVote(bx.hash, 1n, votedAt)
  t.equal(await importInto(w, by), 'side', "Y's block 1: equal height")
  t.equal(await importInto(w, by2), 'side', "Y's longer branch does not hold the voted block: the witness keeps X's")
  t.equal(hex(w.chain.head.hash), hex(bx.hash), "the head stays X's block 1, so the witness confirms and builds nothing on Y's branch")

  const follower = await openChain(t)
  for (const b of [bx, by, by2]) await importInto(follower, b)
  t.equal(hex(follower.chain.head.hash), hex(by2.hash), 'a node that voted for neither takes the longer branch at once (DESIGN §4)')

  // the other confirmations of X's block 1 arrive: final, and Y's branch is out for good
  t.equal(await confirmOn(w.chain, o1!, bx), true)
  t.equal(await confirmOn(w.chain, o2!, bx), true)
  t.equal(hex(w.chain.finalized.hash), hex(bx.hash), "X's block 1 is final (its producer and two confirmations)")
  t.equal(
    await importInto(w, await produce(y.chain, 4n), votedAt + holdMs(w)),
    'known',
    "after the hold, Y's branch is still not followed: it lacks the final block",
  )
  t.equal(hex(w.chain.head.hash), hex(bx.hash))
})

t.test('a vote holds the witness only for two rounds, and only against branches without the voted block', async (t) => {
  const x = await openChain(t)
  const y = await openChain(t)
  const bx = await produce(x.chain, 1n)
  const by = await produce(y.chain, 2n)
  const by2 = await produce(y.chain, 3n)
  const by3 = await produce(y.chain, 4n)

  // a longer branch that holds the voted block is followed as always: Z forks from Y after block 1
  const z = await openChain(t)
  t.equal(await importInto(z, by), 'imported')
  const bz2 = await produce(z.chain, 5n)
  const bz3 = await produce(z.chain, 6n)
  const v = await openChain(t)
  t.equal(await importInto(v, by), 'imported')
  v.chain.noteOwnVote(by.hash, 1n, by.header.timestamp)
  t.equal(await importInto(v, bx), 'side', 'an equal-height rival is kept out')
  t.equal(await importInto(v, by2), 'imported', 'the branch of the vote goes on')
  const tie = compareBytes(bz2.hash, by2.hash) < 0 ? 'imported' : 'side'
  t.equal(await importInto(v, bz2), tie, "Z's block 2: equal height, holding the voted block, so the lower hash wins as for anyone")
  t.ok(bz3.header.timestamp - by.header.timestamp < holdMs(v), 'within the hold')
  t.equal(await importInto(v, bz3), 'imported', "Z's longer branch holds the voted block: it takes over within the hold")
  t.equal(hex(v.chain.head.hash), hex(bz3.hash))

  // nothing final, the vote two rounds old: the longer branch wins, as DESIGN §4 says
  const w = await openChain(t)
  t.equal(await importInto(w, bx), 'imported')
  w.chain.noteOwnVote(bx.hash, 1n, bx.header.timestamp)
  t.equal(await importInto(w, by), 'side')
  t.equal(await importInto(w, by2, bx.header.timestamp + holdMs(w) - 1n), 'side', 'held 1 ms before the end')
  t.equal(await importInto(w, by3, bx.header.timestamp + holdMs(w)), 'imported', "the hold is over: Y's longer branch takes over")
  t.equal(hex(w.chain.head.hash), hex(by3.hash))
  t.same(await canonicalHashes(w.chain, 3n), [hex(w.chain.genesisHash), hex(by.hash), hex(by2.hash), hex(by3.hash)], 'the number index follows')
})

t.test('side blocks vote: their producers and the confirmations they include count for their branch', async (t) => {
  const x = await openChain(t)
  const y = await openChain(t)
  const b = await openChain(t)
  const chainId = b.chain.common.chainId()
  // X: block 1, then block 2 that includes two confirmations of it; Y: three blocks by only two
  // producers (nothing final on Y)
  const bx = await produce(x.chain, 1n)
  const { blocks: ys, next } = await byTwoProducers(y.chain, 2n, 3)
  const [by, by2, by3] = ys as [Block, Block, Block]
  const others = witnesses.filter((w) => w !== producerOf(bx))
  const included = others.slice(0, 2).map((w) => signConfirmation(chainId, bx.hash, 1n, witnessKey(w)))
  const bx2 = await produce(x.chain, next, [], included)
  t.equal(bx2.confirmations.length, 2, "X's block 2 includes two confirmations of its block 1")
  for (const blk of [by, by2, by3]) t.equal(await importInto(b, blk), 'imported')
  t.equal(b.chain.finalized.header.number, 0n, 'nothing is final on Y (two producers)')
  await importInto(b, bx)
  t.equal(hex(b.chain.head.hash), hex(by3.hash), 'the longer branch is the head')
  t.equal(await importInto(b, bx2), 'imported', 'the side block whose branch holds a final block is followed')
  t.equal(hex(b.chain.head.hash), hex(bx2.hash), "X's branch is the head")
  t.equal(hex(b.chain.finalized.hash), hex(bx.hash), "X's block 1 is final: its producer and the two included confirmations")
})

/** A ConsensusLink on `o`'s chain, its pool reading the head state, its clock stopped at `nowMs`. */
function linkOn(o: Opened, recoverPool: RecoverPool, nowMs: number, witness: Partial<ConsensusLinkOptions> = {}): ConsensusLink {
  const head = async () => o.chain.stateAt(o.chain.head.header)
  const txpool = new TxPool(
    { common: o.chain.common, minGasPrice: o.genesis.params.minGasPrice, blockGasLimit: o.genesis.params.blockGasLimit, logger: silentLogger },
    {
      getNonce: async (address) => (await (await head()).getAccount(address))?.nonce ?? 0n,
      getBalance: async (address) => (await (await head()).getAccount(address))?.balance ?? 0n,
    },
  )
  return new ConsensusLink({ chain: o.chain, txpool, recoverPool, maxTxSize: o.genesis.params.maxTxSizeBytes, now: () => nowMs, ...witness })
}

t.test('ConsensusLink.importBlock refuses undecodable bytes with CHAIN_BAD_ENCODING', async (t) => {
  const a = await openChain(t)
  const b = await openChain(t)
  const recoverPool = RecoverPool.create({ threads: 1 })
  t.teardown(() => recoverPool.close())
  const b1 = await produce(a.chain, 1n)
  const link = linkOn(b, recoverPool, Number(b1.header.timestamp))
  const before = await snapshot(b)
  await t.rejects(link.importBlock(new Uint8Array([0xde, 0xad, 0xbe, 0xef])), { code: 'CHAIN_BAD_ENCODING', message: /^invalid block: rlp: / }, 'not RLP')
  await t.rejects(
    link.importBlock(RLP.encode([1, 2, 3])),
    { code: 'CHAIN_BAD_ENCODING', message: 'invalid block: want [14 header fields, body]' },
    'a short list',
  )
  const encoded = encodeBlock(b1)
  await t.rejects(link.importBlock(encoded.subarray(0, encoded.length - 7)), { code: 'CHAIN_BAD_ENCODING', message: /^invalid block: rlp: / }, 'truncated')
  const fields = headerToFields(b1.header)
  fields[0] = new Uint8Array(3)
  await t.rejects(
    link.importBlock(RLP.encode([...fields, [[], [], []]])),
    { code: 'CHAIN_BAD_ENCODING', message: 'invalid block header: parentHash has 3 bytes, want 32' },
    'a malformed header field',
  )
  await t.rejects(
    link.importBlock(RLP.encode([...headerToFields(b1.header), [[new Uint8Array([0xc0])], [], []]])),
    { code: 'CHAIN_BAD_ENCODING', message: /^invalid block body: transaction 0: / },
    'an undecodable transaction',
  )
  t.same(await snapshot(b), before, 'nothing changed')
  t.equal(await link.importBlock(encoded), 'imported', 'the real block imports through the link')
  t.equal(await link.importBlock(encoded), 'known')
  t.equal(hex(b.chain.head.hash), hex(b1.hash))
})

t.test("ConsensusLink.importBlock takes the senders of its pool's transactions from the pool: only the others are recovered", async (t) => {
  const a = await openChain(t)
  const b = await openChain(t)
  const recoverPool = RecoverPool.create({ threads: 1 })
  t.teardown(() => recoverPool.close())
  const recovered: number[] = []
  const recoverMany = recoverPool.recoverMany.bind(recoverPool)
  recoverPool.recoverMany = (items) => (recovered.push(items.length), recoverMany(items))
  const gossiped = transfer(a.chain, a.genesis)
  const unseen = createLegacyTx(
    { nonce: 0n, gasPrice: a.genesis.params.minGasPrice, gasLimit: 21_000n, to: new Address(hexToBytes(DEV_ACCOUNTS[6]!.address as `0x${string}`)), value: 5n },
    { common: a.chain.common },
  ).sign(STRANGER)
  const b1 = await produce(a.chain, 1n, [gossiped, unseen])
  t.equal(b1.transactions.length, 2)
  const link = linkOn(b, recoverPool, Number(b1.header.timestamp))
  t.equal(await link.addTransaction(gossiped.serialize()), 'added', 'one transaction came by gossip first')
  recovered.length = 0
  const imported = new Promise<Block>((resolve) => b.chain.once('block', (e: { block: Block }) => resolve(e.block)))
  t.equal(await link.importBlock(encodeBlock(b1)), 'imported')
  t.same(recovered, [1], 'only the transaction the pool did not hold was recovered')
  const pooled = (link as unknown as { o: ConsensusLinkOptions }).o.txpool.get(gossiped.hash())
  const [first, second] = (await imported).transactions
  t.ok(pooled !== undefined && first === pooled, "the block's copy of the gossiped transaction is the pool's object (not decoded again)")
  t.equal(hex(second!.hash()), hex(unseen.hash()), 'the other one decoded from the block')
  t.equal(hex(b.chain.head.hash), hex(b1.hash))
  t.equal(await balance(b.chain, DEV_ACCOUNTS[6]!.address), await balance(a.chain, DEV_ACCOUNTS[6]!.address), 'the same state as the producer')
})

t.test('a witness never votes at or below the height it recorded (SIGNED): a database that lost blocks does not make it vote twice', async (t) => {
  const recoverPool = RecoverPool.create({ threads: 1 })
  t.teardown(() => recoverPool.close())
  const a = await openChain(t)
  const b1 = await produce(a.chain, 1n)
  // a witness that did not produce block 1, as a restarted node would see it
  const voter = witnesses.find((w) => w !== producerOf(b1))!
  const run = async (recorded: bigint | undefined) => {
    const b = await openChain(t)
    const records: bigint[] = []
    const sent: Uint8Array[] = []
    const link = linkOn(b, recoverPool, Number(b1.header.timestamp), {
      witnessKey: witnessKey(voter),
      witnessAddress: voter,
      votes: { highest: recorded === undefined ? undefined : { number: recorded }, record: (v) => void records.push(v.number) },
    })
    link.broadcastConfirmation = (c) => {
      // recorded before the vote leaves the node
      t.same(records, [1n], 'SIGNED is written before the confirmation is sent')
      sent.push(c)
    }
    t.equal(await link.importBlock(encodeBlock(b1)), 'imported')
    await link.onCanonicalBlock(b1.hash, 1n, producerOf(b1), b1.header.timestamp)
    return { records, sent }
  }
  const fresh = await run(undefined)
  t.equal(fresh.sent.length, 1, 'nothing recorded: it confirms block 1')
  t.same(fresh.records, [1n], 'and records height 1')
  const after = await run(5n)
  t.equal(after.sent.length, 0, 'it voted up to height 5 before the cut: no vote at height 1')
  t.same(after.records, [], 'and nothing new recorded')
})

t.test('a held witness casts no vote; when the hold is over it follows the kept branch before its own next slot', async (t) => {
  const recoverPool = RecoverPool.create({ threads: 1 })
  t.teardown(() => recoverPool.close())
  const x = await openChain(t)
  const y = await openChain(t)
  // nothing may become final here: Y's blocks by two producers, X's by one, and one confirmation
  const bx = await produce(x.chain, 1n)
  const { blocks: ys, producers: pair, next } = await byTwoProducers(y.chain, 2n, 3)
  let slot = next
  const [by, by2, by3] = ys as [Block, Block, Block]
  while ((await x.chain.schedule(slot)).owner !== producerOf(bx)) slot++
  const bx2 = await produce(x.chain, slot)
  const voter = witnesses.find((w) => w !== producerOf(bx) && !pair.has(w))!

  const w = await openChain(t)
  let clock = Number(bx.header.timestamp) + 100
  const link = linkOn(w, recoverPool, 0, { witnessKey: witnessKey(voter), witnessAddress: voter, now: () => clock })
  t.equal(await link.importBlock(encodeBlock(bx)), 'imported')
  await link.onCanonicalBlock(bx.hash, 1n, producerOf(bx), bx.header.timestamp)
  t.ok(link.confirmations.has(voter, bx.hash), "the witness confirms X's block 1: its vote")
  const votedAt = BigInt(clock)

  t.equal(w.chain.holding(votedAt), false, 'nothing to hold against yet')
  for (const b of [by, by2, by3]) t.equal(await importInto(w, b), 'side', `Y's block ${b.header.number} is kept out`)
  t.equal(w.chain.holding(votedAt + 1n), true, "Y's longer branch beats the head: the witness holds")
  t.equal(await importInto(w, bx2), 'imported', "X's block 2 extends the head")
  clock = Number(votedAt) + 1000 // within the hold (block 2 may be from a later round: its import does not look at the hold)
  await link.onCanonicalBlock(bx2.hash, 2n, producerOf(bx2), bx2.header.timestamp)
  t.notOk(link.confirmations.has(voter, bx2.hash), 'holding, it does not confirm block 2: a new vote would start the hold again')
  t.equal(await w.chain.settleHold(BigInt(clock)), true, 'still held: the producer would not build on X')
  t.equal(hex(w.chain.head.hash), hex(bx2.hash))

  const end = votedAt + holdMs(w)
  t.equal(w.chain.holding(end), false, 'the hold is over two rounds after the vote')
  t.equal(await w.chain.settleHold(end), false)
  t.equal(hex(w.chain.head.hash), hex(by3.hash), "it moved to Y's longer branch without waiting for Y's next block")
  t.same(await canonicalHashes(w.chain, 3n), [hex(w.chain.genesisHash), hex(by.hash), hex(by2.hash), hex(by3.hash)], 'the number index follows')
  t.equal(w.chain.holding(end), false, 'nothing held any more')
})

t.test('a restarted witness is held by the vote SIGNED recorded (its block and time), as if it had not stopped', async (t) => {
  const recoverPool = RecoverPool.create({ threads: 1 })
  t.teardown(() => recoverPool.close())
  const x = await openChain(t)
  const y = await openChain(t)
  const bx = await produce(x.chain, 1n)
  const by = await produce(y.chain, 2n)
  const by2 = await produce(y.chain, 3n)
  const voter = witnesses.find((w) => w !== producerOf(bx))!
  const votedAt = bx.header.timestamp + 100n
  const records: bigint[] = []
  const restart = async (recorded: { number: bigint; hash?: Uint8Array; atMs?: bigint }) => {
    const w = await openChain(t)
    t.equal(await importInto(w, bx), 'imported')
    linkOn(w, recoverPool, Number(votedAt), {
      witnessKey: witnessKey(voter),
      witnessAddress: voter,
      votes: { highest: recorded, record: (v) => void records.push(v.number) },
    })
    await importInto(w, by)
    await importInto(w, by2)
    return w
  }
  const held = await restart({ number: 1n, hash: bx.hash, atMs: votedAt })
  t.equal(hex(held.chain.head.hash), hex(bx.hash), "it keeps X's block 1 against Y's longer branch")
  t.equal(held.chain.holding(votedAt + 1n), true, 'and casts no vote while the rival is kept out')
  const old = await restart({ number: 1n })
  t.equal(hex(old.chain.head.hash), hex(by2.hash), 'a record without the block (written before the hold) holds nothing')
  t.same(records, [], 'nothing was voted')
})

t.test('the producer of a held witness skips its slots (missed, reason held); after the hold it builds on the kept branch', async (t) => {
  const x = await openChain(t)
  const y = await openChain(t)
  const bx = await produce(x.chain, 1n)
  const { blocks: ys, producers: pair } = await byTwoProducers(y.chain, 2n, 3)
  const tip = ys[2]!
  const me = witnesses.find((w) => w !== producerOf(bx) && !pair.has(w))!
  const w = await openChain(t)
  t.equal(await importInto(w, bx), 'imported')
  const votedAt = bx.header.timestamp + 100n
  w.chain.noteOwnVote(bx.hash, 1n, votedAt)
  for (const b of ys) t.equal(await importInto(w, b), 'side')

  const clock = new ManualClock(Number(tip.header.timestamp) + 1)
  const lines: string[] = []
  const outcomes: SlotOutcome[] = []
  const producer = new BlockProducer({
    chain: w.chain,
    txpool: { selectForBlock: () => [], remove: () => true },
    privateKey: witnessKey(me),
    logger: createLogger({ level: 'debug', write: (l) => lines.push(l) }),
    now: () => clock.now(),
    timers: clock,
    afterBlock: () => undefined,
  })
  producer.on('slot', (o: SlotOutcome) => outcomes.push(o))
  t.teardown(() => producer.stop())
  producer.start()
  const holdEnd = votedAt + holdMs(w)
  // run the clock slot by slot until our first block
  for (let i = 0; i < 40 && !outcomes.some((o) => o.result === 'produced'); i++) {
    const next = once(producer, 'next')
    clock.advance(1000)
    await next
  }
  const ours = outcomes.filter((o) => o.result !== 'notOurs')
  const held = ours.filter((o) => o.result === 'missed' && o.reason === 'held')
  t.ok(held.length > 0, `our slots within the hold were skipped as held (${held.map((o) => o.slot).join(', ')})`)
  t.ok(
    held.every((o) => timeOf(o.slot) < holdEnd),
    'only slots within the hold',
  )
  t.match(ours[ours.length - 1], { result: 'produced' }, 'the first slot after the hold is produced')
  t.ok(timeOf(ours[ours.length - 1]!.slot) >= holdEnd, 'after the hold')
  t.equal(hex(w.chain.head.header.parentHash), hex(tip.hash), "our block's parent is the kept branch's tip")
  t.equal(hex(w.chain.head.header.producer), me)
  t.equal(producer.metrics.snapshot().missedBy.held, held.length, 'counted as missed, reason held')
  t.equal(producer.metrics.snapshot().missed, held.length, 'and no other miss: the owner of the slot after the hold was read on the kept branch')
  t.ok(
    lines.some((l) => / INFO  .*not producing: holding the branch of its last vote against a better one/.test(l)),
    'an info line says why',
  )
})

t.test('the children of a block refused for lacking the final block are dropped unread, not orphans to sync for', async (t) => {
  // A peer on a branch without our final block made each of its new blocks an orphan here (its
  // parent was refused, so never stored): a fork-point search and a download for every block.
  const x = await openChain(t)
  const y = await openChain(t)
  const bx = await produce(x.chain, 1n)
  const { blocks: ys } = await byTwoProducers(y.chain, 2n, 4)
  const n = await openChain(t)
  t.equal(await importInto(n, bx), 'imported')
  for (const w of witnesses.filter((w) => w !== producerOf(bx)).slice(0, 2)) await confirmOn(n.chain, w, bx)
  t.equal(hex(n.chain.finalized.hash), hex(bx.hash), "X's block 1 is final")

  t.equal(await importInto(n, ys[0]!), 'known', "Y's block 1: at the final height, not the final block")
  t.equal(await importInto(n, ys[1]!), 'known', "Y's block 2: its parent was refused, so it is refused too — not an orphan")
  t.equal(await importInto(n, ys[3]!), 'orphan', 'a block whose parent was never seen is still an orphan')
  t.equal(await importInto(n, ys[2]!), 'known')
  t.equal(await importInto(n, ys[3]!), 'known', 'and once its parent is known to be refused, it is refused')
  t.equal(n.chain.head.header.number, 1n)
})
