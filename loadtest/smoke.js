// @ts-check
// A few requests (5 req/s for 10 s): the service answers, without errors.
import { classify, optionsFor } from "./lib/classify.js";

export const options = optionsFor("smoke");
export default classify;
