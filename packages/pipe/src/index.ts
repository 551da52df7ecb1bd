// @ipc-compare/pipe: real pipe(2) between a parent and its child process.
import { pipeTransport } from './transport.js';

export { PIPE_MODULE, pipePair, pipeSemantics, pipeTransport, type PipeOpenOptions } from './transport.js';

/** Looked up by peers through PeerSpec.module / PeerSpec.transport. */
export const transports = { pipe: pipeTransport };
