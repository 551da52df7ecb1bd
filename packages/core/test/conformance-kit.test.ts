// The kit must pass a correct transport and fail one that loses, reorders or corrupts messages.
import { describe, expect, it } from 'vitest';
import { describeConformance, runCheck } from '../src/conformance/index.js';
import { brokenTransport } from '../src/testing/broken.js';

describeConformance(brokenTransport('none'));

describe('the kit catches broken transports', () => {
  const toPeer = '10 000 messages to the peer';
  const fromPeer = '10 000 messages from the peer';

  it('a transport that drops messages fails both ordering checks', async () => {
    await expect(runCheck(toPeer, brokenTransport('drop'))).rejects.toThrow(/messages lost|received \d+ of 10000/);
    await expect(runCheck(fromPeer, brokenTransport('drop'))).rejects.toThrow(/messages lost/);
  });

  it('a transport that reorders messages fails both ordering checks', async () => {
    await expect(runCheck(toPeer, brokenTransport('reorder'))).rejects.toThrow(/out of order|messages lost/);
    await expect(runCheck(fromPeer, brokenTransport('reorder'))).rejects.toThrow(/out of order|messages lost/);
  });

  it('a transport that corrupts messages fails the ordering and echo checks', async () => {
    await expect(runCheck(toPeer, brokenTransport('corrupt'))).rejects.toThrow(/corrupted/);
    await expect(runCheck(fromPeer, brokenTransport('corrupt'))).rejects.toThrow(/corrupted/);
    await expect(runCheck('echo 1 B', brokenTransport('corrupt', 3))).rejects.toThrow(/first difference at byte/);
  });
});
