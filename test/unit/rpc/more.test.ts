/**
 * The methods of rpc/more.ts through HTTP against a real in-process node: a dev chain of three
 * blocks (a deployed contract and transfers, calls with logs and a revert, an empty block), then
 * each method with its success and error cases. The node's own server serves rpc/index.ts; the
 * methods under test are served by a second server on the same node until the lead wires them.
 */
import t from 'tap'
import { createAccessList2930Tx, createFeeMarket1559Tx, createLegacyTx, type TypedTransaction } from '@ethereumjs/tx'
import { Address, bytesToHex, hexToBytes, toChecksumAddress } from '@ethereumjs/util'
import { Interface, getCreateAddress } from 'ethers'
import { makeCommon } from '../../../src/execution/common.js'
import { devAddress, devKey, probeContract, startNode, type RpcError } from '../../helpers/inProcessNode.js'

const GWEI = 1_000_000_000n
const probe = probeContract()
const iface = new Interface(probe.abi as never)
const data = (fn: string, args: unknown[] = []) => iface.encodeFunctionData(fn, args)
const word = (n: bigint | number) => '0x' + BigInt(n).toString(16).padStart(64, '0')
const Q = /^0x(0|[1-9a-f][0-9a-f]*)$/
const UNKNOWN_HASH = '0x' + 'ab'.repeat(32)
const NO_KEYS = 'not supported: the node holds no user keys'

const common = makeCommon(2100n)
const nonces = new Map<number, bigint>()
const nextNonce = (i: number) => {
  const n = nonces.get(i) ?? 0n
  nonces.set(i, n + 1n)
  return n
}
const addr = (i: number | string) => new Address(hexToBytes((typeof i === 'number' ? devAddress(i) : i) as `0x${string}`))

function legacy(
  from: number,
  f: { to?: string | number; data?: string; value?: bigint; gasLimit?: bigint; gasPrice: bigint; nonce?: bigint },
): TypedTransaction {
  return createLegacyTx(
    {
      nonce: f.nonce ?? nextNonce(from),
      gasPrice: f.gasPrice,
      gasLimit: f.gasLimit ?? 21_000n,
      to: f.to === undefined ? undefined : addr(f.to),
      value: f.value ?? 0n,
      data: hexToBytes((f.data ?? '0x') as `0x${string}`),
    },
    { common },
  ).sign(devKey(from))
}
function eip1559(
  from: number,
  f: { to?: string | number; data?: Uint8Array | string; value?: bigint; gasLimit?: bigint; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint },
): TypedTransaction {
  const d = typeof f.data === 'string' ? hexToBytes(f.data as `0x${string}`) : (f.data ?? new Uint8Array())
  return createFeeMarket1559Tx(
    {
      nonce: nextNonce(from),
      maxFeePerGas: f.maxFeePerGas,
      maxPriorityFeePerGas: f.maxPriorityFeePerGas,
      gasLimit: f.gasLimit ?? 21_000n,
      to: f.to === undefined ? undefined : addr(f.to),
      value: f.value ?? 0n,
      data: d,
    },
    { common },
  ).sign(devKey(from))
}

/** access lists compared without regard to order */
const sortList = (l: { address: string; storageKeys: string[] }[]) =>
  l.map((x) => ({ address: x.address, storageKeys: [...x.storageKeys].sort() })).sort((a, b) => (a.address < b.address ? -1 : 1))

