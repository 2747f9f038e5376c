/**
 * The default block gas limit moved (issue 14: 30,000,000 → 50,000,000) and is part of the
 * genesis: a data directory made under the old default is refused as another genesis, with a
 * message that says why a genesis file that never changed can make another genesis.
 */
import t from 'tap'
import { DEFAULT_PARAMS } from '../../../src/chain/genesis.js'
import { devGenesis, openChain, tempDir } from '../../helpers/inProcessNode.js'

t.test('a datadir of the old default gas limit is refused with a clear message', async (t) => {
  t.equal(DEFAULT_PARAMS.blockGasLimit, 50_000_000n, 'the default')
  const dir = tempDir(t)
  const old = await openChain(
    t,
    dir,
    devGenesis((g) => (g.params.blockGasLimit = 30_000_000n)),
    Date.now,
  )
  t.equal(old.chain.head.header.gasLimit, 30_000_000n)
  await old.close()
  await t.rejects(openChain(t, dir, devGenesis(), Date.now), {
    code: 'CHAIN_DATADIR_FOREIGN',
    message: /belongs to another genesis: .*a parameter the file leaves out takes the default of this version.*block gas limit.*npm run reset/,
  })
})
