import { describe, expect, it } from 'vitest';
import { batchLines } from './batched-lines.ts';

function recorder() {
  const writes: string[] = [];
  const scheduled: (() => void)[] = [];
  const batch = batchLines(
    (text) => writes.push(text),
    (flush) => scheduled.push(flush),
  );
  const turn = () => {
    for (const flush of scheduled.splice(0)) flush();
  };
  return { batch, writes, scheduled, turn };
}

describe('batched lines', () => {
  it('writes the lines of one turn of the event loop in one write, in order', () => {
    const { batch, writes, scheduled, turn } = recorder();
    batch.write('one');
    batch.write('two');
    batch.write('three');
    expect(writes).toEqual([]);
    expect(scheduled).toHaveLength(1);
    turn();
    expect(writes).toEqual(['one\ntwo\nthree\n']);
    batch.write('four');
    turn();
    expect(writes).toEqual(['one\ntwo\nthree\n', 'four\n']);
  });

  it('writes at once when 64 KiB are pending, and keeps the order with what follows', () => {
    const { batch, writes, turn } = recorder();
    const line = 'x'.repeat(1023);
    for (let i = 0; i < 64; i++) batch.write(line);
    expect(writes).toHaveLength(1);
    expect(writes[0]).toHaveLength(64 * 1024);
    batch.write('after');
    turn();
    expect(writes).toEqual([`${line}\n`.repeat(64), 'after\n']);
  });

  it('writes what is pending on flush, as the process exits, and nothing twice', () => {
    const { batch, writes, turn } = recorder();
    batch.write('last words');
    batch.flush();
    expect(writes).toEqual(['last words\n']);
    turn();
    batch.flush();
    expect(writes).toEqual(['last words\n']);
  });

  it('writes on the next turn of the real event loop by default', async () => {
    const writes: string[] = [];
    const batch = batchLines((text) => writes.push(text));
    batch.write('a');
    batch.write('b');
    expect(writes).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toEqual(['a\nb\n']);
  });
});
