/**
 * GPT-2's reversible byte → printable-character table, which CLIP's BPE vocabulary is built on.
 * Printable Latin-1 bytes map to themselves; the rest (controls, space, …) are shifted to
 * U+0100 and up so that every vocabulary symbol is visible and whitespace-free.
 */
export const BYTE_TO_UNICODE: readonly string[] = buildTable();

function buildTable(): string[] {
  const table = new Array<string>(256);
  const isPrintable = (b: number) =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    table[b] = String.fromCodePoint(isPrintable(b) ? b : 256 + shifted++);
  }
  return table;
}
