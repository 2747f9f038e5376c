/**
 * The dpos_ and admin_ namespaces over HTTP, on an in-process one-witness dev chain: every dpos_
 * value against the chain (genesis, after produced blocks, at historical blocks, after a real
 * Staking vote sent with eth_sendRawTransaction), the finalized/safe tags, bad input, and the
 * admin_ / eth_syncing / net_peerCount answers of a node without P2P.
 */
import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import { Ajv } from 'ajv'
import { Interface, Transaction, Wallet, zeroPadValue } from 'ethers'
import { NFC, SYSTEM_CONTRACTS } from '../../../src/chain/systemAddresses.js'
import { DEV_ACCOUNTS } from '../../../src/node/devAccounts.js'
import stakingAbi from '../../../src/execution/system/abi/IStaking.json' with { type: 'json' }
import { devAddress, repoRoot, startNode, type InProcessNode } from '../../helpers/inProcessNode.js'

const staking = new Interface(stakingAbi)
const STAKING = SYSTEM_CONTRACTS.staking
const hex = (n: bigint) => '0x' + n.toString(16)
const witness = devAddress(0)
const SELF_VOTE = 1_000_000n * NFC
const PLEDGE = 100_000n * NFC
const INITIAL_TRUST = 28_800
const TRUST_PER_BLOCK = 10
const NO_P2P = { code: -32000, message: 'P2P is off on this node (start it with --p2p HOST:PORT)' }

const openrpc = JSON.parse(fs.readFileSync(path.join(repoRoot, 'rpc', 'openrpc.json'), 'utf8'))
const ajv = new Ajv({ strict: false, allErrors: true })
ajv.addSchema({ $id: 'openrpc.json', components: openrpc.components }, 'openrpc.json')

