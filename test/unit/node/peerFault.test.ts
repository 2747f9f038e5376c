/**
 * Which import errors cost the sending peer (DESIGN §4, docs/errors.md): a proven-invalid block
 * does; a local fault — here a simulated store error during the commit — never does.
 */
import t from 'tap'
import { hexToBytes } from '@ethereumjs/util'
import { devnetGenesis } from '../../../src/cli/devnetGenesis.js'
import { encodeBlock, makeBlock } from '../../../src/chain/block.js'
import { BlockError, BlockErrorCode, ChainErrorCode } from '../../../src/chain/errors.js'
import { parseGenesis } from '../../../src/chain/genesis.js'
import { signHeader } from '../../../src/chain/header.js'
import { DposError } from '../../../src/consensus/dpos/errors.js'
import { RecoverPool } from '../../../src/crypto/recoverPool.js'
import { addressOf, publicKeyOf } from '../../../src/crypto/secp256k1.js'
import { ExecErrorCode } from '../../../src/execution/errors.js'
import { isStorageFault } from '../../../src/execution/blockExecutor.js'
import { TxPoolErrorCode } from '../../../src/txpool/errors.js'
import { ConsensusLink } from '../../../src/node/consensusLink.js'
import { DEV_ACCOUNTS } from '../../../src/node/devAccounts.js'
import { isPeerFault } from '../../../src/node/importBlock.js'
import { TxPool } from '../../../src/txpool/txPool.js'
import { NfcError } from '../../../src/util/errors.js'
import { silentLogger } from '../../../src/util/logger.js'
import { openChain, tempDir } from '../../helpers/inProcessNode.js'

const GENESIS_TIME = 1_800_000_000_000
const { doc } = devnetGenesis({ nodes: 4, timestamp: GENESIS_TIME })
const keys = [0, 1, 2, 3].map((i) => hexToBytes(DEV_ACCOUNTS[i]!.privateKey as `0x${string}`))
const keyOf = (address: string) => keys.find((k) => `0x${Buffer.from(addressOf(publicKeyOf(k))).toString('hex')}` === address.toLowerCase())!

t.test('isPeerFault: rule-breaking blocks and bad bytes blame the peer; local faults never', async (t) => {
  t.ok(isPeerFault(new BlockError(BlockErrorCode.StateRootMismatch, 'x')), 'a BlockError')
  t.ok(isPeerFault(new NfcError(ChainErrorCode.BadEncoding, 'x')), 'undecodable bytes')
  t.ok(isPeerFault(new NfcError(ChainErrorCode.BadSignature, 'x')), 'a bad signature')
  t.ok(isPeerFault(new NfcError(DposError.WRONG_PRODUCER, 'x')), 'a DPoS rule')
  t.ok(isPeerFault(new NfcError(ExecErrorCode.InvalidTransaction, 'x')), 'a transaction that cannot run')
  t.notOk(isPeerFault(new Error('IO error: No space left on device')), 'a plain (database) error')
  t.notOk(isPeerFault(new NfcError(ChainErrorCode.DatadirCorrupt, 'x')), 'a damaged data directory')
  t.notOk(isPeerFault(new NfcError(ChainErrorCode.BlockNotFound, 'x')), 'a missing record')
  t.notOk(isPeerFault(new NfcError('CRYPTO_POOL_CLOSED', 'x')), 'a closed worker pool')
  t.notOk(isPeerFault(new BlockError(BlockErrorCode.ReorgBelowFinal, 'x')), 'a local BlockError reason')
  t.notOk(isPeerFault(undefined), 'nothing')
  t.ok(isPeerFault(new NfcError(TxPoolErrorCode.INTRINSIC_GAS, 'x')), 'a gossiped transaction that can never be valid')
  t.notOk(isPeerFault(new NfcError(TxPoolErrorCode.FULL, 'x')), "the pool's own refusal: full")
  t.notOk(isPeerFault(new NfcError(TxPoolErrorCode.NONCE_TOO_LOW, 'x')), 'a nonce race')
  const level = Object.assign(new Error('IO error: disk full'), { code: 'LEVEL_IO_ERROR' })
  t.ok(isStorageFault(level), 'a classic-level error is a storage fault')
  t.ok(isStorageFault(new Error('wrapped', { cause: level })), 'also as the cause of another')
  t.notOk(isStorageFault(new Error('invalid nonce')), 'a transaction error is not')
  t.notOk(isPeerFault(level), "and never the peer's fault")
})

t.test("ConsensusLink: a store error while importing is a local fault; the same block invalid is the peer's", async (t) => {
  const genesis = () => parseGenesis(structuredClone(doc))
  const a = await openChain(t, tempDir(t), genesis(), () => GENESIS_TIME)
  const bGenesis = genesis()
  const b = await openChain(t, tempDir(t), bGenesis, () => GENESIS_TIME)
  const recoverPool = RecoverPool.create({ threads: 1 })
  t.teardown(() => recoverPool.close())
  const txpool = new TxPool(
    { common: b.chain.common, minGasPrice: bGenesis.params.minGasPrice, blockGasLimit: bGenesis.params.blockGasLimit, logger: silentLogger },
    { getNonce: async () => 0n, getBalance: async () => 0n },
  )
  const slot = 1n
  const { owner } = await a.chain.schedule(slot)
  const key = keyOf(owner!)
  const built = await a.chain.produceBlock(key, BigInt(GENESIS_TIME) + slot * 1000n, [])
  const block = built.block
  const link = new ConsensusLink({ chain: b.chain, txpool, recoverPool, maxTxSize: bGenesis.params.maxTxSizeBytes, now: () => Number(block.header.timestamp) })

  // a simulated store error during the commit
  const commit = b.chain.store.commit.bind(b.chain.store)
  b.chain.store.commit = async () => {
    throw new Error('IO error: No space left on device')
  }
  const local = await link.importBlock(encodeBlock(block)).then(
    () => undefined,
    (e: unknown) => e,
  )
  t.match(local, { message: 'IO error: No space left on device' }, 'the store error comes through')
  t.equal(link.isPeerFault(local), false, "not the peer's fault")
  t.equal(b.chain.head.header.number, 0n, 'the head did not move')

  // an invalid block: the header commits to another state root
  const forged = makeBlock(
    signHeader({ ...block.header, stateRoot: new Uint8Array(32).fill(4), signature: new Uint8Array(0) }, key),
    block.transactions,
    block.confirmations,
  )
  const invalid = await link.importBlock(encodeBlock(forged)).then(
    () => undefined,
    (e: unknown) => e,
  )
  t.match(invalid, { code: 'CHAIN_INVALID_BLOCK', reason: BlockErrorCode.StateRootMismatch }, 'refused for its state root')
  t.equal(link.isPeerFault(invalid), true, "the peer's fault")

  // undecodable bytes are the peer's fault too
  const garbage = await link.importBlock(Uint8Array.of(0xde, 0xad)).then(
    () => undefined,
    (e: unknown) => e,
  )
  t.equal(link.isPeerFault(garbage), true, "undecodable bytes: the peer's fault")

  // with the store back, the valid block imports
  b.chain.store.commit = commit
  t.equal(await link.importBlock(encodeBlock(block)), 'imported', 'imports once the store works')
})
