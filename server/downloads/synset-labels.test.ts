import { describe, expect, it } from "vitest";
import { parseSynset } from "./synset-labels.ts";

describe("parseSynset", () => {
  it("takes the first name of each line, in order", () => {
    const text =
      "n01440764 tench, Tinca tinca\nn01443537 goldfish, Carassius auratus\nn02012849 crane\n";
    expect(parseSynset(text)).toEqual(["tench", "goldfish", "crane"]);
  });

  it("reads Windows line ends and ignores blank lines", () => {
    expect(parseSynset("n04579432 whiskey jug\r\n\r\nn04591713 wine bottle\r\n")).toEqual([
      "whiskey jug",
      "wine bottle",
    ]);
  });

  it("names the line that is not a synset line", () => {
    expect(() => parseSynset("n01440764 tench\ntench\n", "synset.txt")).toThrow(
      'synset.txt line 2 is not "<WordNet id> <names>": tench',
    );
  });
});
