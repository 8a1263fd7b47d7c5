// Types for request-mix.js, which stays plain JavaScript so k6 can import it as is. The
// implementation is type-checked against these declarations by `tsc -p loadtest`.

/** One of the pack's sample images, and whether the service routes it to CLIP. */
export interface Sample {
  file: string;
  /** Asked of CLIP under `vlm: AUTO` on the embedded pack with the default thresholds. */
  clip: boolean;
}

/** What request number `index` of a run sends. */
export interface RequestPlan {
  file: string;
  /** The sample is routed to CLIP. */
  clip: boolean;
  /** Sent byte for byte from the hot set, so CLIP's embedding cache can answer; else made unique. */
  hot: boolean;
}

/** The mutation every request sends: a multipart upload of one image, with optional options. */
export const CLASSIFY_QUERY: string;

/**
 * How the mix gets its CLIP share: `auto` lets the service route (`vlm: AUTO`, true to the
 * embedded pack's samples); `explicit` sends `vlm: FORCE` for the planned CLIP requests and
 * `OFF` for the rest, so the share holds on any pack.
 */
export type RoutingMode = "auto" | "explicit";
export const ROUTING_MODES: readonly RoutingMode[];
/** The multipart `operations` field for a planned request. */
export function operationsFor(plan: RequestPlan, routing: RoutingMode): string;
/** The sample folder, relative to the repository root. */
export const SAMPLES_DIR: string;
export const SAMPLES: readonly Sample[];
/** The samples repeated byte for byte: a few CLIP-routed ones (cache hits) and a few that are not. */
export const HOT_SET: readonly string[];
/** Target shares of the mix. */
export const MIX: Readonly<{ clipShare: number; hotShare: number }>;

/** The same index always gives the same plan, in k6 and in the Node runner alike. */
export function planRequest(index: number): RequestPlan;
/**
 * The same PNG with a text chunk holding `nonce`: identical pixels, so identical routing, but a
 * new sha256, so CLIP's embedding cache misses as it would for a new user's photo.
 */
export function uniqueImage(png: Uint8Array, nonce: string): Uint8Array;
