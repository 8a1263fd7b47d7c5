/**
 * The URL a file is fetched from. A mirror replaces the scheme and host of the catalog's URL and
 * keeps its path, so one mirror can serve every host's files side by side
 * (`/onnxmodelzoo/legacy_models/resolve/...`, `/Xenova/clip-vit-base-patch32/resolve/...`); a
 * path in the mirror's URL goes in front (`https://mirror.example.com/models` + `/onnxmodelzoo/...`).
 */
export function mirroredUrl(url: string, mirror: string | null): string {
  if (!mirror) return url;
  const original = new URL(url);
  const base = new URL(mirror);
  const prefix = base.pathname.replace(/\/+$/, "");
  return `${base.origin}${prefix}${original.pathname}${original.search}`;
}
