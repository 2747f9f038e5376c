/**
 * Names (0x…1007, DESIGN §14, SoFa DNS): `name` → owner, node id, endpoint. Registering locks NFC
 * for the term; the lock comes back when the name is released, or when someone registers it
 * again after it expired. Records: src/consensus/names/store.ts; pure rules (name syntax, lock
 * price, term bounds): src/consensus/names/rules.ts. Times are block times in ms, as in every
 * system contract.
 *
 *  register(name, termMs, nodeId, endpoint) payable — a name that is free or expired. The term is
 *     at least nameMinTermSec and at most nameMaxTermSec; msg.value must be at least
 *     lockFor(termMs) = nameLockPerYear · termMs / 365 days (rounded up), and all of it is
 *     locked (a larger value is returned in full with the rest). The name expires at
 *     block time + termMs. Registering an expired name first pays its old lock back to its old
 *     owner (a plain balance credit), so no lock is ever stuck behind an owner who went away.
 *  renew(name, termMs) payable — the owner, before expiry: the expiry moves termMs later (the new
 *     expiry at most nameMaxTermSec ahead of now); msg.value ≥ lockFor(termMs) joins the lock.
 *  transfer(name, to) — the owner, before expiry: `to` owns the name, its record and its lock
 *     (the lock goes back to whoever owns the name when it is released).
 *  setRecord(name, nodeId, endpoint) — the owner, before expiry.
 *  release(name) — the owner, before or after expiry: the record is deleted and the whole lock
 *     paid to the caller.
 *  resolve(name) view — (owner, nodeId, endpoint, expiresAt) of a live name; reverts for an
 *     invalid, unknown or expired one.
 *  recordOf(name) view — the stored record, live or expired (all zero for a free name), with its
 *     lock.
 *  lockFor(termMs) view · nameCount() view — the lock a term needs; how many names have a record.
 *
 * The Names account did not exist at genesis on chains started before this contract: the first
 * call that writes makes it a system account (`ensureSystemAccount`), so their genesis hash holds.
 */
import { formatNfc } from '../../chain/genesisSchema.js'
import { namesOf } from '../../consensus/dpos/engine.js'
import { addressOfHex, type Addr } from '../../consensus/dpos/store.js'
import { endpointProblem, lockFor, nameProblem, statusOf, termProblem } from '../../consensus/names/rules.js'
import { NAMES, NamesStore, type NameRecord } from '../../consensus/names/store.js'
import { ensure, ensureSystemAccount, event, fn, type CallContext, type SystemContract } from './contract.js'

/** Gas (DESIGN §7 gas table, also in the file header of index.ts). */
export const NAMES_GAS = {
  /** the record words, the list entry, a possible payback of an expired lock */
  register: 80_000n,
  renew: 30_000n,
  transfer: 25_000n,
  setRecord: 30_000n,
  /** the record words cleared, the list entry moved, the lock paid */
  release: 45_000n,
  /** register, setRecord, release, resolve, recordOf: per 32-byte word of endpoint (≤ 8) */
  perEndpointWord: 5_000n,
  resolve: 5_000n,
  view: 2_600n,
} as const

const ZERO: Addr = '0x0000000000000000000000000000000000000000'

export const Registered = event('Registered', [
  { name: 'owner', type: 'address', indexed: true },
  { name: 'name', type: 'string' },
  { name: 'expiresAt', type: 'uint256' },
  { name: 'lock', type: 'uint256' },
] as const)
export const Renewed = event('Renewed', [
  { name: 'owner', type: 'address', indexed: true },
  { name: 'name', type: 'string' },
  { name: 'expiresAt', type: 'uint256' },
  { name: 'lock', type: 'uint256' },
] as const)
export const NameTransferred = event('NameTransferred', [
  { name: 'from', type: 'address', indexed: true },
  { name: 'to', type: 'address', indexed: true },
  { name: 'name', type: 'string' },
] as const)
export const RecordSet = event('RecordSet', [
  { name: 'owner', type: 'address', indexed: true },
  { name: 'name', type: 'string' },
  { name: 'nodeId', type: 'bytes32' },
  { name: 'endpoint', type: 'string' },
] as const)
/** a lock paid back: at release (to the caller) or when an expired name is registered again (to its old owner) */
export const LockReturned = event('LockReturned', [
  { name: 'owner', type: 'address', indexed: true },
  { name: 'name', type: 'string' },
  { name: 'amount', type: 'uint256' },
] as const)

