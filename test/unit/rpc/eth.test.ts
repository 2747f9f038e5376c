/**
 * Every eth_ method of rpc/index.ts through HTTP against a real in-process node: a dev chain of
 * four blocks (a deployed contract, calls with logs, a revert, an empty block), then each method
 * with its success and error cases and the JSON shapes wallets rely on.
 */
import t, { type Test } from 'tap'
import { verifyMerkleProof } from '@ethereumjs/mpt'
import { RLP } from '@ethereumjs/rlp'
import { createAccessList2930Tx, createFeeMarket1559Tx, createLegacyTx, type TypedTransaction } from '@ethereumjs/tx'
import { Address, bytesToBigInt, bytesToHex, hexToBytes } from '@ethereumjs/util'
import { Bloom } from '@ethereumjs/vm'
import { AbiCoder, Interface, getCreateAddress, id as keccakUtf8, keccak256, zeroPadValue } from 'ethers'
import { makeCommon } from '../../../src/execution/common.js'
import { devAddress, devKey, probeContract, startNode } from '../../helpers/inProcessNode.js'
import { waitFor } from '../../helpers/nodeProcess.js'

const GWEI = 1_000_000_000n
const probe = probeContract()
const iface = new Interface(probe.abi as never)
const data = (fn: string, args: unknown[] = []) => iface.encodeFunctionData(fn, args)
const STORED = keccakUtf8('Stored(uint256,address,bytes)')
const PING = keccakUtf8('Ping(uint256)')
const word = (n: bigint | number) => '0x' + BigInt(n).toString(16).padStart(64, '0')
const Q = /^0x(0|[1-9a-f][0-9a-f]*)$/
const HASH = /^0x[0-9a-f]{64}$/

const common = makeCommon(2100n)
const nonces = new Map<number, bigint>()
const nextNonce = (i: number) => {
  const n = nonces.get(i) ?? 0n
  nonces.set(i, n + 1n)
  return n
}
const to = (i: number | string) => new Address(hexToBytes((typeof i === 'number' ? devAddress(i) : i) as `0x${string}`))

function legacy(from: number, fields: { to?: string | number; data?: string; value?: bigint; gasLimit?: bigint; gasPrice: bigint }): TypedTransaction {
  return createLegacyTx(
    {
      nonce: nextNonce(from),
      gasPrice: fields.gasPrice,
      gasLimit: fields.gasLimit ?? 21_000n,
      to: fields.to === undefined ? undefined : to(fields.to),
      value: fields.value ?? 0n,
      data: hexToBytes((fields.data ?? '0x') as `0x${string}`),
    },
    { common },
  ).sign(devKey(from))
}
function eip1559(
  from: number,
  fields: { to?: string | number; data?: Uint8Array | string; value?: bigint; gasLimit?: bigint; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint },
): TypedTransaction {
  const d = typeof fields.data === 'string' ? hexToBytes(fields.data as `0x${string}`) : (fields.data ?? new Uint8Array())
  return createFeeMarket1559Tx(
    {
      nonce: nextNonce(from),
      maxFeePerGas: fields.maxFeePerGas,
      maxPriorityFeePerGas: fields.maxPriorityFeePerGas,
      gasLimit: fields.gasLimit ?? 21_000n,
      to: fields.to === undefined ? undefined : to(fields.to),
      value: fields.value ?? 0n,
      data: d,
    },
    { common },
  ).sign(devKey(from))
}

/** Walks a JSON value and checks every quantity field is minimal hex. */
const QUANTITY_FIELDS = new Set([
  'number',
  'gasLimit',
  'gasUsed',
  'timestamp',
  'timestampMs',
  'baseFeePerGas',
  'size',
  'difficulty',
  'totalDifficulty',
  'blockNumber',
  'transactionIndex',
  'nonce',
  'value',
  'gas',
  'gasPrice',
  'maxFeePerGas',
  'maxPriorityFeePerGas',
  'type',
  'v',
  'r',
  's',
  'yParity',
  'chainId',
  'cumulativeGasUsed',
  'effectiveGasPrice',
  'status',
  'logIndex',
  'balance',
  'oldestBlock',
])
function checkQuantities(t: Test, v: unknown, where = ''): number {
  let n = 0
  if (Array.isArray(v)) v.forEach((x, i) => (n += checkQuantities(t, x, `${where}[${i}]`)))
  else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (QUANTITY_FIELDS.has(k) && typeof x === 'string' && !(k === 'nonce' && x.length === 18)) {
        n++
        if (!Q.test(x)) t.fail(`${where}.${k} = ${x} is not a minimal hex quantity`)
      } else n += checkQuantities(t, x, `${where}.${k}`)
    }
  }
  return n
}

