// The kit must pass correct transports and fail ones that lose, reorder or corrupt messages.
import { describe, expect, it } from 'vitest';
import { describeConformance, runCheck } from '../src/conformance/index.js';
import { brokenTransport, referenceDgram } from '../src/testing/broken.js';

describeConformance(brokenTransport('none'));
describeConformance(referenceDgram);

describe('the kit catches broken transports', () => {
  const toPeer = 'messages to the peer';
  const fromPeer = '10 000 messages from the peer';

  it('a transport that drops messages fails both ordering checks', async () => {
    await expect(runCheck(toPeer, brokenTransport('drop'))).rejects.toThrow(/received \d+ of 10000/);
    await expect(runCheck(fromPeer, brokenTransport('drop'))).rejects.toThrow(/messages lost/);
  });

  it('a transport that reorders messages fails both ordering checks', async () => {
    await expect(runCheck(toPeer, brokenTransport('reorder'))).rejects.toThrow(/out of order|received \d+ of/);
    await expect(runCheck(fromPeer, brokenTransport('reorder'))).rejects.toThrow(/out of order|messages lost/);
  });

  it('a transport that corrupts messages fails the ordering and echo checks', async () => {
    await expect(runCheck(toPeer, brokenTransport('corrupt'))).rejects.toThrow(/corrupted/);
    await expect(runCheck(fromPeer, brokenTransport('corrupt'))).rejects.toThrow(/corrupted/);
    await expect(runCheck('echo 1 B', brokenTransport('corrupt', 3))).rejects.toThrow(/first difference at byte/);
  });

  it('an unreliable transport that delivers nothing fails the paced delivery floor', async () => {
    await expect(runCheck(toPeer, brokenTransport('drop-all'))).rejects.toThrow(/only 0 of 2000 paced messages arrived/);
  });

  it('a transport whose sendv lags behind send fails the cross-method ordering check', async () => {
    await expect(runCheck('sends keep program order', brokenTransport('late-gather'))).rejects.toThrow(/out of program order/);
  });

  it('a transport whose failed sends resolve fails the close and peer-death checks', async () => {
    await expect(runCheck('close() settles every pending operation', brokenTransport('swallow-errors'))).rejects.toThrow(/succeeded, expected an error \(ERR_CHANNEL_CLOSED\)/);
    await expect(runCheck('peer killed while a send is held back', brokenTransport('swallow-errors'))).rejects.toThrow(/succeeded, expected an error/);
  });

  it('a transport that ignores AbortSignal fails the abort check', async () => {
    await expect(runCheck('an aborted send still queued', brokenTransport('ignore-abort'))).rejects.toThrow(/aborted (queued )?send/);
  }, 60_000);

  it('a transport whose sends resolve before the kernel has them fails the event-loop check', async () => {
    await expect(runCheck('a tight `for (;;) await send()` loop', brokenTransport('never-yield'))).rejects.toThrow(/starves the event loop/);
  });
});
