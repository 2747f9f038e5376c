/** Error codes of node start-up: what the operator must fix before the node can run. */
export const NodeErrorCode = {
  /** the data directory cannot be created or used (a file in the way, no permission) */
  DatadirUnusable: 'NODE_DATADIR_UNUSABLE',
  /** the RPC address cannot be bound (in use, not local, no permission) */
  RpcListen: 'NODE_RPC_LISTEN',
  /** snapshot sync could not finish (no peer could serve it, the pivot was not final, a rebuilt root differed): the node syncs block by block instead */
  SnapSyncFailed: 'NODE_SNAP_SYNC_FAILED',
} as const
