import { executeOperation } from "../../../schema/client/graphql-request.ts";
import {
  AboutDocument,
  ClassifyBatchDocument,
  type ClassifyOptions,
  type VlmMode,
} from "../../../schema/generated/operations.ts";
import { renderItem } from "./render-result.ts";

/** An element the page's HTML must have; a missing one is a bug in the page, said loudly. */
function required<T extends Element>(selector: string, type: abstract new () => T): T {
  const element = document.querySelector(selector);
  if (!(element instanceof type)) throw new Error(`demo page: ${selector} is missing`);
  return element;
}

const form = required("#classify-form", HTMLFormElement);
const fileInput = required("#images", HTMLInputElement);
const dropZone = required("#drop-zone", HTMLLabelElement);
const labelsInput = required("#labels", HTMLInputElement);
const topKSelect = required("#top-k", HTMLSelectElement);
const status = required("#status", HTMLElement);
const errorBox = required("#error", HTMLElement);
const results = required("#results", HTMLOListElement);
const resultsEmpty = required("#results-empty", HTMLElement);
const service = required("#service", HTMLElement);

// Relative, so the page also works behind a proxy that serves the service under a path.
const ENDPOINT = new URL("graphql", document.baseURI);

let files: File[] = [];
let thumbnails: string[] = [];
// Answers to superseded requests (the user changed images or options meanwhile) are dropped.
let latestRequest = 0;

function currentOptions(): ClassifyOptions {
  const vlm = (new FormData(form).get("vlm") ?? "AUTO") as VlmMode;
  const labels = labelsInput.value
    .split(",")
    .map((label) => label.trim())
    .filter((label) => label.length > 0);
  const topK = Number(topKSelect.value);
  return labels.length > 0 ? { vlm, topK, labels } : { vlm, topK };
}

function showError(message: string | null) {
  errorBox.hidden = message === null;
  errorBox.textContent = message ?? "";
}

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? "" : "s"}`;

async function classify() {
  if (files.length === 0) {
    showError("Choose one or more images first.");
    fileInput.focus();
    return;
  }
  const request = ++latestRequest;
  const sent = files;
  showError(null);
  status.textContent = `Classifying ${plural(sent.length, "image")}…`;
  results.setAttribute("aria-busy", "true");
  const started = performance.now();
  try {
    const { data, errors } = await executeOperation(ENDPOINT, ClassifyBatchDocument, {
      images: sent,
      options: currentOptions(),
    });
    if (request !== latestRequest) return;
    if (!data) {
      const reasons = (errors ?? []).map((e) => `${e.message} (${e.extensions?.code ?? "ERROR"})`);
      status.textContent = "";
      showError(`The service refused the request: ${reasons.join("; ") || "no reason given"}`);
      return;
    }
    for (const url of thumbnails) URL.revokeObjectURL(url);
    thumbnails = sent.map((file) => URL.createObjectURL(file));
    results.replaceChildren(
      ...data.classifyBatch.map((item, i) =>
        renderItem(sent[i]?.name ?? `image ${i + 1}`, thumbnails[i] ?? "", item),
      ),
    );
    resultsEmpty.hidden = true;
    const elapsed = Math.round(performance.now() - started);
    status.textContent = `Classified ${plural(sent.length, "image")} in ${elapsed} ms.`;
  } catch (error) {
    if (request !== latestRequest) return;
    status.textContent = "";
    showError(`The service did not answer: ${error instanceof Error ? error.message : error}`);
  } finally {
    if (request === latestRequest) results.setAttribute("aria-busy", "false");
  }
}

function useFiles(list: FileList | null) {
  files = Array.from(list ?? []);
  void classify();
}

fileInput.addEventListener("change", () => useFiles(fileInput.files));
form.addEventListener("submit", (event) => {
  event.preventDefault();
  void classify();
});
// A new mode or count re-runs the same images at once; labels wait for Enter or the button.
for (const control of form.querySelectorAll<HTMLInputElement>('input[name="vlm"]')) {
  control.addEventListener("change", () => files.length > 0 && void classify());
}
topKSelect.addEventListener("change", () => files.length > 0 && void classify());

// The whole page takes drops, so a file that misses the zone is not opened by the browser.
let dragDepth = 0;
document.addEventListener("dragenter", (event) => {
  event.preventDefault();
  dragDepth++;
  dropZone.classList.add("dragging");
});
document.addEventListener("dragleave", () => {
  dragDepth = Math.max(0, dragDepth - 1);
  if (dragDepth === 0) dropZone.classList.remove("dragging");
});
document.addEventListener("dragover", (event) => event.preventDefault());
document.addEventListener("drop", (event) => {
  event.preventDefault();
  dragDepth = 0;
  dropZone.classList.remove("dragging");
  if (event.dataTransfer?.files.length) useFiles(event.dataTransfer.files);
});

async function describeService() {
  try {
    const { data } = await executeOperation(ENDPOINT, AboutDocument, {});
    if (!data) return;
    const clip = data.health.vlmAvailable ? "CLIP available" : "CLIP unavailable";
    service.textContent = `Model pack ${data.health.pack}: ${plural(data.labels.length, "label")} (${labelSample(data.labels)}). ${clip}.`;
  } catch {
    // The page still works without this line; a failed classify request reports the problem.
  }
}

void describeService();

// A thousand ImageNet names would bury the page; a few show what the pack knows.
const LABELS_SHOWN = 12;

function labelSample(labels: readonly string[]): string {
  if (labels.length <= LABELS_SHOWN) return labels.join(", ");
  return `${labels.slice(0, LABELS_SHOWN).join(", ")}, …`;
}
