/**
 * Table-driven conformance: every method of rpc/openrpc.json against a real in-process node with
 * a small prepared chain (transfers of every tx type, an ERC-20 deployed with Transfer/Approval
 * events, a mined revert), over HTTP and — for subscriptions — WebSocket. Each case asserts the
 * exact error code (and a message pattern) or validates the result against the method's result
 * schema from the OpenRPC document with ajv, plus exact values where the chain fixes them.
 * Cases run in table order: the pool and filter cases at the end change the pool and the head.
 */
import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import { WebSocket } from 'ws'
import { Ajv, type ValidateFunction } from 'ajv'
import { createAccessList2930Tx, createFeeMarket1559Tx, createLegacyTx, type TypedTransaction } from '@ethereumjs/tx'
import { Address, bytesToHex, hexToBytes, randomBytes } from '@ethereumjs/util'
import { Interface, getCreateAddress, id as keccakUtf8 } from 'ethers'
import { makeCommon } from '../../../src/execution/common.js'
import { compileSolidity, devAddress, devKey, repoRoot, startNode } from '../../helpers/inProcessNode.js'
import { RECEIPT_DOMAIN_TAG, receiptToJson, signReceipt, type FlowReceipt } from '../../../src/flow/receipt.js'

// ------------------------------------------------------------------ the document and its schemas

