/** One SVG element as a chart test reads it. */
export interface SvgElement {
  name: string;
  attrs: Record<string, string>;
}

/**
 * Every element's name and attributes, in document order; throws when tags do not open and
 * close in order, so a test of a chart also checks that it is well-formed.
 */
export function svgElements(svg: string): SvgElement[] {
  const stack: string[] = [];
  const out: SvgElement[] = [];
  for (const [, close, name, rest, selfClose] of svg.matchAll(/<(\/?)([a-z]+)([^>]*?)(\/?)>/g)) {
    if (close) {
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open ?? "nothing"}>`);
      continue;
    }
    const attrs = Object.fromEntries(
      [...(rest ?? "").matchAll(/([\w-]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    out.push({ name: name as string, attrs });
    if (!selfClose) stack.push(name as string);
  }
  if (stack.length > 0) throw new Error(`<${stack.join("> <")}> never closed`);
  return out;
}
