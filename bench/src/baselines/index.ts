// Node built-in baselines, as transports (so the same roles and runners measure them).
import { nodeDgramUdpTransport } from './node-dgram-udp.js';
import { nodeNetPipeTransport } from './node-net-pipe.js';
import { nodeNetTcpTransport, nodeNetUnixTransport } from './node-net.js';

export { nodeDgramUdpTransport, nodeNetPipeTransport, nodeNetTcpTransport, nodeNetUnixTransport };
export const transports = {
  [nodeNetPipeTransport.id]: nodeNetPipeTransport,
  [nodeDgramUdpTransport.id]: nodeDgramUdpTransport,
  [nodeNetUnixTransport.id]: nodeNetUnixTransport,
  [nodeNetTcpTransport.id]: nodeNetTcpTransport,
};
