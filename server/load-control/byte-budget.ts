/**
 * A budget of bytes shared by concurrent holders, e.g. request bodies in memory. A holder takes
 * what it needs up front when it knows (`reserve`), or grows as it learns (`grow`); a request
 * that does not fit is refused at once instead of waiting. `release` gives everything back and
 * may be called any number of times, from every way a holder can end.
 */
export interface ByteBudget {
  /** Takes `bytes` (0 is fine, to grow later); null when they do not fit now. */
  reserve(bytes: number): BudgetReservation | null;
  /** Bytes held now, by every reservation together. */
  readonly inUse: number;
  readonly capacity: number;
}

export interface BudgetReservation {
  /** Takes `bytes` more; false (and nothing taken) when they do not fit now. */
  grow(bytes: number): boolean;
  /** Returns every byte this reservation holds; later calls do nothing. */
  release(): void;
  /** Bytes this reservation holds now. */
  readonly held: number;
}

export function createByteBudget(capacity: number): ByteBudget {
  if (!(Number.isSafeInteger(capacity) && capacity > 0)) {
    throw new Error(`a byte budget needs a positive integer capacity, got ${capacity}`);
  }
  let inUse = 0;
  const fits = (bytes: number) => Number.isFinite(bytes) && bytes >= 0 && inUse + bytes <= capacity;

  return {
    reserve(bytes) {
      if (!fits(bytes)) return null;
      inUse += bytes;
      let held = bytes;
      let released = false;
      return {
        grow(more) {
          if (released || !fits(more)) return false;
          inUse += more;
          held += more;
          return true;
        },
        release() {
          if (released) return;
          released = true;
          inUse -= held;
          held = 0;
        },
        get held() {
          return held;
        },
      };
    },
    get inUse() {
      return inUse;
    },
    capacity,
  };
}
