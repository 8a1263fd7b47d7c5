import { describe, expect, it } from "vitest";
import { mirroredUrl } from "./mirror.ts";

const HUB = "https://huggingface.co/Xenova/clip-vit-base-patch32/resolve/abc/onnx/text_model.onnx";

describe("mirroredUrl", () => {
  it("leaves the URL alone without a mirror", () => {
    expect(mirroredUrl(HUB, null)).toBe(HUB);
  });

  it("replaces the scheme and host and keeps the path", () => {
    expect(mirroredUrl(HUB, "http://127.0.0.1:8080")).toBe(
      "http://127.0.0.1:8080/Xenova/clip-vit-base-patch32/resolve/abc/onnx/text_model.onnx",
    );
  });

  it("puts the mirror's own path in front, with or without a trailing slash", () => {
    for (const mirror of ["https://mirror.example.com/hub", "https://mirror.example.com/hub/"]) {
      expect(mirroredUrl(HUB, mirror)).toBe(
        "https://mirror.example.com/hub/Xenova/clip-vit-base-patch32/resolve/abc/onnx/text_model.onnx",
      );
    }
  });

  it("keeps a query string", () => {
    expect(mirroredUrl("https://example.com/a/b.onnx?download=true", "http://m")).toBe(
      "http://m/a/b.onnx?download=true",
    );
  });
});
