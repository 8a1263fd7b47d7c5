// @ts-check
// The expected load: 100 req/s for 60 s at a constant arrival rate.
import { classify, optionsFor } from "./lib/classify.js";
import { summaryFor } from "./lib/lifecycle.js";

export { setup } from "./lib/lifecycle.js";

export const options = optionsFor("steady");
export const handleSummary = summaryFor("steady");
export default classify;
