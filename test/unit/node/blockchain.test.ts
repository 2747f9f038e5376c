import t, { type Test } from 'tap'
import { prepareSystemAccounts } from '../../../src/execution/system/index.js'
import { writeGenesisState } from '../../../src/consensus/dpos/genesisState.js'
import { readWitnesses } from '../../../src/consensus/dpos/views.js'
import path from 'node:path'
import { MerkleStateManager } from '@ethereumjs/statemanager'
import { createFeeMarket1559Tx, createLegacyTx, type TypedTransaction } from '@ethereumjs/tx'
import { Account, Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import { transactionsRoot } from '../../../src/chain/block.js'
import { key, openDatabase, u64, type Db } from '../../../src/chain/blockStore.js'
import type { Genesis } from '../../../src/chain/genesis.js'
import { headerHash, recoverProducer, verifyHeaderSignature } from '../../../src/chain/header.js'
import { receiptsRoot } from '../../../src/chain/receipt.js'
import { makeCommon } from '../../../src/execution/common.js'
import { Blockchain, type NewBlockEvent } from '../../../src/node/blockchain.js'
import { devAddress, devGenesis, devKey, openChain, same, tempDir } from '../../helpers/inProcessNode.js'

const NOW = 1_700_000_000_500
const utf8 = new TextEncoder()

interface Opened {
  db: Db
  chain: Blockchain
  close(): Promise<void>
}

async function openDb(dir: string): Promise<Db> {
  return openDatabase(path.join(dir, 'chaindata'))
}

function open(t: Test, dir: string, genesis: Genesis = devGenesis(), now = NOW): Promise<Opened> {
  return openChain(t, dir, genesis, () => now)
}

/** every key → value of the database, as hex */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const db = await openDb(dir)
  const out: Record<string, string> = {}
  for await (const [k, v] of db.iterator()) out[bytesToHex(k)] = bytesToHex(v)
  await db.close()
  return out
}

/** Opening must fail with `code` and leave the database byte for byte as it was. */
async function refuses(t: Test, dir: string, genesis: Genesis, code: string, msg: string): Promise<void> {
  const before = await snapshot(dir)
  await t.rejects(open(t, dir, genesis), { code }, msg)
  t.same(await snapshot(dir), before, `${msg}: nothing written`)
}

async function withDb(dir: string, fn: (db: Db) => Promise<void>): Promise<void> {
  const db = await openDb(dir)
  try {
    await fn(db)
  } finally {
    await db.close()
  }
}

const common = makeCommon(2100n)
const nonces = new Map<number, bigint>()
function transfer(from: number, to: number, value: bigint, gasPrice = 2_000_000_000n): TypedTransaction {
  const nonce = nonces.get(from) ?? 0n
  nonces.set(from, nonce + 1n)
  return createLegacyTx({ nonce, gasPrice, gasLimit: 21_000n, to: new Address(hexToBytes(devAddress(to) as `0x${string}`)), value }, { common }).sign(
    devKey(from),
  )
}
const addr = (i: number) => new Address(hexToBytes(devAddress(i) as `0x${string}`))

async function balanceAt(chain: Blockchain, i: number): Promise<bigint> {
  return (await (await chain.stateAt(chain.head.header)).getAccount(addr(i)))?.balance ?? 0n
}

