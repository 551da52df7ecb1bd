// @ipc-compare/pipe: real pipe(2) between a parent and its child process.
import { pipeTransport } from './transport.js';

export { PIPE_MODULE, pipePair, pipeSemantics, pipeTransport, type PipeOpenOptions } from './transport.js';

/** The transports of this package, by id (what a peer's TransportRegistry is given). */
export const transports = { pipe: pipeTransport };
