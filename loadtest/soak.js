// @ts-check
// The expected load for half an hour: 100 req/s for 30 min.
import { classify, optionsFor } from "./lib/classify.js";

export const options = optionsFor("soak");
export default classify;
