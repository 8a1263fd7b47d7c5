import { UserError } from "../errors/user-error.ts";
import { QueueFullError } from "../load-control/load-refusals.ts";

/**
 * `work`, with a full queue in front of a step the answer needs (decode, CNN) turned into the
 * client's OVERLOADED error: the request is shed at once instead of waiting. `what` names the
 * queue in the message.
 */
export async function refuseWhenFull<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof QueueFullError) {
      throw new UserError("OVERLOADED", `${what} (${error.maxQueue}); retry later`);
    }
    throw error;
  }
}
