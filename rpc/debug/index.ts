/** The debug_ namespace (tracing). */
import type { RpcMethod } from '../types.js'
import { debug_traceCall } from './traceCall.js'
import { debug_traceTransaction } from './traceTransaction.js'

export const debugMethods: RpcMethod<any, any>[] = [debug_traceTransaction, debug_traceCall]
