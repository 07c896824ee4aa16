/**
 * Lines for one output, written together once per turn of the event loop instead of one write
 * each. At 1000 requests a second the access log alone is 2000 lines a second, and every write to
 * a pipe or a file is a system call and a trip through Node's stream; Envoy buffers its access log
 * too. Lines keep their order. Whatever is pending is written at once past 64 KiB, and by `flush`,
 * which the CLI calls when the process exits.
 */
export interface LineBatch {
  /** Queues `line` (without its newline). */
  write(line: string): void;
  /** Writes what is queued now. */
  flush(): void;
}

const flushAt = 64 * 1024;

export function batchLines(
  write: (text: string) => void,
  schedule: (flush: () => void) => void = setImmediate,
): LineBatch {
  let pending = '';
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (pending === '') return;
    const text = pending;
    pending = '';
    write(text);
  };
  return {
    write(line) {
      pending += `${line}\n`;
      if (pending.length >= flushAt) flush();
      else if (!scheduled) {
        scheduled = true;
        schedule(flush);
      }
    },
    flush,
  };
}
