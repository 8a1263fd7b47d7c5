/**
 * Rolling accuracy over the last `size` feedbacks, of the final answers and of the CNN's own:
 * their difference is what CLIP adds (positive) or costs (negative).
 */
export function createAccuracyWindow(size: number) {
  const cnnRight: boolean[] = [];
  const finalRight: boolean[] = [];
  const share = (values: boolean[]) => values.filter(Boolean).length / values.length;
  return {
    add(outcome: { cnnRight: boolean; finalRight: boolean }) {
      cnnRight.push(outcome.cnnRight);
      finalRight.push(outcome.finalRight);
      if (cnnRight.length > size) {
        cnnRight.shift();
        finalRight.shift();
      }
    },
    /** Final accuracy minus CNN accuracy; 0 before any feedback. */
    get delta() {
      return cnnRight.length === 0 ? 0 : share(finalRight) - share(cnnRight);
    },
    get count() {
      return cnnRight.length;
    },
  };
}
