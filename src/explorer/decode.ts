/**
 * Decoding of transaction input, logs and revert data with ethers' Interface: the system
 * contracts' ABIs at their fixed addresses, plus any ABI the operator passes with `--abi FILE`
 * (matched by selector / event topic, since we do not know where those contracts live).
 */
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import { AbiCoder, Interface, type InterfaceAbi, type Result } from 'ethers'
import stakingAbi from '../execution/system/abi/IStaking.json' with { type: 'json' }
import registryAbi from '../execution/system/abi/INodeRegistry.json' with { type: 'json' }
import evidenceAbi from '../execution/system/abi/IEvidence.json' with { type: 'json' }
import governanceAbi from '../execution/system/abi/IGovernance.json' with { type: 'json' }
import namesAbi from '../execution/system/abi/INames.json' with { type: 'json' }
import flowRewardsAbi from '../execution/system/abi/IFlowRewards.json' with { type: 'json' }
import nbAbi from '../execution/system/abi/INB.json' with { type: 'json' }
import paymentChannelsAbi from '../execution/system/abi/IPaymentChannels.json' with { type: 'json' }
import storageDealsAbi from '../execution/system/abi/IStorageDeals.json' with { type: 'json' }
import { SYSTEM_CONTRACTS } from '../chain/systemAddresses.js'

export interface NamedAbi {
  name: string
  abi: InterfaceAbi
}

export interface DecodedCall {
  contract: string
  name: string
  signature: string
  args: { name: string; type: string; value: string }[]
}

export interface DecodedLog {
  contract: string
  name: string
  args: { name: string; type: string; value: string }[]
}

export interface Decoder {
  /** the name of a system contract at `address`, if it is one */
  contractName(address: string | null | undefined): string | undefined
  input(to: string | null | undefined, data: string): DecodedCall | undefined
  log(log: { address: string; topics: string[]; data: string }): DecodedLog | undefined
  revert(data: unknown): string | undefined
}

export const registryInterface = new Interface(registryAbi as InterfaceAbi)
export const nbInterface = new Interface(nbAbi as InterfaceAbi)

/** Every system contract, with the ABI shipped in src/execution/system/abi: their calls, events and errors are decoded. */
export const SYSTEM_ABIS: readonly { name: string; address: string; iface: Interface }[] = [
  { name: 'Staking', address: SYSTEM_CONTRACTS.staking, iface: new Interface(stakingAbi as InterfaceAbi) },
  { name: 'NodeRegistry', address: SYSTEM_CONTRACTS.nodeRegistry, iface: registryInterface },
  { name: 'FlowRewards', address: SYSTEM_CONTRACTS.flowRewards, iface: new Interface(flowRewardsAbi as InterfaceAbi) },
  { name: 'NB', address: SYSTEM_CONTRACTS.nb, iface: nbInterface },
  { name: 'Evidence', address: SYSTEM_CONTRACTS.evidence, iface: new Interface(evidenceAbi as InterfaceAbi) },
  { name: 'PaymentChannels', address: SYSTEM_CONTRACTS.paymentChannels, iface: new Interface(paymentChannelsAbi as InterfaceAbi) },
  { name: 'Governance', address: SYSTEM_CONTRACTS.governance, iface: new Interface(governanceAbi as InterfaceAbi) },
  { name: 'Names', address: SYSTEM_CONTRACTS.names, iface: new Interface(namesAbi as InterfaceAbi) },
  { name: 'StorageDeals', address: SYSTEM_CONTRACTS.storageDeals, iface: new Interface(storageDealsAbi as InterfaceAbi) },
]
const SYSTEM_NAMES: Record<string, string> = Object.fromEntries(SYSTEM_ABIS.map((s) => [s.address, s.name]))

/**
 * Reads an ABI file: a bare ABI array, or a compiler artifact with an `abi` field (Hardhat,
 * Foundry, solc standard JSON output of one contract). Throws an Error with a plain message.
 */
