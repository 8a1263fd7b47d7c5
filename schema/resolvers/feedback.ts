import { requireScope } from "../../server/auth/access.ts";
import type { FeedbackResult } from "../../server/feedback/feedback.ts";
import { builder } from "../builder.ts";

const FeedbackOutcomeEnum = builder.enumType("FeedbackOutcome", {
  description: "How the answer compared with the label the user gave.",
  values: {
    BOTH_RIGHT: { value: "both_right", description: "The CNN and the final answer were right." },
    CNN_RIGHT_ONLY: {
      value: "cnn_right_only",
      description: "CLIP's opinion turned a right CNN answer wrong.",
    },
    FINAL_RIGHT_ONLY: {
      value: "final_right_only",
      description: "CLIP's opinion fixed a wrong CNN answer.",
    },
    BOTH_WRONG: { value: "both_wrong", description: "Neither was right." },
    CUSTOM_LABELS: {
      value: "custom_labels",
      description:
        "The answer was over the caller's own labels; it does not count towards the accuracy delta.",
    },
  } as const,
});

const FeedbackRef = builder.objectRef<FeedbackResult>("Feedback").implement({
  description: "Feedback recorded against one answer.",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The Classification.id the feedback is for." }),
    label: t.exposeString("label", { description: "The right label, as the user says." }),
    outcome: t.field({
      type: FeedbackOutcomeEnum,
      description: "How the answer compared with the label.",
      resolve: (f) => f.outcome,
    }),
    cnnCorrect: t.exposeBoolean("cnnCorrect", {
      description: "Whether the CNN's own top prediction was the label.",
    }),
    finalCorrect: t.exposeBoolean("finalCorrect", {
      description: "Whether the final top prediction (after the ensemble) was the label.",
    }),
    vlmUsed: t.exposeBoolean("vlmUsed", { description: "Whether CLIP was part of the answer." }),
    accuracyDelta: t.exposeFloat("accuracyDelta", {
      description:
        "Accuracy of the final answers minus the CNN's, over the last windowSize feedbacks.",
    }),
    windowSize: t.exposeInt("windowSize", {
      description: "How many feedbacks accuracyDelta is computed over (at most FEEDBACK_WINDOW).",
    }),
  }),
});

builder.mutationField("submitFeedback", (t) =>
  t.field({
    type: FeedbackRef,
    description:
      "Tell the service the right label for an answer. Once per answer; the label must be one of the answer's labels. Feeds vlm_accuracy_delta.",
    args: {
      id: t.arg.id({ required: true, description: "The Classification.id of the answer." }),
      label: t.arg.string({
        required: true,
        description: "The right label: one of the labels the answer was over.",
      }),
    },
    resolve: (_, { id, label }, { runtime, access }) => {
      requireScope(access, "feedback");
      return runtime.submitFeedback(String(id), label);
    },
  }),
);
