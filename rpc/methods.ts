/**
 * The method registry: a name → method map built from a list, so the node decides which
 * namespaces to expose. A name listed twice is a wiring bug and throws at startup.
 */
import type { RpcMethod } from './types.js'
import { eth_chainId } from './eth/chainId.js'
import { net_version } from './net/version.js'
import { web3_clientVersion } from './web3/clientVersion.js'

export function buildMethods(list: ReadonlyArray<RpcMethod<any, any>>): Map<string, RpcMethod<any, any>> {
  const methods = new Map<string, RpcMethod<any, any>>()
  for (const method of list) {
    if (methods.has(method.name)) throw new Error(`duplicate RPC method ${method.name}`)
    methods.set(method.name, method)
  }
  return methods
}

/** The methods that need nothing but NodeInfo. */
export const basicMethods: ReadonlyArray<RpcMethod<any, any>> = [eth_chainId, net_version, web3_clientVersion]
