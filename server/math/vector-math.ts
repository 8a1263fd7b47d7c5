/** Numerically stable softmax (shifts by the max so large logits cannot overflow). */
export function softmax(logits: ArrayLike<number>, scale = 1): Float32Array {
  const out = new Float32Array(logits.length);
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, (logits[i] as number) * scale);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const e = Math.exp((logits[i] as number) * scale - max);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) / sum;
  return out;
}

/** Unit-length copy; a zero vector stays zero rather than becoming NaN. */
export function l2Normalise(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const value of vector) sum += value * value;
  const norm = Math.sqrt(sum);
  const out = new Float32Array(vector.length);
  if (norm === 0) return out;
  for (let i = 0; i < vector.length; i++) out[i] = (vector[i] as number) / norm;
  return out;
}

/** a · b; for unit-length vectors, their cosine. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
}

/** rows (n × dim, row-major) · vector → n dot products. */
export function matVec(rows: Float32Array, dim: number, vector: Float32Array): Float32Array {
  if (vector.length !== dim) throw new Error(`vector has ${vector.length} values, expected ${dim}`);
  const count = rows.length / dim;
  const out = new Float32Array(count);
  // Four running sums: independent additions V8 can overlap, about twice as fast as one sum on
  // a 1000-label pack (scored on the event loop for every CLIP answer).
  const unrolled = dim - (dim % 4);
  for (let r = 0; r < count; r++) {
    const base = r * dim;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let i = 0;
    for (; i < unrolled; i += 4) {
      const at = base + i;
      s0 += (rows[at] as number) * (vector[i] as number);
      s1 += (rows[at + 1] as number) * (vector[i + 1] as number);
      s2 += (rows[at + 2] as number) * (vector[i + 2] as number);
      s3 += (rows[at + 3] as number) * (vector[i + 3] as number);
    }
    for (; i < dim; i++) s0 += (rows[base + i] as number) * (vector[i] as number);
    out[r] = s0 + s1 + s2 + s3;
  }
  return out;
}

/** Index of the largest value (first one on ties). */
export function argMax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++)
    if ((values[i] as number) > (values[best] as number)) best = i;
  return best;
}
