import { setImmediate, setTimeout as sleep } from "node:timers/promises";
import { operationsFor, planRequest, type RoutingMode, uniqueImage } from "../lib/request-mix.js";
import { profileDurationS, type Scenario } from "../lib/scenarios.js";
import { arrivalTimesMs } from "./arrivals.ts";
import { type Photo, uniquePhoto } from "./photos.ts";
import { type LoadReport, summarize } from "./report.ts";
import { loadSamples, type Outcome, sendClassify } from "./send-classify.ts";

export interface LoadOptions {
  scenario: Scenario;
  /** The GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql. */
  target: string;
  /** The mix's sample PNGs by file name. Default: read from this checkout's samples folder. */
  samples?: ReadonlyMap<string, Uint8Array>;
  /** Requests in flight at most; an arrival beyond it is not sent and counts as an error. Default 2000. */
  maxInFlight?: number;
  /** A request unanswered after this long is aborted and counts as an error. Default 10,000 ms. */
  timeoutMs?: number;
  /** Called every progressEveryMs while the run lasts. Default: never. */
  onProgress?: (progress: {
    elapsedS: number;
    sent: number;
    inFlight: number;
    errors: number;
  }) => void;
  /** Default 10,000 ms. */
  progressEveryMs?: number;
  /** How the mix gets its CLIP share (see request-mix.d.ts). Default auto. */
  routing?: RoutingMode;
  /**
   * Upload these photos instead of the mix's samples: request i sends photo i mod n, always with
   * new bytes (no cache hit), so the load costs what real distinct photos cost. Routing still
   * applies: auto lets the pack decide, explicit forces the mix's CLIP share.
   */
  photos?: readonly Photo[];
}

// Past this many late arrivals in a row the loop yields once, so answers are still read while
// the generator catches up after a pause.
const MAX_SENDS_WITHOUT_YIELD = 64;

/**
 * Runs a scenario as an open model: every request is sent at its scheduled time whether or not
 * earlier ones have been answered, and its latency counts from that time, so a slow server shows
 * up as latency instead of as fewer requests (no coordinated omission). Node's fetch keeps
 * connections alive and opens more as requests overlap.
 */
export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const {
    scenario,
    target,
    maxInFlight = 2000,
    timeoutMs = 10_000,
    onProgress,
    progressEveryMs = 10_000,
    routing = "auto",
  } = options;
  const { photos } = options;
  // What request `index` uploads: the next photo, or the mix's planned sample.
  const uploadFor = photos
    ? (_plan: RequestPlan, index: number, nonce: string) => photoUpload(photos, index, nonce)
    : sampleUploader(options.samples ?? (await loadSamples()));
  // Part of every unique image's bytes, so no run hits another run's cache entries.
  const runId = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

  const outcomes: Outcome[] = [];
  const inFlight = new Set<Promise<void>>();
  let overflow = 0;
  let scheduled = 0;
  let lastAnswerAt = 0;
  let sendsWithoutYield = 0;
  let failures = 0;

  const start = performance.now();
  let nextProgress = start + progressEveryMs;
  for (const atMs of arrivalTimesMs(scenario.profile)) {
    const due = start + atMs;
    const wait = due - performance.now();
    if (wait >= 1) {
      await sleep(wait);
      sendsWithoutYield = 0;
    } else if (++sendsWithoutYield >= MAX_SENDS_WITHOUT_YIELD) {
      await setImmediate();
      sendsWithoutYield = 0;
    }
    const index = scheduled++;
    if (inFlight.size >= maxInFlight) {
      overflow++;
      continue;
    }
    const plan = planRequest(index);
    const upload = uploadFor(plan, index, `${runId}-${index}`);
    const request = sendClassify(
      target,
      { ...upload, operations: operationsFor(plan, routing) },
      due,
      timeoutMs,
    ).then((outcome) => {
      outcomes.push(outcome);
      if (!outcome.ok) failures++;
      lastAnswerAt = performance.now();
      inFlight.delete(request);
    });
    inFlight.add(request);

    if (onProgress && performance.now() >= nextProgress) {
      nextProgress += progressEveryMs;
      onProgress({
        elapsedS: (performance.now() - start) / 1000,
        sent: scheduled - overflow,
        inFlight: inFlight.size,
        errors: overflow + failures,
      });
    }
  }
  await Promise.all(inFlight);

  // The schedule's length, or longer when answers trail behind it.
  const elapsedMs = Math.max(profileDurationS(scenario.profile) * 1000, lastAnswerAt - start);
  return summarize(scenario, target, outcomes, { scheduled, overflow, elapsedMs });
}

type RequestPlan = ReturnType<typeof planRequest>;

function sampleUploader(samples: ReadonlyMap<string, Uint8Array>) {
  return (plan: RequestPlan, _index: number, nonce: string) => {
    const png = samples.get(plan.file);
    if (!png) throw new Error(`sample ${plan.file} is missing`);
    return { file: plan.file, bytes: plan.hot ? png : uniqueImage(png, nonce) };
  };
}

function photoUpload(photos: readonly Photo[], index: number, nonce: string) {
  const photo = photos[index % photos.length] as Photo;
  return { file: photo.file, bytes: uniquePhoto(photo, nonce), contentType: photo.contentType };
}
