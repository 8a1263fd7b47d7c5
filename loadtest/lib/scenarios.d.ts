// Types for scenarios.js, which stays plain JavaScript so k6 can import it as is. The
// implementation is type-checked against these declarations by `tsc -p loadtest`.

export type ScenarioName = "smoke" | "steady" | "burst" | "soak";

/** One segment of an arrival-rate profile: the rate moves linearly to `target` over `durationS`. */
export interface Stage {
  /** Requests per second at the end of the segment. */
  target: number;
  durationS: number;
}

/**
 * When requests arrive, independent of when answers come back (an open model). "constant" maps
 * to k6's constant-arrival-rate executor, "ramping" to ramping-arrival-rate.
 */
export interface RateProfile {
  kind: "constant" | "ramping";
  /** Requests per second at time 0. */
  startRate: number;
  stages: readonly Stage[];
}

export interface Thresholds {
  /** 95th percentile of request latency must stay below this, in ms. */
  p95Ms: number;
  /** 99th percentile of request latency must stay below this, in ms. */
  p99Ms: number;
  /** Failed requests (HTTP errors, GraphQL errors, requests never sent) must stay below this share. */
  maxErrorRate: number;
}

export interface Scenario {
  name: ScenarioName;
  description: string;
  profile: RateProfile;
  thresholds: Thresholds;
}

/** What a command line or the environment may change; anything unset keeps the scenario's value. */
export interface ScenarioOverrides {
  /** Constant profiles: the rate. Ramping profiles: the peak rate, every step scaled with it. */
  rate?: number | undefined;
  /** Constant profiles: the duration. Ramping profiles: the total, every stage scaled with it. */
  durationS?: number | undefined;
  p95Ms?: number | undefined;
  p99Ms?: number | undefined;
}

export const SCENARIO_NAMES: readonly ScenarioName[];
export const DEFAULT_THRESHOLDS: Readonly<Thresholds>;

export function isScenarioName(name: string): name is ScenarioName;
export function buildScenario(name: ScenarioName, overrides?: ScenarioOverrides): Scenario;
/** RATE, DURATION (seconds), P95_MS and P99_MS; a blank or unset variable is no override. */
export function overridesFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): ScenarioOverrides;
export function profileDurationS(profile: RateProfile): number;
export function peakRate(profile: RateProfile): number;
/** How many requests the profile schedules: the integral of its rate. */
export function expectedRequests(profile: RateProfile): number;
