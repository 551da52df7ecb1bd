// @ipc-compare/core: the transport interface, the shared fd channel engine, rendezvous helpers and
// framing. Test and benchmark helpers (the peer runner, roles, leak checks) are in
// '@ipc-compare/core/testing'; the conformance kit is '@ipc-compare/core/conformance'.
export type { AttachOptions, Channel, ConnectOptions, Opened, PeerSpec, RecvOptions, Semantics, SendOptions, Transport } from './types.js';
export { abortError, cleanUpAfter, closedError, hasCode, ipcError, isSystemError, type CodedError, type IpcErrorCode } from './errors.js';
export { validateBoolean, validateBytes, validateInteger, validateOneOf, validateOptions, validateOptionalInteger, validateString } from './validate.js';
export { OwnedFd, ownedFds } from './owned-fd.js';
export { AbortGroups } from './abort-groups.js';
export { FdChannel, type FdChannelOptions, type Truncation, type WithFds } from './fd/channel.js';
export { makeOpened, type OpenedParts } from './opened.js';
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
export { waitFd, type WaitFdOptions } from './wait-fd.js';
export {
  DatagramGreeter,
  HANDSHAKE_MS,
  ListenerAcceptor,
  TOKEN_BYTES,
  connectWithToken,
  greetDatagram,
  type DatagramGreeterOptions,
  type ListenerAcceptorOptions,
} from './rendezvous.js';
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
export { TransportRegistry, specInteger, specParam, validatePeerSpec, type TransportModule } from './registry.js';
export { checkAttachHost, ipFamily, isLoopback } from './hosts.js';
export { parseCpuList, pinProcess, placementCpus, processCpuNs, smtSiblingsOf, type Placement } from './placement.js';
