import {
  CLASSIFY_ONE,
  type CorpusKind,
  type CorpusRequest,
  jsonRequest,
  multipart,
} from "./corpus-kind.ts";
import { source } from "./sources.ts";

/**
 * Requests whose GraphQL multipart structure is wrong (operations, map, file parts), or that are
 * not multipart at all. The image, where there is one, is a good one.
 */

const OPERATIONS = JSON.stringify({ query: CLASSIFY_ONE, variables: { image: null } });
const MAP = JSON.stringify({ 0: ["variables.image"] });
const part = (name: string, bytes: Uint8Array = source("sneaker").bytes, filename = "a.png") => ({
  name,
  filename,
  contentType: "image/png",
  bytes,
});

function request(
  kind: string,
  build: () => CorpusRequest,
  expected: CorpusKind["expected"],
): CorpusKind {
  return { kind, build: async () => build(), expected };
}

export const REQUEST_KINDS: readonly CorpusKind[] = [
  request(
    "a file part the map does not mention",
    () =>
      multipart(
        [
          ["operations", OPERATIONS],
          ["map", "{}"],
        ],
        [part("0")],
      ),
    { code: "BAD_USER_INPUT" },
  ),
  request(
    "a map pointing to a variable the operation does not have",
    () =>
      multipart(
        [
          ["operations", OPERATIONS],
          ["map", JSON.stringify({ 0: ["variables.picture"] })],
        ],
        [part("0")],
      ),
    { code: "BAD_USER_INPUT" },
  ),
  request(
    "a map entry whose file part is missing",
    () =>
      multipart(
        [
          ["operations", OPERATIONS],
          ["map", MAP],
        ],
        [],
      ),
    { code: "BAD_USER_INPUT" },
  ),
  request(
    "a file part without any map",
    () => multipart([["operations", OPERATIONS]], [part("0")]),
    { code: "BAD_USER_INPUT" },
  ),
  request(
    "a map entry that is a string, not a list of paths",
    () =>
      multipart(
        [
          ["operations", OPERATIONS],
          ["map", JSON.stringify({ 0: "variables.image" })],
        ],
        [part("0")],
      ),
    // Yoga walks the string's characters as paths and refuses the stray "v" parameter.
    { code: "BAD_REQUEST" },
  ),
  request(
    "a map pointing the file variable at a text field",
    () =>
      multipart(
        [
          ["operations", OPERATIONS],
          ["map", JSON.stringify({ operations: ["variables.image"] })],
        ],
        [],
      ),
    { code: "BAD_USER_INPUT" },
  ),
  request(
    "a map with prototype-pollution paths",
    () =>
      multipart(
        [
          ["operations", OPERATIONS],
          [
            "map",
            JSON.stringify({
              0: [
                "__proto__.polluted",
                "variables.__proto__.image",
                "constructor.prototype.polluted",
              ],
            }),
          ],
        ],
        [part("0")],
      ),
    { code: "BAD_USER_INPUT" },
  ),
  request(
    "two file parts with the same name (the last one is used)",
    () =>
      multipart(
        [
          ["operations", OPERATIONS],
          ["map", MAP],
        ],
        [part("0", source("coat").bytes), part("0", source("trouser").bytes)],
      ),
    // Harmless either way; pinned so a change in the multipart parser is noticed.
    { label: source("trouser").label },
  ),
  request(
    "a 1 MiB file name (huge multipart part headers)",
    () =>
      multipart(
        [
          ["operations", OPERATIONS],
          ["map", MAP],
        ],
        [part("0", source("bag").bytes, `${"x".repeat(1024 * 1024)}.png`)],
      ),
    // The multipart parser keeps at most 80 KiB of a part's headers, and the file still counts.
    { label: source("bag").label },
  ),
  request(
    "invalid JSON in operations",
    () =>
      multipart(
        [
          ["operations", "{ query: mutation"],
          ["map", MAP],
        ],
        [part("0")],
      ),
    { code: "BAD_REQUEST" },
  ),
  request(
    "invalid JSON in the map",
    () =>
      multipart(
        [
          ["operations", OPERATIONS],
          ["map", "{0: variables.image"],
        ],
        [part("0")],
      ),
    { code: "BAD_REQUEST" },
  ),
  request("no operations field", () => multipart([["map", MAP]], [part("0")]), {
    code: "BAD_REQUEST",
  }),
  request(
    "a multipart body cut off in the middle of the file",
    () => {
      const whole = multipart(
        [
          ["operations", OPERATIONS],
          ["map", MAP],
        ],
        [part("0")],
      );
      return { ...whole, body: whole.body.subarray(0, whole.body.length - 200) };
    },
    { code: "BAD_REQUEST" },
  ),
  request(
    "a multipart body under another boundary than its content type says",
    () => {
      const whole = multipart(
        [
          ["operations", OPERATIONS],
          ["map", MAP],
        ],
        [part("0")],
      );
      return { ...whole, contentType: "multipart/form-data; boundary=not-the-one" };
    },
    { code: "BAD_REQUEST" },
  ),
  request(
    "a JSON body with a string where the file goes",
    () =>
      jsonRequest({
        query: CLASSIFY_ONE,
        variables: { image: "data:image/png;base64,iVBORw0KGgo=" },
      }),
    { code: "BAD_USER_INPUT" },
  ),
  request(
    "a JSON body with the file variable null",
    () => jsonRequest({ query: CLASSIFY_ONE, variables: { image: null } }),
    { code: "BAD_USER_INPUT" },
  ),
  request(
    "a JSON body that is not JSON",
    () => ({
      body: new TextEncoder().encode('{"query": "mutation {'),
      contentType: "application/json",
    }),
    { code: "BAD_REQUEST" },
  ),
  request(
    "a body that is neither JSON nor multipart",
    () => ({ body: new TextEncoder().encode("image=@photo.png"), contentType: "text/plain" }),
    { httpStatus: 415 },
  ),
];