t.test('eth_ methods over HTTP', async (t) => {
  const n = await startNode(t)
  const { rpc, rpcRaw } = n
  const send = async (tx: TypedTransaction) => {
    const hash = await rpc('eth_sendRawTransaction', [bytesToHex(tx.serialize())])
    t.equal(hash, bytesToHex(tx.hash()), 'eth_sendRawTransaction returns the hash')
    return hash as string
  }
  const rpcError = async (method: string, params: unknown[]) => {
    const r = await rpcRaw(method, params)
    t.ok(r.error, `${method} fails`)
    return r.error!
  }
  const contract = getCreateAddress({ from: devAddress(1), nonce: 0 }).toLowerCase()

  // ------------------------------------------------------------------ the chain
  const genesisBlock = await rpc('eth_getBlockByNumber', ['0x0', false])
  const b1tx = {
    deploy: await send(eip1559(1, { data: probe.bytecode, gasLimit: 1_000_000n, maxFeePerGas: 10n * GWEI, maxPriorityFeePerGas: GWEI })),
    transfer: await send(legacy(2, { to: 3, value: 12_345n, gasPrice: GWEI })),
  }
  const blk1 = await n.produceBlock()
  t.equal(blk1.block.transactions.length, 2)
  const bal2AtBlock1 = await rpc('eth_getBalance', [devAddress(3), '0x1'])
  const b2tx = {
    store7: await send(legacy(4, { to: contract, data: data('store', [7n]), gasLimit: 200_000n, gasPrice: 3n * GWEI })),
    store8: await send(
      createAccessList2930Tx(
        {
          nonce: nextNonce(5),
          gasPrice: GWEI + 1n,
          gasLimit: 200_000n,
          to: to(contract),
          data: hexToBytes(data('store', [8n]) as `0x${string}`),
          accessList: [{ address: contract as `0x${string}`, storageKeys: [word(0) as `0x${string}`] }],
        },
        { common },
      ).sign(devKey(5)),
    ),
    transfer: await send(eip1559(2, { to: 3, value: 1n, maxFeePerGas: 10n * GWEI, maxPriorityFeePerGas: 5n * GWEI })),
    fail: await send(legacy(6, { to: contract, data: data('fail', ['boom']), gasLimit: 100_000n, gasPrice: GWEI })),
  }
  const blk2 = await n.produceBlock()
  t.equal(blk2.block.transactions.length, 4)
  await n.produceBlock() // block 3: empty
  const b4tx = { store9: await send(legacy(4, { to: contract, data: data('store', [9n]), gasLimit: 200_000n, gasPrice: GWEI + 7n })) }
  const blk4 = await n.produceBlock()
  t.equal(blk4.block.transactions.length, 1)

  // ------------------------------------------------------------------ simple ones
  t.test('eth_blockNumber, eth_chainId, net_version, web3_clientVersion', async (t) => {
    t.equal(await rpc('eth_blockNumber'), '0x4')
    t.equal(await rpc('eth_chainId'), '0x834')
    t.equal(await rpc('net_version'), '2100')
    t.match(await rpc('web3_clientVersion'), /^nfc\//)
    t.match(await rpcError('eth_blockNumber', [1]), { code: -32602, message: /too many arguments/ })
    t.match(await rpcError('eth_nope', []), { code: -32601 })
    for (const m of ['eth_chainId', 'net_version', 'web3_clientVersion', 'eth_gasPrice', 'eth_maxPriorityFeePerGas']) {
      t.match(await rpcError(m, ['latest']), { code: -32602, message: 'too many arguments, want at most 0' }, m)
    }
  })

  // ------------------------------------------------------------------ blocks
  t.test('eth_getBlockByNumber / eth_getBlockByHash', async (t) => {
    const latest = await rpc('eth_getBlockByNumber', ['latest', false])
    t.equal(latest.number, '0x4')
    t.equal(latest.hash, bytesToHex(blk4.block.hash))
    t.equal(latest.parentHash, (await rpc('eth_getBlockByNumber', ['0x3', false])).hash)
    for (const tag of ['safe', 'finalized']) t.equal((await rpc('eth_getBlockByNumber', [tag, false])).hash, latest.hash, tag)
    // pending: the pool's next block (empty here), unsealed
    const pending = await rpc('eth_getBlockByNumber', ['pending', false])
    t.same([pending.number, pending.hash, pending.parentHash, pending.transactions], ['0x5', null, latest.hash, []])
    const earliest = await rpc('eth_getBlockByNumber', ['earliest', false])
    t.equal(earliest.number, '0x0')
    t.equal(earliest.hash, genesisBlock.hash)
    t.equal(earliest.parentHash, '0x' + '00'.repeat(32))
    t.equal(earliest.miner, '0x' + '00'.repeat(20))
    t.equal(earliest.signature, '0x')
    t.equal(await rpc('eth_getBlockByNumber', ['0x5', false]), null, 'beyond the head: null')
    t.equal(await rpc('eth_getBlockByNumber', ['0xffffffff', true]), null)

    const b2 = await rpc('eth_getBlockByNumber', ['0x2', false])
    t.equal(b2.number, '0x2')
    t.same(
      b2.transactions,
      blk2.block.transactions.map((x) => bytesToHex(x.hash())),
    )
    t.same(new Set(b2.transactions), new Set(Object.values(b2tx)))
    t.equal(b2.miner, devAddress(0))
    t.equal(b2.gasUsed, '0x' + blk2.block.header.gasUsed.toString(16))
    t.equal(b2.gasLimit, '0x2faf080')
    t.equal(b2.baseFeePerGas, '0x3b9aca00')
    t.equal(b2.timestamp, '0x' + ((1_700_000_000_000n + 2000n) / 1000n).toString(16), 'seconds')
    t.equal(b2.timestampMs, '0x' + 1_700_000_002_000n.toString(16), 'milliseconds')
    t.equal(b2.stateRoot, bytesToHex(blk2.block.header.stateRoot))
    t.equal(b2.logsBloom, bytesToHex(blk2.block.header.logsBloom))
    t.equal(b2.sha3Uncles, '0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347')
    t.same(b2.uncles, [])
    t.match(b2.hash, HASH)
    t.equal(b2.signature.length, 2 + 130)
    t.ok(checkQuantities(t, b2) >= 8, 'quantities are minimal hex')

    const full = await rpc('eth_getBlockByNumber', ['0x2', true])
    t.equal(full.transactions.length, 4)
    for (const [i, tx] of full.transactions.entries()) {
      t.equal(tx.blockHash, b2.hash)
      t.equal(tx.blockNumber, '0x2')
      t.equal(tx.transactionIndex, '0x' + i.toString(16))
      t.equal(tx.hash, b2.transactions[i])
    }
    checkQuantities(t, full)

    const byHash = await rpc('eth_getBlockByHash', [b2.hash, false])
    t.same(byHash, b2)
    t.same(await rpc('eth_getBlockByHash', [b2.hash, true]), full)
    t.same(await rpc('eth_getBlockByHash', [b2.hash]), b2, 'fullTransactions defaults to false')
    t.equal(await rpc('eth_getBlockByHash', ['0x' + '11'.repeat(32), false]), null)

    t.match(await rpcError('eth_getBlockByNumber', ['0x02', false]), { code: -32602, message: /leading zero/ })
    t.match(await rpcError('eth_getBlockByNumber', ['2', false]), { code: -32602, message: /without 0x/ })
    t.match(await rpcError('eth_getBlockByNumber', ['newest', false]), { code: -32602 })
    t.match(await rpcError('eth_getBlockByNumber', []), { code: -32602, message: /missing value for required argument 0/ })
    t.match(await rpcError('eth_getBlockByHash', ['0x1234', false]), { code: -32602, message: /common\.Hash/ })
    t.match(await rpcError('eth_getBlockByNumber', ['latest', 'yes']), { code: -32602, message: /bool/ })
  })

  // ------------------------------------------------------------------ state
  t.test('eth_getBalance with every kind of block reference', async (t) => {
    const a3 = devAddress(3)
    const initial = 10_000n * 10n ** 18n
    const hexOf = (v: bigint) => '0x' + v.toString(16)
    t.equal(await rpc('eth_getBalance', [a3, 'earliest']), hexOf(initial))
    t.equal(await rpc('eth_getBalance', [a3, '0x0']), hexOf(initial))
    t.equal(bal2AtBlock1, hexOf(initial + 12_345n))
    for (const tag of ['latest', 'pending', 'safe', 'finalized']) t.equal(await rpc('eth_getBalance', [a3, tag]), hexOf(initial + 12_346n), tag)
    t.equal(await rpc('eth_getBalance', [a3]), hexOf(initial + 12_346n), 'the block defaults to latest')
    const b1 = await rpc('eth_getBlockByNumber', ['0x1', false])
    t.equal(await rpc('eth_getBalance', [a3, { blockHash: b1.hash }]), hexOf(initial + 12_345n), 'EIP-1898 blockHash')
    t.equal(await rpc('eth_getBalance', [a3, { blockHash: b1.hash, requireCanonical: true }]), hexOf(initial + 12_345n))
    t.equal(await rpc('eth_getBalance', [a3, { blockNumber: '0x1' }]), hexOf(initial + 12_345n), 'EIP-1898 blockNumber')
    t.equal(await rpc('eth_getBalance', [a3, b1.hash]), hexOf(initial + 12_345n), 'a bare block hash')
    t.equal(await rpc('eth_getBalance', ['0x000000000000000000000000000000000000beef', 'latest']), '0x0', 'unknown account')
    // the pool and the producer
    t.not(await rpc('eth_getBalance', ['0x0000000000000000000000000000000000002000', 'latest']), '0x0', 'the shared pool got fees')
    t.equal(await rpc('eth_getBalance', ['0x0000000000000000000000000000000000002000', '0x0']), '0x0')

    t.match(await rpcError('eth_getBalance', [a3, '0x5']), { code: -32000, message: 'header not found' })
    t.match(await rpcError('eth_getBalance', [a3, { blockHash: '0x' + '22'.repeat(32) }]), { code: -32000, message: 'header not found' })
    t.match(await rpcError('eth_getBalance', [a3, { blockHash: b1.hash, blockNumber: '0x1' }]), { code: -32602 })
    t.match(await rpcError('eth_getBalance', ['0x1234', 'latest']), { code: -32602, message: /invalid argument 0/ })
    t.match(await rpcError('eth_getBalance', []), { code: -32602 })
  })

  t.test('eth_getTransactionCount', async (t) => {
    t.equal(await rpc('eth_getTransactionCount', [devAddress(4), 'latest']), '0x2')
    t.equal(await rpc('eth_getTransactionCount', [devAddress(4), '0x1']), '0x0')
    t.equal(await rpc('eth_getTransactionCount', [devAddress(4), '0x2']), '0x1')
    t.equal(await rpc('eth_getTransactionCount', [devAddress(4), 'pending']), '0x2', 'no pooled tx: same as latest')
    t.equal(await rpc('eth_getTransactionCount', [devAddress(9)]), '0x0')
    t.match(await rpcError('eth_getTransactionCount', [devAddress(4), '0x9']), { code: -32000, message: 'header not found' })
  })

  t.test('eth_getCode and eth_getStorageAt of the deployed contract', async (t) => {
    const runtime = await rpc('eth_call', [{ data: bytesToHex(probe.bytecode) }, '0x0'])
    t.ok(runtime.length > 200)
    t.equal(await rpc('eth_getCode', [contract, 'latest']), runtime)
    t.equal(await rpc('eth_getCode', [contract, '0x0']), '0x', 'not there at genesis')
    t.equal(await rpc('eth_getCode', [devAddress(1)]), '0x', 'an EOA')
    t.equal(await rpc('eth_getCode', [contract, { blockHash: bytesToHex(blk1.block.hash) }]), runtime, 'EIP-1898')
    t.match(await rpcError('eth_getCode', [contract, '0x9']), { code: -32000, message: 'header not found' })
    t.match(await rpcError('eth_getCode', [contract.slice(0, 40), 'latest']), { code: -32602, message: /common\.Address/ })
    // slot 0 is `stored`: 0x2a from the constructor, then 7/8 in block 2 (order by tip), 9 in block 4
    t.equal(await rpc('eth_getStorageAt', [contract, '0x0', '0x1']), word(0x2a))
    t.equal(await rpc('eth_getStorageAt', [contract, '0x0', 'latest']), word(9))
    t.equal(await rpc('eth_getStorageAt', [contract, word(0), 'latest']), word(9), 'slot as a 32-byte word')
    t.equal(await rpc('eth_getStorageAt', [contract, '0x0', '0x2']), word(8), 'store(8) ran after store(7)')
    t.equal(await rpc('eth_getStorageAt', [contract, '0x1', 'latest']), word(0), 'an unused slot')
    t.equal(await rpc('eth_getStorageAt', [contract, '0x0', '0x0']), word(0), 'before it existed')
    t.equal(await rpc('eth_getStorageAt', [devAddress(7), '0x0', 'latest']), word(0), 'an EOA')
    t.match(await rpcError('eth_getStorageAt', [contract, '0x' + '0'.repeat(65), 'latest']), { code: -32602 })
    t.match(await rpcError('eth_getStorageAt', [contract, '0x0', '0x77']), { code: -32000, message: 'header not found' })
  })

  // ------------------------------------------------------------------ transactions
  t.test('eth_getTransactionByHash and eth_getTransactionReceipt', async (t) => {
    const deploy = await rpc('eth_getTransactionByHash', [b1tx.deploy])
    t.equal(deploy.blockNumber, '0x1')
    t.equal(deploy.blockHash, bytesToHex(blk1.block.hash))
    t.equal(deploy.from, devAddress(1))
    t.equal(deploy.to, null)
    t.equal(deploy.type, '0x2')
    t.equal(deploy.nonce, '0x0')
    t.equal(deploy.gas, '0xf4240')
    t.equal(deploy.maxFeePerGas, '0x2540be400')
    t.equal(deploy.maxPriorityFeePerGas, '0x3b9aca00')
    t.equal(deploy.gasPrice, '0x77359400', 'mined 1559: the effective price (base + tip)')
    t.equal(deploy.chainId, '0x834')
    t.equal(deploy.input, bytesToHex(probe.bytecode))
    t.same(deploy.accessList, [])
    t.ok(deploy.yParity === '0x0' || deploy.yParity === '0x1')
    checkQuantities(t, deploy)
    const rDeploy = await rpc('eth_getTransactionReceipt', [b1tx.deploy])
    t.equal(rDeploy.contractAddress, contract)
    t.equal(rDeploy.status, '0x1')
    t.equal(rDeploy.effectiveGasPrice, '0x77359400')
    t.equal(rDeploy.to, null)

    const tr = await rpc('eth_getTransactionByHash', [b1tx.transfer])
    t.equal(tr.type, '0x0')
    t.equal(tr.gasPrice, '0x3b9aca00')
    t.equal(tr.value, '0x3039')
    t.equal(tr.to, devAddress(3))
    t.equal(tr.chainId, '0x834', 'EIP-155 legacy has a chain id')
    t.ok(tr.v === '0x108b' || tr.v === '0x108c', 'v = chainId*2+35/36')

    const al = await rpc('eth_getTransactionByHash', [b2tx.store8])
    t.equal(al.type, '0x1')
    t.same(al.accessList, [{ address: contract, storageKeys: [word(0)] }])
    t.equal(al.gasPrice, '0x3b9aca01')

    // block 2's receipts: order, cumulative gas, log indexes across transactions
    const hashes: string[] = (await rpc('eth_getBlockByNumber', ['0x2', false])).transactions
    t.same(hashes, [b2tx.transfer, b2tx.store7, b2tx.store8, b2tx.fail], 'ordered by tip')
    const receipts = await Promise.all(hashes.map((h) => rpc('eth_getTransactionReceipt', [h])))
    let cumulative = 0n
    let logIndex = 0
    const blockBloom = new Bloom()
    for (const [i, r] of receipts.entries()) {
      t.equal(r.transactionHash, hashes[i])
      t.equal(r.transactionIndex, '0x' + i.toString(16))
      t.equal(r.blockNumber, '0x2')
      t.equal(r.blockHash, bytesToHex(blk2.block.hash))
      cumulative += BigInt(r.gasUsed)
      t.equal(BigInt(r.cumulativeGasUsed), cumulative)
      const rb = new Bloom()
      for (const log of r.logs) {
        t.equal(log.logIndex, '0x' + (logIndex++).toString(16), 'log index counts through the block')
        t.equal(log.transactionHash, hashes[i])
        t.equal(log.removed, false)
        for (const x of [log.address, ...log.topics]) {
          rb.add(hexToBytes(x))
          blockBloom.add(hexToBytes(x))
        }
      }
      t.equal(r.logsBloom, bytesToHex(rb.bitvector), 'receipt bloom')
      checkQuantities(t, r)
    }
    t.equal(bytesToHex(blockBloom.bitvector), bytesToHex(blk2.block.header.logsBloom), 'block bloom = OR of the receipts')
    t.equal(cumulative, blk2.block.header.gasUsed)
    t.same(
      receipts.map((r) => r.status),
      ['0x1', '0x1', '0x1', '0x0'],
    )
    t.same(
      receipts.map((r) => r.type),
      ['0x2', '0x0', '0x1', '0x0'],
    )
    t.same(
      receipts.map((r) => r.effectiveGasPrice),
      ['0x165a0bc00', '0xb2d05e00', '0x3b9aca01', '0x3b9aca00'],
    )
    t.equal(receipts[0].gasUsed, '0x5208')
    t.equal(receipts[3].logs.length, 0)
    t.same(receipts[1].logs[0], {
      address: contract,
      topics: [STORED, word(7), zeroPadValue(devAddress(4), 32)],
      data: AbiCoder.defaultAbiCoder().encode(['bytes'], ['0x6869']),
      blockNumber: '0x2',
      blockHash: bytesToHex(blk2.block.hash),
      transactionHash: b2tx.store7,
      transactionIndex: '0x1',
      logIndex: '0x0',
      removed: false,
    })

    const unknown = '0x' + '33'.repeat(32)
    t.equal(await rpc('eth_getTransactionByHash', [unknown]), null)
    t.equal(await rpc('eth_getTransactionReceipt', [unknown]), null)
    t.match(await rpcError('eth_getTransactionReceipt', ['0x33']), { code: -32602 })
    t.match(await rpcError('eth_getTransactionByHash', [123]), { code: -32602 })
    t.match(await rpcError('eth_getTransactionByHash', []), { code: -32602, message: /missing value/ })
  })

  // ------------------------------------------------------------------ calls
  t.test('eth_call', async (t) => {
    t.equal(await rpc('eth_call', [{ to: contract, data: data('get') }, 'latest']), word(9))
    t.equal(await rpc('eth_call', [{ to: contract, data: data('get') }]), word(9), 'block defaults to latest')
    t.equal(await rpc('eth_call', [{ to: contract, input: data('get') }, '0x1']), word(0x2a), 'historic state, input field')
    t.equal(await rpc('eth_call', [{ to: contract, data: data('get') }, { blockNumber: '0x2' }]), word(8))
    const rev = await rpcError('eth_call', [{ to: contract, data: data('fail', ['bad input']) }, 'latest'])
    t.same(rev, { code: 3, message: 'execution reverted: bad input', data: new Interface(['error Error(string)']).encodeErrorResult('Error', ['bad input']) })
    const bare = await rpcError('eth_call', [{ to: contract, data: data('failBare') }, 'latest'])
    t.same(bare, { code: 3, message: 'execution reverted', data: '0x' })
    t.match(await rpcError('eth_call', [{ to: contract, data: data('spin'), gas: '0x186a0' }, 'latest']), { code: -32000, message: /out of gas/ })
    t.match(await rpcError('eth_call', [{ to: contract, data: data('get') }, '0x9']), { code: -32000, message: 'header not found' })
    t.match(await rpcError('eth_call', [{ to: contract, data: '0x1' }, 'latest']), { code: -32602 })
    t.match(await rpcError('eth_call', [{ to: contract, gasPrice: '0x1', maxFeePerGas: '0x1' }]), { code: -32602, message: /both gasPrice/ })
    t.same(
      await rpcError('eth_call', [{ to: contract, maxFeePerGas: '0x1', maxPriorityFeePerGas: '0x2' }]),
      { code: -32000, message: 'maxFeePerGas (1) < maxPriorityFeePerGas (2)' },
      'not an internal error',
    )
    t.match(await rpcError('eth_estimateGas', [{ to: contract, maxFeePerGas: '0x1', maxPriorityFeePerGas: '0x2' }]), { code: -32000 })
  })

  t.test('eth_estimateGas', async (t) => {
    t.equal(await rpc('eth_estimateGas', [{ from: devAddress(1), to: devAddress(2), value: '0x1' }]), '0x5208')
    const est = BigInt(await rpc('eth_estimateGas', [{ from: devAddress(1), to: contract, data: data('store', [11n]) }, 'latest']))
    t.ok(est > 21_000n && est < 100_000n, `store estimate ${est}`)
    t.match(await rpcError('eth_estimateGas', [{ to: contract, data: data('fail', ['x']) }]), { code: 3, message: 'execution reverted: x' })
    t.match(await rpcError('eth_estimateGas', [{ to: contract, data: data('spin'), gas: '0x30d40' }]), {
      code: -32000,
      message: /gas required exceeds allowance/,
    })
    t.match(await rpcError('eth_estimateGas', [{ to: devAddress(2) }, '0x9']), { code: -32000, message: 'header not found' })
  })

  // ------------------------------------------------------------------ logs
  t.test('eth_getLogs filters', async (t) => {
    const all = await rpc('eth_getLogs', [{ fromBlock: '0x0', toBlock: 'latest' }])
    t.equal(all.length, 6, 'store(7), store(8), store(9): 2 logs each')
    const ids = (logs: any[]) => logs.map((l) => `${BigInt(l.blockNumber)}:${BigInt(l.logIndex)}`)
    t.same(ids(all), ['2:0', '2:1', '2:2', '2:3', '4:0', '4:1'], 'in chain order')
    for (const l of all) checkQuantities(t, l)
    t.same(ids(await rpc('eth_getLogs', [{ fromBlock: '0x0', toBlock: 'latest', address: contract }])), ids(all))
    t.same(await rpc('eth_getLogs', [{ fromBlock: '0x0', address: devAddress(1) }]), [], 'an address with no logs')
    t.same(ids(await rpc('eth_getLogs', [{ fromBlock: '0x0', address: [devAddress(1), contract] }])), ids(all), 'address OR list')
    t.same(ids(await rpc('eth_getLogs', [{ fromBlock: '0x0', topics: [STORED] }])), ['2:0', '2:2', '4:0'])
    t.same(ids(await rpc('eth_getLogs', [{ fromBlock: '0x0', topics: [PING] }])), ['2:1', '2:3', '4:1'])
    t.same(ids(await rpc('eth_getLogs', [{ fromBlock: '0x0', topics: [[STORED, PING]] }])), ids(all), 'OR in position 0')
    t.same(ids(await rpc('eth_getLogs', [{ fromBlock: '0x0', topics: [null, word(8)] }])), ['2:2'], 'null = any')
    t.same(ids(await rpc('eth_getLogs', [{ fromBlock: '0x0', topics: [null, [word(7), word(9)]] }])), ['2:0', '4:0'])
    t.same(
      ids(await rpc('eth_getLogs', [{ fromBlock: '0x0', topics: [[STORED, null], null, zeroPadValue(devAddress(4), 32)] }])),
      ['2:0', '4:0'],
      'null inside an OR list, third topic',
    )
    t.same(await rpc('eth_getLogs', [{ fromBlock: '0x0', topics: [PING, null] }]), [], 'more topic positions than the log has')
    t.same(ids(await rpc('eth_getLogs', [{ fromBlock: '0x0', topics: [] }])), ids(all))
    // ranges
    t.same(ids(await rpc('eth_getLogs', [{}])), ['4:0', '4:1'], 'default: the head only')
    t.same(
      (await rpc('eth_getLogs', [{}])).map((l: any) => l.transactionHash),
      [b4tx.store9, b4tx.store9],
    )
    t.same(ids(await rpc('eth_getLogs', [{ fromBlock: '0x3', toBlock: '0x4' }])), ['4:0', '4:1'])
    t.same(ids(await rpc('eth_getLogs', [{ fromBlock: '0x2', toBlock: '0x2' }])), ['2:0', '2:1', '2:2', '2:3'])
    t.same(await rpc('eth_getLogs', [{ fromBlock: '0x3', toBlock: '0x3' }]), [], 'empty block')
    t.same(ids(await rpc('eth_getLogs', [{ fromBlock: '0x4', toBlock: '0x64' }])), ['4:0', '4:1'], 'toBlock past the head is clamped')
    t.same(ids(await rpc('eth_getLogs', [{ fromBlock: 'earliest', toBlock: '0x2' }])), ['2:0', '2:1', '2:2', '2:3'])
    t.match(await rpcError('eth_getLogs', [{ fromBlock: '0x3', toBlock: '0x2' }]), { code: -32000, message: /invalid block range/ })
    // blockHash
    const b2 = bytesToHex(blk2.block.hash)
    const byHash = await rpc('eth_getLogs', [{ blockHash: b2 }])
    t.same(byHash, all.slice(0, 4))
    t.same(ids(await rpc('eth_getLogs', [{ blockHash: b2, topics: [null, word(8)] }])), ['2:2'])
    t.same(await rpc('eth_getLogs', [{ blockHash: bytesToHex(blk1.block.hash) }]), [])
    t.match(await rpcError('eth_getLogs', [{ blockHash: '0x' + '44'.repeat(32) }]), { code: -32000, message: /unknown block/ })
    t.match(await rpcError('eth_getLogs', [{ blockHash: b2, fromBlock: '0x1' }]), { code: -32602 })
    t.match(await rpcError('eth_getLogs', [{ topics: [STORED, null, null, null, null] }]), { code: -32602, message: /exceed max topics/ })
    t.match(await rpcError('eth_getLogs', [{ topics: ['0x1234'] }]), { code: -32602 })
  })

  // ------------------------------------------------------------------ fees
  t.test('eth_feeHistory against a hand computation', async (t) => {
    const percentiles = [0, 10, 25, 50, 75, 90, 100]
    const fh = await rpc('eth_feeHistory', ['0x4', 'latest', percentiles])
    t.equal(fh.oldestBlock, '0x1')
    t.same(fh.baseFeePerGas, Array(5).fill('0x3b9aca00'), 'count + 1 base fees, all the minimum')
    const blocks = [blk1, blk2, null, blk4]
    const gasLimit = 50_000_000
    t.same(fh.gasUsedRatio, [
      Number(blk1.block.header.gasUsed) / gasLimit,
      Number(blk2.block.header.gasUsed) / gasLimit,
      0,
      Number(blk4.block.header.gasUsed) / gasLimit,
    ])
    // by hand: sort the block's txs by tip, walk the gas used until it reaches p% of the block's gas
    const expected = blocks.map((b) => {
      if (b === null) return percentiles.map(() => '0x0')
      const txs = b.block.transactions.map((tx, i) => ({
        tip: b.receipts[i].effectiveGasPrice - GWEI,
        gas: b.receipts[i].gasUsed,
      }))
      txs.sort((x, y) => (x.tip < y.tip ? -1 : x.tip > y.tip ? 1 : 0))
      const total = txs.reduce((s, x) => s + Number(x.gas), 0)
      return percentiles.map((p) => {
        const threshold = (total * p) / 100
        let sum = 0
        for (const x of txs) {
          sum += Number(x.gas)
          if (sum >= threshold) return '0x' + x.tip.toString(16)
        }
        return '0x' + txs[txs.length - 1].tip.toString(16)
      })
    })
    t.same(fh.reward, expected)
    // spot checks: block 2's tips are 5 gwei (21000 gas), 2 gwei, 1 wei, 0 (the revert)
    t.equal(fh.reward[1][0], '0x0', 'p0 = the lowest tip')
    t.equal(fh.reward[1][6], '0x12a05f200', 'p100 = the highest tip (5 gwei)')
    t.same(fh.reward[3], Array(7).fill('0x7'), 'one tx: its tip at every percentile')
    t.same(fh.reward[2], Array(7).fill('0x0'), 'an empty block: 0, never null')

    const one = await rpc('eth_feeHistory', ['0x1', '0x2', []])
    t.equal(one.oldestBlock, '0x2')
    t.same(one.reward, [[]])
    t.equal(one.baseFeePerGas.length, 2)
    const many = await rpc('eth_feeHistory', [100, 'latest'])
    t.equal(many.oldestBlock, '0x0', 'more blocks than exist: from genesis')
    t.equal(many.gasUsedRatio.length, 5)
    t.equal(many.reward, undefined, 'no percentiles: no reward field')
    t.match(await rpcError('eth_feeHistory', ['0x2', 'latest', [50, 10]]), { code: -32602, message: /invalid reward percentile/ })
    t.match(await rpcError('eth_feeHistory', ['0x2', 'latest', [101]]), { code: -32602 })
    t.match(await rpcError('eth_feeHistory', ['0x2', '0x9', [50]]), { code: -32000, message: 'header not found' })
  })

  t.test('eth_maxPriorityFeePerGas and eth_gasPrice: 60th percentile of recent tips', async (t) => {
    // tips of blocks 1..4: 1 gwei, 0 | 5 gwei, 2 gwei, 1, 0 | – | 7 → sorted [0,0,1,7,1g,2g,5g]; index ⌊6·0.6⌋ = 3
    t.equal(await rpc('eth_maxPriorityFeePerGas'), '0x7')
    t.equal(await rpc('eth_gasPrice'), '0x' + (GWEI + 7n).toString(16))
  })

  // ------------------------------------------------------------------ proofs
  t.test('eth_getProof verifies against the block stateRoot', async (t) => {
    for (const [who, slots, block] of [
      [contract, [word(0), '0x1'], 'latest'],
      [contract, [word(0)], '0x1'],
      [devAddress(4), [], '0x2'],
      ['0x000000000000000000000000000000000000beef', ['0x0'], 'latest'],
    ] as [string, string[], string][]) {
      const proof = await rpc('eth_getProof', [who, slots, block])
      const header = await rpc('eth_getBlockByNumber', [block, false])
      t.equal(keccak256(proof.accountProof[0]), header.stateRoot, `${who}@${block}: the proof starts at the stateRoot`)
      const value = await verifyMerkleProof(
        hexToBytes(keccak256(who) as `0x${string}`),
        proof.accountProof.map((x: string) => hexToBytes(x as `0x${string}`)),
      )
      const balance = await rpc('eth_getBalance', [who, block])
      t.equal(proof.balance, balance)
      if (value === null) {
        t.equal(balance, '0x0', 'a proof of absence for an account that does not exist')
        continue
      }
      const [nonce, bal, storageRoot, codeHash] = RLP.decode(value) as Uint8Array[]
      t.equal(bytesToBigInt(bal), BigInt(balance))
      t.equal(bytesToBigInt(nonce), BigInt(await rpc('eth_getTransactionCount', [who, block])))
      t.equal(bytesToHex(storageRoot), proof.storageHash)
      t.equal(bytesToHex(codeHash), proof.codeHash)
      t.equal(bytesToHex(codeHash), keccak256(await rpc('eth_getCode', [who, block])))
      for (const [i, sp] of proof.storageProof.entries()) {
        const slot = '0x' + slots[i].slice(2).padStart(64, '0')
        if (sp.proof.length > 0) t.equal(keccak256(sp.proof[0]), proof.storageHash)
        const v = await verifyMerkleProof(
          hexToBytes(keccak256(slot) as `0x${string}`),
          sp.proof.map((x: string) => hexToBytes(x as `0x${string}`)),
        )
        const stored = await rpc('eth_getStorageAt', [who, slot, block])
        t.equal(v === null ? word(0) : word(bytesToBigInt(RLP.decode(v) as Uint8Array)), stored, `slot ${slot.slice(-4)}`)
        t.equal(BigInt(sp.value), BigInt(stored))
      }
    }
    t.match(await rpcError('eth_getProof', [contract, [], '0x9']), { code: -32000, message: 'header not found' })
    t.match(await rpcError('eth_getProof', [contract, ['0xzz'], 'latest']), { code: -32602 })
    t.match(await rpcError('eth_getProof', [contract, []]), { code: -32602, message: /missing value for required argument 2/ })
  })

  // ------------------------------------------------------------------ sending
  t.test('eth_sendRawTransaction, pending transactions and pool errors', async (t) => {
    const tx = eip1559(7, { to: 8, value: 5n, maxFeePerGas: 10n * GWEI, maxPriorityFeePerGas: GWEI })
    const hash = await send(tx)
    const pending = await rpc('eth_getTransactionByHash', [hash])
    t.equal(pending.blockHash, null)
    t.equal(pending.blockNumber, null)
    t.equal(pending.transactionIndex, null)
    t.equal(pending.gasPrice, '0x2540be400', 'pending 1559: the fee cap')
    t.equal(await rpc('eth_getTransactionReceipt', [hash]), null)
    t.equal(await rpc('eth_getTransactionCount', [devAddress(7), 'pending']), '0x1')
    t.equal(await rpc('eth_getTransactionCount', [devAddress(7), 'latest']), '0x0')
    t.match(await rpcError('eth_sendRawTransaction', [bytesToHex(tx.serialize())]), { code: -32000, message: /already known/ })
    const stale = createLegacyTx({ nonce: 0n, gasPrice: 2n * GWEI, gasLimit: 21_000n, to: to(1) }, { common }).sign(devKey(4))
    t.match(await rpcError('eth_sendRawTransaction', [bytesToHex(stale.serialize())]), { code: -32000, message: /nonce too low/ })
    const other = createLegacyTx({ nonce: 0n, gasPrice: 2n * GWEI, gasLimit: 21_000n, to: to(1) }, { common: makeCommon(1n) }).sign(devKey(8))
    t.match(await rpcError('eth_sendRawTransaction', [bytesToHex(other.serialize())]), { code: -32000, message: /chain id/ })
    t.match(await rpcError('eth_sendRawTransaction', ['0xdeadbeef']), { code: -32000 })
    t.match(await rpcError('eth_sendRawTransaction', ['deadbeef']), { code: -32602 })

    const built = await n.produceBlock()
    t.equal(built.block.transactions.length, 1)
    const mined = await rpc('eth_getTransactionByHash', [hash])
    t.equal(mined.blockNumber, '0x5')
    t.equal(mined.gasPrice, '0x77359400', 'mined: the effective price')
    t.equal((await rpc('eth_getTransactionReceipt', [hash])).status, '0x1')
    t.equal(await rpc('eth_getTransactionCount', [devAddress(7), 'pending']), '0x1')
  })
})

t.test('a fresh chain: the tip oracle falls back to 1 gwei; the slot producer runs with a witness key', async (t) => {
  // the clock is shifted so that the next 1 s slot starts 30 ms after start-up
  const offset = 1000 - (Date.now() % 1000) - 30
  const n = await startNode(t, { witnessKey: devKey(0), now: () => Date.now() + offset })
  t.equal(await n.rpc('eth_maxPriorityFeePerGas'), '0x3b9aca00', 'no transactions yet: 1 gwei')
  t.equal(await n.rpc('eth_gasPrice'), '0x77359400', 'base fee + 1 gwei')
  await waitFor(async () => (await n.rpc('eth_blockNumber')) !== '0x0', 20_000, 'a produced block', 20).catch(() => undefined)
  t.not(await n.rpc('eth_blockNumber'), '0x0', 'the producer made a block by itself')
  const b1 = await n.rpc('eth_getBlockByNumber', ['0x1', false])
  t.equal(b1.miner, devAddress(0))
  t.equal(BigInt(b1.timestampMs) % 1000n, 0n, 'at a slot start')
  await n.close()
})
