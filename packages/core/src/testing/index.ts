// @ipc-compare/core/testing: what tests and the benchmark harness need, kept out of core's main entry
// so that an application importing core loads none of it: the peer-process runner, roles, leak checks
// and deterministic test messages.
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
export { assertNoFdLeaks, newFds, snapshotFds } from './leaks.js';
export { checkTestMessage, echoPayload, makeTestMessage, testMessageSize } from './testdata.js';
