// @ipc-compare/core: the transport interface, the shared fd channel engine, framing, the peer-process
// runner, placement and leak helpers. The conformance kit is '@ipc-compare/core/conformance'.
export type { Channel, Opened, PeerSpec, RecvOptions, Semantics, SendOptions, Transport } from './types.js';
export { abortError, assertBytes, hasCode, ipcError, type CodedError, type IpcErrorCode } from './errors.js';
export { OwnedFd, ownedFds } from './owned-fd.js';
export { FdStreamChannel, type FdStreamChannelOptions, type Truncation, type WithFds } from './fd-stream-channel.js';
export {
  adoptInherited,
  attachInherited,
  inheritedFds,
  openInherited,
  type ChannelFactory,
  type FdEnds,
  type InheritedParams,
  type OpenInheritedOptions,
  type OwnedEnds,
} from './inherited.js';
export { NodeStreamChannel, type NodeStreamChannelOptions } from './node-stream-channel.js';
export { NodeDgramChannel, type NodeDgramChannelOptions } from './node-dgram-channel.js';
export { DeferredChannel, channelOnceConnected, type DeferredChannelOptions, type PeerWaiter } from './deferred-channel.js';
export { HandOverChannel, type HandOverChannelOptions } from './hand-over-channel.js';
export { waitFd, type WaitFdOptions } from './wait-fd.js';
export { DatagramGreeter, ListenerAcceptor, TOKEN_BYTES, connectWithToken, greetDatagram } from './rendezvous.js';
export {
  DEFAULT_MAX_FRAME,
  FRAME_HEADER_BYTES,
  FrameDecoder,
  FramedChannel,
  encodeFrame,
  frameHeader,
  messageChannel,
  type FramedChannelOptions,
} from './framing.js';
export { attachPeerSpec, loadTransport, specParam, validatePeerSpec, type TransportModule } from './registry.js';
export {
  FIRST_INHERITED_FD,
  PeerProcess,
  spawnPeer,
  type PeerExit,
  type RoleRef,
  type SerializedError,
  type SpawnPeerOptions,
} from './peer.js';
export { loadRole, type Role, type RoleContext } from './role.js';
export { pinProcess, placementCpus, processCpuNs, type Placement } from './placement.js';
export { assertNoFdLeaks, newFds, snapshotFds } from './leaks.js';
export { checkTestMessage, echoPayload, makeTestMessage, testMessageSize } from './testdata.js';
