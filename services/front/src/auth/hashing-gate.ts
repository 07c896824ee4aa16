import { RateLimitedError } from '@music/service-kit';

export interface HashingGateOptions {
  /** Password hashes computed at once; each scrypt holds a libuv thread and ~32 MiB. */
  concurrency: number;
  /** Attempts that may wait for a slot; beyond that the most suspect one is refused. */
  maxQueue: number;
}

interface Waiter {
  suspicion: number;
  admit: () => void;
  refuse: (error: Error) => void;
}

/**
 * Bounds the password hashing a flood of sign-ins can ask for. Waiting attempts are served least
 * suspect first (fewest recent failures for their account and address), so a user with a clean
 * record is not queued behind an attacker's guesses; when the queue is full the most suspect
 * attempt gets 429 at once instead of waiting for a slot that would come too late.
 */
export class HashingGate {
  readonly #concurrency: number;
  readonly #maxQueue: number;
  readonly #waiting: Waiter[] = [];
  #active = 0;

  constructor(options: HashingGateOptions) {
    this.#concurrency = options.concurrency;
    this.#maxQueue = options.maxQueue;
  }

  async run<T>(suspicion: number, task: () => Promise<T>): Promise<T> {
    if (this.#active < this.#concurrency) this.#active += 1;
    else await this.#wait(suspicion);
    try {
      return await task();
    } finally {
      this.#release();
    }
  }

  get queued(): number {
    return this.#waiting.length;
  }

  #wait(suspicion: number): Promise<void> {
    return new Promise((admit, refuse) => {
      // After every waiter as or less suspect: first come, first served within a level.
      let at = this.#waiting.length;
      while (at > 0 && (this.#waiting[at - 1]?.suspicion ?? 0) > suspicion) at -= 1;
      this.#waiting.splice(at, 0, { suspicion, admit, refuse });
      if (this.#waiting.length > this.#maxQueue) {
        this.#waiting.pop()?.refuse(new RateLimitedError(1, 'Sign-in is busy.'));
      }
    });
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) next.admit();
    else this.#active -= 1;
  }
}
