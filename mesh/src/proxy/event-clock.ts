import { performance } from 'node:perf_hooks';

// A request reads the clock at many points that fall in the same I/O callback: where it arrives,
// where its attempt and the inbound side start, where the answer comes back, and the two records.
// Each `performance.now()` is a call into C++ and a system clock read; one reading per callback
// serves them all. The callbacks that read sockets stamp the time on entry and clear it on exit, so
// a reading anywhere else (a timer, a microtask) is always fresh.

/** The reading stamped by the I/O callback running now; -1 outside one. */
let stamp = -1;

/** The time, as `performance.now()`: the stamp of the I/O callback running now, else a fresh reading. */
export function eventNow(): number {
  return stamp >= 0 ? stamp : performance.now();
}

/**
 * Runs `read(arg)` for one socket read with the time stamped for it. A read that begins inside
 * another (never expected, but harmless) gets its own stamp, and the outer one is restored after.
 */
export function withEventTime<T>(read: (arg: T) => void, arg: T): void {
  const outer = stamp;
  stamp = performance.now();
  try {
    read(arg);
  } finally {
    stamp = outer;
  }
}
