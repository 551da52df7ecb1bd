// @ipc-compare/fifo: named pipes between unrelated processes.
import { fifoTransport } from './transport.js';

export { FIFO_MODULE, fifoSemantics, fifoTransport, type FifoOpenOptions, type FifoParams } from './transport.js';
export { openFifo, openFifoNow, startFifoOpen, type FifoSide, type OpenFifoOptions, type PendingFifoOpen } from './open.js';

/** The transports of this package, by id (what a peer's TransportRegistry is given). */
export const transports = { fifo: fifoTransport };
