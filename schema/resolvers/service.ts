import { builder } from "../builder.ts";
import { describeModel, HealthRef, ModelInfoRef } from "../types/service-info.ts";

builder.queryField("labels", (t) =>
  t.stringList({
    description: "The labels the model pack classifies into, in class-index order.",
    resolve: (_, __, { runtime }) => runtime.models.pack.labels,
  }),
);

builder.queryField("models", (t) =>
  t.field({
    type: [ModelInfoRef],
    description: "The ONNX models the service has loaded.",
    resolve: (_, __, { runtime }) => {
      const { pack, cnn, clip, variants } = runtime.models;
      const models = [describeModel(`${pack.name}/cnn`, "CNN", pack.dir, cnn.model, variants.cnn)];
      if (clip) {
        models.push(
          describeModel(
            `${pack.name}/clip-vision`,
            "CLIP_VISION",
            pack.dir,
            clip.vision.model,
            variants.clipVision,
          ),
        );
        models.push(
          describeModel(`${pack.name}/clip-text`, "CLIP_TEXT", pack.dir, clip.text.model),
        );
      }
      return models;
    },
  }),
);

builder.queryField("health", (t) =>
  t.field({
    type: HealthRef,
    description: "Liveness and readiness, as the /health and /ready endpoints report them.",
    resolve: (_, __, { runtime }) => ({
      status: "OK" as const,
      // As /ready: a draining process is not ready, so clients and balancers agree.
      ready: !runtime.lifecycle.draining,
      pack: runtime.models.pack.name,
      vlmAvailable: runtime.models.clip !== null,
      vlmUnavailableReason: runtime.models.clipUnavailableReason,
      uptimeSeconds: (Date.now() - runtime.startedAt.getTime()) / 1000,
    }),
  }),
);
