// FutexWatcher: one thread for the watcher's life; each watch() is one futex wait whose outcome comes
// back on the JS thread. Idle, it must not keep a process alive; close() ends the thread.
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { FutexWatcher, futexWake } from '../src/index.js';

function watcher(buffer: SharedArrayBuffer) {
  const outcomes: string[] = [];
  let next: ((o: string) => void) | null = null;
  const w = new FutexWatcher(buffer, 0, (o) => {
    outcomes.push(o);
    next?.(o);
  });
  const outcome = () => new Promise<string>((r) => (next = r));
  return { w, outcomes, outcome };
}

describe('FutexWatcher', () => {
  it('a watch ends when the word is woken ("ok"), or at once when it is not the expected value ("not-equal"); the same thread serves watch after watch', async () => {
    const buffer = new SharedArrayBuffer(4);
    const word = new Int32Array(buffer);
    const { w, outcome } = watcher(buffer);
    try {
      for (let i = 0; i < 20; i++) {
        Atomics.store(word, 0, 1);
        const o = outcome();
        w.watch(1);
        Atomics.store(word, 0, 0);
        futexWake(buffer, 0, 1);
        expect(['ok', 'not-equal']).toContain(await o);
      }
      const o = outcome();
      w.watch(7); // the word is 0
      expect(await o).toBe('not-equal');
    } finally {
      w.close();
    }
  });

  it('cancel() ends a watch nobody wakes ("cancelled"); close() ends the thread while it watches', async () => {
    const buffer = new SharedArrayBuffer(4);
    new Int32Array(buffer)[0] = 1;
    const { w, outcome } = watcher(buffer);
    const o = outcome();
    w.watch(1);
    w.cancel();
    expect(await o).toBe('cancelled');
    w.watch(1);
    w.close(); // returns once the thread is gone
    w.close(); // idempotent
    expect(() => w.watch(1)).toThrow(/closed/);
  });

  it('an idle watcher does not keep the process alive; a watching one does until its watch ends', async () => {
    const script = `import { FutexWatcher, futexWake } from '${new URL('../dist/index.js', import.meta.url).pathname}';
      const b = new SharedArrayBuffer(4); new Int32Array(b)[0] = 1;
      const w = new FutexWatcher(b, 0, (o) => console.log(o));
      w.watch(1);
      setTimeout(() => { new Int32Array(b)[0] = 0; futexWake(b, 0, 1); }, 50);`;
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 10_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
    );
    expect(out.trim()).toBe('ok'); // it waited for the watch, then exited by itself with the watcher idle
  });
});
