import { UserError } from "../errors/user-error.ts";

/**
 * How many images one request may still classify. Aliases let one operation hold many
 * classify and classifyBatch fields, each with its own options (so the per-request
 * de-duplication does not merge them); the budget caps their sum, checked by each field
 * before it reads a file. Mutation fields run one after another, so the count is exact.
 */
export function createImageBudget(max: number) {
  let used = 0;
  return {
    claim(count: number): void {
      if (used + count > max) {
        throw new UserError(
          "TOO_MANY_IMAGES",
          `one request may classify at most ${max} images; this one asks for ${used + count}`,
          { extensions: { limit: max } },
        );
      }
      used += count;
    },
  };
}

export type ImageBudget = ReturnType<typeof createImageBudget>;
