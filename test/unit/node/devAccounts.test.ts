import t from 'tap'
import { HDNodeWallet, Mnemonic, Wallet } from 'ethers'
import { DEV_ACCOUNTS, DEV_HD_PATH_PREFIX, DEV_MNEMONIC, DEV_WITNESS_KEY } from '../../../src/node/devAccounts.js'

// The constants are hardcoded so the node needs no HD library; this re-derivation is what
// makes them trustworthy.
t.test('hardcoded dev accounts match the mnemonic', async (t) => {
  t.equal(DEV_MNEMONIC, 'test test test test test test test test test test test junk')
  t.equal(DEV_ACCOUNTS.length, 12)
  const m = Mnemonic.fromPhrase(DEV_MNEMONIC)
  DEV_ACCOUNTS.forEach((a, i) => {
    t.equal(a.index, i)
    const w = HDNodeWallet.fromMnemonic(m, `${DEV_HD_PATH_PREFIX}${i}`)
    t.equal(a.address, w.address, `address ${i} (checksummed)`)
    t.equal(a.privateKey, w.privateKey, `key ${i}`)
    t.equal(new Wallet(a.privateKey).address, a.address, `key ${i} controls address ${i}`)
  })
})

t.test('dev witness is account 0', async (t) => {
  t.equal(DEV_WITNESS_KEY, DEV_ACCOUNTS[0]!.privateKey)
  t.equal(DEV_ACCOUNTS[0]!.address, '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266')
  t.ok(Object.isFrozen(DEV_ACCOUNTS) && Object.isFrozen(DEV_ACCOUNTS[0]))
})
