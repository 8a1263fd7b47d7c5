import { mintApiKey, parseRateLimit, SCOPES, type Scope } from "../auth/api-keys.ts";
import { parseCommandLine } from "./command-line.ts";

const USAGE = `npm run keys:create -- --name NAME --scopes SCOPE[,SCOPE…] [--rate PER_SECOND[/BURST]]`;

/**
 * Mints an API key: prints the secret once (it is stored nowhere) and the config entry that
 * admits it, which holds only the secret's sha256.
 */
function main(): number {
  const { values, fail } = parseCommandLine({
    usage: USAGE,
    help: `Mints an API key: prints the secret once (it is stored nowhere) and the API_KEYS entry
that admits it, which holds only its sha256. Scopes: ${SCOPES.join(", ")}.`,
    options: { name: { type: "string" }, scopes: { type: "string" }, rate: { type: "string" } },
  });
  const scopes = (values.scopes ?? "").split(",").map((scope) => scope.trim());
  const unknown = scopes.filter((scope) => !(SCOPES as readonly string[]).includes(scope));
  const problems = [
    !values.name && "--name is required",
    !values.scopes && "--scopes is required",
    values.scopes && unknown.length > 0 && `unknown scopes: ${unknown.join(", ")}`,
    values.rate !== undefined &&
      !parseRateLimit(values.rate) &&
      `--rate ${values.rate} is not PER_SECOND[/BURST]`,
  ].filter(Boolean);
  if (problems.length > 0) fail(problems.join("; "));
  let minted: ReturnType<typeof mintApiKey>;
  try {
    minted = mintApiKey(values.name as string, scopes as Scope[], values.rate);
  } catch {
    return fail(`--name must be 1 to 64 letters, digits, ".", "_" or "-"`);
  }
  console.log(`API key "${values.name}" (${scopes.join(", ")}). It is shown only now: store it in a secret manager.

  ${minted.secret}

Add this entry to API_KEYS (entries separated by commas) or as a line of API_KEYS_FILE.
It holds the key's sha256, not the key:

  ${minted.entry}

Clients send the key as: Authorization: Bearer <key>`);
  return 0;
}

process.exitCode = main();