const doc = JSON.parse(fs.readFileSync(path.join(repoRoot, 'rpc', 'openrpc.json'), 'utf8'))
const ajv = new Ajv({ strict: false, allErrors: true })
ajv.addSchema({ $id: 'openrpc.json', components: doc.components }, 'openrpc.json')
const localRefs = (schema: unknown) => JSON.parse(JSON.stringify(schema).replace(/"\$ref":"#\//g, '"$ref":"openrpc.json#/'))
const resultValidators = new Map<string, ValidateFunction>(
  doc.methods.map((m: { name: string; result: { schema: unknown } }) => [m.name, ajv.compile(localRefs(m.result.schema))]),
)
const componentValidator = (name: string) => ajv.compile({ $ref: `openrpc.json#/components/schemas/${name}` })

// ------------------------------------------------------------------ the chain

const TOKEN_SOURCE = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;
contract Token {
  event Transfer(address indexed from, address indexed to, uint256 value);
  event Approval(address indexed owner, address indexed spender, uint256 value);
  string public name = "Flow";
  string public symbol = "FLW";
  uint8 public decimals = 18;
  uint256 public totalSupply;
  mapping(address => uint256) public balanceOf;
  mapping(address => mapping(address => uint256)) public allowance;
  constructor(uint256 supply) { totalSupply = supply; balanceOf[msg.sender] = supply; emit Transfer(address(0), msg.sender, supply); }
  function transfer(address to, uint256 v) external returns (bool) {
    require(balanceOf[msg.sender] >= v, "ERC20: insufficient balance");
    balanceOf[msg.sender] -= v; balanceOf[to] += v; emit Transfer(msg.sender, to, v); return true;
  }
  function approve(address s, uint256 v) external returns (bool) { allowance[msg.sender][s] = v; emit Approval(msg.sender, s, v); return true; }
}
`
const GWEI = 1_000_000_000n
const SUPPLY = 1_000_000n
const common = makeCommon(2100n)
const TRANSFER = keccakUtf8('Transfer(address,address,uint256)')
const APPROVAL = keccakUtf8('Approval(address,address,uint256)')
const word = (n: bigint | number | string) => '0x' + (typeof n === 'string' ? n.slice(2) : BigInt(n).toString(16)).padStart(64, '0')
const ZERO_HASH = '0x' + '00'.repeat(32)
const UNKNOWN_HASH = '0x' + '42'.repeat(32)
const NOBODY = '0x000000000000000000000000000000000000beef'
const REVERT_REASON = 'ERC20: insufficient balance'
const revertData = new Interface(['error Error(string)']).encodeErrorResult('Error', [REVERT_REASON])

const nonces = new Map<string, bigint>()
const nextNonce = (key: Uint8Array) => {
  const k = bytesToHex(key)
  const n = nonces.get(k) ?? 0n
  nonces.set(k, n + 1n)
  return n
}
const addr = (a: string) => new Address(hexToBytes(a as `0x${string}`))
interface TxFields {
  to?: string
  data?: string
  value?: bigint
  gasLimit?: bigint
  nonce?: bigint
}
const legacy = (key: Uint8Array, f: TxFields & { gasPrice?: bigint }, c = common): TypedTransaction =>
  createLegacyTx(
    {
      nonce: f.nonce ?? nextNonce(key),
      gasPrice: f.gasPrice ?? 2n * GWEI,
      gasLimit: f.gasLimit ?? 21_000n,
      to: f.to === undefined ? undefined : addr(f.to),
      value: f.value ?? 0n,
      data: hexToBytes((f.data ?? '0x') as `0x${string}`),
    },
    { common: c },
  ).sign(key)
const eip1559 = (key: Uint8Array, f: TxFields & { maxFeePerGas?: bigint; maxPriorityFeePerGas?: bigint }): TypedTransaction =>
  createFeeMarket1559Tx(
    {
      nonce: f.nonce ?? nextNonce(key),
      maxFeePerGas: f.maxFeePerGas ?? 10n * GWEI,
      maxPriorityFeePerGas: f.maxPriorityFeePerGas ?? GWEI,
      gasLimit: f.gasLimit ?? 21_000n,
      to: f.to === undefined ? undefined : addr(f.to),
      value: f.value ?? 0n,
      data: hexToBytes((f.data ?? '0x') as `0x${string}`),
    },
    { common },
  ).sign(key)
const raw = (tx: TypedTransaction) => bytesToHex(tx.serialize())

/** What the cases refer to; filled by the setup and by `save` steps. */
interface Fx {
  token: string
  tokenIface: Interface
  call: (fn: string, args?: unknown[]) => string
  tx: Record<string, string>
  block: Record<string, string>
  saved: Record<string, any>
  produceBlock: () => Promise<string>
  /** resolves when the next transaction enters the pool */
  whenPooled: () => Promise<void>
  ws: WsClient
}

/** a doubly signed flow receipt (dev 1 consumer, dev 2 provider) for `cycle` */
function flowReceiptJson(cycle: bigint): unknown {
  const r: FlowReceipt = {
    domainTag: RECEIPT_DOMAIN_TAG,
    chainId: 2100n,
    sessionId: hexToBytes(keccakUtf8('conformance session') as `0x${string}`),
    consumer: devAddress(1),
    provider: devAddress(2),
    relays: [],
    seq: 1n,
    bytesUp: 1000n,
    bytesDown: 50_000n,
    sampleRoot: hexToBytes(keccakUtf8('samples') as `0x${string}`),
    prevReceiptHash: new Uint8Array(32),
    cycle,
    expiryHeight: 1_000_000n,
  }
  return receiptToJson({ ...r, consumerSignature: signReceipt(r, devKey(1)), providerSignature: signReceipt(r, devKey(2)) })
}

// ------------------------------------------------------------------ the table

interface Case {
  name: string
  method: string
  params?: unknown[] | ((f: Fx) => unknown[])
  /** a raw HTTP body instead of a request built from method/params */
  body?: string
  /** over the test's WebSocket connection instead of HTTP */
  ws?: boolean
  /** runs before the request */
  before?: (f: Fx) => Promise<void> | void
  /** expected JSON-RPC error: exact code, message equal to a string or matching a RegExp */
  error?: { code: number; message?: string | RegExp; data?: unknown | ((f: Fx) => unknown) }
  /** exact expected result (deep equality), in addition to the schema */
  result?: unknown | ((f: Fx) => unknown)
  /** further checks on a successful result */
  check?: (r: any, f: Fx, t: Test) => void
  save?: (r: any, f: Fx) => void
}

const tooMany = (method: string, max: number, params: unknown[]): Case => ({
  name: `${method}: too many arguments`,
  method,
  params,
  error: { code: -32602, message: `too many arguments, want at most ${max}` },
})
const missing = (method: string, i = 0, params: unknown[] = []): Case => ({
  name: `${method}: missing required argument ${i}`,
  method,
  params,
  error: { code: -32602, message: `missing value for required argument ${i}` },
})
const invalid = (method: string, params: unknown[] | ((f: Fx) => unknown[]), pattern: RegExp, what = 'invalid params'): Case => ({
  name: `${method}: ${what} (${pattern.source})`,
  method,
  params,
  error: { code: -32602, message: pattern },
})
const headerNotFound = (method: string, params: unknown[] | ((f: Fx) => unknown[])): Case => ({
  name: `${method}: unknown block`,
  method,
  params,
  error: { code: -32000, message: 'header not found' },
})
const noKeys = { code: -32000, message: /not supported: the node holds no user keys/ }
const noP2P = { code: -32000, message: 'P2P is off on this node (start it with --p2p HOST:PORT)' }

const cases: Case[] = [
  // ---------------------------------------------------------------- the protocol
  { name: 'parse error', method: '-', body: '{"jsonrpc":"2.0","method":"eth_chainId",', error: { code: -32700, message: 'parse error' } },
  { name: 'parse error: not JSON at all', method: '-', body: 'hello', error: { code: -32700, message: 'parse error' } },
  { name: 'invalid request: empty batch', method: '-', body: '[]', error: { code: -32600, message: /empty batch/ } },
  { name: 'invalid request: not an object', method: '-', body: '42', error: { code: -32600, message: /invalid request/ } },
  {
    name: 'invalid request: jsonrpc 1.0',
    method: '-',
    body: '{"jsonrpc":"1.0","id":1,"method":"eth_chainId"}',
    error: { code: -32600, message: /jsonrpc must be "2.0"/ },
  },
  { name: 'invalid request: no method', method: '-', body: '{"jsonrpc":"2.0","id":1}', error: { code: -32600, message: /method must be a non-empty string/ } },
  { name: 'invalid request: bad id', method: '-', body: '{"jsonrpc":"2.0","id":{},"method":"eth_chainId"}', error: { code: -32600, message: /id must be/ } },
  { name: 'method not found', method: 'eth_nope', error: { code: -32601, message: 'the method eth_nope does not exist/is not available' } },
  { name: 'method not found: other namespace', method: 'miner_start', error: { code: -32601, message: /does not exist\/is not available/ } },
  { name: 'method not found: personal', method: 'personal_sign', params: ['0x00', NOBODY], error: { code: -32601 } },
  {
    name: 'params by name',
    method: 'eth_chainId',
    body: '{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":{"address":"0x0"}}',
    error: { code: -32602, message: 'non-array args' },
  },

  // ---------------------------------------------------------------- simple ones
  { name: 'web3_clientVersion', method: 'web3_clientVersion', check: (r, _f, t) => t.match(r, /^nfc\//) },
  tooMany('web3_clientVersion', 0, ['x']),
  { name: 'net_version', method: 'net_version', result: '2100' },
  tooMany('net_version', 0, [1]),
  { name: 'eth_chainId', method: 'eth_chainId', result: '0x834' },
  { name: 'eth_chainId: null params', method: 'eth_chainId', body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":null}', result: '0x834' },
  tooMany('eth_chainId', 0, ['latest']),
  { name: 'eth_blockNumber', method: 'eth_blockNumber', result: '0x3' },
  tooMany('eth_blockNumber', 0, [1]),
  { name: 'eth_gasPrice', method: 'eth_gasPrice', check: (r, _f, t) => t.ok(BigInt(r) >= GWEI, 'at least the base fee') },
  tooMany('eth_gasPrice', 0, ['latest']),
  { name: 'eth_maxPriorityFeePerGas', method: 'eth_maxPriorityFeePerGas' },
  tooMany('eth_maxPriorityFeePerGas', 0, ['latest']),
  { name: 'eth_syncing', method: 'eth_syncing', result: false },
  tooMany('eth_syncing', 0, [true]),
  { name: 'eth_accounts', method: 'eth_accounts', result: [] },
  tooMany('eth_accounts', 0, [NOBODY]),
  { name: 'net_peerCount', method: 'net_peerCount' },
  { name: 'net_listening', method: 'net_listening', check: (r, _f, t) => t.type(r, 'boolean') },
  tooMany('net_listening', 0, [1]),

  // ---------------------------------------------------------------- dpos_ (dev account 0 holds the single seat; +10 trust a block) and admin_ (no P2P here)
  {
    name: 'dpos_getWitnesses',
    method: 'dpos_getWitnesses',
    check: (r, _f, t) => {
      t.equal(r.blockNumber, '0x3')
      t.same(
        r.witnesses.map((w: any) => [w.address, w.seat, w.trust, w.produced]),
        [[devAddress(0), 0, 28_830, '0x3']],
      )
    },
  },
  {
    name: 'dpos_getWitnesses at a block hash',
    method: 'dpos_getWitnesses',
    params: (f) => [f.block[1]],
    check: (r, _f, t) => t.same([r.blockNumber, r.witnesses[0].trust], ['0x1', 28_810]),
  },
  { name: 'dpos_getWitnesses finalized', method: 'dpos_getWitnesses', params: ['finalized'], check: (r, _f, t) => t.equal(r.blockNumber, '0x3') },
  invalid('dpos_getWitnesses', ['newest'], /^invalid argument 0: hex string without 0x prefix$/),
  headerNotFound('dpos_getWitnesses', ['0x64']),
  tooMany('dpos_getWitnesses', 1, ['latest', 1]),
  {
    name: 'dpos_getCandidates',
    method: 'dpos_getCandidates',
    check: (r, _f, t) =>
      t.same(
        r.map((c: any) => [c.address, c.votes, c.trust]),
        [[devAddress(0), '0x' + (1_000_000n * 10n ** 18n).toString(16), 28_830]],
      ),
  },
  {
    name: 'dpos_getCandidates earliest',
    method: 'dpos_getCandidates',
    params: ['earliest'],
    check: (r, _f, t) => t.same([r[0].trust, r[0].produced, r[0].rewardsUnclaimed], [28_800, '0x0', '0x0']),
  },
  headerNotFound('dpos_getCandidates', [{ blockHash: UNKNOWN_HASH }]),
  tooMany('dpos_getCandidates', 1, ['latest', 'latest']),
  {
    name: 'dpos_getSchedule',
    method: 'dpos_getSchedule',
    check: (r, _f, t) => t.same([r.owner, r.order, r.headNumber], [devAddress(0), [devAddress(0)], '0x3']),
  },
  tooMany('dpos_getSchedule', 0, ['latest']),
  {
    name: 'nfc_getTransactionsByAddress',
    method: 'nfc_getTransactionsByAddress',
    params: [devAddress(0), { limit: 100 }],
    check: (r, _f, t) => {
      t.ok(Array.isArray(r.transactions), 'a page of transactions')
      t.ok(
        r.transactions.every((x: any) => x.from === devAddress(0) || x.to === devAddress(0)),
        'each one sent or received by the address',
      )
      t.equal(r.next, null, 'one page holds them all')
    },
  },
  invalid('nfc_getTransactionsByAddress', [devAddress(0), { limit: 0 }], /limit/),
  // ---------------------------------------------------------------- flow_ and nfc_getSupply (this node has no key: in no committee)
  {
    name: 'flow_getStats',
    method: 'flow_getStats',
    check: (r, _f, t) => {
      t.equal(r.cumulativeBytes, '0x0')
      t.equal(r.trafficPoolRemaining, '0x' + (1_344_000_000n * 10n ** 18n).toString(16), 'the whole traffic pool')
      t.ok(BigInt(r.rewardPerGB) > 0n, 'a reward rate')
      t.same(r.topProviders, [])
    },
  },
  tooMany('flow_getStats', 0, [1]),
  {
    // refused at the edge, before any forwarding: the provider never pledged (the forwarded result
    // of a pledged, escrowed pair is test/unit/rpc/flow/submitReceipt.test.ts)
    name: 'flow_submitReceipt of an unpledged provider',
    method: 'flow_submitReceipt',
    before: async (f) => {
      const stats = await postBody(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'flow_getStats', params: [] }))
      f.saved.flowReceipt = flowReceiptJson(BigInt(stats.result.cycle))
    },
    params: (f) => [f.saved.flowReceipt],
    error: { code: -32000, message: /^receipt rejected: provider 0x[0-9a-f]{40} is not a pledged node/, data: { code: 'FLOW_NOT_PLEDGED' } },
  },
  { name: 'flow_submitReceipt: malformed', method: 'flow_submitReceipt', params: [{ seq: '0x1' }], error: { code: -32000, message: /^receipt rejected: / } },
  invalid('flow_submitReceipt', ['0x00'], /expected a receipt object/),
  missing('flow_submitReceipt'),
  { name: 'flow_getSession of an unknown session', method: 'flow_getSession', params: ['0x' + '11'.repeat(32)], result: null },
  invalid('flow_getSession', ['0x1234'], /invalid argument 0/),
  missing('flow_getSession'),
  {
    name: 'flow_getSideChain',
    method: 'flow_getSideChain',
    check: (r, _f, t) => {
      t.match(r.sideChainId, /^0x[0-9a-f]{64}$/)
      t.same(r.committee, [devAddress(0)], 'the committee: the dev witness, the only pledged RN')
    },
  },
  { name: 'flow_getCheckpoint of a cycle without one', method: 'flow_getCheckpoint', params: ['0x0'], result: null },
  missing('flow_getCheckpoint'),
  {
    name: 'flow_getRewards',
    method: 'flow_getRewards',
    params: [devAddress(2)],
    result: { locked: '0x0', unlocking: '0x0', withdrawable: '0x0', withdrawn: '0x0', coinTime: '0x0' },
  },
  invalid('flow_getRewards', ['0x1234'], /invalid argument 0/),
  missing('flow_getRewards'),
  // ---------------------------------------------------------------- payment channels (this fixture opens none;
  // an open channel's answer is checked against the OpenRPC document in test/unit/rpc/flow/channels.test.ts)
  { name: 'flow_getChannel of no channel', method: 'flow_getChannel', params: ['0x1'], result: null },
  invalid('flow_getChannel', ['one'], /invalid argument 0/),
  missing('flow_getChannel'),
  { name: 'flow_getChannels', method: 'flow_getChannels', params: [devAddress(2)], result: { total: '0x0', channels: [] } },
  { name: 'flow_getChannels from a start', method: 'flow_getChannels', params: [devAddress(2), '0x5'], result: { total: '0x0', channels: [] } },
  invalid('flow_getChannels', ['0x1234'], /invalid argument 0/),
  missing('flow_getChannels'),
  {
    name: 'nfc_getSupply',
    method: 'nfc_getSupply',
    check: (r, _f, t) => {
      t.equal(r.total, '0x' + (2_100_000_000n * 10n ** 18n).toString(16))
      t.equal(r.burned, '0x0')
      const sum = BigInt(r.burned) + BigInt(r.locked) + BigInt(r.circulating) + Object.values(r.pools).reduce((s: bigint, v: any) => s + BigInt(v), 0n)
      t.equal(sum, 2_100_000_000n * 10n ** 18n, 'burned + pools + locked + circulating = total')
    },
  },
  {
    name: 'nfc_getParams',
    method: 'nfc_getParams',
    check: (r, _f, t) => {
      t.same(
        r.params.map((p: { name: string }) => p.name),
        ['fuelPricePerGb', 'flowCapFactorBps', 'nfcPriceNb', 'cnPledge', 'enPledge', 'rnPledge'],
      )
      t.equal(r.params[0].value, r.params[0].genesis, 'nothing governed on this chain')
      t.equal(r.proposals, '0x0')
    },
  },
  invalid('nfc_getParams', ['0xzz'], /invalid argument 0/),
  // ---------------------------------------------------------------- nfc_ names (this fixture registers none)
  { name: 'nfc_listNames', method: 'nfc_listNames', params: [{ limit: 10 }], result: { names: [], next: null } },
  { name: 'nfc_listNames of an owner', method: 'nfc_listNames', params: [{ owner: devAddress(1) }, 'latest'], result: { names: [], next: null } },
  invalid('nfc_listNames', [{ limit: 101 }], /limit/),
  invalid('nfc_listNames', [{ owner: '0x1234' }], /field "owner"/),
  {
    name: 'nfc_resolveName: unknown name',
    method: 'nfc_resolveName',
    params: ['nobody'],
    error: { code: -32000, message: 'unknown name: nobody', data: { code: 'NAME_UNKNOWN' } },
  },
  invalid('nfc_resolveName', ['No_Name'], /^invalid argument 0: invalid name: only lowercase a-z, 0-9 and - are allowed$/),
  missing('nfc_resolveName'),
  tooMany('nfc_resolveName', 2, ['nobody', 'latest', 1]),
  // ---------------------------------------------------------------- nfc_ storage deals (this fixture posts none; a live
  // deal's answers are checked against the OpenRPC document in test/unit/rpc/nfc/deals.test.ts)
  { name: 'nfc_getDeal of no deal', method: 'nfc_getDeal', params: ['0x1'], result: null },
  invalid('nfc_getDeal', ['one'], /invalid argument 0/),
  missing('nfc_getDeal'),
  { name: 'nfc_listDeals', method: 'nfc_listDeals', params: [{ limit: 10 }], result: { deals: [], next: null } },
  {
    name: 'nfc_listDeals of a provider',
    method: 'nfc_listDeals',
    params: [{ provider: devAddress(1), client: devAddress(2) }, 'latest'],
    result: { deals: [], next: null },
  },
  invalid('nfc_listDeals', [{ limit: 0 }], /field "limit": want an integer from 1 to 100, got 0/),
  invalid('nfc_listDeals', [{ client: '0x1234' }], /field "client"/),
  invalid('nfc_listDeals', ['all'], /cannot unmarshal string into options object \{provider, client, cursor, limit\}/),
  {
    name: 'nfc_getDealChallenge: unknown deal',
    method: 'nfc_getDealChallenge',
    params: ['0x1', '0x1'],
    error: { code: -32000, message: 'unknown deal 1', data: { code: 'STORAGE_UNKNOWN_DEAL' } },
  },
  invalid('nfc_getDealChallenge', ['0x1', '0x10000000000000000'], /invalid argument 1/),
  missing('nfc_getDealChallenge'),
  {
    name: 'nfc_listStorageOffers',
    method: 'nfc_listStorageOffers',
    check: (r, _f, t) => {
      t.same(r.offers, [])
      t.equal(r.next, null)
      t.equal(r.periodSec, '0xe10', 'the default period: 3,600 s')
      t.equal(r.proofLeaves, '0x4')
    },
  },
  invalid('nfc_listStorageOffers', [{ cursor: 'x' }], /field "cursor"/),
  { name: 'dpos_getTrust', method: 'dpos_getTrust', params: [devAddress(0)], result: 28_830 },
  { name: 'dpos_getTrust at genesis', method: 'dpos_getTrust', params: [devAddress(0), '0x0'], result: 28_800 },
  { name: 'dpos_getTrust of a non-candidate', method: 'dpos_getTrust', params: [NOBODY], result: null },
  invalid('dpos_getTrust', ['0x1234'], /^invalid argument 0: hex string has length 4, want 40 for common\.Address$/),
  missing('dpos_getTrust'),
  tooMany('dpos_getTrust', 2, [NOBODY, 'latest', 1]),
  {
    name: 'dpos_getVotes',
    method: 'dpos_getVotes',
    params: [devAddress(0)],
    check: (r, _f, t) =>
      t.same(
        r.positions.map((p: any) => [p.candidate, p.votes]),
        [[devAddress(0), '0x' + (1_000_000n * 10n ** 18n).toString(16)]],
      ),
  },
  { name: 'dpos_getVotes of a non-voter', method: 'dpos_getVotes', params: [NOBODY, 'latest'], result: { total: '0x0', positions: [], unbonding: [] } },
  invalid('dpos_getVotes', [NOBODY, '0x01'], /^invalid argument 1: hex number with leading zero digits$/),
  missing('dpos_getVotes'),
  {
    name: 'dpos_getFinalized',
    method: 'dpos_getFinalized',
    check: (r, f, t) => t.same([r.number, r.hash, r.head, r.lag, r.seatedWitnesses, r.quorum], ['0x3', f.block[3], '0x3', '0x0', 1, 1]),
  },
  {
    name: 'eth_getBlockByNumber finalized is the DPoS final block',
    method: 'eth_getBlockByNumber',
    params: ['finalized', false],
    check: (r, f, t) => t.equal(r.hash, f.block[3]),
  },
  tooMany('dpos_getFinalized', 0, [1]),
  { name: 'admin_addPeer without P2P', method: 'admin_addPeer', params: ['ws://127.0.0.1:30303'], error: noP2P },
  invalid('admin_addPeer', ['http://127.0.0.1:30303'], /^invalid argument 0: expected a ws:\/\/ or wss:\/\/ peer url$/),
  missing('admin_addPeer'),
  { name: 'admin_removePeer without P2P', method: 'admin_removePeer', params: ['wss://peer.example.org'], error: noP2P },
  invalid('admin_removePeer', ['ws://127.0.0.1:30303/x'], /^invalid argument 0: expected a ws:\/\/ or wss:\/\/ peer url$/),
  { name: 'admin_peers without P2P', method: 'admin_peers', error: noP2P },
  tooMany('admin_peers', 0, [1]),
  { name: 'admin_nodeInfo without P2P', method: 'admin_nodeInfo', error: noP2P },

  // ---------------------------------------------------------------- fee history
  {
    name: 'eth_feeHistory with percentiles',
    method: 'eth_feeHistory',
    params: ['0x3', 'latest', [25, 75]],
    check: (r, _f, t) => {
      t.equal(r.oldestBlock, '0x1')
      t.equal(r.baseFeePerGas.length, 4)
      t.equal(r.gasUsedRatio.length, 3)
      t.same(r.reward[2], ['0x0', '0x0'], 'an empty block: 0x0, never null')
      t.same(r.baseFeePerBlobGas, ['0x0', '0x0', '0x0', '0x0'], 'blob base fees: zeros, one per block and the next')
      t.same(r.blobGasUsedRatio, [0, 0, 0], 'blob gas used ratios: zeros, one per block')
    },
  },
  {
    name: 'eth_feeHistory: a JSON number count, no percentiles',
    method: 'eth_feeHistory',
    params: [2, 'latest'],
    check: (r, _f, t) => t.equal(r.reward, undefined),
  },
  {
    name: 'eth_feeHistory: more blocks than exist',
    method: 'eth_feeHistory',
    params: ['0x64', '0x1', []],
    check: (r, _f, t) => {
      t.equal(r.oldestBlock, '0x0')
      t.same(r.reward, [[], []])
      t.same(r.baseFeePerBlobGas, ['0x0', '0x0', '0x0'])
      t.same(r.blobGasUsedRatio, [0, 0])
    },
  },
  invalid('eth_feeHistory', ['0x2', 'latest', [75, 25]], /invalid reward percentile/),
  invalid('eth_feeHistory', ['0x2', 'latest', [101]], /invalid argument 2/),
  invalid('eth_feeHistory', ['0x02', 'latest'], /invalid argument 0: hex number with leading zero digits/),
  headerNotFound('eth_feeHistory', ['0x2', '0x99', [50]]),
  missing('eth_feeHistory', 1, ['0x1']),

  // ---------------------------------------------------------------- state
  { name: 'eth_getBalance latest', method: 'eth_getBalance', params: [devAddress(3), 'latest'], result: '0x' + (10_000n * 10n ** 18n + 12_345n).toString(16) },
  { name: 'eth_getBalance earliest', method: 'eth_getBalance', params: [devAddress(3), 'earliest'], result: '0x' + (10_000n * 10n ** 18n).toString(16) },
  { name: 'eth_getBalance at 0x1', method: 'eth_getBalance', params: [devAddress(3), '0x1'], result: '0x' + (10_000n * 10n ** 18n + 12_345n).toString(16) },
  {
    name: 'eth_getBalance EIP-1898 blockHash',
    method: 'eth_getBalance',
    params: (f) => [devAddress(3), { blockHash: f.block[1] }],
    result: '0x' + (10_000n * 10n ** 18n + 12_345n).toString(16),
  },
  {
    name: 'eth_getBalance EIP-1898 requireCanonical',
    method: 'eth_getBalance',
    params: (f) => [devAddress(3), { blockHash: f.block[1], requireCanonical: true }],
    result: '0x' + (10_000n * 10n ** 18n + 12_345n).toString(16),
  },
  {
    name: 'eth_getBalance EIP-1898 blockNumber',
    method: 'eth_getBalance',
    params: [devAddress(3), { blockNumber: '0x1' }],
    result: '0x' + (10_000n * 10n ** 18n + 12_345n).toString(16),
  },
  {
    name: 'eth_getBalance bare block hash',
    method: 'eth_getBalance',
    params: (f) => [devAddress(3), f.block[1]],
    result: '0x' + (10_000n * 10n ** 18n + 12_345n).toString(16),
  },
  { name: 'eth_getBalance default block', method: 'eth_getBalance', params: [devAddress(3)], result: '0x' + (10_000n * 10n ** 18n + 12_345n).toString(16) },
  { name: 'eth_getBalance unknown account', method: 'eth_getBalance', params: [NOBODY, 'latest'], result: '0x0' },
  { name: 'eth_getBalance checksummed address', method: 'eth_getBalance', params: [NOBODY.replace('beef', 'BEEF'), 'safe'], result: '0x0' },
  headerNotFound('eth_getBalance', [devAddress(3), '0x99']),
  headerNotFound('eth_getBalance', [devAddress(3), { blockHash: UNKNOWN_HASH }]),
  invalid('eth_getBalance', ['0x1234', 'latest'], /invalid argument 0: hex string has length 4, want 40 for common\.Address/),
  invalid('eth_getBalance', [devAddress(3).slice(2), 'latest'], /invalid argument 0: hex string without 0x prefix/),
  invalid('eth_getBalance', [devAddress(3), 'newest'], /invalid argument 1/),
  invalid('eth_getBalance', [devAddress(3), '0x01'], /invalid argument 1: hex number with leading zero digits/),
  invalid('eth_getBalance', [devAddress(3), { blockHash: ZERO_HASH, blockNumber: '0x1' }], /invalid argument 1/),
  missing('eth_getBalance'),
  tooMany('eth_getBalance', 2, [devAddress(3), 'latest', 1]),

  { name: 'eth_getTransactionCount latest', method: 'eth_getTransactionCount', params: [devAddress(1), 'latest'], result: '0x3' },
  { name: 'eth_getTransactionCount earliest', method: 'eth_getTransactionCount', params: [devAddress(1), 'earliest'], result: '0x0' },
  { name: 'eth_getTransactionCount pending', method: 'eth_getTransactionCount', params: [devAddress(1), 'pending'], result: '0x3' },
  headerNotFound('eth_getTransactionCount', [devAddress(1), '0x99']),
  invalid('eth_getTransactionCount', [123, 'latest'], /invalid argument 0: cannot unmarshal/),

  { name: 'eth_getCode of the token', method: 'eth_getCode', params: (f) => [f.token, 'latest'], check: (r, _f, t) => t.ok(r.length > 100) },
  { name: 'eth_getCode of the token before it existed', method: 'eth_getCode', params: (f) => [f.token, '0x0'], result: '0x' },
  { name: 'eth_getCode of an EOA', method: 'eth_getCode', params: [devAddress(2), 'latest'], result: '0x' },
  headerNotFound('eth_getCode', (f) => [f.token, '0x99']),
  invalid('eth_getCode', (f) => [f.token.slice(0, 40), 'latest'], /common\.Address/),

  { name: 'eth_getStorageAt totalSupply (slot 3)', method: 'eth_getStorageAt', params: (f) => [f.token, '0x3', 'latest'], result: word(SUPPLY) },
  { name: 'eth_getStorageAt with a 32-byte slot', method: 'eth_getStorageAt', params: (f) => [f.token, word(2), 'latest'], result: word(18) },
  { name: 'eth_getStorageAt of an unknown account', method: 'eth_getStorageAt', params: [NOBODY, '0x0', 'latest'], result: ZERO_HASH },
  invalid('eth_getStorageAt', (f) => [f.token, '0x' + '0'.repeat(65), 'latest'], /invalid argument 1/),
  headerNotFound('eth_getStorageAt', (f) => [f.token, '0x0', '0x99']),

  {
    name: 'eth_getProof of the token',
    method: 'eth_getProof',
    params: (f) => [f.token, ['0x3', word(2)], 'latest'],
    check: (r, f, t) => {
      t.equal(r.address, f.token)
      t.equal(r.nonce, '0x1')
      t.equal(r.storageProof.length, 2)
      t.equal(r.storageProof[0].value, '0x' + SUPPLY.toString(16))
    },
  },
  { name: 'eth_getProof of an EOA at 0x1', method: 'eth_getProof', params: [devAddress(2), [], '0x1'], check: (r, _f, t) => t.equal(r.nonce, '0x1') },
  {
    name: 'eth_getProof of an absent account',
    method: 'eth_getProof',
    params: [NOBODY, ['0x0'], 'latest'],
    check: (r, _f, t) => {
      t.equal(r.balance, '0x0')
      t.equal(r.storageProof[0].value, '0x0')
    },
  },
  missing('eth_getProof', 2, [NOBODY, []]),
  invalid('eth_getProof', [NOBODY, ['0xzz'], 'latest'], /invalid argument 1/),
  headerNotFound('eth_getProof', [NOBODY, [], '0x99']),

  // ---------------------------------------------------------------- blocks
  {
    name: 'eth_getBlockByNumber latest',
    method: 'eth_getBlockByNumber',
    params: ['latest', false],
    check: (r, f, t) => {
      t.equal(r.number, '0x3')
      t.equal(r.hash, f.block[3])
      t.same(r.transactions, [])
    },
  },
  {
    name: 'eth_getBlockByNumber earliest',
    method: 'eth_getBlockByNumber',
    params: ['earliest', false],
    check: (r, f, t) => {
      t.equal(r.number, '0x0')
      t.equal(r.parentHash, ZERO_HASH)
      t.equal(r.hash, f.block[0])
    },
  },
  {
    name: 'eth_getBlockByNumber 0x2 hydrated',
    method: 'eth_getBlockByNumber',
    params: ['0x2', true],
    check: (r, f, t) => {
      t.equal(r.transactions.length, 4)
      t.same(
        r.transactions.map((x: any) => x.hash),
        f.saved.block2Order,
      )
      const types: Record<string, string> = { [f.tx.tokenTransfer]: '0x0', [f.tx.approve]: '0x2', [f.tx.accessList]: '0x1', [f.tx.reverted]: '0x0' }
      t.same(
        r.transactions.map((x: any) => x.type),
        f.saved.block2Order.map((h: string) => types[h]),
      )
      t.same(
        r.transactions.map((x: any) => x.transactionIndex),
        ['0x0', '0x1', '0x2', '0x3'],
      )
    },
  },
  {
    name: 'eth_getBlockByNumber 0x1 hashes',
    method: 'eth_getBlockByNumber',
    params: ['0x1', false],
    check: (r, f, t) => t.same(r.transactions, [f.tx.deploy, f.tx.transfer]),
  },
  {
    name: 'eth_getBlockByNumber pending',
    method: 'eth_getBlockByNumber',
    params: ['pending', false],
    check: (r, _f, t) => t.same([r.number, r.hash], ['0x4', null]),
  },
  { name: 'eth_getBlockByNumber safe', method: 'eth_getBlockByNumber', params: ['safe', false], check: (r, _f, t) => t.equal(r.number, '0x3') },
  { name: 'eth_getBlockByNumber finalized', method: 'eth_getBlockByNumber', params: ['finalized'], check: (r, _f, t) => t.equal(r.number, '0x3') },
  { name: 'eth_getBlockByNumber beyond the head', method: 'eth_getBlockByNumber', params: ['0x99', false], result: null },
  invalid('eth_getBlockByNumber', ['0x02', false], /invalid argument 0: hex number with leading zero digits/),
  invalid('eth_getBlockByNumber', ['2', false], /invalid argument 0: hex string without 0x prefix/),
  invalid('eth_getBlockByNumber', ['latest', 'yes'], /invalid argument 1: .*bool/),
  missing('eth_getBlockByNumber'),

  {
    name: 'eth_getBlockByHash',
    method: 'eth_getBlockByHash',
    params: (f) => [f.block[2], false],
    check: (r, f, t) => {
      t.equal(r.number, '0x2')
      t.equal(r.parentHash, f.block[1])
      t.equal(r.transactions.length, 4)
    },
  },
  {
    name: 'eth_getBlockByHash hydrated',
    method: 'eth_getBlockByHash',
    params: (f) => [f.block[1], true],
    check: (r, f, t) =>
      t.same(
        r.transactions.map((x: any) => x.blockHash),
        [f.block[1], f.block[1]],
      ),
  },
  { name: 'eth_getBlockByHash unknown', method: 'eth_getBlockByHash', params: [UNKNOWN_HASH, false], result: null },
  invalid('eth_getBlockByHash', ['0x1234', false], /invalid argument 0: .*common\.Hash/),
  missing('eth_getBlockByHash'),

  { name: 'eth_getBlockTransactionCountByHash', method: 'eth_getBlockTransactionCountByHash', params: (f) => [f.block[2]], result: '0x4' },
  { name: 'eth_getBlockTransactionCountByHash of an empty block', method: 'eth_getBlockTransactionCountByHash', params: (f) => [f.block[3]], result: '0x0' },
  { name: 'eth_getBlockTransactionCountByHash unknown', method: 'eth_getBlockTransactionCountByHash', params: [UNKNOWN_HASH], result: null },
  invalid('eth_getBlockTransactionCountByHash', ['0x12'], /invalid argument 0/),
  { name: 'eth_getBlockTransactionCountByNumber', method: 'eth_getBlockTransactionCountByNumber', params: ['0x1'], result: '0x2' },
  { name: 'eth_getBlockTransactionCountByNumber latest', method: 'eth_getBlockTransactionCountByNumber', params: ['latest'], result: '0x0' },
  { name: 'eth_getBlockTransactionCountByNumber beyond the head', method: 'eth_getBlockTransactionCountByNumber', params: ['0x99'], result: null },
  invalid('eth_getBlockTransactionCountByNumber', ['0x01'], /invalid argument 0: hex number with leading zero digits/),

  { name: 'eth_getUncleCountByBlockHash', method: 'eth_getUncleCountByBlockHash', params: (f) => [f.block[2]], result: '0x0' },
  { name: 'eth_getUncleCountByBlockHash unknown', method: 'eth_getUncleCountByBlockHash', params: [UNKNOWN_HASH], result: null },
  { name: 'eth_getUncleCountByBlockNumber', method: 'eth_getUncleCountByBlockNumber', params: ['latest'], result: '0x0' },
  { name: 'eth_getUncleCountByBlockNumber beyond the head', method: 'eth_getUncleCountByBlockNumber', params: ['0x99'], result: null },
  { name: 'eth_getUncleByBlockHashAndIndex', method: 'eth_getUncleByBlockHashAndIndex', params: (f) => [f.block[2], '0x0'], result: null },
  { name: 'eth_getUncleByBlockNumberAndIndex', method: 'eth_getUncleByBlockNumberAndIndex', params: ['0x2', '0x0'], result: null },
  invalid('eth_getUncleByBlockNumberAndIndex', ['0x2', '0x00'], /invalid argument 1: hex number with leading zero digits/),

  // ---------------------------------------------------------------- transactions and receipts
  {
    name: 'eth_getTransactionByHash legacy',
    method: 'eth_getTransactionByHash',
    params: (f) => [f.tx.transfer],
    check: (r, f, t) => {
      t.equal(r.type, '0x0')
      t.equal(r.blockHash, f.block[1])
      t.equal(r.value, '0x3039')
      t.equal(r.to, devAddress(3))
      t.equal(r.chainId, '0x834')
    },
  },
  {
    name: 'eth_getTransactionByHash 1559 deployment',
    method: 'eth_getTransactionByHash',
    params: (f) => [f.tx.deploy],
    check: (r, _f, t) => {
      t.equal(r.type, '0x2')
      t.equal(r.to, null)
      t.equal(r.from, devAddress(1))
    },
  },
  {
    name: 'eth_getTransactionByHash 2930',
    method: 'eth_getTransactionByHash',
    params: (f) => [f.tx.accessList],
    check: (r, f, t) => {
      t.equal(r.type, '0x1')
      t.same(r.accessList, [{ address: f.token, storageKeys: [word(3)] }])
    },
  },
  { name: 'eth_getTransactionByHash unknown', method: 'eth_getTransactionByHash', params: [UNKNOWN_HASH], result: null },
  invalid('eth_getTransactionByHash', ['0x33'], /invalid argument 0/),
  invalid('eth_getTransactionByHash', [123], /invalid argument 0: cannot unmarshal non-string/),

  {
    name: 'eth_getTransactionByBlockHashAndIndex',
    method: 'eth_getTransactionByBlockHashAndIndex',
    params: (f) => [f.block[2], '0x1'],
    check: (r, f, t) => {
      t.equal(r.hash, f.saved.block2Order[1])
      t.equal(r.transactionIndex, '0x1')
    },
  },
  {
    name: 'eth_getTransactionByBlockHashAndIndex out of range',
    method: 'eth_getTransactionByBlockHashAndIndex',
    params: (f) => [f.block[2], '0x9'],
    result: null,
  },
  { name: 'eth_getTransactionByBlockHashAndIndex unknown block', method: 'eth_getTransactionByBlockHashAndIndex', params: [UNKNOWN_HASH, '0x0'], result: null },
  invalid('eth_getTransactionByBlockHashAndIndex', (f) => [f.block[2], 1], /invalid argument 1/),
  {
    name: 'eth_getTransactionByBlockNumberAndIndex',
    method: 'eth_getTransactionByBlockNumberAndIndex',
    params: ['0x1', '0x0'],
    check: (r, f, t) => t.equal(r.hash, f.tx.deploy),
  },
  {
    name: 'eth_getTransactionByBlockNumberAndIndex in an empty block',
    method: 'eth_getTransactionByBlockNumberAndIndex',
    params: ['latest', '0x0'],
    result: null,
  },
  { name: 'eth_getTransactionByBlockNumberAndIndex beyond the head', method: 'eth_getTransactionByBlockNumberAndIndex', params: ['0x99', '0x0'], result: null },
  missing('eth_getTransactionByBlockNumberAndIndex', 1, ['0x1']),

  {
    name: 'eth_getTransactionReceipt of the deployment',
    method: 'eth_getTransactionReceipt',
    params: (f) => [f.tx.deploy],
    check: (r, f, t) => {
      t.equal(r.contractAddress, f.token)
      t.equal(r.status, '0x1')
      t.equal(r.to, null)
      t.equal(r.logs.length, 1)
      t.equal(r.logs[0].topics[0], TRANSFER)
    },
  },
  {
    name: 'eth_getTransactionReceipt of a token transfer',
    method: 'eth_getTransactionReceipt',
    params: (f) => [f.tx.tokenTransfer],
    check: (r, f, t) => {
      t.equal(r.status, '0x1')
      t.equal(r.contractAddress, null)
      t.equal(r.logs.length, 1)
      t.same(r.logs[0].topics, [TRANSFER, word(devAddress(1)), word(devAddress(4))])
      t.equal(r.logs[0].data, word(100))
      t.equal(r.logs[0].address, f.token)
    },
  },
  {
    name: 'eth_getTransactionReceipt of the approval',
    method: 'eth_getTransactionReceipt',
    params: (f) => [f.tx.approve],
    check: (r, f, t) => {
      t.equal(r.logs[0].topics[0], APPROVAL)
      t.equal(r.logs[0].logIndex, '0x1', "after the transfer's log")
      t.equal(r.type, '0x2')
      t.equal(r.transactionIndex, '0x' + f.saved.block2Order.indexOf(f.tx.approve).toString(16))
    },
  },
  {
    name: 'eth_getTransactionReceipt of the mined revert',
    method: 'eth_getTransactionReceipt',
    params: (f) => [f.tx.reverted],
    check: (r, _f, t) => {
      t.equal(r.status, '0x0')
      t.same(r.logs, [])
    },
  },
  { name: 'eth_getTransactionReceipt unknown', method: 'eth_getTransactionReceipt', params: [UNKNOWN_HASH], result: null },
  invalid('eth_getTransactionReceipt', ['0x' + '1'.repeat(63)], /invalid argument 0/),

  {
    name: 'eth_getBlockReceipts by number',
    method: 'eth_getBlockReceipts',
    params: ['0x2'],
    check: (r, f, t) => {
      t.same(
        r.map((x: any) => x.transactionHash),
        f.saved.block2Order,
      )
      t.same(
        r.map((x: any) => x.status),
        f.saved.block2Order.map((h: string) => (h === f.tx.reverted ? '0x0' : '0x1')),
      )
    },
  },
  { name: 'eth_getBlockReceipts by hash', method: 'eth_getBlockReceipts', params: (f) => [f.block[1]], check: (r, _f, t) => t.equal(r.length, 2) },
  {
    name: 'eth_getBlockReceipts EIP-1898',
    method: 'eth_getBlockReceipts',
    params: (f) => [{ blockHash: f.block[1] }],
    check: (r, _f, t) => t.equal(r.length, 2),
  },
  { name: 'eth_getBlockReceipts of genesis', method: 'eth_getBlockReceipts', params: ['earliest'], result: [] },
  { name: 'eth_getBlockReceipts beyond the head', method: 'eth_getBlockReceipts', params: ['0x99'], result: null },
  missing('eth_getBlockReceipts'),
  invalid('eth_getBlockReceipts', ['0x001'], /invalid argument 0/),

  // ---------------------------------------------------------------- logs
  {
    name: 'eth_getLogs of the token since genesis',
    method: 'eth_getLogs',
    params: (f) => [{ fromBlock: '0x0', address: f.token }],
    check: (r, _f, t) => {
      t.same(
        r.map((l: any) => [l.blockNumber, l.topics[0], l.logIndex]),
        [
          ['0x1', TRANSFER, '0x0'],
          ['0x2', TRANSFER, '0x0'],
          ['0x2', APPROVAL, '0x1'],
        ],
      )
    },
  },
  {
    name: 'eth_getLogs by topic',
    method: 'eth_getLogs',
    params: [{ fromBlock: 'earliest', toBlock: 'latest', topics: [APPROVAL] }],
    check: (r, _f, t) => t.equal(r.length, 1),
  },
  {
    name: 'eth_getLogs by topic OR list and sender',
    method: 'eth_getLogs',
    params: [{ fromBlock: '0x2', topics: [[TRANSFER, APPROVAL], word(devAddress(1))] }],
    check: (r, _f, t) => t.equal(r.length, 2),
  },
  {
    name: 'eth_getLogs by blockHash',
    method: 'eth_getLogs',
    params: (f) => [{ blockHash: f.block[2] }],
    check: (r, f, t) =>
      t.same(
        r.map((l: any) => l.transactionHash),
        [f.tx.tokenTransfer, f.tx.approve],
      ),
  },
  { name: 'eth_getLogs nothing matches', method: 'eth_getLogs', params: [{ fromBlock: '0x0', address: NOBODY }], result: [] },
  { name: 'eth_getLogs default range (latest, empty)', method: 'eth_getLogs', params: [{}], result: [] },
  { name: 'eth_getLogs unknown blockHash', method: 'eth_getLogs', params: [{ blockHash: UNKNOWN_HASH }], error: { code: -32000, message: /unknown block/ } },
  {
    name: 'eth_getLogs reversed range',
    method: 'eth_getLogs',
    params: [{ fromBlock: '0x3', toBlock: '0x2' }],
    error: { code: -32000, message: /invalid block range params/ },
  },
  invalid('eth_getLogs', (f) => [{ blockHash: f.block[2], fromBlock: '0x1' }], /cannot specify both BlockHash and FromBlock\/ToBlock/),
  invalid('eth_getLogs', [{ topics: [TRANSFER, null, null, null, null] }], /exceed max topics/),
  invalid('eth_getLogs', [{ topics: ['0x1234'] }], /invalid argument 0/),
  invalid('eth_getLogs', [{ address: '0x12' }], /invalid argument 0/),
  invalid('eth_getLogs', ['latest'], /invalid argument 0: cannot unmarshal/),
  missing('eth_getLogs'),

  // ---------------------------------------------------------------- calls
  { name: 'eth_call balanceOf', method: 'eth_call', params: (f) => [{ to: f.token, data: f.call('balanceOf', [devAddress(4)]) }, 'latest'], result: word(100) },
  {
    name: 'eth_call totalSupply at block 1 (input field)',
    method: 'eth_call',
    params: (f) => [{ to: f.token, input: f.call('totalSupply') }, '0x1'],
    result: word(SUPPLY),
  },
  { name: 'eth_call before deployment', method: 'eth_call', params: (f) => [{ to: f.token, data: f.call('totalSupply') }, '0x0'], result: '0x' },
  {
    name: 'eth_call with from and EIP-1898',
    method: 'eth_call',
    params: (f) => [{ from: devAddress(1), to: f.token, data: f.call('allowance', [devAddress(1), devAddress(5)]) }, { blockNumber: '0x2' }],
    result: word(50),
  },
  {
    name: 'eth_call revert',
    method: 'eth_call',
    params: (f) => [{ from: devAddress(6), to: f.token, data: f.call('transfer', [devAddress(1), 1n]) }, 'latest'],
    error: { code: 3, message: `execution reverted: ${REVERT_REASON}`, data: revertData },
  },
  {
    name: 'eth_call maxFeePerGas below tip',
    method: 'eth_call',
    params: (f) => [{ to: f.token, maxFeePerGas: '0x1', maxPriorityFeePerGas: '0x2' }],
    error: { code: -32000, message: 'maxFeePerGas (1) < maxPriorityFeePerGas (2)' },
  },
  headerNotFound('eth_call', (f) => [{ to: f.token, data: f.call('totalSupply') }, '0x99']),
  invalid('eth_call', (f) => [{ to: f.token, data: '0x1' }, 'latest'], /invalid argument 0: .*odd length/),
  invalid('eth_call', (f) => [{ to: f.token, gasPrice: '0x1', maxFeePerGas: '0x1' }], /both gasPrice and \(maxFeePerGas or maxPriorityFeePerGas\) specified/),
  invalid('eth_call', (f) => [{ to: f.token, data: '0x00', input: '0x01' }], /both "data" and "input" are set and not equal/),
  missing('eth_call'),

  { name: 'eth_estimateGas plain transfer', method: 'eth_estimateGas', params: [{ from: devAddress(2), to: devAddress(3), value: '0x1' }], result: '0x5208' },
  {
    name: 'eth_estimateGas token transfer',
    method: 'eth_estimateGas',
    params: (f) => [{ from: devAddress(1), to: f.token, data: f.call('transfer', [devAddress(4), 1n]) }],
    check: (r, _f, t) => t.ok(BigInt(r) > 21_000n),
  },
  {
    name: 'eth_estimateGas revert',
    method: 'eth_estimateGas',
    params: (f) => [{ from: devAddress(6), to: f.token, data: f.call('transfer', [devAddress(1), 1n]) }],
    error: { code: 3, message: `execution reverted: ${REVERT_REASON}`, data: revertData },
  },
  headerNotFound('eth_estimateGas', [{ to: devAddress(3) }, '0x99']),
  invalid('eth_estimateGas', [{ to: devAddress(3), gas: '0x10000000000000000' }], /invalid argument 0: .*64 bits/),

  {
    name: 'eth_createAccessList token transfer',
    method: 'eth_createAccessList',
    params: (f) => [{ from: devAddress(1), to: f.token, data: f.call('transfer', [devAddress(4), 1n]) }, 'latest'],
    check: (r, f, t) => {
      t.ok(
        r.accessList.some((e: any) => e.address === f.token && e.storageKeys.length === 2),
        'the token and its two balance slots',
      )
      t.equal(r.error, undefined)
    },
  },
  {
    name: 'eth_createAccessList of a reverting call',
    method: 'eth_createAccessList',
    params: (f) => [{ from: devAddress(6), to: f.token, data: f.call('transfer', [devAddress(1), 1n]) }],
    check: (r, _f, t) => t.match(r.error, /execution reverted/),
  },
  headerNotFound('eth_createAccessList', [{ to: devAddress(3) }, '0x99']),
  invalid('eth_createAccessList', [{ to: '0x12' }], /invalid argument 0/),

  // ---------------------------------------------------------------- keyless wallet methods
  { name: 'eth_sign', method: 'eth_sign', params: [devAddress(1), '0xdeadbeef'], error: noKeys },
  invalid('eth_sign', ['0x12', '0xdeadbeef'], /invalid argument 0/),
  { name: 'eth_signTransaction', method: 'eth_signTransaction', params: [{ from: devAddress(1), to: devAddress(2), value: '0x1' }], error: noKeys },
  { name: 'eth_sendTransaction', method: 'eth_sendTransaction', params: [{ from: devAddress(1), to: devAddress(2), value: '0x1' }], error: noKeys },
  missing('eth_sendTransaction'),

  // ---------------------------------------------------------------- tracing
  {
    name: 'debug_traceTransaction default struct logger',
    method: 'debug_traceTransaction',
    params: (f) => [f.tx.tokenTransfer],
    check: (r, _f, t) => {
      t.equal(r.failed, false)
      t.ok(r.structLogs.length > 10)
      t.equal(r.structLogs[0].pc, 0)
      t.equal(r.structLogs[0].depth, 1)
    },
  },
  {
    name: 'debug_traceTransaction callTracer',
    method: 'debug_traceTransaction',
    params: (f) => [f.tx.tokenTransfer, { tracer: 'callTracer' }],
    check: (r, f, t) => {
      t.equal(r.type, 'CALL')
      t.equal(r.from, devAddress(1))
      t.equal(r.to, f.token)
      t.equal(r.output, word(1))
    },
  },
  {
    name: 'debug_traceTransaction callTracer of the revert',
    method: 'debug_traceTransaction',
    params: (f) => [f.tx.reverted, { tracer: 'callTracer' }],
    check: (r, _f, t) => {
      t.equal(r.error, 'execution reverted')
      t.equal(r.output, revertData)
    },
  },
  {
    name: 'debug_traceTransaction unknown',
    method: 'debug_traceTransaction',
    params: [UNKNOWN_HASH],
    error: { code: -32000, message: /transaction not found/ },
  },
  invalid('debug_traceTransaction', ['0x12'], /invalid argument 0/),
  {
    name: 'debug_traceCall callTracer',
    method: 'debug_traceCall',
    params: (f) => [{ to: f.token, data: f.call('balanceOf', [devAddress(4)]) }, 'latest', { tracer: 'callTracer' }],
    check: (r, _f, t) => {
      t.equal(r.output, word(100))
      t.equal(r.type, 'CALL')
    },
  },
  {
    name: 'debug_traceCall default',
    method: 'debug_traceCall',
    params: (f) => [{ to: f.token, data: f.call('totalSupply') }, 'latest'],
    check: (r, _f, t) => {
      t.equal(r.failed, false)
      t.match(r.returnValue, new RegExp(word(SUPPLY).slice(2) + '$'))
    },
  },
  headerNotFound('debug_traceCall', [{ to: devAddress(3) }, '0x99']),
  invalid('debug_traceCall', [{ to: devAddress(3), value: '0x0001' }, 'latest'], /invalid argument 0/),

  // ---------------------------------------------------------------- the pool
  { name: 'eth_sendRawTransaction', method: 'eth_sendRawTransaction', params: (f) => [f.saved.pendingRaw], result: (f: Fx) => f.saved.pendingHash },
  {
    name: 'eth_sendRawTransaction already known',
    method: 'eth_sendRawTransaction',
    params: (f) => [f.saved.pendingRaw],
    error: { code: -32000, message: 'already known' },
  },
  {
    name: 'eth_sendRawTransaction replacement underpriced',
    method: 'eth_sendRawTransaction',
    params: () => [raw(legacy(devKey(7), { nonce: 0n, to: devAddress(9), value: 2n }))],
    error: { code: -32000, message: 'replacement transaction underpriced' },
  },
  {
    name: 'eth_sendRawTransaction nonce too low',
    method: 'eth_sendRawTransaction',
    params: () => [raw(legacy(devKey(1), { nonce: 0n, to: devAddress(2) }))],
    error: { code: -32000, message: /^nonce too low: address 0x[0-9a-fA-F]{40}, tx: 0 state: 3$/ },
  },
  {
    name: 'eth_sendRawTransaction insufficient funds',
    method: 'eth_sendRawTransaction',
    params: () => [raw(legacy(randomBytes(32), { nonce: 0n, to: devAddress(2) }))],
    error: { code: -32000, message: /^insufficient funds for gas \* price \+ value/ },
  },
  {
    name: 'eth_sendRawTransaction underpriced',
    method: 'eth_sendRawTransaction',
    params: () => [raw(legacy(devKey(9), { nonce: 0n, to: devAddress(2), gasPrice: 1n }))],
    error: { code: -32000, message: /^transaction underpriced/ },
  },
  {
    name: 'eth_sendRawTransaction intrinsic gas too low',
    method: 'eth_sendRawTransaction',
    params: () => [raw(legacy(devKey(9), { nonce: 0n, to: devAddress(2), gasLimit: 20_000n }))],
    error: { code: -32000, message: /^intrinsic gas too low/ },
  },
  {
    name: 'eth_sendRawTransaction exceeds block gas limit',
    method: 'eth_sendRawTransaction',
    params: () => [raw(legacy(devKey(9), { nonce: 0n, to: devAddress(2), gasLimit: 100_000_000n }))],
    error: { code: -32000, message: 'exceeds block gas limit' },
  },
  {
    name: 'eth_sendRawTransaction wrong chain id',
    method: 'eth_sendRawTransaction',
    params: () => [raw(legacy(devKey(9), { nonce: 0n, to: devAddress(2) }, makeCommon(1n)))],
    error: { code: -32000, message: /chain id/ },
  },
  { name: 'eth_sendRawTransaction garbage', method: 'eth_sendRawTransaction', params: ['0xdeadbeef'], error: { code: -32000 } },
  invalid('eth_sendRawTransaction', ['0xzz'], /invalid argument 0: invalid hex string/),
  missing('eth_sendRawTransaction'),
  {
    name: 'eth_sendRawTransaction queued (nonce gap)',
    method: 'eth_sendRawTransaction',
    params: (f) => [f.saved.queuedRaw],
    result: (f: Fx) => f.saved.queuedHash,
  },
  {
    name: 'eth_getTransactionByHash pending',
    method: 'eth_getTransactionByHash',
    params: (f) => [f.saved.pendingHash],
    check: (r, _f, t) => {
      t.equal(r.blockHash, null)
      t.equal(r.blockNumber, null)
      t.equal(r.transactionIndex, null)
    },
  },
  { name: 'eth_getTransactionReceipt pending', method: 'eth_getTransactionReceipt', params: (f) => [f.saved.pendingHash], result: null },
  { name: 'eth_getTransactionCount pending counts the pool', method: 'eth_getTransactionCount', params: [devAddress(7), 'pending'], result: '0x1' },
  { name: 'txpool_status', method: 'txpool_status', result: { pending: '0x1', queued: '0x1' } },
  {
    name: 'txpool_content',
    method: 'txpool_content',
    check: (r, f, t) => {
      const lower = (m: Record<string, any>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k.toLowerCase(), v]))
      t.equal(lower(r.pending)[devAddress(7)]?.['0']?.hash, f.saved.pendingHash)
      t.equal(lower(r.queued)[devAddress(8)]?.['5']?.hash, f.saved.queuedHash)
    },
  },
  {
    name: 'txpool_inspect',
    method: 'txpool_inspect',
    check: (r, _f, t) => {
      const pending = Object.fromEntries(Object.entries(r.pending as Record<string, any>).map(([k, v]) => [k.toLowerCase(), v]))
      t.match(pending[devAddress(7)]?.['0'], /^0x[0-9a-fA-F]{40}: 5 wei \+ 21000 gas × \d+ wei$/)
    },
  },
  tooMany('txpool_status', 0, [1]),
  tooMany('txpool_content', 0, [1]),

  // ---------------------------------------------------------------- filters (HTTP)
  { name: 'eth_newBlockFilter', method: 'eth_newBlockFilter', save: (r, f) => (f.saved.blockFilter = r) },
  { name: 'eth_newPendingTransactionFilter', method: 'eth_newPendingTransactionFilter', save: (r, f) => (f.saved.pendingFilter = r) },
  {
    name: 'eth_newFilter (token, since genesis)',
    method: 'eth_newFilter',
    params: (f) => [{ fromBlock: '0x0', address: f.token }],
    save: (r, f) => (f.saved.logFilter = r),
  },
  { name: 'eth_newFilter (Transfer topic)', method: 'eth_newFilter', params: [{ topics: [TRANSFER] }], save: (r, f) => (f.saved.topicFilter = r) },
  invalid('eth_newFilter', [{ topics: [TRANSFER, null, null, null, null] }], /exceed max topics/),
  invalid('eth_newFilter', [{ fromBlock: '1' }], /invalid argument 0/),
  missing('eth_newFilter'),
  tooMany('eth_newBlockFilter', 0, [{}]),
  { name: 'eth_getFilterLogs of the log filter', method: 'eth_getFilterLogs', params: (f) => [f.saved.logFilter], check: (r, _f, t) => t.equal(r.length, 3) },
  { name: 'eth_getFilterChanges of a fresh log filter', method: 'eth_getFilterChanges', params: (f) => [f.saved.logFilter], result: [] },
  {
    name: 'eth_getFilterChanges of the block filter: new block',
    method: 'eth_getFilterChanges',
    params: (f) => [f.saved.blockFilter],
    before: async (f) => {
      f.saved.block4 = await f.produceBlock()
    },
    result: (f: Fx) => [f.saved.block4],
  },
  { name: 'eth_getFilterChanges of the block filter: nothing new', method: 'eth_getFilterChanges', params: (f) => [f.saved.blockFilter], result: [] },
  {
    name: 'eth_getFilterChanges of the pending filter',
    method: 'eth_getFilterChanges',
    params: (f) => [f.saved.pendingFilter],
    before: async (f) => {
      f.saved.tokenTx = await sendHttp(f, raw(legacy(devKey(1), { to: f.token, data: f.call('transfer', [devAddress(5), 7n]), gasLimit: 100_000n })))
    },
    result: (f: Fx) => [f.saved.tokenTx],
  },
  {
    name: 'eth_getFilterChanges of the topic filter: the mined transfer',
    method: 'eth_getFilterChanges',
    params: (f) => [f.saved.topicFilter],
    before: async (f) => {
      f.saved.block5 = await f.produceBlock()
    },
    check: (r, f, t) => {
      t.equal(r.length, 1)
      t.equal(r[0].transactionHash, f.saved.tokenTx)
      t.equal(r[0].blockHash, f.saved.block5)
      t.equal(r[0].removed, false)
    },
  },
  {
    name: 'eth_getFilterLogs of a block filter',
    method: 'eth_getFilterLogs',
    params: (f) => [f.saved.blockFilter],
    error: { code: -32000, message: 'filter not found' },
  },
  {
    name: 'eth_getFilterChanges unknown id',
    method: 'eth_getFilterChanges',
    params: ['0x1234567890abcdef'],
    error: { code: -32000, message: 'filter not found' },
  },
  { name: 'eth_getFilterLogs unknown id', method: 'eth_getFilterLogs', params: ['0x1234567890abcdef'], error: { code: -32000, message: 'filter not found' } },
  invalid('eth_getFilterChanges', [42], /invalid argument 0/),
  { name: 'eth_uninstallFilter', method: 'eth_uninstallFilter', params: (f) => [f.saved.blockFilter], result: true },
  { name: 'eth_uninstallFilter again', method: 'eth_uninstallFilter', params: (f) => [f.saved.blockFilter], result: false },
  {
    name: 'eth_getFilterChanges after uninstall',
    method: 'eth_getFilterChanges',
    params: (f) => [f.saved.blockFilter],
    error: { code: -32000, message: 'filter not found' },
  },
  missing('eth_uninstallFilter'),

  // ---------------------------------------------------------------- subscriptions
  { name: 'eth_subscribe over HTTP', method: 'eth_subscribe', params: ['newHeads'], error: { code: -32601, message: 'notifications not supported' } },
  { name: 'eth_unsubscribe over HTTP', method: 'eth_unsubscribe', params: ['0x1234'], error: { code: -32000, message: 'subscription not found' } },
  { name: 'eth_subscribe newHeads', method: 'eth_subscribe', ws: true, params: ['newHeads'], save: (r, f) => (f.saved.headsSub = r) },
  { name: 'eth_subscribe ["newHeads", {}]', method: 'eth_subscribe', ws: true, params: ['newHeads', {}], save: (r, f) => (f.saved.headsSub2 = r) },
  {
    name: 'eth_subscribe logs of the token',
    method: 'eth_subscribe',
    ws: true,
    params: (f) => ['logs', { address: f.token, topics: [TRANSFER] }],
    save: (r, f) => (f.saved.logsSub = r),
  },
  {
    name: 'eth_subscribe newPendingTransactions',
    method: 'eth_subscribe',
    ws: true,
    params: ['newPendingTransactions'],
    save: (r, f) => (f.saved.pendingSub = r),
  },
  {
    name: 'eth_subscribe unknown kind',
    method: 'eth_subscribe',
    ws: true,
    params: ['bogus'],
    error: { code: -32601, message: /no "bogus" subscription in eth namespace/ },
  },
  { name: 'eth_subscribe without a kind', method: 'eth_subscribe', ws: true, params: [], error: { code: -32602, message: /argument 0|subscription name/ } },
  {
    name: 'eth_subscribe notifications arrive with the documented shapes',
    method: 'eth_blockNumber',
    ws: true,
    before: async (f) => {
      f.saved.notifiedTx = await sendHttp(f, raw(legacy(devKey(1), { to: f.token, data: f.call('transfer', [devAddress(6), 3n]), gasLimit: 100_000n })))
      f.saved.block6 = await f.produceBlock()
    },
    result: '0x6',
    check: async (_r, f, t) => {
      const head = await f.ws.notification(f.saved.headsSub)
      t.equal(head.hash, f.saved.block6, 'newHeads: the new block')
      t.notOk('transactions' in head, 'newHeads: no transactions field')
      t.ok(componentValidator('Header')(head), 'newHeads: a Header')
      t.equal((await f.ws.notification(f.saved.headsSub2)).hash, f.saved.block6)
      t.equal(await f.ws.notification(f.saved.pendingSub), f.saved.notifiedTx, 'newPendingTransactions: the hash')
      const log = await f.ws.notification(f.saved.logsSub)
      t.ok(componentValidator('Log')(log), 'logs: a Log')
      t.equal(log.transactionHash, f.saved.notifiedTx)
      t.equal(log.removed, false)
    },
  },
  { name: 'eth_unsubscribe', method: 'eth_unsubscribe', ws: true, params: (f) => [f.saved.headsSub], result: true },
  {
    name: 'eth_unsubscribe again',
    method: 'eth_unsubscribe',
    ws: true,
    params: (f) => [f.saved.headsSub],
    error: { code: -32000, message: 'subscription not found' },
  },
  { name: 'eth_unsubscribe of the logs subscription', method: 'eth_unsubscribe', ws: true, params: (f) => [f.saved.logsSub], result: true },
  invalid('eth_unsubscribe', [1], /invalid argument 0/),

  // ---------------------------------------------------------------- EIP-7966 (last: it makes a block)
  {
    name: 'eth_sendRawTransactionSync timeout: code 4, the hash as data',
    method: 'eth_sendRawTransactionSync',
    before: (f) => {
      const tx = legacy(devKey(3), { to: devAddress(9), value: 7n })
      f.saved.syncLateRaw = raw(tx)
      f.saved.syncLateHash = bytesToHex(tx.hash())
    },
    params: (f) => [f.saved.syncLateRaw, '0x1'],
    error: { code: 4, message: 'the transaction was added to the pool but was not mined within 1 ms', data: (f: Fx) => f.saved.syncLateHash },
  },
  {
    name: 'eth_sendRawTransactionSync nonce gap: code 5',
    method: 'eth_sendRawTransactionSync',
    params: () => [raw(legacy(devKey(3), { nonce: 50n, to: devAddress(9), value: 7n }))],
    error: { code: 5 },
  },
  {
    name: 'eth_sendRawTransactionSync: the receipt once mined',
    method: 'eth_sendRawTransactionSync',
    before: (f) => {
      const tx = legacy(devKey(3), { to: devAddress(9), value: 8n })
      f.saved.syncRaw = raw(tx)
      f.saved.syncHash = bytesToHex(tx.hash())
      void f.whenPooled().then(() => f.produceBlock())
    },
    params: (f) => [f.saved.syncRaw, 60_000],
    check: (r, f, t) => {
      t.equal(r.transactionHash, f.saved.syncHash)
      t.equal(r.status, '0x1')
    },
  },
  { name: 'eth_sendRawTransactionSync garbage', method: 'eth_sendRawTransactionSync', params: ['0xdeadbeef'], error: { code: -32000 } },
  missing('eth_sendRawTransactionSync'),
  tooMany('eth_sendRawTransactionSync', 2, ['0x00', 1, 2]),
]

// ------------------------------------------------------------------ transports

let httpUrl = ''
async function postBody(body: string): Promise<any> {
  const res = await fetch(httpUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  return res.json()
}
async function sendHttp(_f: Fx, rawTx: string): Promise<string> {
  const r = await postBody(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_sendRawTransaction', params: [rawTx] }))
  if (r.error) throw new Error(`setup tx failed: ${r.error.message}`)
  return r.result
}

interface WsClient {
  request(method: string, params: unknown[]): Promise<any>
  /** the next notification of a subscription (waits up to 5 s) */
  notification(sub: string): Promise<any>
  close(): void
}

async function wsConnect(url: string): Promise<WsClient> {
  const ws = new WebSocket(url)
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  let id = 0
  const waiting = new Map<number, (m: any) => void>()
  const notes = new Map<string, any[]>()
  const noteWaiters = new Map<string, (v: any) => void>()
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data))
    if (msg.method === 'eth_subscription') {
      const { subscription, result } = msg.params
      const w = noteWaiters.get(subscription)
      if (w) {
        noteWaiters.delete(subscription)
        w(result)
      } else notes.set(subscription, [...(notes.get(subscription) ?? []), result])
      return
    }
    waiting.get(msg.id)?.(msg)
    waiting.delete(msg.id)
  })
  return {
    request(method, params) {
      const my = ++id
      return new Promise((resolve) => {
        waiting.set(my, resolve)
        ws.send(JSON.stringify({ jsonrpc: '2.0', id: my, method, params }))
      })
    },
    notification(sub) {
      const queued = notes.get(sub)
      if (queued && queued.length > 0) return Promise.resolve(queued.shift())
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no notification for ${sub}`)), 5000)
        noteWaiters.set(sub, (v) => {
          clearTimeout(timer)
          resolve(v)
        })
      })
    },
    close: () => ws.terminate(),
  }
}