/** the result of a call, checked against its result schema in rpc/openrpc.json */
async function documented(t: Test, n: InProcessNode, method: string, params: unknown[] = []) {
  const m = openrpc.methods.find((x: { name: string }) => x.name === method)
  const validate = ajv.compile(JSON.parse(JSON.stringify(m.result.schema).replace(/"\$ref":"#\//g, '"$ref":"openrpc.json#/')))
  const result = await n.rpc(method, params)
  t.ok(validate(result), `${method} ${JSON.stringify(params)} matches its OpenRPC result schema ${ajv.errorsText(validate.errors)}`)
  return result
}

/** the JSON-RPC error of a call that must fail */
async function rpcError(n: InProcessNode, method: string, params: unknown[]) {
  const r = await n.rpcRaw(method, params)
  if (r.error === undefined) throw new Error(`${method} ${JSON.stringify(params)} answered ${JSON.stringify(r.result)}, want an error`)
  return r.error
}

/** dev account 0 as dpos_getWitnesses shows it after `blocks` blocks of its own */
const seat0 = (blocks: number, votes = SELF_VOTE) => ({
  address: witness,
  seat: 0,
  trust: INITIAL_TRUST + TRUST_PER_BLOCK * blocks,
  votes: hex(votes),
  produced: hex(BigInt(blocks)),
  missed: '0x0',
  lastConfirmed: hex(BigInt(blocks)),
  bonusRatioBps: 1000,
})

/** dev account 0 as dpos_getCandidates shows it after `blocks` blocks; `rewardsUnclaimed` is checked apart */
const candidate0 = (blocks: number, votes = SELF_VOTE) => ({
  address: witness,
  votes: hex(votes),
  trust: INITIAL_TRUST + TRUST_PER_BLOCK * blocks,
  bonusRatioBps: 1000,
  pendingBonusRatioBps: 1000,
  removed: false,
  url: '',
  pledge: hex(PLEDGE),
  produced: hex(BigInt(blocks)),
  missed: '0x0',
})

/** the candidates without their witness balance, and that balance */
const splitRewards = (list: { rewardsUnclaimed: string }[]) => ({
  rest: list.map(({ rewardsUnclaimed: _, ...c }) => c),
  rewards: list.map((c) => BigInt(c.rewardsUnclaimed)),
})

t.test('dpos_ methods on the one-witness dev chain', async (t) => {
  const n = await startNode(t)
  const genesisBlock = await n.rpc('eth_getBlockByNumber', ['0x0', false])

  await t.test('at genesis', async (t) => {
    t.same(
      await n.rpc('dpos_getWitnesses'),
      { blockNumber: '0x0', cycle: '0x0', witnesses: [seat0(0)], standby: [], pending: null },
      'dev account 0 holds the single seat with the initial trust',
    )
    t.same(
      await n.rpc('dpos_getCandidates'),
      [{ ...candidate0(0), rewardsUnclaimed: '0x0' }],
      'one candidate: 1,000,000 NFC of votes, 100,000 NFC pledged, no rewards yet',
    )
    t.equal(await n.rpc('dpos_getTrust', [witness]), INITIAL_TRUST, 'trust of the witness is a JSON number')
    t.equal(await n.rpc('dpos_getTrust', [devAddress(1)]), null, 'a non-candidate has no trust')
    t.same(
      await n.rpc('dpos_getVotes', [witness]),
      { total: hex(SELF_VOTE), positions: [{ candidate: witness, votes: hex(SELF_VOTE), pendingReward: '0x0' }], unbonding: [] },
      'the witness self-vote of the genesis',
    )
    t.same(await n.rpc('dpos_getVotes', [devAddress(1)]), { total: '0x0', positions: [], unbonding: [] }, 'an address that never voted')
    t.same(
      await n.rpc('dpos_getFinalized'),
      { number: '0x0', hash: genesisBlock.hash, timestamp: genesisBlock.timestampMs, head: '0x0', lag: '0x0', seatedWitnesses: 1, quorum: 1 },
      'the genesis is final',
    )
  })

  const blocks = 3
  for (let i = 0; i < blocks; i++) await n.produceBlock()
  const head = await n.rpc('eth_getBlockByNumber', ['latest', false])
  const block1 = await n.rpc('eth_getBlockByNumber', ['0x1', false])

  await t.test('after produced blocks: +10 trust per block', async (t) => {
    t.equal(head.number, hex(BigInt(blocks)))
    t.same(await n.rpc('dpos_getWitnesses'), { blockNumber: head.number, cycle: '0x0', witnesses: [seat0(blocks)], standby: [], pending: null })
    const now = splitRewards(await n.rpc('dpos_getCandidates', ['latest']))
    t.same(now.rest, [candidate0(blocks)])
    const before = splitRewards(await n.rpc('dpos_getCandidates', [hex(BigInt(blocks - 1))]))
    t.same(before.rest, [candidate0(blocks - 1)], 'the block before')
    t.ok(now.rewards[0]! > before.rewards[0]! && before.rewards[0]! > 0n, 'the witness balance grows with each block')
    t.equal(await n.rpc('dpos_getTrust', [witness]), INITIAL_TRUST + TRUST_PER_BLOCK * blocks)
    t.equal(
      await n.rpc('dpos_getTrust', [witness.toUpperCase().replace('0X', '0x')]),
      INITIAL_TRUST + TRUST_PER_BLOCK * blocks,
      'the address is case-insensitive',
    )
  })

  await t.test('historical block arguments', async (t) => {
    t.same(await n.rpc('dpos_getWitnesses', ['0x1']), { blockNumber: '0x1', cycle: '0x0', witnesses: [seat0(1)], standby: [], pending: null }, 'by number')
    t.same((await n.rpc('dpos_getWitnesses', ['earliest'])).witnesses, [seat0(0)], 'earliest')
    t.equal((await n.rpc('dpos_getWitnesses', [block1.hash])).blockNumber, '0x1', 'by hash string')
    t.equal((await n.rpc('dpos_getWitnesses', [{ blockHash: block1.hash, requireCanonical: true }])).blockNumber, '0x1', 'by EIP-1898 blockHash')
    t.same(splitRewards(await n.rpc('dpos_getCandidates', [{ blockNumber: '0x2' }])).rest, [candidate0(2)], 'EIP-1898 blockNumber')
    t.equal(await n.rpc('dpos_getTrust', [witness, '0x0']), INITIAL_TRUST)
    t.equal(await n.rpc('dpos_getTrust', [witness, '0x2']), INITIAL_TRUST + 2 * TRUST_PER_BLOCK)
    t.equal(await n.rpc('dpos_getTrust', [witness, 'pending']), INITIAL_TRUST + blocks * TRUST_PER_BLOCK, 'pending reads the head')
    t.equal((await n.rpc('dpos_getVotes', [witness, '0x1'])).total, hex(SELF_VOTE))
  })

  await t.test('finality: the head is final on a one-witness chain, and safe/finalized resolve to it', async (t) => {
    const fin = await n.rpc('dpos_getFinalized')
    t.same(fin, { number: head.number, hash: head.hash, timestamp: head.timestampMs, head: head.number, lag: '0x0', seatedWitnesses: 1, quorum: 1 })
    for (const tag of ['finalized', 'safe']) {
      const b = await n.rpc('eth_getBlockByNumber', [tag, false])
      t.equal(b.hash, fin.hash, `eth_getBlockByNumber(${tag}) is the final block`)
      t.equal((await n.rpc('dpos_getWitnesses', [tag])).blockNumber, fin.number, `dpos_getWitnesses(${tag})`)
    }
    t.equal(await n.rpc('eth_getBalance', [witness, 'finalized']), await n.rpc('eth_getBalance', [witness, 'latest']), 'state reads at finalized')
  })

  await t.test('dpos_getSchedule: dev account 0 owns every slot', async (t) => {
    const before = BigInt(Date.now())
    const s = await n.rpc('dpos_getSchedule')
    const genesisMs = BigInt(genesisBlock.timestampMs)
    const headSlot = (BigInt(head.timestampMs) - genesisMs) / 1000n
    t.equal(s.owner, witness, 'owner')
    t.same(s.order, [witness], 'one entry in the round order')
    t.equal(s.headNumber, head.number)
    t.ok(BigInt(s.slot) > headSlot, 'a slot after the head')
    t.equal(s.round, s.slot, 'W = 1: one slot per round')
    t.equal(s.roundStartSlot, s.round)
    t.equal(BigInt(s.slotTime), genesisMs + BigInt(s.slot) * 1000n, 'slotTime = genesis + slot × interval')
    // the head lies in 2023 (a fixed genesis time), so the current slot is the clock's
    t.ok(BigInt(s.slotTime) <= BigInt(Date.now()) && BigInt(s.slotTime) > before - 2000n, 'the slot running now')
    t.match(s.seed, /^0x[0-9a-f]{64}$/)
  })

  await t.test('every answer matches rpc/openrpc.json', async (t) => {
    for (const block of [undefined, '0x0', 'finalized', block1.hash]) {
      const p = block === undefined ? [] : [block]
      await documented(t, n, 'dpos_getWitnesses', p)
      await documented(t, n, 'dpos_getCandidates', p)
      await documented(t, n, 'dpos_getTrust', [witness, ...p])
      await documented(t, n, 'dpos_getTrust', [devAddress(1), ...p])
      await documented(t, n, 'dpos_getVotes', [witness, ...p])
    }
    await documented(t, n, 'dpos_getSchedule')
    await documented(t, n, 'dpos_getFinalized')
    await documented(t, n, 'eth_syncing')
    await documented(t, n, 'net_peerCount')
  })

  await t.test('bad input is -32602 with a clear message', async (t) => {
    const invalid = (message: string) => ({ code: -32602, message })
    t.same(await rpcError(n, 'dpos_getTrust', ['0x12']), invalid('invalid argument 0: hex string has length 2, want 40 for common.Address'))
    t.same(await rpcError(n, 'dpos_getVotes', [witness.slice(2)]), invalid('invalid argument 0: hex string without 0x prefix'))
    t.same(await rpcError(n, 'dpos_getVotes', []), invalid('missing value for required argument 0'))
    t.same(await rpcError(n, 'dpos_getTrust', [witness, 'newest']), invalid('invalid argument 1: hex string without 0x prefix'))
    t.same(await rpcError(n, 'dpos_getWitnesses', ['0x01']), invalid('invalid argument 0: hex number with leading zero digits'))
    t.same(await rpcError(n, 'dpos_getCandidates', [true]), invalid('invalid argument 0: cannot unmarshal boolean into block number or hash'))
    t.same(await rpcError(n, 'dpos_getWitnesses', ['latest', 1]), invalid('too many arguments, want at most 1'))
    t.same(await rpcError(n, 'dpos_getTrust', [witness, 'latest', 1]), invalid('too many arguments, want at most 2'))
    t.same(await rpcError(n, 'dpos_getSchedule', ['latest']), invalid('too many arguments, want at most 0'))
    t.same(await rpcError(n, 'dpos_getFinalized', [1]), invalid('too many arguments, want at most 0'))
    // a well-formed block that does not exist is geth's "header not found"
    t.same(await rpcError(n, 'dpos_getWitnesses', ['0x64']), { code: -32000, message: 'header not found' })
    t.same(await rpcError(n, 'dpos_getVotes', [witness, { blockHash: '0x' + '11'.repeat(32) }]), { code: -32000, message: 'header not found' })
  })
})

t.test('admin_, eth_syncing and net_peerCount on a node without P2P', async (t) => {
  const n = await startNode(t)
  t.same(await rpcError(n, 'admin_addPeer', ['ws://127.0.0.1:30303']), NO_P2P, 'admin_addPeer')
  t.same(await rpcError(n, 'admin_removePeer', ['wss://peer.example.org:30303']), NO_P2P, 'admin_removePeer')
  t.same(await rpcError(n, 'admin_peers', []), NO_P2P, 'admin_peers')
  t.same(await rpcError(n, 'admin_nodeInfo', []), NO_P2P, 'admin_nodeInfo')

  // params are checked before the handler runs, so these are -32602 even without P2P
  const badUrl = { code: -32602, message: 'invalid argument 0: expected a ws:// or wss:// peer url' }
  t.same(await rpcError(n, 'admin_addPeer', ['http://127.0.0.1:30303']), badUrl, 'an http url')
  t.same(await rpcError(n, 'admin_addPeer', ['127.0.0.1:30303']), badUrl, 'no scheme')
  t.same(await rpcError(n, 'admin_addPeer', ['ws://127.0.0.1:30303/path']), badUrl, 'a path')
  t.same(await rpcError(n, 'admin_removePeer', [30303]), badUrl, 'not a string')
  t.same(await rpcError(n, 'admin_addPeer', []), { code: -32602, message: 'missing value for required argument 0' })
  t.same(await rpcError(n, 'admin_peers', [1]), { code: -32602, message: 'too many arguments, want at most 0' })

  t.equal(await n.rpc('eth_syncing'), false, 'eth_syncing')
  t.equal(await n.rpc('net_peerCount'), '0x0', 'net_peerCount')
})

t.test('a Staking vote sent with eth_sendRawTransaction shows in dpos_ and in eth_call', async (t) => {
  const n = await startNode(t)
  await n.produceBlock()
  const voterAccount = DEV_ACCOUNTS[2]!
  const voter = voterAccount.address.toLowerCase()
  const wallet = new Wallet(voterAccount.privateKey)
  const amount = 1_000n * NFC
  const data = staking.encodeFunctionData('vote', [witness, amount])

  const gas = BigInt(await n.rpc('eth_estimateGas', [{ from: voter, to: STAKING, value: hex(amount), data }]))
  t.ok(gas > 21_000n, `eth_estimateGas ${gas}`)
  const baseFee = BigInt((await n.rpc('eth_getBlockByNumber', ['latest', false])).baseFeePerGas)
  const tip = BigInt(await n.rpc('eth_maxPriorityFeePerGas'))
  const balanceBefore = BigInt(await n.rpc('eth_getBalance', [voter, 'latest']))
  const raw = await wallet.signTransaction({
    type: 2,
    chainId: 2100,
    nonce: Number(await n.rpc('eth_getTransactionCount', [voter, 'pending'])),
    to: STAKING,
    value: amount,
    data,
    gasLimit: gas,
    maxPriorityFeePerGas: tip,
    maxFeePerGas: 2n * baseFee + tip,
  })
  const hash = await n.rpc('eth_sendRawTransaction', [raw])
  t.equal(hash, Transaction.from(raw).hash, 'eth_sendRawTransaction returns the hash')
  const built = await n.produceBlock()
  t.equal(built.rejected.length, 0, 'the block took the transaction')

  const receipt = await n.rpc('eth_getTransactionReceipt', [hash])
  t.equal(receipt.status, '0x1', 'receipt status 1')
  t.equal(receipt.blockNumber, '0x2', 'in the block just produced')
  t.equal(receipt.to, STAKING)
  t.equal(receipt.from, voter)
  t.equal(receipt.logs.length, 1, 'one log')
  const log = receipt.logs[0]
  t.equal(log.address, STAKING, 'emitted by Staking')
  t.same(log.topics, [staking.getEvent('Voted')!.topicHash, zeroPadValue(voter, 32), zeroPadValue(witness, 32)], 'Voted(voter, candidate) topics')
  const voted = staking.parseLog(log)!
  t.equal(voted.name, 'Voted')
  t.equal(voted.args.voter.toLowerCase(), voter)
  t.equal(voted.args.candidate.toLowerCase(), witness)
  t.equal(voted.args.amount, amount, 'the amount in the data')
  const fee = BigInt(receipt.gasUsed) * BigInt(receipt.effectiveGasPrice)
  t.equal(BigInt(await n.rpc('eth_getBalance', [voter, 'latest'])), balanceBefore - amount - fee, 'the vote left the voter like a payment')

  const votes = await documented(t, n, 'dpos_getVotes', [voter])
  t.same(
    votes,
    { total: hex(amount), positions: [{ candidate: witness, votes: hex(amount), pendingReward: '0x0' }], unbonding: [] },
    'dpos_getVotes shows the new position',
  )
  t.same(
    await n.rpc('dpos_getVotes', [voter, hex(BigInt(receipt.blockNumber) - 1n)]),
    { total: '0x0', positions: [], unbonding: [] },
    'and nothing the block before',
  )
  const total = SELF_VOTE + amount
  const candidates = await documented(t, n, 'dpos_getCandidates')
  t.same(splitRewards(candidates).rest, [candidate0(2, total)], 'dpos_getCandidates counts the vote')
  t.same((await n.rpc('dpos_getWitnesses')).witnesses, [seat0(2, total)], 'and dpos_getWitnesses')
  t.equal((await n.rpc('dpos_getVotes', [witness])).total, hex(SELF_VOTE), 'the self-vote is unchanged')

  const call = async (fn: string, args: unknown[]) =>
    staking.decodeFunctionResult(fn, await n.rpc('eth_call', [{ to: STAKING, data: staking.encodeFunctionData(fn, args) }, 'latest']))
  const c = await call('candidate', [witness])
  t.equal(c.registered, true)
  t.equal(hex(c.votes), candidates[0].votes, 'candidate(address).votes through eth_call = dpos_getCandidates')
  t.equal(Number(c.trust), await n.rpc('dpos_getTrust', [witness]), 'candidate(address).trust = dpos_getTrust')
  t.equal(Number(c.bonusRatioBps), candidates[0].bonusRatioBps)
  t.equal(c.url, '')
  const [cands, amounts] = await call('votesOf', [voter])
  t.same([[...cands].map((a: string) => a.toLowerCase()), [...amounts]], [[witness], [amount]], 'votesOf(voter) = dpos_getVotes positions')

  // the next block pays the voters their share: the claimable reward appears in both views
  await n.produceBlock()
  const reward = BigInt((await n.rpc('dpos_getVotes', [voter])).positions[0].pendingReward)
  t.ok(reward > 0n, `a voter reward after the next block (${reward} wei)`)
  const [pending] = await call('pendingRewards', [voter])
  t.equal(pending, reward, 'pendingRewards(voter) through eth_call = dpos_getVotes pendingReward')
})
