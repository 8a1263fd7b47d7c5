// @ts-check
// A few requests (5 req/s for 10 s): the service answers, without errors.
import { classify, optionsFor } from "./lib/classify.js";
import { summaryFor } from "./lib/lifecycle.js";

export { setup } from "./lib/lifecycle.js";

export const options = optionsFor("smoke");
export const handleSummary = summaryFor("smoke");
export default classify;