const wordsOf = (s: string): bigint => BigInt(Math.ceil(s.length / 32))

function checkName(name: string): void {
  const problem = nameProblem(name)
  ensure(problem === undefined, problem ?? '')
}

function checkEndpoint(ctx: CallContext, endpoint: string): void {
  const problem = endpointProblem(endpoint)
  ensure(problem === undefined, problem ?? '')
  ctx.gas.use(wordsOf(endpoint) * NAMES_GAS.perEndpointWord)
}

function checkTerm(ctx: CallContext, fromMs: bigint, termMs: bigint): bigint {
  const cfg = namesOf(ctx.cfg)
  const problem = termProblem(cfg, fromMs, termMs, ctx.call.blockTimeMs)
  ensure(problem === undefined, problem ?? '')
  const required = lockFor(cfg, termMs)
  ensure(ctx.call.value >= required, `lock too small: this term locks ${formatNfc(required)}`)
  return required
}

/** the caller's live record of `name` (reverts otherwise) */
async function ownLiveRecord(ctx: CallContext, store: NamesStore, name: string): Promise<NameRecord> {
  checkName(name)
  const rec = await store.get(name)
  ensure(rec.owner !== null, 'unknown name')
  ensure(rec.owner === ctx.sender, 'not the owner of the name')
  ensure(statusOf(rec.owner, rec.expiresAtMs, ctx.call.blockTimeMs) === 'active', 'name has expired: register it again')
  return rec
}

/** pays `amount` of the Names balance to `owner` and says so */
async function returnLock(ctx: CallContext, name: string, owner: Addr, amount: bigint): Promise<void> {
  const store = ctx.store
  ensure((await store.balanceOf(NAMES)) >= amount, 'Names balance short')
  await store.transfer(NAMES, addressOfHex(owner), amount)
  ctx.emit(LockReturned, [owner, name, amount])
}

async function register(ctx: CallContext, name: string, termMs: bigint, nodeId: Uint8Array, endpoint: string): Promise<[]> {
  checkName(name)
  checkEndpoint(ctx, endpoint)
  const now = ctx.call.blockTimeMs
  const store = new NamesStore(ctx.sm)
  const rec = await store.get(name)
  const status = statusOf(rec.owner, rec.expiresAtMs, now)
  ensure(status !== 'active', rec.owner === ctx.sender ? 'name is already yours: renew it instead' : 'name is taken')
  checkTerm(ctx, now, termMs)
  await ensureSystemAccount(ctx.sm, NAMES)
  if (status === 'expired' && rec.lockWei > 0n) await returnLock(ctx, name, rec.owner!, rec.lockWei)
  const lock = ctx.call.value
  await store.put(name, { owner: ctx.sender, nodeId, expiresAtMs: now + termMs, lockWei: lock, endpoint })
  ctx.emit(Registered, [ctx.sender, name, now + termMs, lock])
  return []
}

async function renew(ctx: CallContext, name: string, termMs: bigint): Promise<[]> {
  const store = new NamesStore(ctx.sm)
  const rec = await ownLiveRecord(ctx, store, name)
  checkTerm(ctx, rec.expiresAtMs, termMs)
  const expiresAtMs = rec.expiresAtMs + termMs
  const lock = rec.lockWei + ctx.call.value
  await store.put(name, { expiresAtMs, lockWei: lock })
  ctx.emit(Renewed, [ctx.sender, name, expiresAtMs, lock])
  return []
}

async function transfer(ctx: CallContext, name: string, to: Addr): Promise<[]> {
  const store = new NamesStore(ctx.sm)
  await ownLiveRecord(ctx, store, name)
  ensure(to !== ZERO, 'transfer to the zero address')
  await store.put(name, { owner: to })
  ctx.emit(NameTransferred, [ctx.sender, to, name])
  return []
}

