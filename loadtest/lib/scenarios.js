// @ts-check
/**
 * The load scenarios: rate profiles, durations and thresholds. Plain JavaScript without imports,
 * shared by the k6 scripts and the Node runner, so the two can never drift apart. Each export is
 * typed by its declaration in scenarios.d.ts.
 */

/** @typedef {import("./scenarios.js").RateProfile} RateProfile */

/** @type {typeof import("./scenarios.js").SCENARIO_NAMES} */
export const SCENARIO_NAMES = ["smoke", "steady", "burst", "soak"];

// The embedded pack's targets on one machine; a real CLIP pack sets P95_MS / P99_MS.
/** @type {typeof import("./scenarios.js").DEFAULT_THRESHOLDS} */
export const DEFAULT_THRESHOLDS = Object.freeze({ p95Ms: 50, p99Ms: 100, maxErrorRate: 0.001 });

// Burst: a hold at each step, a short ramp between steps, up to the peak and back down again.
const BURST_STEPS = [100, 200, 300, 200, 100];
const BURST_HOLD_S = 20;
const BURST_RAMP_S = 2;

/** @type {Record<import("./scenarios.js").ScenarioName, { description: string, profile: RateProfile }>} */
const DEFINITIONS = {
  smoke: {
    description: "a few requests: the service answers, without errors",
    profile: constant(5, 10),
  },
  steady: {
    description: "the expected load: latency targets at a constant rate",
    profile: constant(100, 60),
  },
  burst: {
    description: "stepped up to three times the expected load and back: headroom and recovery",
    profile: stepped(BURST_STEPS, BURST_HOLD_S, BURST_RAMP_S),
  },
  soak: {
    description: "the expected load for half an hour: leaks, cache growth, drift",
    profile: constant(100, 1800),
  },
};

/** @type {typeof import("./scenarios.js").isScenarioName} */
export const isScenarioName = (name) => SCENARIO_NAMES.some((known) => known === name);

/** @type {typeof import("./scenarios.js").buildScenario} */
export const buildScenario = (name, overrides = {}) => {
  let { profile } = DEFINITIONS[name];
  if (overrides.rate !== undefined) {
    profile = scaleRate(profile, positive("rate", overrides.rate) / peakRate(profile));
  }
  if (overrides.durationS !== undefined) {
    const factor = positive("duration", overrides.durationS) / profileDurationS(profile);
    profile = scaleDuration(profile, factor);
  }
  return {
    name,
    description: DEFINITIONS[name].description,
    profile,
    thresholds: {
      p95Ms: positive("p95", overrides.p95Ms ?? DEFAULT_THRESHOLDS.p95Ms),
      p99Ms: positive("p99", overrides.p99Ms ?? DEFAULT_THRESHOLDS.p99Ms),
      maxErrorRate: DEFAULT_THRESHOLDS.maxErrorRate,
    },
  };
};

/** @type {typeof import("./scenarios.js").overridesFromEnv} */
export const overridesFromEnv = (env) => ({
  rate: envNumber(env, "RATE"),
  durationS: envNumber(env, "DURATION"),
  p95Ms: envNumber(env, "P95_MS"),
  p99Ms: envNumber(env, "P99_MS"),
});

/** @type {typeof import("./scenarios.js").profileDurationS} */
export const profileDurationS = (profile) =>
  profile.stages.reduce((total, stage) => total + stage.durationS, 0);

/** @type {typeof import("./scenarios.js").peakRate} */
export const peakRate = (profile) =>
  Math.max(profile.startRate, ...profile.stages.map((stage) => stage.target));

/** @type {typeof import("./scenarios.js").expectedRequests} */
export const expectedRequests = (profile) => {
  let total = 0;
  let rate = profile.startRate;
  for (const stage of profile.stages) {
    total += ((rate + stage.target) / 2) * stage.durationS;
    rate = stage.target;
  }
  return Math.round(total);
};

/**
 * @param {number} rate
 * @param {number} durationS
 * @returns {RateProfile}
 */
function constant(rate, durationS) {
  return { kind: "constant", startRate: rate, stages: [{ target: rate, durationS }] };
}

/**
 * @param {readonly number[]} steps
 * @param {number} holdS
 * @param {number} rampS
 * @returns {RateProfile}
 */
function stepped(steps, holdS, rampS) {
  const stages = steps.flatMap((target, i) =>
    i === 0
      ? [{ target, durationS: holdS }]
      : [
          { target, durationS: rampS },
          { target, durationS: holdS },
        ],
  );
  return { kind: "ramping", startRate: steps[0] ?? 0, stages };
}

/**
 * @param {RateProfile} profile
 * @param {number} factor
 * @returns {RateProfile}
 */
function scaleRate(profile, factor) {
  return {
    ...profile,
    startRate: profile.startRate * factor,
    stages: profile.stages.map((stage) => ({ ...stage, target: stage.target * factor })),
  };
}

/**
 * @param {RateProfile} profile
 * @param {number} factor
 * @returns {RateProfile}
 */
function scaleDuration(profile, factor) {
  return {
    ...profile,
    stages: profile.stages.map((stage) => ({ ...stage, durationS: stage.durationS * factor })),
  };
}

/**
 * @param {string} what
 * @param {number} value
 */
function positive(what, value) {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new Error(`${what} must be a positive number, got ${value}`);
  }
  return value;
}

/**
 * @param {Readonly<Record<string, string | undefined>>} env
 * @param {string} key
 */
function envNumber(env, key) {
  const raw = env[key];
  if (raw === undefined || raw.trim() === "") return undefined;
  const value = Number(raw);
  if (!(Number.isFinite(value) && value > 0)) {
    throw new Error(`${key} must be a positive number, got "${raw}"`);
  }
  return value;
}
