/**
 * Class names from an ImageNet synset file (the ONNX Model Zoo's `synset.txt`): one class a
 * line, in class-index order, "<WordNet id> <name>, <other name>, ...". The label is the first
 * name, the one people use ("tench", not "tench, Tinca tinca").
 */
export function parseSynset(text: string, source = "synset file"): string[] {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "");
  return lines.map((line, i) => {
    const match = /^n\d{8}\s+([^,]+)/.exec(line.trim());
    const name = match?.[1]?.trim();
    if (!name) throw new Error(`${source} line ${i + 1} is not "<WordNet id> <names>": ${line}`);
    return name;
  });
}
