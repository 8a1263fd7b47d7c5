import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** What a key may do. Queries (labels, models, health) need only a valid key. */
export const SCOPES = ["classify", "classify:force-vlm", "feedback"] as const;
export type Scope = (typeof SCOPES)[number];

/** Requests per second a key may make, refilled continuously, and the burst it may save up. */
export interface RateLimit {
  perSecond: number;
  burst: number;
}

/** One configured key: its name (for logs and metrics), the sha256 of its secret, its rights. */
export interface ApiKeyEntry {
  name: string;
  sha256: string;
  scopes: readonly Scope[];
  /** Null: the configured default applies. */
  rate: RateLimit | null;
}

// Secrets carry a prefix so secret scanners and people recognise them; 32 random bytes give
// 256 bits of entropy.
const SECRET_PREFIX = "vck_";
const SECRET_BYTES = 32;

// name:sha256hex:scope1+scope2[:RATE[/BURST]]. A scope itself contains ":" (classify:force-vlm),
// so the scopes are everything between the hash and an optional trailing numeric rate.
const ENTRY = /^([A-Za-z0-9._-]{1,64}):([0-9a-f]{64}):(.+?)(?::(\d+(?:\.\d+)?(?:\/\d+)?))?$/;
const RATE = /^(\d+(?:\.\d+)?)(?:\/(\d+))?$/;

/**
 * Keys are stored as sha256 hashes, never as plain text. A fast hash is right here, unlike for
 * passwords: a key is 256 random bits, so guessing it from its hash is hopeless however fast
 * the hash, while a slow KDF (bcrypt, scrypt) would cost tens of milliseconds of CPU on every
 * request and turn each bad key into a cheap denial of service.
 */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/** "10/20" → 10 requests/s, bursts of 20; "10" → bursts of 10. Null when malformed. */
export function parseRateLimit(text: string): RateLimit | null {
  const match = RATE.exec(text.trim());
  if (!match) return null;
  const perSecond = Number(match[1]);
  const burst = match[2] === undefined ? Math.max(1, Math.ceil(perSecond)) : Number(match[2]);
  if (!(perSecond > 0) || !(burst >= 1)) return null;
  return { perSecond, burst };
}

/** Parses one `name:sha256hex:scope1+scope2[:rate[/burst]]` entry; throws naming what is wrong. */
export function parseApiKeyEntry(text: string): ApiKeyEntry {
  const match = ENTRY.exec(text.trim());
  // Never echo the entry: it may be a secret pasted where its hash belongs.
  if (!match) {
    throw new Error(
      text.trim().startsWith(SECRET_PREFIX)
        ? "looks like a key itself: configure its hash (npm run keys:create prints the line)"
        : "is not name:sha256hex:scope1+scope2[:rate[/burst]]",
    );
  }
  const [, name = "", sha256 = "", scopeText = "", rateText] = match;
  const scopes = scopeText.split("+");
  const unknown = scopes.filter((scope) => !(SCOPES as readonly string[]).includes(scope));
  if (unknown.length > 0) {
    throw new Error(
      `("${name}") has unknown scopes ${unknown.map((s) => `"${s}"`).join(", ")} (known: ${SCOPES.join(", ")})`,
    );
  }
  const rate = rateText === undefined ? null : parseRateLimit(rateText);
  if (rateText !== undefined && rate === null) {
    throw new Error(`("${name}") has a rate or burst of 0; both must be above 0`);
  }
  return { name, sha256, scopes: [...new Set(scopes)] as Scope[], rate };
}

/** Entries separated by commas or line breaks; blank lines and `#` comments are skipped. */
export function parseApiKeyList(text: string): ApiKeyEntry[] {
  const entries = text
    .split(/\r?\n/)
    .map((line) => line.replace(/#.*$/, ""))
    .flatMap((line) => line.split(","))
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry, i) => {
      try {
        return parseApiKeyEntry(entry);
      } catch (error) {
        throw new Error(`entry ${i + 1} ${(error as Error).message}`);
      }
    });
  const names = new Set<string>();
  const hashes = new Set<string>();
  for (const { name, sha256 } of entries) {
    if (names.has(name)) throw new Error(`two keys are named "${name}"`);
    if (hashes.has(sha256)) throw new Error(`key "${name}" has the same hash as another key`);
    names.add(name);
    hashes.add(sha256);
  }
  return entries;
}

/**
 * Finds the entry whose hash matches the presented secret. Every configured hash is compared,
 * each with timingSafeEqual over equal-length digests, so the time taken tells nothing about
 * how much of a hash matched or which key it was.
 */
export function findApiKey<T extends { sha256: string }>(
  entries: readonly T[],
  secret: string,
): T | null {
  const presented = Buffer.from(hashSecret(secret), "hex");
  let found: T | null = null;
  for (const entry of entries) {
    const expected = Buffer.from(entry.sha256, "hex");
    if (timingSafeEqual(presented, expected) && found === null) found = entry;
  }
  return found;
}

/** A new random key and the config entry that admits it; the secret is shown once, never stored. */
export function mintApiKey(name: string, scopes: readonly Scope[], rate?: string) {
  const secret = SECRET_PREFIX + randomBytes(SECRET_BYTES).toString("base64url");
  const entry = [name, hashSecret(secret), scopes.join("+"), ...(rate ? [rate] : [])].join(":");
  // Round-trip through the parser: a bad name, scope or rate fails here, not at the next start.
  parseApiKeyEntry(entry);
  return { secret, entry };
}
