/**
 * The Adler-32 (RFC 1950 8.2) of what a DEFLATE stream (RFC 1951) inflates to, computed from its
 * symbols as zlib-extent.ts decodes them, with a 32 KiB window and never the whole output.
 *
 * Inflating byte by byte costs time in proportion to the output, and deflate codes up to 258
 * bytes in two bits (RFC 1951 3.2.5): a flat 250 MP RGBA16 PNG is 2 GB of rows in 1.9 MB, which
 * took 3.4 s to inflate (fflate) and 1.8 s to checksum. A match copies bytes `distance` back,
 * so its output repeats the `distance` bytes before it (RFC 1951 3.2.3: the copy may overlap
 * itself); consecutive matches with the same distance extend that repetition (a flat row is one
 * literal and hundreds of 258-byte matches at distance 1 to 8). The Adler-32 of a repetition has
 * a closed form in the sums over one period, so a run of such matches costs its period, not its
 * length; the window keeps only the run's last 32 KiB, written with native copies. A stream made
 * of literals and short matches costs what it always did.
 */

/** RFC 1950 8.2: the Adler-32 modulus; NMAX bytes can be summed before 32-bit sums overflow. */
const MOD = 65521;
const NMAX = 5552;
/** RFC 1951 3.2.5: distances reach 32768 bytes back. */
const WINDOW = 32768;
/** The window buffer holds two windows, so sliding (one native copy) happens once per 32 KiB. */
const HOLD = 2 * WINDOW;

/** x * y mod MOD for 0 <= x, y < MOD (the product is below 2^32: exact in a double). */
function mulmod(x: number, y: number): number {
  return (x * y) % MOD;
}

/** n (n - 1) / 2 mod MOD for n up to 2^53 without leaving the exact range of a double. */
function triangle(n: number): number {
  return n % 2 === 0 ? mulmod((n / 2) % MOD, (n - 1) % MOD) : mulmod(n % MOD, ((n - 1) / 2) % MOD);
}

export class AdlerOfInflated {
  private readonly window = new Uint8Array(HOLD);
  /** Bytes of `window` in use; the last WINDOW of them are the stream's last output. */
  private filled = 0;
  private a = 1;
  private b = 0;
  private sinceReduce = 0;
  /** A pending run of matches with one distance (length 0: none). */
  private runDistance = 0;
  private runLength = 0;
  /** Bytes added to the sums one at a time: the work done, in proportion to the stream's content (tests read it). */
  summed = 0;

  literal(value: number): void {
    if (this.runLength > 0) this.flush();
    if (this.filled === HOLD) this.slide();
    this.window[this.filled++] = value;
    this.a += value;
    this.b += this.a;
    this.summed++;
    if (++this.sinceReduce === NMAX) this.reduce();
  }

  /** RFC 1951 3.2.3: `length` bytes copied from `distance` back (distance already checked against the output so far). */
  match(length: number, distance: number): void {
    if (this.runLength > 0 && distance === this.runDistance) {
      this.runLength += length;
      return;
    }
    if (this.runLength > 0) this.flush();
    this.runDistance = distance;
    this.runLength = length;
  }

  /** A stored block's bytes (RFC 1951 3.2.4). */
  bytes(data: Uint8Array): void {
    for (let i = 0; i < data.length; i++) this.literal(data[i]);
  }

  /** The Adler-32 of everything given so far. */
  value(): number {
    if (this.runLength > 0) this.flush();
    this.reduce();
    return ((this.b << 16) | this.a) >>> 0;
  }

  private reduce(): void {
    this.a %= MOD;
    this.b %= MOD;
    this.sinceReduce = 0;
  }

  /** Keeps the last WINDOW bytes at the start of the buffer. */
  private slide(): void {
    this.window.copyWithin(0, this.filled - WINDOW, this.filled);
    this.filled = WINDOW;
  }

  /**
   * The run's bytes: out[k] = P[k mod d] for k < T, P the d bytes before it. With n_i copies of
   * P[i] (q + 1 for i < r, q after; T = q d + r), the Adler sums grow by sum(out) and by
   * sum over k of (T - k) out[k] (RFC 1950 8.2: b adds a after every byte), whose coefficient
   * for P[i] is n_i (T - i) - d n_i (n_i - 1) / 2: four sums over P and a few products mod 65521.
   */
  private flush(): void {
    const d = this.runDistance;
    const total = this.runLength;
    this.runLength = 0;
    const w = this.window;
    const src = this.filled - d;
    const a = this.a % MOD;
    const b = this.b % MOD;
    if (total <= d) {
      let sa = a;
      let sb = b;
      for (let k = src, end = src + total; k < end; k++) {
        sa += w[k];
        sb += sa;
      }
      this.a = sa % MOD;
      this.b = sb % MOD;
      this.summed += total;
    } else {
      const q = Math.floor(total / d);
      const r = total - q * d;
      let sumLow = 0;
      let weightedLow = 0;
      let sumHigh = 0;
      let weightedHigh = 0;
      for (let i = 0; i < r; i++) {
        sumLow += w[src + i];
        weightedLow += i * w[src + i];
      }
      for (let i = r; i < d; i++) {
        sumHigh += w[src + i];
        weightedHigh += i * w[src + i];
      }
      sumLow %= MOD;
      sumHigh %= MOD;
      weightedLow %= MOD;
      weightedHigh %= MOD;
      const t = total % MOD;
      const q0 = q % MOD;
      const q1 = (q + 1) % MOD;
      // K_n = n T - d n (n - 1) / 2 (mod MOD), for n = q + 1 (i < r) and n = q (i >= r).
      const k1 = (mulmod(q1, t) + MOD - mulmod(d % MOD, triangle(q + 1))) % MOD;
      const k0 = (mulmod(q0, t) + MOD - mulmod(d % MOD, triangle(q))) % MOD;
      const sum = (mulmod(q1, sumLow) + mulmod(q0, sumHigh)) % MOD;
      const weighted = (mulmod(k1, sumLow) + MOD - mulmod(q1, weightedLow) + mulmod(k0, sumHigh) + MOD - mulmod(q0, weightedHigh)) % MOD;
      this.a = (a + sum) % MOD;
      this.b = (b + mulmod(t, a) + weighted) % MOD;
      this.summed += d;
    }
    this.sinceReduce = 0;
    this.extendWindow(d, total);
  }

  /**
   * Writes the run's last min(T, WINDOW) bytes after the window's end, from the period still in
   * place before it: native copies only (one rotated period, then doubling).
   */
  private extendWindow(d: number, total: number): void {
    const n = Math.min(total, WINDOW);
    if (this.filled + n > HOLD) this.slide();
    const w = this.window;
    const at = this.filled;
    const src = at - d;
    if (n <= d) {
      // total <= d: a plain copy (n = total, phase 0); total > d: the last n bytes end a period.
      const phase = (total - n) % d;
      if (phase + n <= d) w.copyWithin(at, src + phase, src + phase + n);
      else {
        w.copyWithin(at, src + phase, src + d);
        w.copyWithin(at + d - phase, src, src + n - (d - phase));
      }
    } else {
      const phase = (total - n) % d;
      w.copyWithin(at, src + phase, src + d);
      if (phase > 0) w.copyWithin(at + d - phase, src, src + phase);
      for (let done = d; done < n; done *= 2) w.copyWithin(at + done, at, at + Math.min(done, n - done));
    }
    this.filled = at + n;
  }
}
