import { parseArgs } from "node:util";
import { mintApiKey, parseRateLimit, SCOPES, type Scope } from "../auth/api-keys.ts";

const USAGE = `usage: npm run keys:create -- --name NAME --scopes SCOPE[,SCOPE…] [--rate PER_SECOND[/BURST]]
scopes: ${SCOPES.join(", ")}`;

/**
 * Mints an API key: prints the secret once (it is stored nowhere) and the config entry that
 * admits it, which holds only the secret's sha256.
 */
function main(): number {
  let values: { name?: string; scopes?: string; rate?: string };
  try {
    ({ values } = parseArgs({
      options: { name: { type: "string" }, scopes: { type: "string" }, rate: { type: "string" } },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
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
  if (problems.length > 0) {
    console.error(`${problems.join("\n")}\n${USAGE}`);
    return 2;
  }
  let minted: ReturnType<typeof mintApiKey>;
  try {
    minted = mintApiKey(values.name as string, scopes as Scope[], values.rate);
  } catch {
    console.error(`--name must be 1 to 64 letters, digits, ".", "_" or "-"\n${USAGE}`);
    return 2;
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
