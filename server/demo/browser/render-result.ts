import type {
  ClassificationFieldsFragment,
  ClassifyBatchMutation,
} from "../../../schema/generated/operations.ts";
import { FALLBACK_TEXT, formatBytes, formatMs, formatPercent, VLM_REASON_TEXT } from "./format.ts";

export type BatchItem = ClassifyBatchMutation["classifyBatch"][number];

type Child = Node | string | null;

/** An element with a class and children; text goes in as text, never as HTML. */
function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (className) element.className = className;
  for (const child of children) if (child !== null) element.append(child);
  return element;
}

// Below this size an image is shown with hard pixels: a 28×28 sample smoothed to 64 px is a blur.
const PIXELATED_MAX_SIDE = 64;

/** One image's card: its thumbnail and name, then its answer or its error. */
export function renderItem(name: string, thumbnailUrl: string, item: BatchItem): HTMLLIElement {
  const heading = el("h3", "file-name", name);
  if (item.__typename === "ClassifyError") {
    // The bytes may not be an image at all: a mark instead of a broken picture.
    const placeholder = el("span", "thumbnail placeholder", "!");
    placeholder.setAttribute("aria-hidden", "true");
    const card = el(
      "li",
      "result result-error",
      placeholder,
      el(
        "div",
        "result-body",
        heading,
        el("p", "error-text", el("code", null, item.code), ` ${item.message}`),
      ),
    );
    card.dataset.state = "error";
    return card;
  }
  const thumbnail = el("img", "thumbnail");
  thumbnail.src = thumbnailUrl;
  thumbnail.alt = "";
  thumbnail.width = 72;
  thumbnail.height = 72;
  if (Math.max(item.image.width, item.image.height) <= PIXELATED_MAX_SIDE) {
    thumbnail.classList.add("pixelated");
  }
  const card = el(
    "li",
    "result",
    thumbnail,
    el(
      "div",
      "result-body",
      heading,
      el(
        "p",
        "meta",
        `${item.image.width}×${item.image.height} ${item.image.format}, ${formatBytes(item.image.bytes)} · ${item.model}`,
      ),
      renderPredictions(item),
      renderFacts(item),
    ),
  );
  card.dataset.state = "done";
  return card;
}

function renderPredictions(item: ClassificationFieldsFragment): HTMLOListElement {
  const list = el("ol", "predictions");
  list.setAttribute("aria-label", "Predictions, best first");
  for (const prediction of item.predictions) {
    const fill = el("span", "bar-fill");
    // CSSOM, not a style attribute: the page's CSP allows no inline styles.
    fill.style.width = `${(prediction.score * 100).toFixed(2)}%`;
    const bar = el("span", "bar", fill);
    bar.setAttribute("aria-hidden", "true");
    list.append(
      el(
        "li",
        "prediction",
        el("span", "label", prediction.label),
        el("span", "score", formatPercent(prediction.score)),
        bar,
      ),
    );
  }
  return list;
}

function fact(term: string, ...description: Child[]): HTMLDivElement {
  return el("div", "fact", el("dt", null, term), el("dd", null, ...description));
}

function renderFacts(item: ClassificationFieldsFragment): HTMLDListElement {
  const facts = el("dl", "facts");
  facts.append(
    item.vlmReason
      ? fact(
          "CLIP",
          `consulted: ${VLM_REASON_TEXT[item.vlmReason]} `,
          el("code", null, item.vlmReason),
        )
      : fact("CLIP", "not consulted"),
  );
  if (item.fallback) {
    const fallback = fact(
      "Fallback",
      `${FALLBACK_TEXT[item.fallback]}, CNN answer only `,
      el("code", null, item.fallback),
    );
    fallback.classList.add("warning");
    facts.append(fallback);
  }
  if (item.vlmReason && !item.fallback) {
    facts.append(fact("Embedding cache", item.cacheHit ? "hit" : "miss"));
  }
  if (item.cnnWeight !== null) {
    const cnn = item.cnnWeight;
    facts.append(fact("Ensemble", `CNN ${formatPercent(cnn)}, CLIP ${formatPercent(1 - cnn)}`));
  }
  const { decodeMs, cnnMs, vlmMs, totalMs } = item.timings;
  const parts = [`decode ${formatMs(decodeMs)}`, `CNN ${formatMs(cnnMs)}`];
  if (vlmMs !== null) parts.push(`CLIP ${formatMs(vlmMs)}`);
  facts.append(fact("Time", `${formatMs(totalMs)} (${parts.join(", ")})`));
  return facts;
}
