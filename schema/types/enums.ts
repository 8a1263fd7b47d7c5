import { userErrorCodes } from "../../server/errors.ts";
import { builder } from "../builder.ts";

export const VlmModeEnum = builder.enumType("VlmMode", {
  description: "Whether CLIP may give a second opinion.",
  values: {
    AUTO: { description: "The routing rules decide (low CNN confidence, priority classes)." },
    FORCE: { description: "Always ask CLIP (it costs more than the CNN)." },
    OFF: { description: "Never ask CLIP: the CNN answers alone." },
  } as const,
});

export const VlmReasonEnum = builder.enumType("VlmReason", {
  description: "Why CLIP was consulted.",
  values: {
    LOW_CONFIDENCE: { description: "The CNN's top-1 probability was below the high threshold." },
    PRIORITY_CLASS: {
      description: "The CNN's answer is a priority class, which always gets a second opinion.",
    },
    FORCED: { description: "The client asked for it (vlm: FORCE)." },
    CUSTOM_LABELS: { description: "The client sent its own labels, which only CLIP can score." },
  } as const,
});

export const FallbackEnum = builder.enumType("Fallback", {
  description:
    "Why CLIP was wanted but the answer is the CNN's alone. A fallback is never an error.",
  values: {
    TIMEOUT: { description: "CLIP did not answer within the configured time." },
    ERROR: { description: "CLIP failed on this request." },
    OVERLOADED: { description: "CLIP's queue was full." },
    UNAVAILABLE: { description: "CLIP is not loaded, or its circuit breaker is open." },
  } as const,
});

export const ErrorCodeEnum = builder.enumType("ErrorCode", {
  description:
    "What was wrong with a request; the same code is in the GraphQL error's extensions.code.",
  values: userErrorCodes,
});
