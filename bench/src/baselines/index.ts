// Node built-in baselines, as transports (so the same roles and runners measure them).
import { nodeNetPipeTransport } from './node-net-pipe.js';

export { nodeNetPipeTransport };
export const transports = { [nodeNetPipeTransport.id]: nodeNetPipeTransport };
