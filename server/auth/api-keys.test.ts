import { describe, expect, it } from "vitest";
import {
  findApiKey,
  hashSecret,
  mintApiKey,
  parseApiKeyEntry,
  parseApiKeyList,
  parseRateLimit,
} from "./api-keys.ts";

describe("API key entries", () => {
  it("parse name, hash, scopes (one of which contains a colon) and an optional rate", () => {
    const hash = "0f".repeat(32);
    expect(parseApiKeyEntry(`web-app:${hash}:classify+classify:force-vlm`)).toEqual({
      name: "web-app",
      sha256: hash,
      scopes: ["classify", "classify:force-vlm"],
      rate: null,
    });
    expect(parseApiKeyEntry(`ops:${hash}:classify:force-vlm+feedback:2.5/10`)).toMatchObject({
      scopes: ["classify:force-vlm", "feedback"],
      rate: { perSecond: 2.5, burst: 10 },
    });
  });

  it("never echo an entry in an error, since it may be a secret", () => {
    const { secret } = mintApiKey("web", ["classify"]);
    expect(() => parseApiKeyList(`ok:${"0f".repeat(32)}:classify,${secret}`)).toThrow(
      /^entry 2 looks like a key itself/,
    );
    let message = "";
    try {
      parseApiKeyList(`web:${secret}:classify`);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^entry 1 is not name:sha256hex/);
    expect(message).not.toContain(secret.slice(4, 12));
  });

  it("read rates as requests/s with an optional burst", () => {
    expect(parseRateLimit("10")).toEqual({ perSecond: 10, burst: 10 });
    expect(parseRateLimit("0.5")).toEqual({ perSecond: 0.5, burst: 1 });
    expect(parseRateLimit("10/40")).toEqual({ perSecond: 10, burst: 40 });
    for (const bad of ["0", "0/5", "5/0", "-1", "fast", "1/2/3"]) {
      expect(parseRateLimit(bad), bad).toBeNull();
    }
  });
});

describe("mintApiKey", () => {
  it("makes a 256-bit secret and an entry that holds only its hash", () => {
    const { secret, entry } = mintApiKey("web", ["classify", "feedback"], "5/10");
    expect(secret).toMatch(/^vck_[A-Za-z0-9_-]{43}$/);
    expect(entry).toBe(`web:${hashSecret(secret)}:classify+feedback:5/10`);
    expect(entry).not.toContain(secret.slice(4));
    expect(mintApiKey("web", ["classify"]).secret).not.toBe(secret);
  });

  it("refuses a name the config would refuse", () => {
    expect(() => mintApiKey("has spaces", ["classify"])).toThrow(/is not name:sha256hex/);
  });
});

describe("findApiKey", () => {
  const keys = ["a", "b", "c"].map((name) => ({ name, ...mintApiKey(name, ["classify"]) }));
  const entries = keys.map((key) => ({ name: key.name, sha256: hashSecret(key.secret) }));

  it("finds each key by its secret", () => {
    for (const key of keys) expect(findApiKey(entries, key.secret)?.name).toBe(key.name);
  });

  // Every presented secret is hashed to 32 bytes first, so timingSafeEqual always compares
  // equal lengths: no secret, however long, short or odd, can make it throw.
  it.each([
    ["empty", ""],
    ["one character off", `${keys[0]?.secret.slice(0, -1)}x`],
    ["a prefix", keys[1]?.secret.slice(0, 20) ?? ""],
    ["the hash instead of the key", entries[2]?.sha256 ?? ""],
    ["very long", "x".repeat(100_000)],
    ["not ASCII", "ключ-🔑"],
  ])("refuses a secret that is %s", (_, secret) => {
    expect(findApiKey(entries, secret)).toBeNull();
  });
});
