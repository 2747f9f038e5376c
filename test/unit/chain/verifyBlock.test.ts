/**
 * The pure block checks of src/chain/blocks/: plain headers and bodies, no database. Each broken
 * rule gives its own BlockErrorCode (docs/errors.md) and the message the import has always given.
 */
import t, { type Test } from 'tap'
import { bytesToHex } from '@ethereumjs/util'
import { computeAddress, getBytes, hexlify } from 'ethers'
import { makeBlock, transactionsRoot, type Block } from '../../../src/chain/block.js'
import { confirmationsRoot, signConfirmation } from '../../../src/chain/confirmation.js'
import { BlockError, BlockErrorCode } from '../../../src/chain/errors.js'
import { signHeader, ZERO32, type BlockHeader } from '../../../src/chain/header.js'
import { receiptsRoot } from '../../../src/chain/receipt.js'
import { confirmationSigner, verifyBodyRoots, verifyExecutionResult } from '../../../src/chain/blocks/verifyBody.js'
import { verifyHeader, type HeaderRules } from '../../../src/chain/blocks/verifyHeader.js'
import { devKey } from '../../helpers/inProcessNode.js'

const KEY = devKey(1)
const OTHER = devKey(2)
const PRODUCER = getBytes(computeAddress(hexlify(KEY)))
const GENESIS = 1_800_000_000_000n
const RULES: HeaderRules = { genesisTime: GENESIS, intervalMs: 1000n, gasLimit: 30_000_000n, minGasPrice: 1_000_000_000n }
const CHAIN_ID = 7n

const parent: BlockHeader = {
  parentHash: ZERO32,
  number: 4n,
  timestamp: GENESIS + 4000n,
  producer: PRODUCER,
  stateRoot: new Uint8Array(32).fill(1),
  transactionsRoot: ZERO32,
  receiptsRoot: ZERO32,
  logsBloom: new Uint8Array(256),
  gasLimit: RULES.gasLimit,
  gasUsed: 0n,
  baseFeePerGas: RULES.minGasPrice,
  flowRoot: ZERO32,
  confirmationsRoot: ZERO32,
  signature: new Uint8Array(0),
}

/** the valid child of `parent` at slot 5, changed by `edit`, signed with `key` */
function child(edit: Partial<BlockHeader> = {}, key = KEY, confirmations: Block['confirmations'] = []): Block {
  const header = signHeader(
    {
      ...parent,
      parentHash: new Uint8Array(32).fill(9),
      number: 5n,
      timestamp: GENESIS + 5000n,
      gasUsed: 21_000n,
      confirmationsRoot: confirmationsRoot(confirmations),
      transactionsRoot: transactionsRoot([]),
      ...edit,
      signature: new Uint8Array(0),
    },
    key,
  )
  return makeBlock(header, [], confirmations)
}

function refused(t: Test, f: () => unknown, reason: BlockErrorCode, message: string | RegExp, what: string): void {
  t.throws(f, { code: 'CHAIN_INVALID_BLOCK', reason, message }, what)
}

t.test('verifyHeader: a valid header passes; the clock decides "future"', async (t) => {
  const b = child()
  t.equal(verifyHeader(b.header, b.hash, parent, RULES, b.header.timestamp), 'ok', 'on time')
  t.equal(verifyHeader(b.header, b.hash, parent, RULES, b.header.timestamp - 500n), 'ok', '500 ms early is still now')
  t.equal(verifyHeader(b.header, b.hash, parent, RULES, b.header.timestamp - 501n), 'future', '501 ms early: retry later')
  t.equal(verifyHeader(b.header, b.hash, parent, RULES, b.header.timestamp - 15_000n), 'future', '15 s early: still only early')
})

