// The datagram rendezvous (DatagramGreeter / greetDatagram), which UDP and unix-dgram share. The
// race below was found under CPU load by the semantics probe: an unrelated peer's one message went
// missing about one run in three.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { bind, close, getsockname, recv, recvfrom, send, socket, constants } from '@ipc-compare/native';
import { DatagramGreeter, OwnedFd, TOKEN_BYTES, greetDatagram } from '../src/index.js';

const opened: Array<() => void> = [];
afterEach(() => opened.splice(0).forEach((release) => release()));

function udpSocket(): number {
  const fd = socket('inet', 'dgram', true);
  opened.push(() => close(fd));
  return fd;
}

describe('DatagramGreeter', () => {
  it("a message the peer sends the instant it has the ack is the channel's: the greeter reads nothing after the greeting", async () => {
    const listening = OwnedFd.own(socket('inet', 'dgram', true), 'greeter socket');
    opened.push(() => listening.close());
    bind(listening.fd, { family: 'inet', address: '127.0.0.1', port: 0 });
    const { port } = getsockname(listening.fd) as { port: number };
    const token = randomBytes(TOKEN_BYTES);
    const peer = udpSocket();
    let greetingRead = false;
    let firstSent = false;
    // The peer at its fastest: any read the greeter makes after taking the greeting happens after
    // its ack went out, so the peer's first message is already there to be (wrongly) taken.
    const greeter = new DatagramGreeter(listening, token, {
      admit: (fd, buf) => {
        if (greetingRead && !firstSent) {
          send(peer, Buffer.from('first message'));
          firstSent = true;
        }
        const r = recvfrom(fd, buf);
        if (r === -1) return -1;
        greetingRead ||= r[0] === TOKEN_BYTES;
        return { bytes: r[0], from: r[1], admitted: true };
      },
    });
    await greetDatagram(peer, { family: 'inet', address: '127.0.0.1', port }, token);
    await greeter.ready;
    if (!firstSent) send(peer, Buffer.from('first message')); // what a peer does next, in any case
    const buf = Buffer.alloc(64);
    const n = recv(listening.fd, buf, constants.MSG_DONTWAIT); // loopback: a sent datagram is queued already
    expect(n === -1 ? 'nothing queued' : buf.subarray(0, n).toString()).toBe('first message');
  });
});