t.test('a fresh data directory gets the genesis block and its metadata', async (t) => {
  const dir = tempDir(t)
  const g = devGenesis((g) => (g.timestamp = 0))
  const { chain } = await open(t, dir, g)
  const { header, hash } = chain.head
  t.equal(header.number, 0n)
  t.equal(header.timestamp, 1_700_000_000_000n, 'time 0 in the file: now rounded down to the interval')
  t.equal(chain.genesisTime, 1_700_000_000_000n)
  same(t, header.parentHash, new Uint8Array(32))
  t.equal(header.signature.length, 0, 'genesis is not signed')
  t.equal(header.gasLimit, g.params.blockGasLimit)
  t.equal(header.baseFeePerGas, g.params.minGasPrice)
  same(t, hash, headerHash(header))
  same(t, chain.genesisHash, hash)
  // the state root is the root a reference Ethereum MPT gets for the allocation plus the
  // system-contract accounts and the DPoS records of the genesis witnesses
  const ref = new MerkleStateManager()
  for (const [a, acct] of g.alloc) await ref.putAccount(new Address(hexToBytes(a as `0x${string}`)), new Account(acct.nonce, acct.balance))
  await prepareSystemAccounts(ref)
  await writeGenesisState(ref, g.witnesses, { W: g.params.witnessesPerRound })
  same(t, header.stateRoot, await ref.getStateRoot())
  t.equal((await readWitnesses(await chain.stateAt(header))).seats[0], g.witnesses[0]!.address.toLowerCase(), 'the genesis witness holds the seat')
  // metadata and indexes
  same(t, await chain.store.getMeta('genesisHash'), hash)
  same(t, await chain.store.getMeta('genesisTime'), u64(1_700_000_000_000n))
  same(t, await chain.store.getMeta('schemaVersion'), u64(1n))
  t.equal((await chain.store.getMeta('genesisConfig'))?.length, 32)
  same(t, await chain.store.getHeadHash(), hash)
  same(t, await chain.store.getHashByNumber(0n), hash)
  t.equal(await balanceAt(chain, 1), 10_000n * 10n ** 18n)
  t.equal(chain.state.store.pendingCount, 0, 'all genesis state nodes were committed')
})

t.test('reopening continues at the head, with its state', async (t) => {
  const dir = tempDir(t)
  const g = devGenesis((g) => (g.timestamp = 0))
  const a = await open(t, dir, g)
  const events: NewBlockEvent[] = []
  a.chain.on('block', (e) => events.push(e))
  const ts0 = a.chain.head.header.timestamp
  for (let i = 1n; i <= 3n; i++) await a.chain.produceBlock(devKey(0), ts0 + i * 1000n, [transfer(1, 2, 1000n * i)])
  t.equal(events.length, 3, 'a block event per block')
  const head = a.chain.head
  t.equal(head.header.number, 3n)
  await a.close()

  // later wall clock: the stored genesis time wins over "now"
  const b = await open(t, dir, g, NOW + 3_600_000)
  t.equal(b.chain.head.header.number, 3n)
  same(t, b.chain.head.hash, head.hash)
  t.equal(b.chain.genesisTime, ts0)
  t.equal(await balanceAt(b.chain, 2), 10_000n * 10n ** 18n + 6000n)
  // and it keeps producing on top
  const built = await b.chain.produceBlock(devKey(0), head.header.timestamp + 1000n, [transfer(1, 2, 1n)])
  t.equal(built.block.header.number, 4n)
  same(t, built.block.header.parentHash, head.hash)
  t.equal(built.receipts[0].status, 1)
})

t.test('produceBlock builds a signed, consistent block', async (t) => {
  const { chain } = await open(t, tempDir(t))
  const txs = [
    transfer(3, 4, 5n),
    createFeeMarket1559Tx({ nonce: 0n, maxFeePerGas: 3_000_000_000n, maxPriorityFeePerGas: 1n, gasLimit: 21_000n, to: addr(5), value: 7n }, { common }).sign(
      devKey(6),
    ),
    transfer(3, 4, 5n, 1n), // nonce 1 but a price below the minimum: left out
  ]
  const built = await chain.produceBlock(devKey(0), chain.head.header.timestamp + 1000n, txs)
  const h = built.block.header
  t.equal(built.block.transactions.length, 2)
  t.equal(built.rejected.length, 1)
  same(t, recoverProducer(h), addr(0).bytes)
  t.doesNotThrow(() => verifyHeaderSignature(h))
  same(t, h.producer, addr(0).bytes)
  same(t, h.transactionsRoot, transactionsRoot(built.block.transactions))
  same(t, h.receiptsRoot, receiptsRoot(built.receipts, built.block.transactions))
  t.equal(h.gasUsed, 42_000n)
  same(t, chain.head.hash, built.block.hash)
  same(t, await chain.store.getHeadHash(), built.block.hash)
  t.equal(chain.state.store.pendingCount, 0, 'state nodes committed with the block')
  same(t, await (await chain.stateAt(h)).getStateRoot(), h.stateRoot)
})

