// Long on purpose (498 lines): Node.init builds every part in order and hands each the narrow view it needs of the others (flow, watcher, P2P adapter, pending block, journal); the views are small closures over the same parts.
/**
 * The node (STYLE §2): parts are built in order — database, chain, sender recovery, tx pool,
 * flow side-chain service, P2P, producer — and closed in reverse, the database last.
 * No argv, no terminal, no RPC: the composition root (`src/cli/start.ts`) builds the node, then
 * the JSON-RPC server on top of it, and closes them in reverse.
 */
import { Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import type { Db } from '../chain/blockStore.js'
import { ChainDb } from '../storage/chainDb.js'
import type { Genesis } from '../chain/genesis.js'
import type { BlockHeader } from '../chain/header.js'
import { RecoverPool, recoverTxSender, recoverTxSenders } from '../crypto/recoverPool.js'
import { ReorgTxs } from './reorgTxs.js'
import { AccountReads } from '../state/accountReads.js'
import { call, callCachesOf, estimateGas, type CallEnv, type CallRequest } from '../execution/call.js'
import { makeCommon } from '../execution/common.js'
import { decodeRawTransaction } from '../execution/txDecode.js'
import type { PoolStateView } from '../txpool/interface.js'
import { TxPool } from '../txpool/txPool.js'
import type { PoolLimits } from '../txpool/eviction.js'
import { JOURNAL_FILE, TxJournal } from '../txpool/journal.js'
import { PendingBlockCache, type PendingBlock } from './pendingBlock.js'
import { restoreLocalTxs } from './localTxs.js'
import { join } from 'node:path'

// the CLI's --txpool-* flags: what the node accepts, without the CLI reaching into the pool
export { defaultPoolLimits, type PoolLimits } from '../txpool/eviction.js'
import type { Logger } from '../util/logger.js'
import { Blockchain, type DoubleProduction, type Head } from './blockchain.js'
import type { NodeApi } from './interface.js'
import { BlockProducer } from './producer.js'
import type { SlotMetricsSnapshot } from './slotMetrics.js'
import { ConsensusLink } from './consensusLink.js'
import { encodeBlock, type Block } from '../chain/block.js'
import { addressOf, publicKeyOf } from '../crypto/secp256k1.js'
import { readCandidates } from '../consensus/dpos/views.js'
import { Network, type TrafficSnapshot } from '../p2p/network.js'
import type { GateStats } from '../p2p/connectionGate.js'
import { loadOrCreateIdentity } from '../p2p/interface.js'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { encodeHeader } from '../chain/header.js'
import { SYSTEM_CONTRACTS } from '../chain/systemAddresses.js'
import { encodeCall } from '../execution/system/abi.js'
import { evidenceRefusal } from '../execution/system/evidencePrecheck.js'
import { CLIENT_VERSION } from './version.js'
import { FlowService } from '../flow/service.js'
import { poolVerifier, sessionsPerProvider } from '../flow/sideChain.js'
import { encodeFlowSignature } from '../p2p/chainMessages.js'
import { FlowWatcher, MAX_WATCHED_CHECKPOINTS } from '../flow/watcher.js'
import { flowCycleAt } from '../consensus/povf/engine.js'
import { DposStore } from '../consensus/dpos/store.js'
import { readCheckpoint, readCommittee, readIsActiveAuditor, readReceiptParties, readReserve, readSession } from '../consensus/povf/views.js'
import { flowOf } from '../consensus/dpos/engine.js'
import { Challenge, CpStatus, EntryStatus, FlowStore } from '../consensus/povf/store.js'
import { chaindataDir, checkFinalMarker, damagedDatabase, ensureDatadir, guardOpen, holdsRecords, isDamage } from './datadir.js'
import { DurableRecords, readFinalMarker, readSignedVote, removeFinalMarker, type SignedVote } from '../storage/finalMarker.js'
import { isNfcError } from '../util/errors.js'
import { ChainErrorCode } from '../chain/errors.js'
import { EVIDENCE_FALLBACK_INTERVALS, scheduleEvidence } from './evidenceDuty.js'
import { snapServer } from './snapServe.js'
import { forgetSnapshotHistory, SnapSync } from './snapSync.js'

/** the node's P2P: listener, static peers, key file, connection limits (absent: the transport's defaults) */
export interface P2pOptions {
  host: string
  port: number
  peers: string[]
  nodeKeyFile: string
  maxPeers?: number
  maxConnectionsPerIp?: number
  exempt?: string[]
  banMs?: number
}

export interface NodeOptions {
  genesis: Genesis
  /** data directory; the chain database lives in `<datadir>/chaindata` */
  datadir: string
  /**
   * keep the seated witnesses' counters as of the last block (read at most once a second), for
   * `stats()`; the composition root turns it on when it serves /metrics
   */
  witnessStats?: boolean
  /**
   * P2P listener, static peers (ws:// or wss:// urls), the file of the node's ed25519 key
   * (created if missing) and the connection limits (`--max-peers`, `--p2p-*`; absent: the
   * transport's defaults); null or absent: no P2P
   */
  p2p?: P2pOptions | null
  /** private key of the witness this node produces blocks as; absent: a follower */
  witnessKey?: Uint8Array
  logger: Logger
  /** the wall clock (injected so tests and simulations can drive time) */
  now?: () => number
  /** worker threads for sender recovery (default: one per core) */
  recoverThreads?: number
  /** the pool's slot limits (`--txpool-*`); absent: geth's defaults */
  txpool?: Partial<PoolLimits>
  /** keep the state of every block (`--archive`); absent or false: old state is pruned */
  archive?: boolean
  /** LevelDB's block cache in bytes (`--db-cache`); absent: DEFAULT_DB_CACHE_BYTES */
  dbCacheBytes?: number
  /**
   * `--sync`: 'snap' or absent on a chain still at genesis — a snapshot of the state at a recent final
   * block when the first peer is far ahead (snapSync.ts), then block by block; 'full': replay
   * every block from genesis
   */
  sync?: SyncMode
}

/** how a node catches up with its peers (`--sync`) */
export type SyncMode = 'snap' | 'full'

/** What `Node.stats()` reads for the /metrics gauges. */
export interface NodeStats {
  head: bigint
  finalized: bigint
  pending: number
  queued: number
  peers: number
  /** the seated witnesses' counters as of the last block (empty unless `witnessStats` is on) */
  witnesses: { address: string; produced: bigint; missed: bigint; trust: bigint }[]
  /** this node's own slots as its producer saw them (absent on a follower) */
  producer?: SlotMetricsSnapshot
  // ---- P2P connection management (issue 15: limits and bans); absent without P2P
  /** refusals and bans by reason, peers in and out, pending handshakes */
  p2pConnections?: GateStats
  /** P2P bytes and frames by direction and message type since start (absent without P2P) */
  p2pTraffic?: TrafficSnapshot
}

export class Node implements NodeApi {
  readonly chainId: bigint
  readonly clientVersion = CLIENT_VERSION
  network: Network | null = null
  /** the snapshot sync of a new data directory, while it decides or runs */
  snap: SnapSync | null = null
  /** the journal's transactions restored at start, re-gossiped to each new peer while pending */
  private restored: { hash: Uint8Array; raw: Uint8Array }[] = []
  producer: BlockProducer | null = null
  /** the flow side-chain service: runs the side-chain while this node's key is in the committee */
  flow: FlowService | null = null
  readonly link: ConsensusLink
  /** the seated witnesses' counters as of the last block, for `stats()` */
  private witnessStats: { address: string; produced: bigint; missed: bigint; trust: bigint }[] = []
  private witnessStatsAt = 0
  /** transactions of blocks a reorg took off the chain, re-added once the new head is in */
  private readonly reorgTxs = new ReorgTxs()
  /** the local transactions (eth_sendRawTransaction), kept in `<datadir>/transactions.journal` */
  readonly journal: TxJournal
  /** the `pending` tag's block, built on demand (pendingBlock.ts) */
  readonly pending: PendingBlockCache
  /** evidence submissions waiting for their fallback time (evidenceDuty.ts), cancelled at close */
  private readonly evidenceDuties = new Set<() => void>()

  private constructor(
    readonly opts: NodeOptions,
    private readonly db: Db,
    readonly chain: Blockchain,
    readonly recoverPool: RecoverPool,
    readonly txpool: TxPool,
    readonly logger: Logger,
    now: () => number,
    /** the highest height this node's witness voted at in earlier runs (`<datadir>/SIGNED`) */
    votedBefore: SignedVote | undefined,
    /** the writer of `<datadir>/FINAL` and `SIGNED` */
    private readonly records: DurableRecords,
  ) {
    this.chainId = opts.genesis.chainId
    this.journal = new TxJournal({ file: join(opts.datadir, JOURNAL_FILE), logger: logger.child('txpool'), now })
    txpool.on('removed', ({ hash }) => this.journal.forget(bytesToHex(hash)))
    const witnessAddress = opts.witnessKey === undefined ? undefined : bytesToHex(addressOf(publicKeyOf(opts.witnessKey)))
    this.pending = new PendingBlockCache({
      head: () => chain.head,
      common: chain.common,
      blockchain: chain.vm.blockchain,
      dpos: chain.dpos,
      intervalMs: BigInt(opts.genesis.params.blockIntervalMs),
      stateAt: (head) => chain.stateAt(head.header),
      select: (gasLimit) => txpool.selectForBlock(gasLimit),
      poolVersion: () => txpool.version,
      producer: opts.witnessKey === undefined ? new Uint8Array(20) : addressOf(publicKeyOf(opts.witnessKey)),
      now,
    })
    this.link = new ConsensusLink({
      chain,
      txpool,
      recoverPool,
      maxTxSize: opts.genesis.params.maxTxSizeBytes,
      now,
      witnessKey: opts.witnessKey,
      witnessAddress,
      ...(witnessAddress === undefined
        ? {}
        : {
            votes: {
              highest: votedBefore,
              record: (vote) => records.signedVote(chain.genesisHash, vote),
            },
          }),
    })
    chain.on('removedBlock', ({ block }) => this.reorgTxs.removed(block.transactions))
    chain.on('doubleProduction', (d) => this.onDoubleProduction(d))
    chain.on('block', ({ block }) => {
      void this.onCanonical(block).catch((e) => this.logger.warn('after-block work failed', { number: block.header.number, error: e }))
    })
  }

  private async onCanonical(block: Block): Promise<void> {
    const { header } = block
    await this.refreshPool()
    this.journal.maybeRotate()
    if (this.reorgTxs.size > 0) {
      // oldest block first: each sender's nonces come back in order (reorgTxs.ts)
      const txs = this.reorgTxs.take()
      // read back from disk, their senders are not recovered: one batch on the workers, not one
      // recovery per transaction on this thread inside txpool.add
      await recoverTxSenders(this.recoverPool, txs)
      for (const tx of txs) await this.txpool.add(tx).catch(() => undefined)
    }
    await this.link.onCanonicalBlock(block.hash, header.number, bytesToHex(header.producer), header.timestamp)
    if (header.number === this.chain.head.header.number) await this.flow?.onHead()
    // for /metrics: at most once a second (a syncing node imports hundreds of blocks a second)
    const now = Date.now()
    if (this.opts.witnessStats === true && header.number === this.chain.head.header.number && now - this.witnessStatsAt >= 1000) {
      this.witnessStatsAt = now
      const seated = new Set(this.chain.seats.filter((s): s is string => s !== null))
      const all = await readCandidates(await this.chain.stateAt(header))
      this.witnessStats = all.filter((c) => seated.has(c.address)).map((c) => ({ address: c.address, produced: c.produced, missed: c.missed, trust: c.trust }))
    }
  }

  /** journaled transactions of the last run that are still pending, to the peers that lack them */
  private regossipRestored(): void {
    // mined or dropped ones are forgotten, so the list only shrinks
    this.restored = this.restored.filter(({ hash }) => this.txpool.has(hash))
    for (const { raw } of this.restored) this.network?.broadcastTx(raw)
  }

  /**
   * A witness node that sees double production has the evidence submitted once (evidenceDuty.ts):
   * at once if it is the designated witness for this offence, otherwise only if the evidence is
   * still unused on chain after its fallback wait.
   */
  private onDoubleProduction(d: DoubleProduction): void {
    const key = this.opts.witnessKey
    if (key === undefined) return
    const cancel = scheduleEvidence(d, {
      me: bytesToHex(addressOf(publicKeyOf(key))),
      seats: () => this.chain.seats,
      used: async (producer, slot) => new DposStore(await this.chain.stateAt(this.chain.head.header)).evidenceUsed(producer, slot),
      submit: () => this.submitEvidence(d),
      done: () => this.evidenceDuties.delete(cancel),
      stepMs: EVIDENCE_FALLBACK_INTERVALS * this.opts.genesis.params.blockIntervalMs,
      logger: this.logger,
    })
    this.evidenceDuties.add(cancel)
  }

  /**
   * Submits the two headers to the Evidence system contract (paying the gas from the witness
   * account), like any user could.
   */
  private async submitEvidence(d: DoubleProduction): Promise<void> {
    const data = encodeCall('submitDoubleProduction(bytes,bytes)', [encodeHeader(d.a), encodeHeader(d.b)])
    const tx = await this.sendSystemCall(SYSTEM_CONTRACTS.evidence, data, 300_000n)
    this.logger.info('submitted double-production evidence', { producer: d.producer, slot: d.slot, tx })
  }

  /**
   * A transaction from the witness key's account to a system contract, into the pool and out to
   * peers, like any user's (evidence, flow checkpoints). Returns its hash.
   */
  private async sendSystemCall(to: string, data: Uint8Array, gasLimit: bigint): Promise<Uint8Array> {
    const key = this.opts.witnessKey
    // callers only get here with a key (a keyless node is never in a committee, never a witness)
    if (key === undefined) throw new Error('sendSystemCall needs the node signing key')
    const from = new Address(addressOf(publicKeyOf(key)))
    const minGasPrice = this.opts.genesis.params.minGasPrice
    const tx = createFeeMarket1559Tx(
      {
        nonce: await this.txpool.pendingNonce(from),
        to: new Address(hexToBytes(to as `0x${string}`)),
        data,
        gasLimit,
        maxFeePerGas: minGasPrice * 2n + 1_000_000_000n,
        maxPriorityFeePerGas: 1_000_000_000n,
        chainId: this.chain.common.chainId(),
      },
      { common: this.chain.common },
    ).sign(key)
    await this.txpool.add(tx)
    this.network?.broadcastTx(tx.serialize())
    return tx.hash()
  }

  /**
   * The flow service of this node: side-chain records in the chain db, main chain read at the
   * head. A node with a key also watches the pending checkpoints and submits fraud proofs from
   * it (while its account is an active RN or CN, as Evidence requires), and audits: it challenges
   * the genesis `flowAuditBps` share of each pending checkpoint's entries for slice openings.
   */
  private startFlow(db: ChainDb): FlowService {
    const chain = this.chain
    const headState = () => chain.stateAt(chain.head.header)
    const head = () => ({ number: chain.head.header.number, timestampMs: chain.head.header.timestamp })
    const logger = this.logger.child('flow')
    const key = this.opts.witnessKey
    const keyAddress = key === undefined ? undefined : bytesToHex(addressOf(publicKeyOf(key)))
    const watcher =
      keyAddress === undefined
        ? undefined
        : new FlowWatcher({
            view: {
              head,
              pendingCheckpoints: async () => {
                // the windows of the blocks a syncing node catches up on are long closed
                if (this.syncing() !== false) return []
                // headers only, from the store: readCheckpoint reads every entry even without them
                const fs = new FlowStore(await headState())
                const out = []
                for (const cycle of await fs.pending(MAX_WATCHED_CHECKPOINTS)) {
                  const cp = await fs.getCheckpoint(cycle)
                  if (cp.status !== CpStatus.Pending) continue
                  out.push({
                    cycle,
                    checkpointHash: bytesToHex(cp.hash),
                    challengeEndsMs: cp.challengeEndsMs,
                    signers: Number(await fs.signers(cycle).length()),
                    seedHash: cp.seedHash,
                    // Evidence.challengeSlice: only in the first half, so the provider has the second to answer
                    challengeClosesMs: cp.challengeEndsMs - flowOf(chain.dpos).challengeMs / 2n,
                  })
                }
                return out
              },
              entries: async (cycle) => (await readCheckpoint(await headState(), cycle, { entries: true }))?.entries ?? [],
              entryLive: async (cycle, index) => (await new FlowStore(await headState()).entryStatus(cycle, BigInt(index))) === EntryStatus.Live,
              entryUnchallenged: async (cycle, index) => {
                const e = await new FlowStore(await headState()).getEntry(cycle, BigInt(index))
                return e.status === EntryStatus.Live && e.challenge === Challenge.None
              },
              canSubmitEvidence: async () => readIsActiveAuditor(await headState(), keyAddress, chain.dpos),
            },
            submitEvidence: (calldata, gasLimit) => this.sendSystemCall(SYSTEM_CONTRACTS.evidence, encodeCall('submitFraudProof(bytes)', [calldata]), gasLimit),
            logger,
            leadMs: BigInt(this.opts.genesis.params.blockIntervalMs),
            verify: poolVerifier(this.recoverPool),
            audit: {
              auditor: keyAddress,
              auditBps: flowOf(chain.dpos).auditBps,
              challengeSlice: (cycle, entryIndex, gasLimit) =>
                this.sendSystemCall(SYSTEM_CONTRACTS.evidence, encodeCall('challengeSlice(uint64,uint256)', [cycle, BigInt(entryIndex)]), gasLimit),
            },
          })
    const flow = new FlowService({
      chainId: this.chainId,
      key: this.opts.witnessKey,
      store: db.side,
      verify: poolVerifier(this.recoverPool),
      view: {
        head,
        cycleAt: (t) => flowCycleAt(t, chain.dpos),
        committee: async (cycle) => readCommittee(await headState(), cycle),
        reserve: async (cycle) => readReserve(await headState(), cycle, chain.dpos),
        settled: async (id) => readSession(await headState(), id),
        lastCheckpointHash: async () => new FlowStore(await headState()).lastCheckpoint(),
        checkpointOnChain: async (cycle) => (await readCheckpoint(await headState(), cycle, { entries: false })) !== null,
        cycleStartMs: (cycle) => chain.dpos.genesisTime + cycle * flowOf(chain.dpos).cycleMs,
        parties: async (consumer, provider) => readReceiptParties(await headState(), consumer, provider, chain.dpos),
      },
      maxBytesPerSec: flowOf(chain.dpos).maxRateBytesPerSec,
      maxSessionsPerProvider: sessionsPerProvider(flowOf(chain.dpos).providerSessionShareBps),
      signDeadlineMs: flowOf(chain.dpos).signDeadlineMs,
      submitCheckpoint: (calldata, gasLimit) => this.sendSystemCall(SYSTEM_CONTRACTS.flowRewards, encodeCall('submitCheckpoint(bytes)', [calldata]), gasLimit),
      logger,
      now: () => this.now(),
      watcher,
    })
    return flow
  }

  /**
   * Brings the pool to the state of the current head (drops included and stale transactions).
   * Views are handed over in the order the refreshes began: opening a head's state is async and
   * nothing orders two of them, so an older head's view could arrive after a newer one's and
   * take the pool back — its nonces then trailed the chain with the newer block's
   * transactions already dropped, and a wallet's `pending` nonce came out one short ("nonce too
   * low" for the wallet's next transaction, seen in test/e2e/flowEconomics.test.ts).
   */
  refreshPool(): Promise<void> {
    const order = ++this.poolRefreshes
    const refresh = (async () => {
      const view = await poolView(this.chain, this.chain.head.header)
      if (order < this.poolViewOrder) return // a later refresh's view is in already
      this.poolViewOrder = order
      await this.txpool.onNewHead(view)
    })()
    // the producer's next build waits for the latest refresh (never for gossip or the rest of onCanonical)
    this.poolRefresh = refresh.catch(() => undefined)
    return refresh
  }

  /** the pool refresh of the latest head (settles, never rejects) */
  private poolRefresh: Promise<void> = Promise.resolve()
  /** refreshPool calls begun, and the one whose view the pool has (views are applied in this order only) */
  private poolRefreshes = 0
  private poolViewOrder = 0

  now(): number {
    return (this.opts.now ?? Date.now)()
  }

  /** eth_syncing: false, or the progress of a range sync */
  syncing(): false | { startingBlock: bigint; currentBlock: bigint; highestBlock: bigint } {
    return this.snap?.status() || (this.network?.syncStatus() ?? false)
  }

  get peerCount(): number {
    return this.network?.peerCount ?? 0
  }

  static async init(opts: NodeOptions): Promise<Node> {
    const logger = opts.logger
    const now = opts.now ?? Date.now
    ensureDatadir(opts.datadir)
    const existed = holdsRecords(chaindataDir(opts.datadir))
    const guard = guardOpen(chaindataDir(opts.datadir))
    let chainDb: ChainDb
    try {
      chainDb = await ChainDb.open(chaindataDir(opts.datadir), { cacheBytes: opts.dbCacheBytes })
    } catch (e) {
      // a directory locked by a running node is that node's: only forget our links to it
      if (isNfcError(e) && e.code === ChainErrorCode.DatadirLocked) guard?.drop()
      else guard?.restore()
      throw isDamage(e) ? damagedDatabase(opts.datadir, e) : e
    }
    const db = chainDb.level
    let chain: Blockchain
    let votedBefore: SignedVote | undefined
    try {
      chain = await Blockchain.open({
        db,
        genesis: opts.genesis,
        common: makeCommon(opts.genesis.chainId, opts.genesis.name),
        logger: logger.child('chain'),
        now,
        existed,
        archive: opts.archive,
      })
      // a new database: the marker of the one it replaces (removed by hand) says nothing about it
      if (!existed) removeFinalMarker(opts.datadir)
      const marker = readFinalMarker(opts.datadir)
      if (marker !== undefined) await checkFinalMarker(opts.datadir, marker, chain.store, chain.head.header.number)
      votedBefore = readSignedVote(opts.datadir, chain.genesisHash)
    } catch (e) {
      await db.close()
      // refused: hand the operator back the directory exactly as it was
      guard?.restore()
      throw isDamage(e) ? damagedDatabase(opts.datadir, e) : e
    }
    guard?.drop()
    // the database's synced write of a final block comes first (Blockchain.updateFinality)
    const records = new DurableRecords(opts.datadir)
    chain.on('finalized', (h: Head) => {
      records.finalMarker({ number: h.header.number, hash: h.hash }).catch((e) => {
        logger.error('could not record the final block outside the database (FINAL)', { datadir: opts.datadir, error: e })
      })
    })
    const recoverPool = RecoverPool.create({ threads: opts.recoverThreads })
    const txpool = new TxPool(
      {
        common: chain.common,
        minGasPrice: opts.genesis.params.minGasPrice,
        blockGasLimit: opts.genesis.params.blockGasLimit,
        logger: logger.child('txpool'),
        ...opts.txpool,
      },
      await poolView(chain, chain.head.header),
    )
    const node = new Node(opts, db, chain, recoverPool, txpool, logger, now, votedBefore, records)
    node.flow = node.startFlow(chainDb)
    try {
      node.restored = await restoreLocalTxs({
        journal: node.journal,
        txpool,
        recoverPool,
        decode: (raw) => decodeRawTransaction(raw, { common: chain.common, maxTxSize: opts.genesis.params.maxTxSizeBytes }),
        logger,
      })
      await node.flow.onHead()
    } catch (e) {
      await node.close()
      throw e
    }
    // every full node serves snapshot sync from the state it keeps
    node.link.snap = snapServer(chain, logger.child('snap'))
    await forgetSnapshotHistory(chain, logger.child('snap'))
    const snapWanted = opts.p2p != null && opts.sync !== 'full' && chain.head.header.number === 0n
    if (opts.sync === 'snap' && chain.head.header.number !== 0n) {
      logger.warn('--sync snap starts only on an empty chain: this one has blocks, syncing block by block', { head: chain.head.header.number })
    }
    if (opts.p2p != null) {
      try {
        const p = opts.p2p
        const network = new Network({
          identity: loadOrCreateIdentity(p.nodeKeyFile).identity,
          host: p.host,
          port: p.port,
          logger: logger.child('p2p'),
          chain: node.link,
          staticPeers: p.peers,
          ...(p.maxPeers !== undefined ? { maxPeers: p.maxPeers } : {}),
          ...(p.maxConnectionsPerIp !== undefined ? { maxConnectionsPerIp: p.maxConnectionsPerIp } : {}),
          ...(p.exempt !== undefined ? { exempt: p.exempt } : {}),
          ...(p.banMs !== undefined ? { banMs: p.banMs } : {}),
          holdSync: snapWanted,
        })
        node.network = network
        node.link.broadcastConfirmation = (encoded) => network.broadcastConfirmation(encoded)
        const flow = node.flow!
        network.flow = { onReceipt: (e, from) => flow.onPeerReceipt(e, from), onSignature: (s) => flow.onPeerSignature(s) }
        flow.gossip = {
          receipt: (e) => network.broadcastFlowReceipt(e),
          signature: (s) => network.broadcastFlowSignature(encodeFlowSignature(s)),
        }
        // the journal's transactions were only ever sent to the peers of the last run (if any):
        // each new peer gets those still pending (its known set stops a second send)
        if (node.restored.length > 0) network.on('peer', () => node.regossipRestored())
        await network.start()
        if (snapWanted) {
          node.snap = new SnapSync({
            network,
            chain,
            db,
            logger: logger.child('snap'),
            explicit: opts.sync === 'snap',
            witnessesPerRound: opts.genesis.params.witnessesPerRound,
            recoverMany: (items) => node.recoverPool.recoverMany(items),
            onAdopted: () => {
              node.refreshPool().catch((e) => logger.warn('pool refresh after the snapshot failed', { error: e }))
              node.flow?.onHead().catch((e) => logger.warn('flow refresh after the snapshot failed', { error: e }))
            },
          })
          node.snap.start()
        }
      } catch (e) {
        await node.close()
        throw e
      }
    }
    if (opts.witnessKey !== undefined) {
      node.producer = new BlockProducer({
        chain,
        txpool,
        privateKey: opts.witnessKey,
        logger: logger.child('producer'),
        now,
        mayProduce: () => node.syncing() === false,
        confirmations: () => node.link.confirmations.all(),
        // the chain's `block` event already started the pool refresh (onCanonical): gossip first, await nothing
        poolReady: () => node.poolRefresh,
        afterBlock: (block) => node.network?.broadcastBlock(encodeBlock(block)),
      })
      const seated = chain.seats.includes(node.producer.address)
      const candidate = (await readCandidates(await chain.stateAt(chain.head.header))).some((c) => c.address === node.producer!.address)
      if (!seated && !candidate) {
        logger.warn('the witness key is not a registered candidate: this node will not produce unless it is elected', {
          address: node.producer.address,
        })
      }
      node.producer.start()
    }
    return node
  }

  /** The gauges of /metrics, read at each scrape. */
  stats(): NodeStats {
    const { pending, queued } = this.txpool.status()
    return {
      head: this.chain.head.header.number,
      finalized: this.chain.finalized.header.number,
      pending,
      queued,
      peers: this.peerCount,
      witnesses: this.witnessStats,
      producer: this.producer?.metrics.snapshot(),
      p2pConnections: this.network?.transport.connectionStats(),
      p2pTraffic: this.network?.traffic(),
    }
  }

  get head(): Head {
    return this.chain.head
  }

  /** eth_sendRawTransaction: decode, recover the sender (worker pool, batched), add to the pool. */
  async sendRawTransaction(raw: Uint8Array): Promise<Uint8Array> {
    const tx = decodeRawTransaction(raw, { common: this.chain.common, maxTxSize: this.opts.genesis.params.maxTxSizeBytes })
    // senders of one tick go to the worker pool as one batch (small batches stay on this thread)
    await recoverTxSender(this.recoverPool, tx)
    const { hash } = await this.txpool.add(tx)
    this.journal.insert(bytesToHex(hash), raw)
    this.network?.broadcastTx(raw)
    return hash
  }

  /** The environment eth_call / eth_estimateGas run in, on top of block `header`. */
  callEnv(header: BlockHeader, hash: Uint8Array): CallEnv {
    const chain = this.chain
    return {
      common: chain.common,
      ctx: {
        number: header.number + 1n,
        timestamp: header.timestamp + BigInt(chain.genesis.params.blockIntervalMs),
        producer: new Address(header.producer),
        gasLimit: header.gasLimit,
        baseFeePerGas: header.baseFeePerGas,
        parentHash: hash,
      },
      freshState: () => chain.stateAt(header),
      blockchain: chain.vm.blockchain,
      dpos: chain.dpos,
      // VMs and reads reused across calls (per node; a block's state never changes)
      reuse: callCachesOf(chain).forBlock(hash, header.stateRoot),
    }
  }

  /** The pool's next block on top of the head (the `pending` tag). */
  pendingBlock(): Promise<PendingBlock> {
    return this.pending.get()
  }

  async callEnvOn(on: Head | 'pending'): Promise<CallEnv> {
    return on === 'pending' ? (await this.pendingBlock()).callEnv : this.callEnv(on.header, on.hash)
  }

  async call(req: CallRequest, on: Head | 'pending'): Promise<Uint8Array> {
    return call(await this.callEnvOn(on), req)
  }

  async estimateGas(req: CallRequest, on: Head | 'pending'): Promise<bigint> {
    return estimateGas(await this.callEnvOn(on), req)
  }

  async close(): Promise<void> {
    this.logger.info('stopping', { head: this.chain.head.header.number })
    for (const cancel of this.evidenceDuties) cancel()
    this.evidenceDuties.clear()
    await this.producer?.stop()
    await this.snap?.stop()
    await this.network?.stop()
    this.journal.close()
    await this.flow?.stop()
    await this.recoverPool.close()
    await this.chain.close()
    // the last FINAL and SIGNED asked for are on disk before the node says it stopped
    await this.records.settle()
    await this.db.close()
    this.logger.info('stopped', { head: this.chain.head.header.number, hash: bytesToHex(this.chain.head.hash) })
  }
}

/** The pool validates against the state of the head block; evidence already applied there is refused. */
async function poolView(chain: Blockchain, header: BlockHeader): Promise<PoolStateView> {
  const sm = await chain.stateAt(header)
  // each account read from the trie once per head, not twice per transaction (a wallet's 60
  // transactions walked its account's path 120 times)
  const accounts = new AccountReads(Promise.resolve(sm))
  return {
    async getNonce(address) {
      return (await accounts.get(address.toString()))?.nonce ?? 0n
    },
    async getBalance(address) {
      return (await accounts.get(address.toString()))?.balance ?? 0n
    },
    async precheck(tx) {
      return tx.to?.toString() === SYSTEM_CONTRACTS.evidence ? evidenceRefusal(sm, tx.data, chain.dpos) : undefined
    },
  }
}