export function loadAbiFile(file: string): NamedAbi {
  let json: unknown
  try {
    json = JSON.parse(readFileSync(file, 'utf8'))
  } catch (e) {
    throw new Error(`cannot read ABI file ${file}: ${(e as Error).message}`, { cause: e })
  }
  const abi = Array.isArray(json) ? json : (json as { abi?: unknown })?.abi
  if (!Array.isArray(abi)) throw new Error(`${file} is not an ABI (want a JSON array, or an object with an "abi" array)`)
  try {
    new Interface(abi as InterfaceAbi)
  } catch (e) {
    throw new Error(`${file} is not a valid ABI: ${(e as Error).message}`, { cause: e })
  }
  const name = (json as { contractName?: string }).contractName ?? basename(file).replace(/\.json$/i, '')
  return { name, abi: abi as InterfaceAbi }
}

/** An argument value as text: numbers in decimal, bytes/addresses as hex, tuples in brackets. */
export function formatValue(v: unknown): string {
  if (typeof v === 'bigint') return v.toString()
  if (Array.isArray(v)) return `[${Array.from(v as unknown[], formatValue).join(', ')}]`
  if (typeof v === 'string') return v
  return String(v)
}

function args(inputs: readonly { name: string; type: string }[], values: Result): DecodedCall['args'] {
  return inputs.map((p, i) => ({ name: p.name || `arg${i}`, type: p.type, value: formatValue(values[i]) }))
}

const ERROR_STRING = '0x08c379a0'
const PANIC = '0x4e487b71'

export function createDecoder(extra: NamedAbi[] = []): Decoder {
  const user = extra.map((a) => ({ name: a.name, iface: new Interface(a.abi) }))
  const everyone = [...SYSTEM_ABIS, ...user]
  const bySystemAddress = new Map(SYSTEM_ABIS.map((s) => [s.address, s]))

  const tryCall = (c: { name: string; iface: Interface }, data: string): DecodedCall | undefined => {
    try {
      const tx = c.iface.parseTransaction({ data })
      if (tx === null) return undefined
      return { contract: c.name, name: tx.name, signature: tx.signature, args: args(tx.fragment.inputs, tx.args) }
    } catch {
      return undefined
    }
  }

  return {
    contractName: (address) => (address ? SYSTEM_NAMES[address.toLowerCase()] : undefined),
    input(to, data) {
      if (data === undefined || data.length < 10) return undefined
      const system = to ? bySystemAddress.get(to.toLowerCase()) : undefined
      if (system !== undefined) return tryCall(system, data)
      for (const c of user) {
        const d = tryCall(c, data)
        if (d !== undefined) return d
      }
      return undefined
    },
    log(log) {
      const system = bySystemAddress.get(log.address.toLowerCase())
      for (const c of system ? [system] : everyone) {
        try {
          const parsed = c.iface.parseLog({ topics: log.topics, data: log.data })
          if (parsed !== null) return { contract: c.name, name: parsed.name, args: args(parsed.fragment.inputs, parsed.args) }
        } catch {
          // not this ABI's event (or its indexed layout differs): try the next
        }
      }
      return undefined
    },
    revert(data) {
      if (typeof data !== 'string' || !data.startsWith('0x') || data.length < 10) return undefined
      const coder = AbiCoder.defaultAbiCoder()
      try {
        if (data.startsWith(ERROR_STRING)) return coder.decode(['string'], '0x' + data.slice(10))[0] as string
        if (data.startsWith(PANIC)) return `panic 0x${(coder.decode(['uint256'], '0x' + data.slice(10))[0] as bigint).toString(16)}`
      } catch {
        return data
      }
      for (const c of everyone) {
        try {
          const e = c.iface.parseError(data)
          if (e !== null) return `${e.name}(${Array.from(e.args, formatValue).join(', ')})`
        } catch {
          // not this ABI's error
        }
      }
      return data
    },
  }
}