t.test('produceBlock refuses a timestamp not after the parent or off the slot grid', async (t) => {
  const { chain } = await open(t, tempDir(t))
  const parent = chain.head
  for (const ts of [parent.header.timestamp, parent.header.timestamp - 1n, 0n, parent.header.timestamp + 1n]) {
    await t.rejects(chain.produceBlock(devKey(0), ts, []), { code: 'CHAIN_INVALID_BLOCK' }, `timestamp ${ts}`)
  }
  same(t, chain.head.hash, parent.hash, 'head unchanged')
  t.equal((await chain.produceBlock(devKey(0), parent.header.timestamp + 1000n, [])).block.header.number, 1n, 'the next slot is fine')
})

t.test('a failed produce rolls back: head, state root and pending writes unchanged', async (t) => {
  const dir = tempDir(t)
  const { db, chain } = await open(t, dir)
  const parent = chain.head
  const before = await balanceAt(chain, 7)
  const tx = transfer(7, 8, 10n ** 18n)
  // fault injection: the database refuses the next batch
  const realBatch = db.batch.bind(db)
  let fail = true
  ;(db as { batch: unknown }).batch = ((...args: unknown[]) => {
    if (fail) {
      fail = false
      return Promise.reject(new Error('disk full'))
    }
    return (realBatch as (...a: unknown[]) => unknown)(...args)
  }) as never
  const events: unknown[] = []
  chain.on('block', (e) => events.push(e))
  await t.rejects(chain.produceBlock(devKey(0), parent.header.timestamp + 1000n, [tx]), /disk full/)
  same(t, chain.head.hash, parent.hash, 'head unchanged')
  same(t, await chain.store.getHeadHash(), parent.hash)
  t.equal(await chain.store.getHashByNumber(1n), undefined, 'no block 1 on disk')
  t.equal(chain.state.store.pendingCount, 0, 'nothing pending')
  const sm = chain.vm.stateManager as MerkleStateManager
  same(t, await sm.getStateRoot(), parent.header.stateRoot, 'live state root back at the parent')
  t.equal((await sm.getAccount(addr(7)))?.balance, before, 'the live state forgot the transaction')
  t.equal((await sm.getAccount(addr(7)))?.nonce, 0n)
  t.equal(events.length, 0, 'no block event')
  // the same transaction goes into the next block normally
  const built = await chain.produceBlock(devKey(0), parent.header.timestamp + 1000n, [tx])
  t.equal(built.block.transactions.length, 1)
  t.equal(await balanceAt(chain, 7), before - 10n ** 18n - 21_000n * 2_000_000_000n)
  t.equal(await balanceAt(chain, 8), 10_000n * 10n ** 18n + 10n ** 18n)
})

t.test('reopening with another genesis is CHAIN_DATADIR_FOREIGN and writes nothing', async (t) => {
  const dir = tempDir(t)
  const a = await open(t, dir)
  await a.chain.produceBlock(devKey(0), a.chain.head.header.timestamp + 1000n, [transfer(9, 1, 1n)])
  await a.close()
  const variants: [string, (g: Genesis) => void][] = [
    [
      'another allocation',
      (g) => {
        g.alloc[0][1].balance += 1n
      },
    ],
    [
      'an extra account',
      (g) => {
        g.alloc.push(['0x00000000000000000000000000000000000000aa', { balance: 1n, nonce: 0n, storage: [] }])
      },
    ],
    [
      'another block gas limit',
      (g) => {
        g.params.blockGasLimit = 29_000_000n
      },
    ],
    [
      'another minimum gas price',
      (g) => {
        g.params.minGasPrice = 2n
      },
    ],
    [
      'another flow cycle (params only, not in the header)',
      (g) => {
        g.params.flowCycleSec = 301
      },
    ],
    [
      'another block interval',
      (g) => {
        g.params.blockIntervalMs = 2000
      },
    ],
    [
      'another chain id',
      (g) => {
        g.chainId = 2101n
      },
    ],
    [
      'another witness set',
      (g) => {
        g.witnesses = [{ ...g.witnesses[0]!, address: devAddress(1) }]
      },
    ],
    [
      'another witness pledge',
      (g) => {
        g.witnesses = [{ ...g.witnesses[0]!, votes: g.witnesses[0]!.votes + 1n }]
      },
    ],
    [
      'another genesis time',
      (g) => {
        g.timestamp = 1_700_000_001_000
      },
    ],
  ]
  for (const [name, edit] of variants) await refuses(t, dir, devGenesis(edit), 'CHAIN_DATADIR_FOREIGN', name)
  // labels are not part of the identity; time 0 in the file means "whatever was stored"
  const ok = await open(
    t,
    dir,
    devGenesis((g) => {
      g.alloc[0][1].label = 'renamed'
      g.timestamp = 0
    }),
  )
  t.equal(ok.chain.head.header.number, 1n)
})

