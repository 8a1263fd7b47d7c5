/** One scored feedback: was the CNN right, was the final answer right. */
export interface FeedbackScore {
  cnnRight: boolean;
  finalRight: boolean;
}

export interface WindowState {
  /** Final accuracy minus CNN accuracy over the window; 0 before any feedback. */
  delta: number;
  /** Feedbacks in the window. */
  count: number;
}

/**
 * Rolling accuracy over the last `size` feedbacks, of the final answers and of the CNN's own:
 * their difference is what CLIP adds (positive) or costs (negative). One interface whether the
 * window is this replica's or the fleet's (in Redis).
 */
export interface AccuracyWindow {
  /** Adds one feedback; resolves with the window after it. */
  add(score: FeedbackScore): Promise<WindowState>;
  /** The window now. */
  read(): Promise<WindowState>;
}

/** The window of this process' own feedbacks. */
export function createAccuracyWindow(size: number): AccuracyWindow {
  const scores: FeedbackScore[] = [];
  const state = (): WindowState => ({
    delta: deltaOf(scores.length, count(scores, "cnnRight"), count(scores, "finalRight")),
    count: scores.length,
  });
  return {
    async add(score) {
      scores.push(score);
      if (scores.length > size) scores.shift();
      return state();
    },
    read: async () => state(),
  };
}

/** Final accuracy minus CNN accuracy from counts; 0 for an empty window. */
export function deltaOf(count: number, cnnRight: number, finalRight: number): number {
  return count === 0 ? 0 : (finalRight - cnnRight) / count;
}

const count = (scores: FeedbackScore[], key: keyof FeedbackScore) =>
  scores.filter((score) => score[key]).length;
