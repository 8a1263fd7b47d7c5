// @ts-check
// The expected load: 100 req/s for 60 s at a constant arrival rate.
import { classify, optionsFor } from "./lib/classify.js";

export const options = optionsFor("steady");
export default classify;
