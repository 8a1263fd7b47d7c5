const NAMED: Readonly<Record<string, string>> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: "\u00a0",
};

// Numeric references may omit the ";" (as Python's html.unescape allows); named ones may not.
const ENTITY = /&(?:#[xX]([0-9a-fA-F]+);?|#([0-9]+);?|(amp|lt|gt|quot|apos|nbsp);)/g;

/**
 * One pass of HTML entity decoding for the entities prompts realistically contain.
 * Unknown entities are left as they are; invalid code points become U+FFFD instead of throwing.
 */
export function htmlUnescape(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(ENTITY, (match, hex?: string, dec?: string, name?: string) => {
    if (name !== undefined) return NAMED[name] ?? match;
    const code = hex !== undefined ? Number.parseInt(hex, 16) : Number(dec);
    const invalid = code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff);
    return invalid ? "\ufffd" : String.fromCodePoint(code);
  });
}
