import t, { type Test } from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MerkleStateManager } from '@ethereumjs/statemanager'
import { Account, Address, bytesToHex } from '@ethereumjs/util'
import { openDatabase } from '../../../src/chain/blockStore.js'
import { makeCommon } from '../../../src/execution/common.js'
import { WorldState } from '../../../src/state/worldState.js'
import { prng } from '../../helpers/prng.js'

/** a live state on a scratch database, and an in-memory ethereumjs state to compare it with */
async function liveAndReference(t: Test) {
  const dir = mkdtempSync(join(tmpdir(), 'nfc-live-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const db = await openDatabase(dir)
  t.teardown(() => db.close())
  const common = makeCommon(2100n)
  const world = await WorldState.open(db, common)
  return { db, world, live: world.live, reference: new MerkleStateManager({ common }) }
}

t.test('the live state (deferred tries) makes the same roots as ethereumjs, block after block', async (t) => {
  const { db, world, live, reference } = await liveAndReference(t)

  const rand = prng(42)
  const pick = (n: number) => Math.floor(rand() * n)
  const addresses = Array.from({ length: 12 }, (_, i) => new Address(Uint8Array.from({ length: 20 }, (_, j) => (i * 37 + j * 11) & 255)))
  const slots = Array.from({ length: 8 }, (_, i) => Uint8Array.from({ length: 32 }, (_, j) => (j === 31 ? i : j === 0 ? i * 3 : 0)))
  const both = async (f: (sm: MerkleStateManager) => Promise<void>) => {
    await f(live)
    await f(reference)
  }

  for (let block = 0; block < 40; block++) {
    await live.checkpoint()
    const ops = 5 + pick(30)
    for (let i = 0; i < ops; i++) {
      const a = addresses[pick(addresses.length)]
      const r = rand()
      const exists = (await reference.getAccount(a)) !== undefined
      if (r < 0.3 || !exists) {
        const acct = (await reference.getAccount(a)) ?? new Account()
        const balance = BigInt(pick(1_000_000))
        const nonce = acct.nonce + BigInt(pick(2))
        await both(async (sm) => {
          const cur = (await sm.getAccount(a)) ?? new Account()
          cur.balance = balance
          cur.nonce = nonce
          await sm.putAccount(a, cur)
        })
      } else if (r < 0.75) {
        // storage write; a zero value deletes the slot
        const value = rand() < 0.25 ? new Uint8Array(0) : Uint8Array.of(1 + pick(255), pick(256))
        const slot = slots[pick(slots.length)]
        await both((sm) => sm.putStorage(a, slot, value))
      } else if (r < 0.82) {
        const code = Uint8Array.of(0x60, pick(256), 0x60, 0x00, 0x55, block & 255)
        await both((sm) => sm.putCode(a, code))
      } else if (r < 0.9) {
        await both((sm) => sm.clearStorage(a))
      } else if (r < 0.95) {
        // as SELFDESTRUCT does: storage cleared, then the account deleted (ethereumjs' caches
        // keep a deleted account's storage otherwise, in both state managers alike)
        await both(async (sm) => {
          await sm.clearStorage(a)
          await sm.deleteAccount(a)
        })
      } else {
        // read through both (pending updates must be visible)
        const slot = slots[pick(slots.length)]
        t.equal(bytesToHex(await live.getStorage(a, slot)), bytesToHex(await reference.getStorage(a, slot)))
      }
    }
    await live.commit()
    const root = await live.getStateRoot()
    const want = await reference.getStateRoot()
    if (bytesToHex(root) !== bytesToHex(want)) {
      t.fail(`block ${block}: live root ${bytesToHex(root)}, ethereumjs ${bytesToHex(want)}`)
      return
    }
    // commit the block's trie nodes as the chain does, then read everything back from a view
    await db.batch(world.store.drain() as never)
    world.store.committed()
    const view = await world.at(root)
    for (const a of addresses) {
      const [got, exp] = [await view.getAccount(a), await reference.getAccount(a)]
      t.equal(got?.serialize() && bytesToHex(got.serialize()), exp?.serialize() && bytesToHex(exp.serialize()), `block ${block}: account ${a}`)
      if (exp !== undefined) {
        for (const s of slots) {
          if (bytesToHex(await view.getStorage(a, s)) !== bytesToHex(await reference.getStorage(a, s))) {
            t.fail(
              `block ${block}: storage of ${a} slot ${bytesToHex(s)} differs: view ${bytesToHex(await view.getStorage(a, s))} live ${bytesToHex(await live.getStorage(a, s))} ref ${bytesToHex(await reference.getStorage(a, s))} (fresh ref view ${bytesToHex(await (await world.at(want)).getStorage(a, s))})`,
            )
            return
          }
        }
      }
    }
  }
  t.pass('40 blocks: identical roots and contents')
})

t.test('a rollback abandons the recorded account and storage updates', async (t) => {
  const { db, world } = await liveAndReference(t)
  const a = new Address(Uint8Array.from({ length: 20 }, (_, i) => i + 1))
  await world.live.putAccount(a, new Account(1n, 10n))
  await world.live.putStorage(a, new Uint8Array(32), Uint8Array.of(7))
  const root = await world.live.getStateRoot()
  await db.batch(world.store.drain() as never)
  world.store.committed()

  await world.live.putAccount(a, new Account(2n, 99n))
  await world.live.putStorage(a, new Uint8Array(32), Uint8Array.of(9))
  await world.live.setStateRoot(root, true)
  world.store.discard()
  t.equal((await world.live.getAccount(a))?.balance, 10n, 'the account is back')
  t.equal(bytesToHex(await world.live.getStorage(a, new Uint8Array(32))), '0x07', 'the storage is back')
  t.equal(bytesToHex(await world.live.getStateRoot()), bytesToHex(root), 'and so is the root')
})

t.test('accounts kept decoded in the live cache: nested reverts, objects changed after a put, same root as ethereumjs', async (t) => {
  const { db, world, live, reference } = await liveAndReference(t)
  const rand = prng(7)
  const pick = (n: number) => Math.floor(rand() * n)
  const addresses = Array.from({ length: 10 }, (_, i) => new Address(Uint8Array.from({ length: 20 }, (_, j) => (i * 53 + j * 7 + 1) & 255)))
  const show = (a: Account | undefined) => (a === undefined ? 'none' : bytesToHex(a.serialize()))

  for (let block = 0; block < 25; block++) {
    // the block-wide checkpoint, then per "transaction" a checkpoint committed or reverted, with
    // nested "calls" committed or reverted inside, as runTx and the EVM do
    await live.checkpoint()
    await reference.checkpoint()
    for (let tx = 0; tx < 6; tx++) {
      await live.checkpoint()
      await reference.checkpoint()
      for (let depth = 0; depth < 3; depth++) {
        const nested = depth > 0
        if (nested) {
          await live.checkpoint()
          await reference.checkpoint()
        }
        for (let i = 0; i < 4; i++) {
          const a = addresses[pick(addresses.length)]!
          const balance = BigInt(pick(1_000_000))
          const op = rand()
          for (const sm of [live, reference]) {
            if (op < 0.1) {
              await sm.deleteAccount(a)
              continue
            }
            const acct = (await sm.getAccount(a)) ?? new Account()
            acct.balance = balance
            acct.nonce += 1n
            await sm.putAccount(a, acct)
            // a caller that keeps changing the object it put (runTx's sender) changes nothing stored
            acct.balance += 5n
            acct.nonce += 3n
            // nor does changing what a read handed out
            const read = await sm.getAccount(a)
            if (read !== undefined) read.balance = 1n
          }
          if (show(await live.getAccount(a)) !== show(await reference.getAccount(a))) {
            t.fail(`block ${block} tx ${tx}: ${a} reads ${show(await live.getAccount(a))} live, ${show(await reference.getAccount(a))} ethereumjs`)
            return
          }
        }
        if (nested) {
          const revert = rand() < 0.5
          for (const sm of [live, reference]) await (revert ? sm.revert() : sm.commit())
        }
      }
      const revert = rand() < 0.3
      for (const sm of [live, reference]) await (revert ? sm.revert() : sm.commit())
      for (const a of addresses) {
        if (show(await live.getAccount(a)) !== show(await reference.getAccount(a))) {
          t.fail(`block ${block} after tx ${tx}: ${a} reads ${show(await live.getAccount(a))} live, ${show(await reference.getAccount(a))} ethereumjs`)
          return
        }
      }
    }
    await live.commit()
    await reference.commit()
    const root = await live.getStateRoot()
    if (bytesToHex(root) !== bytesToHex(await reference.getStateRoot())) {
      t.fail(`block ${block}: live root ${bytesToHex(root)}, ethereumjs ${bytesToHex(await reference.getStateRoot())}`)
      return
    }
    await db.batch(world.store.drain() as never)
    world.store.committed()
    const view = await world.at(root)
    for (const a of addresses) {
      if (show(await view.getAccount(a)) !== show(await reference.getAccount(a))) {
        t.fail(`block ${block}: ${a} on disk ${show(await view.getAccount(a))}, ethereumjs ${show(await reference.getAccount(a))}`)
        return
      }
    }
  }
  t.pass('25 blocks of nested commits and reverts: identical reads, roots and stored accounts')
})