// ------------------------------------------------------------------ the run

t.test('JSON-RPC conformance table', async (t) => {
  t.ok(cases.length >= 150, `${cases.length} cases`)
  const documented = new Set<string>(doc.methods.map((m: { name: string }) => m.name))
  const covered = new Set(cases.map((c) => c.method))
  for (const m of documented) t.ok(covered.has(m), `${m} has cases`)
  // the keyless wallet methods and the admin_ peer methods (no P2P in process) never succeed on
  // this node: their cases are their errors (test/e2e/network covers admin_ with P2P);
  // flow_submitReceipt succeeds only for a pledged provider with escrowed NB, which this fixture's
  // pinned blocks do not hold: its success case, checked against the OpenRPC document, is
  // test/unit/rpc/flow/submitReceipt.test.ts; likewise nfc_resolveName needs a registered name
  // (test/unit/rpc/nfc/names.test.ts) and nfc_getDealChallenge an accepted deal (test/unit/rpc/nfc/deals.test.ts)
  const errorOnly = new Set([
    'eth_sign',
    'eth_signTransaction',
    'eth_sendTransaction',
    'admin_addPeer',
    'admin_removePeer',
    'admin_peers',
    'admin_nodeInfo',
    'flow_submitReceipt',
    'nfc_resolveName',
    'nfc_getDealChallenge',
  ])
  for (const m of documented)
    if (!errorOnly.has(m))
      t.ok(
        cases.some((c) => c.method === m && c.error === undefined),
        `${m} has a success case`,
      )

  const n = await startNode(t)
  httpUrl = n.url
  const wsUrl = n.wsUrl

  // the chain: block 1 deploys the token and moves ether; block 2 moves tokens, approves, uses an
  // access list and mines a revert; block 3 is empty
  const [genesisHash] = [(await postBody(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getBlockByNumber', params: ['0x0', false] }))).result.hash]
  const compiled = compileSolidity({ 'Token.sol': TOKEN_SOURCE }).Token
  const tokenIface = new Interface(compiled.abi as never)
  const token = getCreateAddress({ from: devAddress(1), nonce: 0 }).toLowerCase()
  const call = (fn: string, args: unknown[] = []) => tokenIface.encodeFunctionData(fn, args)
  const deployData = bytesToHex(compiled.bytecode) + tokenIface.encodeDeploy([SUPPLY]).slice(2)
  const f: Fx = {
    token,
    tokenIface,
    call,
    tx: {},
    block: { 0: genesisHash },
    saved: {},
    produceBlock: async () => bytesToHex((await n.produceBlock()).block.hash),
    whenPooled: () =>
      new Promise<void>((resolve) => {
        const off = n.node.txpool.on('added', () => {
          off()
          resolve()
        })
      }),
    ws: undefined as unknown as WsClient,
  }
  f.tx.deploy = await sendHttp(f, raw(eip1559(devKey(1), { data: deployData, gasLimit: 2_000_000n })))
  f.tx.transfer = await sendHttp(f, raw(legacy(devKey(2), { to: devAddress(3), value: 12_345n })))
  f.block[1] = await f.produceBlock()
  f.tx.tokenTransfer = await sendHttp(
    f,
    raw(legacy(devKey(1), { to: token, data: call('transfer', [devAddress(4), 100n]), gasLimit: 100_000n, gasPrice: 3n * GWEI })),
  )
  f.tx.approve = await sendHttp(
    f,
    raw(eip1559(devKey(1), { to: token, data: call('approve', [devAddress(5), 50n]), gasLimit: 100_000n, maxPriorityFeePerGas: 2n * GWEI })),
  )
  f.tx.accessList = await sendHttp(
    f,
    raw(
      createAccessList2930Tx(
        {
          nonce: nextNonce(devKey(2)),
          gasPrice: GWEI + 1n,
          gasLimit: 50_000n,
          to: addr(token),
          value: 0n,
          data: hexToBytes(call('totalSupply') as `0x${string}`),
          accessList: [{ address: token as `0x${string}`, storageKeys: [word(3) as `0x${string}`] }],
        },
        { common },
      ).sign(devKey(2)),
    ),
  )
  f.tx.reverted = await sendHttp(f, raw(legacy(devKey(6), { to: token, data: call('transfer', [devAddress(1), 1n]), gasLimit: 100_000n, gasPrice: GWEI })))
  const b2 = await n.produceBlock()
  f.block[2] = bytesToHex(b2.block.hash)
  // the pool orders by tip (dev 1's two by nonce): the cases take the block's order from here
  const order: string[] = b2.block.transactions.map((x) => bytesToHex(x.hash()))
  t.same(new Set(order), new Set([f.tx.tokenTransfer, f.tx.approve, f.tx.accessList, f.tx.reverted]), 'block 2 holds the four transactions')
  t.ok(order.indexOf(f.tx.tokenTransfer) < order.indexOf(f.tx.approve), 'nonce order')
  f.saved.block2Order = order
  f.block[3] = await f.produceBlock()

  const pending = legacy(devKey(7), { to: devAddress(9), value: 5n })
  f.saved.pendingRaw = raw(pending)
  f.saved.pendingHash = bytesToHex(pending.hash())
  const queued = legacy(devKey(8), { nonce: 5n, to: devAddress(9), value: 6n })
  f.saved.queuedRaw = raw(queued)
  f.saved.queuedHash = bytesToHex(queued.hash())

  try {
    f.ws = await wsConnect(wsUrl)
    t.teardown(() => f.ws.close())
  } catch (e) {
    t.fail(`WebSocket connection failed: ${(e as Error).message}`)
  }

  for (const c of cases) {
    await t.test(c.name, async (t) => {
      await c.before?.(f)
      const params = typeof c.params === 'function' ? c.params(f) : (c.params ?? [])
      let res: any
      if (c.body !== undefined) res = await postBody(c.body)
      else if (c.ws) res = await f.ws.request(c.method, params)
      else res = await postBody(JSON.stringify({ jsonrpc: '2.0', id: 7, method: c.method, params }))
      t.equal(res.jsonrpc, '2.0', 'a JSON-RPC 2.0 response')
      if (c.error) {
        t.ok(res.error, `fails with ${c.error.code}: got ${JSON.stringify(res.result ?? res.error)?.slice(0, 200)}`)
        t.equal(res.result, undefined, 'no result next to the error')
        if (!res.error) return
        t.equal(res.error.code, c.error.code, `code ${c.error.code} (${res.error.message})`)
        if (typeof c.error.message === 'string') t.equal(res.error.message, c.error.message)
        else if (c.error.message) t.match(res.error.message, c.error.message)
        if (c.error.data !== undefined) t.same(res.error.data, typeof c.error.data === 'function' ? c.error.data(f) : c.error.data, 'error data')
        return
      }
      t.notOk(res.error, `succeeds: ${JSON.stringify(res.error)}`)
      if (res.error) return
      t.ok('result' in res, 'has a result')
      const validate = resultValidators.get(c.method)
      t.ok(validate, `${c.method} is documented`)
      if (validate && !validate(res.result))
        t.fail(`result matches the ${c.method} schema: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(res.result).slice(0, 300)}`)
      else t.pass('result matches the documented schema')
      if (c.result !== undefined) t.same(res.result, typeof c.result === 'function' ? (c.result as (f: Fx) => unknown)(f) : c.result, 'exact result')
      await c.check?.(res.result, f, t)
      c.save?.(res.result, f)
    })
  }
})
