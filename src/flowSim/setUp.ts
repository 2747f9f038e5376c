/**
 * The simulator's set-up transactions, from a funded key (default: dev account 0 of the dev
 * chain): each provider gets NFC and pledges as an edge node (NodeRegistry.pledge(3)); each
 * consumer gets NFC, converts some to NB for its fuel (NB.convert needs a balance above 1,000 NFC)
 * and escrows all of it for its provider (NB.escrow: the engine burns the pair's fuel from the
 * escrow first); the NFC the parties no longer need goes back to the funder. A cheat may add to
 * it (cheats/cheat.ts: its own parties, or its own way of putting the fuel in escrow).
 */
import { Contract, NonceManager, Wallet, formatEther, parseEther, type JsonRpcProvider, type TransactionResponse } from 'ethers'
import { SYSTEM_CONTRACTS } from '../chain/systemAddresses.js'
import { abi, waitAll, type Party } from './node.js'
import type { CheatRun, SetUpContext } from './cheats/cheat.js'

/** NFC each party is funded with for its transactions' gas */
export const GAS_NFC = parseEther('10')
/** NFC each consumer converts to NB for its fuel */
export const FUEL_NFC = parseEther('50')
/** NB.convert wants a balance above 1,000 NFC: what a buyer holds besides the fuel */
export const NB_BUYER_NFC = parseEther('1001')
/** NodeRegistry role of an edge node (a traffic provider) */
const EN_ROLE = 3

/** The set-up transactions; returns the NB each consumer escrowed. */
export async function setUp(
  funderKey: string,
  provider: JsonRpcProvider,
  consumers: Party[],
  providers: Party[],
  cheat: CheatRun,
  progress: (s: string) => void,
): Promise<bigint[]> {
  const funder = new NonceManager(new Wallet(funderKey, provider))
  const registry = new Contract(SYSTEM_CONTRACTS.nodeRegistry, abi('NodeRegistry'), provider)
  const enPledge = (await registry.getFunction('minPledge')(EN_ROLE)) as bigint
  const consumerFund = NB_BUYER_NFC + FUEL_NFC + GAS_NFC
  const providerFund = enPledge + GAS_NFC + (cheat.providerExtraNfc ?? 0n)
  const funderAddress = await funder.getAddress()
  const need = providerFund * BigInt(providers.length) + consumerFund * BigInt(consumers.length) + (cheat.extraNeed?.nfc ?? 0n) + GAS_NFC
  const has = await provider.getBalance(funderAddress)
  if (has < need) {
    throw new Error(
      `the funder ${funderAddress} holds ${formatEther(has)} NFC but the set-up needs about ${formatEther(need)} ` +
        '(each consumer must hold more than 1,000 NFC to buy NB, each provider pledges as an edge node' +
        `${cheat.extraNeed?.note ?? ''}; ` +
        'the NFC above the fuel is sent back after the conversion): use fewer parties or another --funder-key',
    )
  }
  const s: SetUpContext = { provider, funder, funderAddress, consumers, providers, progress }
  await cheat.beforeFunding?.(s)
  await waitAll(
    [
      ...providers.map((p) => funder.sendTransaction({ to: p.address, value: providerFund })),
      ...consumers.map((c) => funder.sendTransaction({ to: c.address, value: consumerFund })),
      ...(cheat.gasParties ?? []).map((x) => funder.sendTransaction({ to: x.address, value: GAS_NFC })),
    ],
    'funding',
    progress,
  )
  await waitAll(
    providers.map((p) => (registry.connect(p.wallet) as Contract).getFunction('pledge')(EN_ROLE, { value: enPledge })),
    'pledging providers as edge nodes',
    progress,
  )
  if (cheat.fuel !== undefined) return cheat.fuel(s)
  const nb = new Contract(SYSTEM_CONTRACTS.nb, abi('NB'), provider)
  await waitAll(
    consumers.map((c) => (nb.connect(c.wallet) as Contract).getFunction('convert')({ value: FUEL_NFC })),
    'consumers buying NB fuel',
    progress,
  )
  // each consumer escrows its fuel for the provider its session uses (providers[i % P])
  const fuel = await Promise.all(consumers.map((c) => nb.getFunction('balanceOf')(c.address) as Promise<bigint>))
  await waitAll(
    consumers.map((c, i) => (nb.connect(c.wallet) as Contract).getFunction('escrow')(providers[i % providers.length]!.address, fuel[i]!)),
    `consumers escrowing ${formatEther(fuel.reduce((a, b) => a + b, 0n))} NB fuel for their providers`,
    progress,
  )
  await refund([...consumers], funderAddress, provider, progress)
  return fuel
}

/** Sends back what the parties no longer need (they keep 5 NFC for gas). */
export async function refund(parties: Party[], to: string, provider: JsonRpcProvider, progress: (s: string) => void): Promise<void> {
  const keep = parseEther('5')
  const fee = 21_000n * 10n ** 10n
  const txs: Promise<TransactionResponse>[] = []
  for (const p of parties) {
    const balance = await provider.getBalance(p.address)
    if (balance > keep + fee)
      txs.push(p.wallet.sendTransaction({ to, value: balance - keep - fee, gasLimit: 21_000n, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 0n }))
  }
  await waitAll(txs, 'returning unused NFC to the funder', progress)
}
