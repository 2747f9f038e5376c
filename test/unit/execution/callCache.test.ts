/**
 * eth_call / eth_estimateGas with reuse (CallCaches: pooled VMs, shared reads) give exactly the
 * results of fresh runs, and concurrent runs never see each other's writes.
 */
import t, { type Test } from 'tap'
import { Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import { AbiCoder, Interface, getCreateAddress } from 'ethers'
import { call, CallCaches, estimateGas, type CallEnv, type CallRequest } from '../../../src/execution/call.js'
import { jumpAnalysesComputed, slimInterpreterRuns } from '../../../src/execution/callInterpreter.js'
import { WorldState } from '../../../src/state/worldState.js'
import { compileNested, devAddress, probeContract } from '../../helpers/inProcessNode.js'
import { probeCallEnv } from '../../helpers/probeCallEnv.js'

const probe = probeContract()
const iface = new Interface(probe.abi as never)
const enc = (fn: string, args: unknown[] = []) => hexToBytes(iface.encodeFunctionData(fn, args) as `0x${string}`)
const CONTRACT = hexToBytes(getCreateAddress({ from: devAddress(1), nonce: 0 }) as `0x${string}`)
const word = (n: bigint) => '0x' + n.toString(16).padStart(64, '0')

/**
 * Init code whose constructor runs messages inside the call (calls, a static call, reverts with and
 * without a reason, out of gas in a child, CREATEs, logs, a slot written back to its value, a
 * self-destruct) and returns what it saw: every kind of message result the interpreter hands back
 * up, and every kind of write a call state takes.
 */
const nested = compileNested(`contract Nested {
  constructor(Probe p) payable {
    uint256 before = p.get();
    p.store(7);
    uint256 afterStore = p.get();
    uint256 reasonLength;
    try p.fail("child says no") {} catch (bytes memory r) { reasonLength = r.length; }
    bool bareFailed;
    try p.failBare() {} catch { bareFailed = true; }
    bool spun;
    try p.spin{gas: 30000}() {} catch { spun = true; }
    Probe child = new Probe();
    child.fill(3);
    p.store(0x2a); // back to its value before the call: a refund
    (bool paid, ) = address(p).call{value: 1}(abi.encodeWithSignature("failBare()")); // refused: the value comes back
    require(!paid);
    p.get(); // a call that succeeds: the interpreter reads its own account again (SELFBALANCE below)
    Doomed d = new Doomed();
    d.kill(); // created and destroyed in one transaction: deleted at its end
    bytes memory out = abi.encode(before, afterStore, reasonLength, bareFailed, spun, child.get(), child.map(2), address(this).balance);
    assembly { return(add(out, 32), mload(out)) }
  }
}
`)
const nestedInit = new Uint8Array([...nested.bytecode, ...hexToBytes(word(BigInt(bytesToHex(CONTRACT))) as `0x${string}`)])

async function setup(t: Test): Promise<{ fresh: CallEnv; reused: CallEnv; caches: CallCaches; ws: WorldState }> {
  const { env: fresh, ws, root } = await probeCallEnv(t)
  const caches = new CallCaches({ concurrent: 3, vms: 4 })
  return { fresh, reused: { ...fresh, reuse: caches.forBlock(new Uint8Array(32).fill(1), root) }, caches, ws }
}

async function outcome(p: Promise<unknown>): Promise<unknown> {
  try {
    const v = await p
    return { ok: v instanceof Uint8Array ? bytesToHex(v) : String(v) }
  } catch (e) {
    const err = e as { code?: string; message: string; meta?: unknown }
    return { code: err.code, message: err.message, meta: err.meta }
  }
}

const cases: [string, CallRequest][] = [
  ['get', { to: CONTRACT, data: enc('get') }],
  ['store', { to: CONTRACT, data: enc('store', [9n]) }],
  ['fill', { to: CONTRACT, data: enc('fill', [5n]) }],
  ['revert with reason', { to: CONTRACT, data: enc('fail', ['nope']) }],
  ['bare revert', { to: CONTRACT, data: enc('failBare') }],
  ['out of gas', { to: CONTRACT, data: enc('spin'), gas: 100_000n }],
  ['transfer from an empty sender', { from: hexToBytes(devAddress(7) as `0x${string}`), to: hexToBytes(devAddress(2) as `0x${string}`), value: 5n }],
  ['create', { data: probe.bytecode }],
  ['intrinsic gas too low', { to: CONTRACT, data: enc('get'), gas: 21_000n }],
  ['fee below the base fee', { to: CONTRACT, data: enc('get'), maxFeePerGas: 1n }],
  ['map slot', { to: CONTRACT, data: enc('map', [3n]) }],
  ['nested messages', { data: nestedInit, value: 5n }],
  ['nested messages, out of gas on the way', { data: nestedInit, value: 5n, gas: 400_000n }],
]

t.test('reused runs answer exactly as fresh runs (call and estimateGas)', async (t) => {
  const { fresh, reused, ws } = await setup(t)
  const pending = ws.store.pendingCount
  for (let round = 0; round < 2; round++) {
    for (const [name, req] of cases) {
      t.same(await outcome(call(reused, req)), await outcome(call(fresh, req)), `call: ${name} (round ${round})`)
      t.same(await outcome(estimateGas(reused, req)), await outcome(estimateGas(fresh, req)), `estimateGas: ${name} (round ${round})`)
    }
  }
  t.equal(ws.store.pendingCount, pending, 'no trie node reached the live store')
})

t.test("concurrent reused runs never see each other's writes", async (t) => {
  const { reused } = await setup(t)
  const runs: Promise<string>[] = []
  for (let i = 0; i < 60; i++) {
    // store(i) then get() in ONE run would see i; separate runs must all see the block's 0x2a
    if (i % 3 === 0) runs.push(call(reused, { to: CONTRACT, data: enc('store', [BigInt(i + 100)]) }).then(bytesToHex))
    else if (i % 3 === 1) runs.push(call(reused, { to: CONTRACT, data: enc('fill', [3n]) }).then(bytesToHex))
    else runs.push(call(reused, { to: CONTRACT, data: enc('get') }).then(bytesToHex))
  }
  const got = await Promise.all(runs)
  got.forEach((r, i) => {
    if (i % 3 === 2) t.equal(r, word(0x2an), `get #${i} sees the block's value`)
  })
  t.equal(bytesToHex(await call(reused, { to: CONTRACT, data: enc('map', [1n]) })), word(0n), 'fill() of other runs left no slot behind')
  t.equal(bytesToHex(await call(reused, { to: CONTRACT, data: enc('get') })), word(0x2an))
})

t.test('one pool serves several blocks', async (t) => {
  const { fresh, caches } = await setup(t)
  const empty = await (await fresh.freshState()).getStateRoot()
  const env: CallEnv = { ...fresh, reuse: caches.forBlock(new Uint8Array(32).fill(2), empty) }
  t.equal(bytesToHex(await call(env, { to: CONTRACT, data: enc('get') })), word(0x2an), 'same root, other block: same answer')
  const other = { ...fresh, reuse: caches.forBlock(new Uint8Array(32).fill(1), empty) }
  t.equal(bytesToHex(await call(other, { to: CONTRACT, data: enc('get') })), word(0x2an))
})

t.test("pooled runs analyse a contract's code once, fresh runs every time", async (t) => {
  const { fresh, reused } = await setup(t)
  const get = { to: CONTRACT, data: enc('get') }
  t.equal(bytesToHex(await call(reused, get)), word(0x2an))
  const afterFirst = jumpAnalysesComputed()
  t.ok(afterFirst >= 1, 'the first pooled run analysed the code')
  for (let i = 0; i < 5; i++) t.equal(bytesToHex(await call(reused, { to: CONTRACT, data: enc('map', [BigInt(i)]) })), word(0n))
  t.equal(bytesToHex(await call(reused, get)), word(0x2an))
  t.equal(jumpAnalysesComputed(), afterFirst, 'later pooled runs reused the analysis')
  t.equal(bytesToHex(await call(fresh, get)), word(0x2an))
  t.equal(jumpAnalysesComputed(), afterFirst, 'a fresh VM (as tracing) takes ethereumjs own path')
})

t.test('pooled runs return the slim run state, fresh runs ethereumjs own', async (t) => {
  const { fresh, reused } = await setup(t)
  const before = slimInterpreterRuns()
  const got = await call(reused, { data: nestedInit, value: 5n })
  t.ok(slimInterpreterRuns() - before >= 8, 'every message of the pooled run (the create and its calls) took the slim path')
  const seen = AbiCoder.defaultAbiCoder().decode(['uint256', 'uint256', 'uint256', 'bool', 'bool', 'uint256', 'uint256', 'uint256'], got)
  t.same(seen.toArray(), [0x2an, 7n, 100n, true, true, 0x2an, 3n, 5n], 'the messages saw what they should (the store, the reverts, the child, the value back)')
  const afterPooled = slimInterpreterRuns()
  t.same(bytesToHex(await call(fresh, { data: nestedInit, value: 5n })), bytesToHex(got), 'a fresh VM answers the same')
  t.equal(slimInterpreterRuns(), afterPooled, 'a fresh VM (as tracing) takes ethereumjs own path')
})

t.test('a pooled view hands out a fresh account on every read (reads are decoded once, never shared)', async (t) => {
  const { fresh, reused, caches } = await setup(t)
  const who = new Address(hexToBytes(devAddress(1) as `0x${string}`))
  const expected = await (await fresh.freshState()).getAccount(who)
  const slot = await caches.acquire(reused, reused.reuse!)
  try {
    await slot.state.checkpoint()
    const a = (await slot.state.getAccount(who))!
    const b = (await slot.state.getAccount(who))!
    t.not(a, b, 'two reads, two objects')
    t.equal(a.balance, expected!.balance)
    a.balance += 7n // runTx mutates what it reads; a later read must not see it unless it was put
    t.equal((await slot.state.getAccount(who))!.balance, expected!.balance, 'an unsaved change is not seen')
    a.nonce += 1n
    await slot.state.putAccount(who, a)
    const c = (await slot.state.getAccount(who))!
    t.same([c.nonce, c.balance], [expected!.nonce + 1n, expected!.balance + 7n], 'a put is read back')
    c.balance = 0n
    t.equal((await slot.state.getAccount(who))!.balance, expected!.balance + 7n, 'the read after a put is a fresh copy too')
  } finally {
    await caches.release(slot)
  }
  const again = await caches.acquire(reused, reused.reuse!)
  try {
    t.equal((await again.state.getAccount(who))!.balance, expected!.balance, 'the next run reads the block again')
  } finally {
    await caches.release(again)
  }
})