t.test('verifyHeader: each broken rule has its own code', async (t) => {
  const at = (b: Block) => `block ${b.header.number} (${bytesToHex(b.hash)}): `
  const check = (b: Block, reason: BlockErrorCode, msg: string, what: string, now = b.header.timestamp) =>
    refused(t, () => verifyHeader(b.header, b.hash, parent, RULES, now), reason, at(b) + msg, what)
  check(child({ number: 6n }), BlockErrorCode.BadNumber, "number is not its parent's + 1 (4)", 'number')
  check(child({ timestamp: parent.timestamp }), BlockErrorCode.TimestampNotAfterParent, "timestamp is not after its parent's", 'timestamp of the parent')
  check(child({ timestamp: GENESIS + 5001n }), BlockErrorCode.TimestampOffSlot, 'timestamp is not the start of a slot', 'off the slot grid')
  const early = child()
  check(
    early,
    BlockErrorCode.TimestampTooFarInFuture,
    `timestamp ${early.header.timestamp} is 15001 ms in the future`,
    'more than 15 s early',
    early.header.timestamp - 15_001n,
  )
  check(child({ gasLimit: 1n }), BlockErrorCode.BadGasLimit, "gas limit 1 is not the chain's 30000000", 'gas limit')
  check(child({ baseFeePerGas: 1n }), BlockErrorCode.BadBaseFee, 'baseFeePerGas is not the chain minimum gas price', 'base fee')
  check(child({ gasUsed: RULES.gasLimit + 1n }), BlockErrorCode.GasUsedAboveLimit, 'gas used above the gas limit', 'gas used')
  check(child({ flowRoot: new Uint8Array(32).fill(3) }), BlockErrorCode.FlowRootNotAccepted, 'flow checkpoints are not accepted yet', 'flow root')
  check(child({}, OTHER), BlockErrorCode.BadSignature, "the signature is not the producer's", 'signed by another key')
  const err = (() => {
    try {
      verifyHeader(child({ number: 9n }).header, child({ number: 9n }).hash, parent, RULES, GENESIS + 5000n)
    } catch (e) {
      return e
    }
  })()
  t.ok(err instanceof BlockError, 'a BlockError')
  t.equal((err as BlockError).meta.reason, BlockErrorCode.BadNumber, 'the reason is in meta too')
  t.equal((err as BlockError).meta.number, 9n, 'and the block number')
})

t.test('verifyBodyRoots and confirmationSigner', async (t) => {
  const conf = signConfirmation(CHAIN_ID, new Uint8Array(32).fill(5), 3n, OTHER)
  const b = child({}, KEY, [conf])
  t.doesNotThrow(() => verifyBodyRoots(b), 'matching roots')
  t.equal(confirmationSigner(CHAIN_ID, b, conf), hexlify(computeAddress(hexlify(OTHER))).toLowerCase(), 'the confirmer')
  refused(
    t,
    () => verifyBodyRoots(makeBlock(b.header, [], [])),
    BlockErrorCode.ConfirmationsRootMismatch,
    /confirmationsRoot does not match the confirmations$/,
    'confirmation dropped',
  )
  refused(
    t,
    () => verifyBodyRoots(child({ transactionsRoot: new Uint8Array(32).fill(2) })),
    BlockErrorCode.TransactionsRootMismatch,
    /transactionsRoot does not match the transactions$/,
    'transactions root',
  )
  const bad = { ...conf, signature: conf.signature.slice() }
  bad.signature[64] = 7
  refused(
    t,
    () => confirmationSigner(CHAIN_ID, b, bad),
    BlockErrorCode.BadConfirmationSignature,
    /a confirmation signature is invalid$/,
    'bad confirmation signature',
  )
})

t.test('verifyExecutionResult: gas, state root, receipts root, bloom', async (t) => {
  // a block without transactions: the receipts root of no receipts
  const withRoot = child({ receiptsRoot: receiptsRoot([], []) })
  const ok = { gasUsed: withRoot.header.gasUsed, stateRoot: withRoot.header.stateRoot, receipts: [], logsBloom: withRoot.header.logsBloom }
  t.doesNotThrow(() => verifyExecutionResult(withRoot, ok), 'matching results')
  refused(
    t,
    () => verifyExecutionResult(withRoot, { ...ok, gasUsed: 21_001n }),
    BlockErrorCode.GasUsedMismatch,
    /gas used is 21001, the header says 21000$/,
    'gas',
  )
  refused(
    t,
    () => verifyExecutionResult(withRoot, { ...ok, stateRoot: ZERO32 }),
    BlockErrorCode.StateRootMismatch,
    /state root does not match the execution$/,
    'state root',
  )
  refused(
    t,
    () => verifyExecutionResult(child({ receiptsRoot: new Uint8Array(32).fill(8) }), ok),
    BlockErrorCode.ReceiptsRootMismatch,
    /receiptsRoot does not match the execution$/,
    'receipts root',
  )
  refused(
    t,
    () => verifyExecutionResult(withRoot, { ...ok, logsBloom: new Uint8Array(256).fill(1) }),
    BlockErrorCode.LogsBloomMismatch,
    /logsBloom does not match the execution$/,
    'bloom',
  )
})
