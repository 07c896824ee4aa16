/**
 * A latency histogram in the manner of HdrHistogram: values (microseconds) below 64 get a bucket
 * each; above, every power of two is cut into 32 equal buckets, so a bucket is never wider than
 * 1/32 (≈ 3 %) of the values it holds. Memory is fixed (about 1,100 counters up to an hour).
 */
const linearLimit = 64;
const subBuckets = 32;
const subBucketBits = 5;
/** 2^32 µs ≈ 71 minutes; longer values count in the last bucket. */
const maxExponent = 32;
const bucketCount = linearLimit + (maxExponent - 6) * subBuckets;

export class Histogram {
  readonly #counts = new Float64Array(bucketCount);
  #count = 0;
  #sumUs = 0;
  #minUs = Number.POSITIVE_INFINITY;
  #maxUs = 0;

  /** Records one value in milliseconds (negative values count as 0). */
  record(ms: number): void {
    const us = Math.max(0, Math.round(ms * 1000));
    const index = bucketIndex(us);
    this.#counts[index] = (this.#counts[index] ?? 0) + 1;
    this.#count++;
    this.#sumUs += us;
    if (us < this.#minUs) this.#minUs = us;
    if (us > this.#maxUs) this.#maxUs = us;
  }

  get count(): number {
    return this.#count;
  }

  /** Milliseconds; 0 when empty. */
  get mean(): number {
    return this.#count === 0 ? 0 : this.#sumUs / this.#count / 1000;
  }

  get max(): number {
    return this.#maxUs / 1000;
  }

  get min(): number {
    return this.#count === 0 ? 0 : this.#minUs / 1000;
  }

  /**
   * The value (milliseconds) below which `p` percent of the recorded values fall: the middle of
   * the bucket holding that rank, clamped to the recorded min and max. 0 when empty.
   */
  percentile(p: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil((Math.min(100, Math.max(0, p)) / 100) * this.#count));
    let seen = 0;
    for (let i = 0; i < bucketCount; i++) {
      seen += this.#counts[i] ?? 0;
      if (seen >= rank) {
        const [low, high] = bucketBounds(i);
        const middle = low + (high - low) / 2;
        return Math.min(this.#maxUs, Math.max(this.#minUs, middle)) / 1000;
      }
    }
    return this.#maxUs / 1000;
  }

  /** Adds another histogram's values to this one. */
  merge(other: Histogram): this {
    for (let i = 0; i < bucketCount; i++) this.#counts[i] = (this.#counts[i] ?? 0) + (other.#counts[i] ?? 0);
    this.#count += other.#count;
    this.#sumUs += other.#sumUs;
    this.#minUs = Math.min(this.#minUs, other.#minUs);
    this.#maxUs = Math.max(this.#maxUs, other.#maxUs);
    return this;
  }
}

export function bucketIndex(us: number): number {
  if (us < linearLimit) return us;
  const exponent = Math.min(maxExponent - 1, 31 - Math.clz32(Math.min(us, 2 ** 32 - 1)));
  const shift = exponent - subBucketBits;
  const sub = Math.floor(us / 2 ** shift) - subBuckets;
  return linearLimit + (exponent - 6) * subBuckets + Math.min(subBuckets - 1, sub);
}

/** Lowest and highest value (µs, inclusive) of a bucket. */
export function bucketBounds(index: number): [number, number] {
  if (index < linearLimit) return [index, index];
  const exponent = Math.floor((index - linearLimit) / subBuckets) + 6;
  const sub = ((index - linearLimit) % subBuckets) + subBuckets;
  const width = 2 ** (exponent - subBucketBits);
  return [sub * width, (sub + 1) * width - 1];
}
