/** What every view gets from the app: the client, the block cache, the decoder, the live head and the clock, navigation. */
import { createContext, useContext } from 'react'
import type { RpcClient } from './rpcClient.js'
import type { Decoder } from './decode.js'
import type { ChainCache } from './chainCache.js'

export type Screen =
  | { kind: 'block'; ref: string }
  | { kind: 'tx'; hash: string }
  | { kind: 'logs'; hash: string }
  | { kind: 'account'; address: string }
  | { kind: 'name'; name: string }
  | { kind: 'names'; owner: string }
  | { kind: 'proposal'; id: string }
  | { kind: 'deal'; id: string }
  | { kind: 'deals'; client?: string; provider?: string }
  | { kind: 'channel'; id: string }
  | { kind: 'channels'; address: string }

export interface Explorer {
  client: RpcClient
  decoder: Decoder
  /** the blocks seen so far (a new head fetches only itself) */
  chain: ChainCache
  /** the newest head number seen (undefined until the node answered once) */
  head?: bigint
  /** wall clock, ticking once a second, for ages */
  now: number
  columns: number
  open(screen: Screen): void
  back(): void
}

export const ExplorerContext = createContext<Explorer | null>(null)

export function useExplorer(): Explorer {
  const x = useContext(ExplorerContext)
  if (x === null) throw new Error('useExplorer outside <App>')
  return x
}
