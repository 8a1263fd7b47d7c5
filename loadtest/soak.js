// @ts-check
// The expected load for half an hour: 100 req/s for 30 min.
import { classify, optionsFor } from "./lib/classify.js";
import { summaryFor } from "./lib/lifecycle.js";

export { setup } from "./lib/lifecycle.js";

export const options = optionsFor("soak");
export const handleSummary = summaryFor("soak");
export default classify;
