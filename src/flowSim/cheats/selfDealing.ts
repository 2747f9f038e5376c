/**
 * `--cheat self-dealing`: the provider buys the NB and hands it to its consumers instead of them
 * buying it, which makes the pair self-dealing (NB.funder(consumer) == provider): its traffic is
 * accepted and earns nothing.
 */
import { Contract, NonceManager, type TransactionResponse } from 'ethers'
import { SYSTEM_CONTRACTS } from '../../chain/systemAddresses.js'
import { abi, waitAll, type Party } from '../node.js'
import { FUEL_NFC, NB_BUYER_NFC, refund } from '../setUp.js'
import type { CheatContext, CheatRun, SetUpContext } from './cheat.js'

export function selfDealing(ctx: CheatContext): CheatRun {
  return { providerExtraNfc: NB_BUYER_NFC + FUEL_NFC * BigInt(ctx.consumers.length), fuel: (s) => handOverFuel(s, []) }
}

/**
 * Each provider buys its consumers' fuel and hands it to them — through `intermediates[j]` for
 * provider j when given (hop-self-dealing) — and the consumers escrow what they were handed.
 * Returns each consumer's escrow.
 */
export async function handOverFuel(s: SetUpContext, intermediates: readonly Party[]): Promise<bigint[]> {
  const { provider, providers, consumers, progress } = s
  const nb = new Contract(SYSTEM_CONTRACTS.nb, abi('NB'), provider)
  await waitAll(
    providers.map((p) => (nb.connect(p.wallet) as Contract).getFunction('convert')({ value: FUEL_NFC * BigInt(consumers.length) })),
    'providers buying NB for their consumers',
    progress,
  )
  if (intermediates.length > 0) {
    // hop-self-dealing: each provider's NB goes through its own intermediate address first
    await waitAll(
      providers.map(async (p, j) =>
        (nb.connect(p.wallet) as Contract).getFunction('transfer')(intermediates[j]!.address, (await nb.getFunction('balanceOf')(p.address)) as bigint),
      ),
      'providers handing NB to their intermediate addresses',
      progress,
    )
  }
  const holders = intermediates.length > 0 ? intermediates : providers
  const transfers: Promise<TransactionResponse>[] = []
  for (let j = 0; j < providers.length; j++) {
    const mine = consumers.filter((_, i) => i % providers.length === j)
    if (mine.length === 0) continue
    const h = holders[j]!
    const balance = (await nb.getFunction('balanceOf')(h.address)) as bigint
    const each = balance / BigInt(mine.length)
    const signer = new NonceManager(h.wallet)
    for (const c of mine) transfers.push((nb.connect(signer) as Contract).getFunction('transfer')(c.address, each))
  }
  await waitAll(transfers, intermediates.length > 0 ? 'intermediates handing NB to the consumers' : 'providers handing NB to their consumers', progress)
  // the committee admits only pairs with fuel in escrow: the consumers escrow what they were handed
  const escrows = await Promise.all(consumers.map((c) => nb.getFunction('balanceOf')(c.address) as Promise<bigint>))
  await waitAll(
    consumers.map((c, i) => (nb.connect(c.wallet) as Contract).getFunction('escrow')(providers[i % providers.length]!.address, escrows[i]!)),
    'consumers escrowing the NB they were handed',
    progress,
  )
  await refund([...consumers, ...providers, ...intermediates], s.funderAddress, provider, progress)
  return escrows
}
