// @ts-check
// Stepped arrival rate: 100 → 200 → 300 → 200 → 100 req/s, 20 s at each step.
import { classify, optionsFor } from "./lib/classify.js";
import { summaryFor } from "./lib/lifecycle.js";

export { setup } from "./lib/lifecycle.js";

export const options = optionsFor("burst");
export const handleSummary = summaryFor("burst");
export default classify;
