// @ts-check
/**
 * The k6 side: one classify request per iteration, the custom metrics, and the k6 options for a
 * scenario defined in scenarios.js. The entry scripts (steady.js, burst.js, …) only pick a name.
 */
import { check } from "k6";
import exec from "k6/execution";
import http from "k6/http";
import { Rate } from "k6/metrics";
import { READY_TIMEOUT_S, TARGET } from "./lifecycle.js";
import { multipartBody } from "./multipart.js";
import {
  operationsFor,
  planRequest,
  ROUTING_MODES,
  SAMPLES,
  SAMPLES_DIR,
  uniqueImage,
} from "./request-mix.js";
import { buildScenario, expectedRequests, overridesFromEnv, peakRate } from "./scenarios.js";

// ROUTING=explicit asks for CLIP by request, for packs whose CNN does not route the mix's
// samples as the embedded pack does (see request-mix.js).
const ROUTING = routingMode(__ENV.ROUTING || "auto");
const MAP = JSON.stringify({ 0: ["variables.image"] });

// Resolved against this file, not the working directory, so a checkout and the compose k6
// container (./loadtest at /scripts, the samples at /models/fashion-mnist/samples) both work.
// SAMPLES_DIR, an absolute path, overrides. open() before k6 v0.57 takes paths, not file:// URLs
// (grafana/k6#4512), hence the plain path.
/** @param {string} file */
const samplePath = (file) =>
  __ENV.SAMPLES_DIR
    ? `${__ENV.SAMPLES_DIR.replace(/\/$/, "")}/${file}`
    : decodeURIComponent(
        import.meta.resolve(`../../${SAMPLES_DIR}/${file}`).replace(/^file:\/\//, ""),
      );

// open() only works in the init context: every VU reads the 30 small PNGs once.
const IMAGES = new Map(SAMPLES.map((s) => [s.file, new Uint8Array(open(samplePath(s.file), "b"))]));

/** Failed requests: HTTP errors and GraphQL errors, which come with HTTP 200. */
const classifyErrors = new Rate("classify_errors");
/** Answers CLIP contributed to: the share of traffic on the expensive path. */
const vlmUsed = new Rate("vlm_used");
/** Answers whose CLIP image embedding came from the cache. */
const cacheHits = new Rate("cache_hits");
/** Answers where CLIP was wanted but the CNN answered alone (timeout, overload, breaker open). */
const clipFallbacks = new Rate("vlm_fallbacks");

/**
 * k6 options for a named scenario; RATE, DURATION, P95_MS and P99_MS in the environment
 * override its values.
 * @param {import("./scenarios.js").ScenarioName} name
 * @returns {import("k6/options").Options}
 */
export function optionsFor(name) {
  const { profile, thresholds } = buildScenario(name, overridesFromEnv(__ENV));
  const peak = peakRate(profile);
  // One VU holds one request at a time. Enough VUs up front for 200 ms per request at the peak;
  // k6 adds more up to 1 s per request, then drops arrivals (dropped_iterations).
  const vus = { preAllocatedVUs: Math.ceil(peak * 0.2) + 5, maxVUs: Math.ceil(peak) + 10 };
  const first = profile.stages[0];
  /** @type {import("k6/options").Scenario} */
  const executor =
    profile.kind === "constant" && first
      ? {
          executor: "constant-arrival-rate",
          rate: Math.max(1, Math.round(first.target)),
          timeUnit: "1s",
          duration: `${first.durationS}s`,
          ...vus,
        }
      : {
          executor: "ramping-arrival-rate",
          startRate: Math.round(profile.startRate),
          timeUnit: "1s",
          stages: profile.stages.map((s) => ({
            target: Math.round(s.target),
            duration: `${s.durationS}s`,
          })),
          ...vus,
        };
  const maxError = thresholds.maxErrorRate;
  return {
    scenarios: { [name]: executor },
    // The classify requests only: setup()'s polls of /ready are no part of the load.
    thresholds: {
      "http_req_duration{name:classify}": [
        `p(95)<${thresholds.p95Ms}`,
        `p(99)<${thresholds.p99Ms}`,
      ],
      "http_req_failed{name:classify}": [`rate<${maxError}`],
      classify_errors: [`rate<${maxError}`],
      // Arrivals without a free VU are never sent; the Node runner counts them as errors too.
      dropped_iterations: [`count<=${Math.floor(expectedRequests(profile) * maxError)}`],
    },
    summaryTrendStats: ["avg", "min", "med", "p(95)", "p(99)", "max"],
    setupTimeout: `${READY_TIMEOUT_S + 10}s`,
  };
}

/**
 * @typedef {{ vlmUsed: boolean, cacheHit: boolean, fallback: string | null }} Classification
 * @typedef {{ data?: { classify?: Classification | null } | null, errors?: unknown[] }} Answer
 */

/** One iteration: upload the planned image, check the answer, record the mix's metrics. */
export function classify() {
  const index = exec.scenario.iterationInTest;
  const plan = planRequest(index);
  const png = IMAGES.get(plan.file);
  if (!png) throw new Error(`sample ${plan.file} was not loaded`);
  const bytes = plan.hot ? png : uniqueImage(png, `${exec.scenario.startTime}-${index}`);
  const { body, contentType } = multipartBody(
    [
      ["operations", operationsFor(plan, ROUTING)],
      ["map", MAP],
    ],
    [{ name: "0", filename: plan.file, contentType: "image/png", bytes }],
  );
  const response = http.post(TARGET, body, {
    headers: { "content-type": contentType, "graphql-preflight": "1" },
    tags: { name: "classify" },
    timeout: "10s",
  });

  const answer = parse(response.body);
  const result = answer?.data?.classify;
  const ok = check(response, {
    "status is 200": (r) => r.status === 200,
    "no GraphQL errors": () => !!result && !answer?.errors?.length,
  });
  classifyErrors.add(!ok);
  if (ok && result) {
    vlmUsed.add(result.vlmUsed);
    cacheHits.add(result.cacheHit);
    clipFallbacks.add(result.fallback !== null);
  }
}

/**
 * @param {string} name
 * @returns {import("./request-mix.js").RoutingMode}
 */
function routingMode(name) {
  const mode = ROUTING_MODES.find((known) => known === name);
  if (!mode) throw new Error(`ROUTING must be one of ${ROUTING_MODES.join(", ")}`);
  return mode;
}

/**
 * @param {string | ArrayBuffer | null} body
 * @returns {Answer | null}
 */
function parse(body) {
  if (typeof body !== "string") return null;
  try {
    return /** @type {Answer} */ (JSON.parse(body));
  } catch {
    return null;
  }
}
