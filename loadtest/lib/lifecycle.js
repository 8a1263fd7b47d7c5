// @ts-check
/**
 * The k6 run around its iterations: setup() waits until the service is ready, handleSummary
 * writes the summary as JSON and text (lib/summary.js). Every entry script exports both.
 */
import { sleep } from "k6";
import http from "k6/http";
import { summaryFiles } from "./summary.js";

/** The GraphQL endpoint under load (TARGET); /ready is on the same origin. */
export const TARGET = __ENV.TARGET || "http://127.0.0.1:4000/graphql";
const READY_URL = `${TARGET.replace(/^(https?:\/\/[^/]+).*$/, "$1")}/ready`;

/** How long setup() waits for /ready, in seconds (READY_TIMEOUT_S): a cold start loads models. */
export const READY_TIMEOUT_S = Number(__ENV.READY_TIMEOUT_S || 120);

// loadtest/results/ beside the scripts (any working directory); the compose k6 services mount
// it at /results and set SUMMARY_DIR, since the scripts' folder is read-only there.
const SUMMARY_DIR =
  __ENV.SUMMARY_DIR ||
  decodeURIComponent(import.meta.resolve("../results/").replace(/^file:\/\//, ""));

/**
 * Waits until the service answers /ready with 200 (models loaded, warm-up run), so the first
 * arrivals measure the service, not its start. These requests are tagged `name: ready`, and
 * the thresholds only judge `name: classify`.
 */
export function setup() {
  const deadline = Date.now() + READY_TIMEOUT_S * 1000;
  for (;;) {
    const response = http.get(READY_URL, { timeout: "5s", tags: { name: "ready" } });
    if (response.status === 200) return;
    if (Date.now() > deadline) {
      throw new Error(`${READY_URL} not ready after ${READY_TIMEOUT_S} s (${response.status})`);
    }
    sleep(1);
  }
}

/**
 * k6's handleSummary for a scenario: the summary on stdout, and as
 * `<scenario>-summary.json` and `.txt` in SUMMARY_DIR.
 * @param {string} scenario
 * @returns {(data: import("./summary.js").SummaryData) => Record<string, string>}
 */
export const summaryFor = (scenario) => (data) => summaryFiles(scenario, data, SUMMARY_DIR);
