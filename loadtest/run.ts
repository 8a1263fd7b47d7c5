import { parseCommandLine, usageError } from "../server/commands/command-line.ts";
// The Node twin of the k6 scripts, for machines without k6: the same scenarios, request mix and
// thresholds. Exits 1 when a threshold fails, 2 on a usage error.
//   npx tsx loadtest/run.ts --scenario steady|burst|soak|smoke [--target URL] [--rate N]
//     [--duration S] [--p95 MS] [--p99 MS] [--max-in-flight N] [--routing auto|explicit]
//     [--photos DIR]   (upload a folder's JPEG/PNG photos, each with new bytes, not the samples)
// TARGET, RATE, DURATION, P95_MS, P99_MS and ROUTING in the environment work as they do for k6;
// flags win.
import { ROUTING_MODES, type RoutingMode } from "./lib/request-mix.js";
import {
  buildScenario,
  isScenarioName,
  overridesFromEnv,
  SCENARIO_NAMES,
} from "./lib/scenarios.js";
import { runLoad } from "./node/open-model.ts";
import { loadPhotos } from "./node/photos.ts";
import { describeProfile, formatReport } from "./node/report.ts";

const DEFAULT_TARGET = "http://127.0.0.1:4000/graphql";
const USAGE = `npm run loadtest -- --scenario ${SCENARIO_NAMES.join("|")} [--target URL] [--rate N] [--duration S] [--p95 MS] [--p99 MS] [--max-in-flight N] [--routing ${ROUTING_MODES.join("|")}] [--photos DIR]`;

async function main(): Promise<number> {
  const { values } = parseCommandLine({
    usage: USAGE,
    help: `Runs a load scenario from Node against a running service (loopback), with an open-model
load generator, and checks its latency thresholds. Exits 1 when a threshold fails. TARGET, ROUTING
and the scenario's overrides may come from the environment.`,
    options: {
      scenario: { type: "string" },
      target: { type: "string" },
      rate: { type: "string" },
      duration: { type: "string" },
      p95: { type: "string" },
      p99: { type: "string" },
      "max-in-flight": { type: "string" },
      routing: { type: "string" },
      photos: { type: "string" },
    },
  });
  const name = String(values.scenario ?? "");
  if (!isScenarioName(name)) return usage(`unknown scenario "${name}"`);

  const flag = (key: "rate" | "duration" | "p95" | "p99" | "max-in-flight") =>
    typeof values[key] === "string" ? Number(values[key]) : undefined;
  let scenario: ReturnType<typeof buildScenario>;
  try {
    const env = overridesFromEnv(process.env);
    scenario = buildScenario(name, {
      rate: flag("rate") ?? env.rate,
      durationS: flag("duration") ?? env.durationS,
      p95Ms: flag("p95") ?? env.p95Ms,
      p99Ms: flag("p99") ?? env.p99Ms,
    });
  } catch (error) {
    return usage(error instanceof Error ? error.message : String(error));
  }
  const target = String(values.target ?? process.env.TARGET ?? DEFAULT_TARGET);
  const maxInFlight = flag("max-in-flight");
  if (maxInFlight !== undefined && !(Number.isInteger(maxInFlight) && maxInFlight > 0)) {
    return usage("--max-in-flight must be a positive integer");
  }

  const routingName = String(values.routing ?? process.env.ROUTING ?? "auto");
  const routing = ROUTING_MODES.find((mode): mode is RoutingMode => mode === routingName);
  if (!routing) return usage(`unknown routing "${routingName}"`);

  const photosDir = typeof values.photos === "string" ? values.photos : undefined;
  console.log(`${scenario.name}: ${describeProfile(scenario.profile)} → ${target}`);
  return runLoad({
    scenario,
    target,
    routing,
    ...(photosDir ? { photos: await loadPhotos(photosDir) } : {}),
    ...(maxInFlight !== undefined ? { maxInFlight } : {}),
    onProgress: ({ elapsedS, sent, inFlight, errors }) =>
      console.log(
        `  ${elapsedS.toFixed(0)} s: ${sent} sent, ${inFlight} in flight, ${errors} errors`,
      ),
  }).then((report) => {
    console.log(formatReport(report));
    return report.passed ? 0 : 1;
  });
}

function usage(problem: string): never {
  return usageError(USAGE, problem);
}

process.exitCode = await main();
