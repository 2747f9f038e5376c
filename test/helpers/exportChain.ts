/**
 * Test fixture for `nfc export` / `nfc import`: a dev chain with transfers, a contract
 * deployment and calls to it, made in-process (`produceBlock` makes each block at once, on a
 * genesis at a fixed time in the past), so a hundred blocks take seconds, not minutes of slots.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Test } from 'tap'
import { Interface } from 'ethers'
import { Address, bytesToHex, createContractAddress, hexToBytes } from '@ethereumjs/util'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { DEV_GENESIS, tempDir } from './nodeProcess.js'
import { devAddress, devKey, openChain, probeContract, startNode } from './inProcessNode.js'
import { loadGenesisFile } from '../../src/chain/genesis.js'
import { makeCommon } from '../../src/execution/common.js'

const GENESIS_TIME = 1_700_000_000_000

/** The dev genesis at a fixed time in the past, as a file (the CLI takes a file). */
export function genesisFile(t: Test, chainId?: number): string {
  const g = JSON.parse(readFileSync(DEV_GENESIS, 'utf8'))
  g.timestamp = GENESIS_TIME
  if (chainId !== undefined) g.chainId = chainId
  const file = join(tempDir(t, 'nfc-genesis-'), 'genesis.json')
  writeFileSync(file, JSON.stringify(g, null, 2))
  return file
}

/** A dev chain of `blocks` blocks with transfers, a contract deployment and calls to it, stopped. */
export async function makeChain(t: Test, genesis: string, blocks: number): Promise<{ dir: string; head: { hash: string; stateRoot: string } }> {
  const g = loadGenesisFile(genesis)
  const common = makeCommon(g.chainId, g.name)
  const dir = tempDir(t)
  const n = await startNode(t, { genesis: g, datadir: dir })
  const probe = probeContract()
  const iface = new Interface(probe.abi as never)
  const nonces = [0n, 0n, 0n]
  const send = async (from: number, fields: { to?: string; data?: Uint8Array; value?: bigint; gasLimit: bigint }) => {
    const tx = createFeeMarket1559Tx(
      {
        nonce: nonces[from]!++,
        gasLimit: fields.gasLimit,
        maxFeePerGas: 3_000_000_000n,
        maxPriorityFeePerGas: 1n,
        to: fields.to === undefined ? undefined : new Address(hexToBytes(fields.to as `0x${string}`)),
        data: fields.data,
        value: fields.value ?? 0n,
      },
      { common },
    ).sign(devKey(from))
    await n.rpc('eth_sendRawTransaction', [bytesToHex(tx.serialize())])
  }
  await send(1, { data: probe.bytecode, gasLimit: 1_000_000n })
  const contract = createContractAddress(new Address(hexToBytes(devAddress(1) as `0x${string}`)), 0n).toString()
  for (let i = 1; i <= blocks; i++) {
    if (i % 3 === 0) await send(2, { to: devAddress(3), value: BigInt(i), gasLimit: 21_000n })
    if (i % 5 === 0) await send(1, { to: contract, data: hexToBytes(iface.encodeFunctionData('store', [i]) as `0x${string}`), gasLimit: 200_000n })
    const built = await n.produceBlock()
    t.equal(built.rejected.length, 0, `block ${i}: no transaction rejected`)
  }
  t.equal(
    await n.rpc('eth_call', [{ to: contract, data: iface.encodeFunctionData('get', []) }, 'latest']),
    '0x' + (blocks - (blocks % 5)).toString(16).padStart(64, '0'),
    'the contract holds the last stored value',
  )
  const head = await n.rpc('eth_getBlockByNumber', ['latest', false])
  t.equal(Number(head.number), blocks, `the source chain has ${blocks} blocks`)
  await n.close()
  return { dir, head: { hash: head.hash, stateRoot: head.stateRoot } }
}

/** The head of a stopped data directory: number, hash, state root. */
export async function headOf(t: Test, dir: string, genesis: string): Promise<{ number: number; hash: string; stateRoot: string }> {
  const c = await openChain(t, dir, loadGenesisFile(genesis), Date.now)
  const h = c.chain.head
  const out = { number: Number(h.header.number), hash: bytesToHex(h.hash), stateRoot: bytesToHex(h.header.stateRoot) }
  await c.close()
  return out
}
