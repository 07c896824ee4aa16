/**
 * Login and address pairs that signed in successfully, most recent last, bounded in number. An
 * owner signing in from where they signed in before is told apart from a spray of fresh addresses.
 */
export class KnownAddresses {
  readonly #pairs = new Set<string>();
  readonly #maxEntries: number;

  constructor(maxEntries = 10_000) {
    this.#maxEntries = maxEntries;
  }

  has(pair: string): boolean {
    return this.#pairs.has(pair);
  }

  remember(pair: string): void {
    this.#pairs.delete(pair);
    this.#pairs.add(pair);
    // A Set keeps insertion order: the first entry is the least recently seen.
    for (const oldest of this.#pairs) {
      if (this.#pairs.size <= this.#maxEntries) break;
      this.#pairs.delete(oldest);
    }
  }
}
