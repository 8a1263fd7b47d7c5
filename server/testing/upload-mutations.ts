import { crc32 } from "node:zlib";
import type { SeededRandom } from "./seeded-random.ts";

/**
 * Mutations of valid image files for fuzzing the upload path: the byte-level ones any fuzzer
 * makes, plus header fields set to the values decoders trip on (with a PNG chunk's CRC fixed,
 * so the change reaches the decoder instead of failing the checksum).
 */
export interface Mutation {
  name: string;
  apply: (bytes: Uint8Array, random: SeededRandom) => Uint8Array;
}

/** Values that overflow, underflow or zero out a size, a depth or a count. */
const EDGE_VALUES = [
  0, 1, 2, 7, 8, 255, 256, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0xffffffff,
];

const concat = (...parts: Uint8Array[]) => Uint8Array.from(Buffer.concat(parts));

export const MUTATIONS: readonly Mutation[] = [
  {
    name: "bit flips",
    apply(bytes, random) {
      const out = Uint8Array.from(bytes);
      for (let n = 1 + random.int(8); n > 0; n--) {
        const at = random.int(out.length);
        out[at] = (out[at] as number) ^ (1 << random.int(8));
      }
      return out;
    },
  },
  {
    name: "byte insertion",
    apply(bytes, random) {
      const at = random.int(bytes.length + 1);
      return concat(bytes.subarray(0, at), random.bytes(1 + random.int(64)), bytes.subarray(at));
    },
  },
  {
    name: "byte deletion",
    apply(bytes, random) {
      const at = random.int(bytes.length);
      return concat(bytes.subarray(0, at), bytes.subarray(at + 1 + random.int(64)));
    },
  },
  {
    name: "truncation",
    apply: (bytes, random) => bytes.slice(0, random.int(bytes.length)),
  },
  {
    name: "chunk duplication",
    apply(bytes, random) {
      const start = random.int(bytes.length);
      const chunk = bytes.subarray(start, start + 1 + random.int(512));
      const at = random.int(bytes.length + 1);
      return concat(bytes.subarray(0, at), chunk, bytes.subarray(at));
    },
  },
  {
    name: "header field change",
    apply(bytes, random) {
      const out = Buffer.from(bytes);
      // A truncated file may end before a field, or before the CRC that covers it.
      const fields = headerFields(out).filter(
        (f) => f.at + f.size <= out.length && (!f.fixCrc || out.length >= 33),
      );
      const field = fields.length > 0 ? random.pick(fields) : null;
      if (!field) return Uint8Array.from(out);
      const value = random.next() < 0.7 ? random.pick(EDGE_VALUES) : random.int(2 ** 32);
      const max = 2 ** (8 * field.size) - 1;
      const fitted = Math.min(value, max);
      if (field.size === 4) out.writeUInt32BE(fitted, field.at);
      else if (field.size === 2)
        field.littleEndian
          ? out.writeUInt16LE(fitted, field.at)
          : out.writeUInt16BE(fitted, field.at);
      else out.writeUInt8(fitted, field.at);
      field.fixCrc?.(out);
      return Uint8Array.from(out);
    },
  },
];

interface HeaderField {
  at: number;
  size: 1 | 2 | 4;
  littleEndian?: boolean;
  fixCrc?: (bytes: Buffer) => void;
}

/** The size, depth and layout fields of a PNG, JPEG, GIF or WebP header, where they are. */
function headerFields(bytes: Buffer): HeaderField[] {
  if (bytes.toString("latin1", 12, 16) === "IHDR") {
    // width, height, bit depth, colour type, compression, filter, interlace; CRC at 29.
    const fixCrc = (b: Buffer) => b.writeUInt32BE(crc32(b.subarray(12, 29)), 29);
    return [
      { at: 16, size: 4, fixCrc },
      { at: 20, size: 4, fixCrc },
      ...[24, 25, 26, 27, 28].map((at) => ({ at, size: 1 as const, fixCrc })),
    ];
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    const sof = bytes.findIndex(
      (b, i) => b === 0xff && i > 1 && [0xc0, 0xc1, 0xc2].includes(bytes[i + 1] as number),
    );
    if (sof < 0) return [];
    // precision, height, width, component count
    return [
      { at: sof + 4, size: 1 },
      { at: sof + 5, size: 2 },
      { at: sof + 7, size: 2 },
      { at: sof + 9, size: 1 },
    ];
  }
  if (bytes.toString("latin1", 0, 3) === "GIF") {
    // logical screen width and height, packed flags; the first image descriptor's size
    const descriptor = bytes.indexOf(0x2c, 13);
    return [
      { at: 6, size: 2, littleEndian: true },
      { at: 8, size: 2, littleEndian: true },
      { at: 10, size: 1 },
      ...(descriptor > 0
        ? [
            { at: descriptor + 5, size: 2 as const, littleEndian: true },
            { at: descriptor + 7, size: 2 as const, littleEndian: true },
          ]
        : []),
    ];
  }
  if (bytes.toString("latin1", 8, 12) === "WEBP") {
    // RIFF size, chunk size, and the VP8/VP8L/VP8X frame header bytes after it
    return [
      { at: 4, size: 4 },
      { at: 16, size: 4 },
      ...[20, 21, 22, 23, 24, 25, 26, 27, 28, 29].map((at) => ({ at, size: 1 as const })),
    ];
  }
  return [];
}