t.test('the methods of rpc/more.ts over HTTP', async (t) => {
  const n = await startNode(t)
  const { rpc, rpcRaw } = n
  /** the JSON-RPC error (undefined on success, which the caller's t.match then rejects) */
  const rpcError = async (method: string, params: unknown[]) => (await rpcRaw(method, params)).error as RpcError
  const send = async (tx: TypedTransaction) => {
    const hash = await rpc('eth_sendRawTransaction', [bytesToHex(tx.serialize())])
    return hash as string
  }
  const contract = getCreateAddress({ from: devAddress(1), nonce: 0 }).toLowerCase()

  // ------------------------------------------------------------------ the chain
  const genesis = await rpc('eth_getBlockByNumber', ['0x0', false])
  const b1tx = {
    deploy: await send(eip1559(1, { data: probe.bytecode, gasLimit: 1_000_000n, maxFeePerGas: 10n * GWEI, maxPriorityFeePerGas: GWEI })),
    transfer: await send(legacy(2, { to: 3, value: 12_345n, gasPrice: GWEI })),
  }
  const blk1 = await n.produceBlock()
  t.equal(blk1.block.transactions.length, 2, 'block 1 holds 2 txs')
  const b2tx = {
    store7: await send(legacy(4, { to: contract, data: data('store', [7n]), gasLimit: 200_000n, gasPrice: 3n * GWEI })),
    store8: await send(
      createAccessList2930Tx(
        {
          nonce: nextNonce(5),
          gasPrice: GWEI + 1n,
          gasLimit: 200_000n,
          to: addr(contract),
          data: hexToBytes(data('store', [8n]) as `0x${string}`),
          accessList: [{ address: contract as `0x${string}`, storageKeys: [word(0) as `0x${string}`] }],
        },
        { common },
      ).sign(devKey(5)),
    ),
    fail: await send(legacy(6, { to: contract, data: data('fail', ['boom']), gasLimit: 100_000n, gasPrice: GWEI })),
  }
  const blk2 = await n.produceBlock()
  t.equal(blk2.block.transactions.length, 3, 'block 2 holds 3 txs')
  await n.produceBlock() // block 3: empty
  const hash1 = bytesToHex(blk1.block.hash)
  const hash2 = bytesToHex(blk2.block.hash)

  t.test('eth_getBlockTransactionCountByHash / ByNumber', async (t) => {
    t.equal(await rpc('eth_getBlockTransactionCountByHash', [hash1]), '0x2')
    t.equal(await rpc('eth_getBlockTransactionCountByHash', [hash2]), '0x3')
    t.equal(await rpc('eth_getBlockTransactionCountByHash', [genesis.hash]), '0x0', 'genesis')
    t.equal(await rpc('eth_getBlockTransactionCountByHash', [UNKNOWN_HASH]), null, 'unknown block: null')
    t.equal(await rpc('eth_getBlockTransactionCountByNumber', ['0x1']), '0x2')
    t.equal(await rpc('eth_getBlockTransactionCountByNumber', ['0x2']), '0x3')
    t.equal(await rpc('eth_getBlockTransactionCountByNumber', ['latest']), '0x0', 'latest is the empty block 3')
    t.equal(await rpc('eth_getBlockTransactionCountByNumber', ['pending']), '0x0')
    t.equal(await rpc('eth_getBlockTransactionCountByNumber', ['earliest']), '0x0')
    t.equal(await rpc('eth_getBlockTransactionCountByNumber', ['finalized']), '0x0')
    t.equal(await rpc('eth_getBlockTransactionCountByNumber', ['0x63']), null, 'beyond the head: null')
    t.match(await rpcError('eth_getBlockTransactionCountByHash', ['0x1234']), {
      code: -32602,
      message: /invalid argument 0: hex string has length 4, want 64 for common.Hash/,
    })
    t.match(await rpcError('eth_getBlockTransactionCountByHash', []), { code: -32602, message: 'missing value for required argument 0' })
    t.match(await rpcError('eth_getBlockTransactionCountByNumber', ['0x01']), { code: -32602, message: /leading zero/ })
    t.match(await rpcError('eth_getBlockTransactionCountByNumber', ['newest']), { code: -32602 })
    t.match(await rpcError('eth_getBlockTransactionCountByNumber', ['0x1', true]), { code: -32602, message: /too many arguments, want at most 1/ })
  })

  t.test('eth_getTransactionByBlockHashAndIndex / NumberAndIndex', async (t) => {
    const byHash = await rpc('eth_getTransactionByHash', [b2tx.store8])
    const byPos = await rpc('eth_getTransactionByBlockHashAndIndex', [hash2, '0x1'])
    t.same(byPos, byHash, 'same object as eth_getTransactionByHash')
    t.equal(byPos.transactionIndex, '0x1')
    t.equal(byPos.type, '0x1')
    t.same(await rpc('eth_getTransactionByBlockNumberAndIndex', ['0x2', '0x1']), byHash, 'by number too')
    const deploy = await rpc('eth_getTransactionByBlockNumberAndIndex', ['0x1', '0x0'])
    t.equal(deploy.hash, b1tx.deploy)
    t.equal(deploy.to, null, 'a creation')
    t.equal(deploy.blockHash, hash1)
    t.equal((await rpc('eth_getTransactionByBlockHashAndIndex', [hash1, '0x1'])).hash, b1tx.transfer)
    t.equal((await rpc('eth_getTransactionByBlockNumberAndIndex', ['0x2', '0x2'])).hash, b2tx.fail)
    t.equal(await rpc('eth_getTransactionByBlockHashAndIndex', [hash2, '0x3']), null, 'index out of range: null')
    t.equal(await rpc('eth_getTransactionByBlockHashAndIndex', [hash2, '0xffffffffffffffff']), null, 'huge index: null')
    t.equal(await rpc('eth_getTransactionByBlockHashAndIndex', [UNKNOWN_HASH, '0x0']), null, 'unknown block: null')
    t.equal(await rpc('eth_getTransactionByBlockNumberAndIndex', ['latest', '0x0']), null, 'empty block: null')
    t.equal(await rpc('eth_getTransactionByBlockNumberAndIndex', ['0x63', '0x0']), null, 'beyond the head: null')
    t.match(await rpcError('eth_getTransactionByBlockHashAndIndex', [hash2]), { code: -32602, message: 'missing value for required argument 1' })
    t.match(await rpcError('eth_getTransactionByBlockHashAndIndex', [hash2, 1]), {
      code: -32602,
      message: /invalid argument 1: cannot unmarshal non-string into uint64/,
    })
    t.match(await rpcError('eth_getTransactionByBlockNumberAndIndex', ['0x1', '0x01']), {
      code: -32602,
      message: /invalid argument 1: hex number with leading zero digits/,
    })
    t.match(await rpcError('eth_getTransactionByBlockNumberAndIndex', ['0x1', '0x10000000000000000']), { code: -32602, message: /hex number > 64 bits/ })
  })

  t.test('eth_getBlockReceipts', async (t) => {
    const receipts = await rpc('eth_getBlockReceipts', ['0x2'])
    t.equal(receipts.length, 3)
    const one = await Promise.all([b2tx.store7, b2tx.store8, b2tx.fail].map((h) => rpc('eth_getTransactionReceipt', [h])))
    t.same(receipts, one, 'each equals eth_getTransactionReceipt (log indexes across the block)')
    t.same(
      receipts.map((r: { status: string }) => r.status),
      ['0x1', '0x1', '0x0'],
    )
    t.same(
      receipts.flatMap((r: { logs: { logIndex: string }[] }) => r.logs.map((l) => l.logIndex)),
      ['0x0', '0x1', '0x2', '0x3'],
      'log indexes run over the block',
    )
    t.same(await rpc('eth_getBlockReceipts', [hash2]), receipts, 'by hash string')
    t.same(await rpc('eth_getBlockReceipts', [{ blockHash: hash2 }]), receipts, 'EIP-1898 blockHash')
    t.same(await rpc('eth_getBlockReceipts', [{ blockHash: hash2, requireCanonical: true }]), receipts, 'requireCanonical')
    const r1 = await rpc('eth_getBlockReceipts', [{ blockNumber: '0x1' }])
    t.equal(r1[0].contractAddress, contract, 'EIP-1898 blockNumber; the deployment receipt')
    t.same(await rpc('eth_getBlockReceipts', ['latest']), [], 'empty block: []')
    t.same(await rpc('eth_getBlockReceipts', ['earliest']), [], 'genesis: []')
    t.equal(await rpc('eth_getBlockReceipts', ['0x63']), null, 'beyond the head: null')
    t.equal(await rpc('eth_getBlockReceipts', [UNKNOWN_HASH]), null, 'unknown hash: null')
    t.match(await rpcError('eth_getBlockReceipts', []), { code: -32602, message: 'missing value for required argument 0' })
    t.match(await rpcError('eth_getBlockReceipts', [{}]), { code: -32602, message: /neither blockHash nor blockNumber specified/ })
    t.match(await rpcError('eth_getBlockReceipts', [{ blockHash: hash2, blockNumber: '0x2' }]), { code: -32602, message: /cannot specify both/ })
  })

  t.test('uncles: none on this chain', async (t) => {
    t.equal(await rpc('eth_getUncleCountByBlockHash', [hash1]), '0x0')
    t.equal(await rpc('eth_getUncleCountByBlockHash', [UNKNOWN_HASH]), null, 'unknown block: null (geth)')
    t.equal(await rpc('eth_getUncleCountByBlockNumber', ['latest']), '0x0')
    t.equal(await rpc('eth_getUncleCountByBlockNumber', ['0x0']), '0x0')
    t.equal(await rpc('eth_getUncleCountByBlockNumber', ['0x63']), null, 'beyond the head: null')
    t.equal(await rpc('eth_getUncleByBlockHashAndIndex', [hash1, '0x0']), null)
    t.equal(await rpc('eth_getUncleByBlockNumberAndIndex', ['latest', '0x0']), null)
    t.match(await rpcError('eth_getUncleCountByBlockHash', ['latest']), { code: -32602 })
    t.match(await rpcError('eth_getUncleByBlockHashAndIndex', [hash1]), { code: -32602, message: 'missing value for required argument 1' })
    t.match(await rpcError('eth_getUncleByBlockNumberAndIndex', ['0x0', 'zero']), { code: -32602, message: /hex string without 0x prefix/ })
  })

  t.test('eth_syncing, eth_accounts, net_peerCount, net_listening', async (t) => {
    t.equal(await rpc('eth_syncing'), false)
    t.same(await rpc('eth_accounts'), [])
    t.equal(await rpc('net_peerCount'), '0x0')
    t.equal(await rpc('net_listening'), true)
    for (const m of ['eth_syncing', 'eth_accounts', 'net_peerCount', 'net_listening']) {
      t.match(await rpcError(m, [1]), { code: -32602, message: 'too many arguments, want at most 0' })
    }
  })

  t.test('eth_sign, eth_signTransaction, eth_sendTransaction: no user keys', async (t) => {
    const tx = { from: devAddress(1), to: devAddress(2), value: '0x1' }
    for (const [method, params] of [
      ['eth_sign', [devAddress(1), '0xdeadbeef']],
      ['eth_signTransaction', [tx]],
      ['eth_sendTransaction', [tx]],
    ] as const) {
      const e = await rpcError(method, [...params])
      t.equal(e.code, -32000, `${method}: -32000 as geth's "unknown account"`)
      t.ok(e.message.includes(NO_KEYS), `${method}: says why`)
      t.match(e.message, /unknown account/)
    }
    t.match(await rpcError('eth_sign', [devAddress(1)]), { code: -32602, message: 'missing value for required argument 1' })
    t.match(await rpcError('eth_sign', ['0x12', '0x']), { code: -32602, message: /common.Address/ })
    t.match(await rpcError('eth_sendTransaction', [{ from: devAddress(1), gasPrice: '0x1', maxFeePerGas: '0x2' }]), {
      code: -32602,
      message: /both gasPrice and/,
    })
    t.match(await rpcError('eth_signTransaction', []), { code: -32602 })
  })

  t.test('eth_createAccessList', async (t) => {
    const slot0 = word(0)
    const getter = await rpc('eth_createAccessList', [{ from: devAddress(4), to: contract, data: data('get') }])
    t.same(getter.accessList, [{ address: contract, storageKeys: [slot0] }], 'the contract with the slot it reads (to kept when it has slots, as geth)')
    t.match(getter.gasUsed, Q)
    t.notOk('error' in getter, 'no error field on success')

    const transfer = await rpc('eth_createAccessList', [{ from: devAddress(2), to: devAddress(3), value: '0x1' }])
    t.same(transfer, { accessList: [], gasUsed: '0x5208' }, 'a transfer: empty list, 21000 gas')

    const given = await rpc('eth_createAccessList', [
      { from: devAddress(2), to: devAddress(3), accessList: [{ address: devAddress(9), storageKeys: [word(5)] }, { address: devAddress(2) }] },
    ])
    t.same(given.accessList, [{ address: devAddress(9), storageKeys: [word(5)] }], "the caller's entries stay; the sender without slots goes")
    t.equal(given.gasUsed, '0x' + (21_000 + 2400 + 1900).toString(16), 'the list is paid for')

    // init code: BALANCE(precompile 1), BALANCE(dev 9), BALANCE(CALLER), SLOAD(3), STOP
    const init = '0x60013150' + '73' + devAddress(9).slice(2) + '3150' + '333150' + '60035450' + '00'
    const created = getCreateAddress({ from: devAddress(10), nonce: 0 }).toLowerCase()
    const creation = await rpc('eth_createAccessList', [{ from: devAddress(10), data: init }])
    t.same(
      sortList(creation.accessList),
      sortList([
        { address: devAddress(9), storageKeys: [] },
        { address: created, storageKeys: [word(3)] },
      ]),
      'precompile and sender left out; the created contract kept for its slot',
    )

    const reverted = await rpc('eth_createAccessList', [{ from: devAddress(4), to: contract, data: data('fail', ['no']) }])
    t.equal(reverted.error, 'execution reverted', 'a revert is a result with error, as geth')
    t.same(reverted.accessList, [], 'fail() touches no storage')
    t.match(reverted.gasUsed, Q)

    const oog = await rpc('eth_createAccessList', [{ from: devAddress(4), to: contract, data: data('spin'), gas: '0x186a0' }])
    t.equal(oog.error, 'out of gas')
    t.equal(oog.gasUsed, '0x186a0', 'all gas used')

    const atGenesis = await rpc('eth_createAccessList', [{ from: devAddress(4), to: contract, data: data('get') }, '0x0'])
    t.same(atGenesis.accessList, [], 'at block 0 the contract does not exist yet')
    t.same(await rpc('eth_createAccessList', [{ from: devAddress(4), to: contract, data: data('get') }, { blockHash: hash2 }]), getter, 'EIP-1898 block hash')

    t.match(await rpcError('eth_createAccessList', [{ from: devAddress(4), to: contract }, '0x63']), { code: -32000, message: 'header not found' })
    t.match(await rpcError('eth_createAccessList', [{ from: devAddress(2), to: devAddress(3), gas: '0x5207' }]), {
      code: -32000,
      message: /intrinsic gas too low/,
    })
    t.match(await rpcError('eth_createAccessList', [{ to: '0x12' }]), { code: -32602, message: /invalid argument 0: field "to"/ })
    t.match(await rpcError('eth_createAccessList', []), { code: -32602, message: 'missing value for required argument 0' })

    // the gas reported is what the transaction with that list really uses
    const store = await rpc('eth_createAccessList', [{ from: devAddress(4), to: contract, data: data('store', [5n]) }])
    t.same(store.accessList, [{ address: contract, storageKeys: [slot0] }])
    const tx = createAccessList2930Tx(
      {
        nonce: nextNonce(4),
        gasPrice: 2n * GWEI,
        gasLimit: 200_000n,
        to: addr(contract),
        data: hexToBytes(data('store', [5n]) as `0x${string}`),
        accessList: store.accessList,
      },
      { common },
    ).sign(devKey(4))
    const h = await send(tx)
    await n.produceBlock()
    const receipt = await rpc('eth_getTransactionReceipt', [h])
    t.equal(receipt.status, '0x1')
    t.equal(receipt.gasUsed, store.gasUsed, 'mined gasUsed equals the createAccessList estimate')
  })

  t.test('txpool_status, txpool_content, txpool_inspect', async (t) => {
    const empty = { pending: {}, queued: {} }
    t.same(await rpc('txpool_status'), { pending: '0x0', queued: '0x0' })
    t.same(await rpc('txpool_content'), empty)
    t.same(await rpc('txpool_inspect'), empty)

    const p1 = eip1559(7, { to: 8, value: 5n, maxFeePerGas: 10n * GWEI, maxPriorityFeePerGas: GWEI })
    nextNonce(7) // leave a gap at nonce 1
    const q2 = legacy(7, { to: 9, value: 6n, gasPrice: 2n * GWEI })
    const c0 = legacy(8, { data: '0x600160005500', gasLimit: 100_000n, gasPrice: 3n * GWEI })
    for (const tx of [p1, q2, c0]) await send(tx)

    t.same(await rpc('txpool_status'), { pending: '0x2', queued: '0x1' })
    const cs7 = toChecksumAddress(devAddress(7))
    const cs8 = toChecksumAddress(devAddress(8))
    const content = await rpc('txpool_content')
    t.same(Object.keys(content.pending).sort(), [cs7, cs8].sort(), 'pending senders, checksummed as geth')
    t.same(Object.keys(content.queued), [cs7])
    t.same(content.pending[cs7]['0'], await rpc('eth_getTransactionByHash', [bytesToHex(p1.hash())]), 'tx objects as eth_getTransactionByHash')
    t.equal(content.pending[cs7]['0'].blockHash, null)
    t.same(Object.keys(content.pending[cs7]), ['0'])
    t.equal(content.queued[cs7]['2'].hash, bytesToHex(q2.hash()), 'keyed by decimal nonce')
    t.equal(content.pending[cs8]['0'].to, null)

    const inspect = await rpc('txpool_inspect')
    t.same(
      inspect,
      {
        pending: {
          [cs7]: { '0': `${toChecksumAddress(devAddress(8))}: 5 wei + 21000 gas × 10000000000 wei` },
          [cs8]: { '0': 'contract creation: 0 wei + 100000 gas × 3000000000 wei' },
        },
        queued: { [cs7]: { '2': `${toChecksumAddress(devAddress(9))}: 6 wei + 21000 gas × 2000000000 wei` } },
      },
      "geth's summaries (1559: the fee cap)",
    )

    for (const m of ['txpool_status', 'txpool_content', 'txpool_inspect']) {
      t.match(await rpcError(m, ['x']), { code: -32602, message: 'too many arguments, want at most 0' })
    }

    await n.produceBlock()
    t.same(await rpc('txpool_status'), { pending: '0x0', queued: '0x1' }, 'mined txs leave; the gapped one stays queued')
    const after = await rpc('txpool_content')
    t.same(after.pending, {})
    t.same(Object.keys(after.queued[cs7]), ['2'])
  })
})
