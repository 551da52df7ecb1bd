import { describe, expect, it } from 'vitest';
import { pipe2 } from '@ipc-compare/native';
import { FdChannel, FrameDecoder, FramedChannel, OwnedFd, encodeFrame, frameHeader } from '../src/index.js';

describe('FrameDecoder', () => {
  it('reassembles frames from every possible split of the stream', () => {
    const frames = [Buffer.from('a'), Buffer.alloc(0), Buffer.from('hello world'), Buffer.alloc(300, 7)];
    const wire = Buffer.concat(frames.map((f) => encodeFrame(f)));
    for (let step = 1; step <= wire.length; step++) {
      const d = new FrameDecoder();
      const out: Buffer[] = [];
      for (let i = 0; i < wire.length; i += step) {
        d.push(wire.subarray(i, i + step));
        for (let f = d.next(); f; f = d.next()) out.push(Buffer.from(f));
      }
      expect(out).toEqual(frames);
      expect(d.midFrame).toBe(false);
    }
  });

  it('rejects a length from the wire above the limit before allocating it', () => {
    const d = new FrameDecoder(1024);
    d.push(frameHeader(0xffff_fff0));
    expect(() => d.next()).toThrow(expect.objectContaining({ code: 'ERR_FRAME_TOO_LARGE', length: 0xffff_fff0 }));
    // The stream is unusable after that: it keeps failing instead of misreading.
    d.push(encodeFrame(Buffer.from('x')));
    expect(() => d.next()).toThrow(expect.objectContaining({ code: 'ERR_FRAME_TOO_LARGE' }));
  });

  it('refuses to encode a message over the limit, and a nonsensical limit', () => {
    expect(() => encodeFrame(Buffer.alloc(11), 10)).toThrow(expect.objectContaining({ code: 'ERR_MESSAGE_TOO_LARGE' }));
    expect(() => new FrameDecoder(-1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new FrameDecoder(2 ** 32)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });
});

function pipeChannels() {
  const [r, w] = pipe2();
  const writer = new FdChannel({ transport: 'test', readFd: null, writeFd: OwnedFd.own(w, 'test writer') });
  const reader = new FdChannel({ transport: 'test', readFd: OwnedFd.own(r, 'test reader'), writeFd: null });
  return { writer, reader };
}

describe('FramedChannel', () => {
  it('keeps boundaries over a byte stream, async and blocking, small and large', async () => {
    const { writer, reader } = pipeChannels();
    const a = new FramedChannel(writer);
    const b = new FramedChannel(reader);
    const msgs = [Buffer.from('one'), Buffer.alloc(0), Buffer.alloc(200_000, 3), Buffer.from('four')];
    const got = (async () => {
      const out: Buffer[] = [];
      for (let i = 0; i < msgs.length; i++) out.push(Buffer.from((await b.recv())!));
      return out;
    })();
    for (const m of msgs) await a.send(m);
    expect(await got).toEqual(msgs);

    a.sendSync(Buffer.from('sync'));
    const into = Buffer.alloc(16);
    expect(b.recvSync(into)).toBe(4);
    expect(into.subarray(0, 4).toString()).toBe('sync');

    a.sendSync(Buffer.alloc(100));
    expect(() => b.recvSync(Buffer.alloc(10))).toThrow(expect.objectContaining({ code: 'ERR_MESSAGE_TOO_LARGE' }));
    expect(b.recvSync(Buffer.alloc(100))).toBe(100); // the frame stayed queued
    await a.close();
    await b.close();
  });

  it('end of stream inside a frame is ERR_UNEXPECTED_EOF, between frames it is null', async () => {
    const { writer, reader } = pipeChannels();
    const b = new FramedChannel(reader);
    await writer.send(encodeFrame(Buffer.from('whole')));
    await writer.send(frameHeader(10));
    await writer.send(Buffer.from('part'));
    await writer.close();
    expect(Buffer.from((await b.recv())!).toString()).toBe('whole');
    await expect(b.recv()).rejects.toMatchObject({ code: 'ERR_UNEXPECTED_EOF' });
    await b.close();

    const clean = pipeChannels();
    await clean.writer.send(encodeFrame(Buffer.from('x')));
    await clean.writer.close();
    const c = new FramedChannel(clean.reader);
    expect((await c.recv())!.length).toBe(1);
    expect(await c.recv()).toBeNull();
    await c.close();
  });
});
