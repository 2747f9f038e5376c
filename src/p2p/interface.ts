/**
 * What the node (DPoS, gossip, sync, RPC metrics) imports from the P2P layer. Everything
 * below is re-exported from the files that define it; import from here, not from them.
 */
export { P2pError, P2pErrorCode, FRAME_HEADER_BYTES, encodeFrame, FrameDecoder } from './framing.js'
export type { Frame, FrameLimits } from './framing.js'
export { generateIdentity, identityFromSeed, isNodeId, loadIdentity, loadOrCreateIdentity, saveIdentity, verifySignature } from './identity.js'
export type { NodeIdentity } from './identity.js'
export { DisconnectReason, MAX_PAYLOAD, MessageType, PROTOCOL_VERSION, disconnectReasonName, messageTypeName } from './messages.js'
export type { ChainMessageType, Hello, Message, OpaqueMessage } from './messages.js'
export type { ChainStatus } from './handshake.js'
export { DISCONNECT_SCORE, Peer, Penalty } from './peer.js'
export type { PeerCloseInfo } from './peer.js'
export { Transport, transportDefaults } from './transport.js'
export type { TransportOptions } from './transport.js'