t.test('a damaged data directory is CHAIN_DATADIR_CORRUPT and nothing is written', async (t) => {
  async function chainWithBlocks(t: Test, n: number): Promise<{ dir: string; hashes: Uint8Array[] }> {
    const dir = tempDir(t)
    const a = await open(t, dir)
    const hashes = [a.chain.head.hash]
    for (let i = 1; i <= n; i++) hashes.push((await a.chain.produceBlock(devKey(0), a.chain.head.header.timestamp + 1000n, [])).block.hash)
    await a.close()
    return { dir, hashes }
  }
  const cases: [string, (db: Db, hashes: Uint8Array[]) => Promise<void>][] = [
    ['head pointer deleted', (db) => db.del(Uint8Array.of(0x48))],
    ['genesis record deleted', (db) => db.del(key(0x4d, utf8.encode('genesisHash')))],
    ['genesis time deleted', (db) => db.del(key(0x4d, utf8.encode('genesisTime')))],
    ['schema version changed', (db) => db.put(key(0x4d, utf8.encode('schemaVersion')), u64(99n))],
    ['head header deleted', (db, h) => db.del(key(0x68, h[3]))],
    ['a header below the head deleted', (db, h) => db.del(key(0x68, h[1]))],
    ['head header garbled', (db, h) => db.put(key(0x68, h[3]), Uint8Array.of(0xc0))],
    ["head header swapped for another block's", async (db, h) => db.put(key(0x68, h[3]), (await db.get(key(0x68, h[2])))!)],
    ['canonical index deleted', (db) => db.del(key(0x6e, u64(2n)))],
    ['head pointer to an unknown block', (db) => db.put(Uint8Array.of(0x48), new Uint8Array(32).fill(7))],
    [
      'state nodes deleted',
      async (db) => {
        for await (const k of db.keys({ gte: Uint8Array.of(0x73), lt: Uint8Array.of(0x74) })) await db.del(k)
      },
    ],
  ]
  for (const [name, damage] of cases) {
    const { dir, hashes } = await chainWithBlocks(t, 3)
    await withDb(dir, (db) => damage(db, hashes))
    await refuses(t, dir, devGenesis(), 'CHAIN_DATADIR_CORRUPT', name)
  }
})

t.test('a bad signature on a recent block is CHAIN_DATADIR_CORRUPT', async (t) => {
  const dir = tempDir(t)
  const a = await open(t, dir)
  await a.chain.produceBlock(devKey(0), a.chain.head.header.timestamp + 1000n, [])
  const h = a.chain.head
  await a.close()
  // re-encode the head with another key's signature: hash unchanged, signer wrong
  const { signHeader, encodeHeader } = await import('../../../src/chain/header.js')
  const forged = signHeader(h.header, devKey(5))
  same(t, headerHash(forged), h.hash)
  await withDb(dir, (db) => db.put(key(0x68, h.hash), encodeHeader(forged)))
  await refuses(t, dir, devGenesis(), 'CHAIN_DATADIR_CORRUPT', 'forged signature')
})

t.test('a non-empty database that is not a chain is CHAIN_DATADIR_FOREIGN', async (t) => {
  const dir = tempDir(t)
  await withDb(dir, async (db) => {
    await db.put(utf8.encode('someone-else'), utf8.encode('data'))
  })
  await refuses(t, dir, devGenesis(), 'CHAIN_DATADIR_FOREIGN', 'foreign leveldb')
})