async function setRecord(ctx: CallContext, name: string, nodeId: Uint8Array, endpoint: string): Promise<[]> {
  const store = new NamesStore(ctx.sm)
  await ownLiveRecord(ctx, store, name)
  checkEndpoint(ctx, endpoint)
  await store.put(name, { nodeId, endpoint })
  ctx.emit(RecordSet, [ctx.sender, name, nodeId, endpoint])
  return []
}

async function release(ctx: CallContext, name: string): Promise<[]> {
  checkName(name)
  const store = new NamesStore(ctx.sm)
  const rec = await store.get(name)
  ensure(rec.owner !== null, 'unknown name')
  ensure(rec.owner === ctx.sender, 'not the owner of the name')
  ctx.gas.use(wordsOf(rec.endpoint) * NAMES_GAS.perEndpointWord)
  await store.clear(name)
  await returnLock(ctx, name, ctx.sender, rec.lockWei)
  return []
}

export const names: SystemContract = {
  name: 'Names',
  address: NAMES,
  events: [Registered, Renewed, NameTransferred, RecordSet, LockReturned],
  functions: [
    fn({
      name: 'register',
      inputs: ['string', 'uint64', 'bytes32', 'string'],
      outputs: [],
      mutability: 'payable',
      gas: NAMES_GAS.register,
      run: (ctx, [name, termMs, nodeId, endpoint]) => register(ctx, name, termMs, nodeId, endpoint),
    }),
    fn({
      name: 'renew',
      inputs: ['string', 'uint64'],
      outputs: [],
      mutability: 'payable',
      gas: NAMES_GAS.renew,
      run: (ctx, [name, termMs]) => renew(ctx, name, termMs),
    }),
    fn({
      name: 'transfer',
      inputs: ['string', 'address'],
      outputs: [],
      mutability: 'nonpayable',
      gas: NAMES_GAS.transfer,
      run: (ctx, [name, to]) => transfer(ctx, name, to),
    }),
    fn({
      name: 'setRecord',
      inputs: ['string', 'bytes32', 'string'],
      outputs: [],
      mutability: 'nonpayable',
      gas: NAMES_GAS.setRecord,
      run: (ctx, [name, nodeId, endpoint]) => setRecord(ctx, name, nodeId, endpoint),
    }),
    fn({ name: 'release', inputs: ['string'], outputs: [], mutability: 'nonpayable', gas: NAMES_GAS.release, run: (ctx, [name]) => release(ctx, name) }),
    fn({
      name: 'resolve',
      inputs: ['string'],
      outputs: ['address', 'bytes32', 'string', 'uint256'],
      mutability: 'view',
      gas: NAMES_GAS.resolve,
      run: async (ctx, [name]) => {
        checkName(name)
        const rec = await new NamesStore(ctx.sm).get(name)
        const status = statusOf(rec.owner, rec.expiresAtMs, ctx.call.blockTimeMs)
        ensure(status !== 'free', 'unknown name')
        ensure(status === 'active', 'name has expired')
        ctx.gas.use(wordsOf(rec.endpoint) * NAMES_GAS.perEndpointWord)
        return [rec.owner!, rec.nodeId, rec.endpoint, rec.expiresAtMs]
      },
    }),
    fn({
      name: 'recordOf',
      inputs: ['string'],
      outputs: ['address', 'bytes32', 'string', 'uint256', 'uint256'],
      mutability: 'view',
      gas: NAMES_GAS.resolve,
      run: async (ctx, [name]) => {
        checkName(name)
        const rec = await new NamesStore(ctx.sm).get(name)
        ctx.gas.use(wordsOf(rec.endpoint) * NAMES_GAS.perEndpointWord)
        return [rec.owner ?? ZERO, rec.nodeId, rec.endpoint, rec.expiresAtMs, rec.lockWei]
      },
    }),
    fn({
      name: 'lockFor',
      inputs: ['uint64'],
      outputs: ['uint256'],
      mutability: 'view',
      gas: NAMES_GAS.view,
      run: async (ctx, [termMs]) => [lockFor(namesOf(ctx.cfg), termMs)],
    }),
    fn({
      name: 'nameCount',
      inputs: [],
      outputs: ['uint256'],
      mutability: 'view',
      gas: NAMES_GAS.view,
      run: async (ctx) => [await new NamesStore(ctx.sm).list().length()],
    }),
  ],
}
