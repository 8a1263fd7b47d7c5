import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UserError, type UserErrorCode, userErrorCodes } from "../../server/errors/user-error.ts";
import {
  BAD_INPUT_CORPUS,
  CORPUS_ENV,
  type CorpusKind,
  type CorpusRequest,
} from "../../server/testing/bad-input-corpus/corpus.ts";
import { classifyUpload } from "../../server/testing/bad-input-corpus/corpus-kind.ts";
import { SOURCES, type SourceName, source } from "../../server/testing/bad-input-corpus/sources.ts";
import {
  createFakeTestApp,
  createTestApp,
  type FakeTestApp,
  type TestApp,
} from "../../server/testing/test-app.ts";

type ServiceApp = Pick<TestApp | FakeTestApp, "app">;

interface Answer {
  data?: {
    classify?: { top: { label: string }; image: { width: number; height: number; format: string } };
  } | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

const GOOD: readonly SourceName[] = Object.keys(SOURCES) as SourceName[];

/** Kinds whose answer names what the image shows: only a real model can say it. */
const namesTheImage = (kind: CorpusKind) =>
  "label" in kind.expected && kind.expected.label !== null;

describeCorpus(
  "the bad-input corpus, through the HTTP handler",
  () => createFakeTestApp(CORPUS_ENV),
  (kind) => !namesTheImage(kind),
  // The fake CNN answers "cat" for every image it is given.
  () => "cat",
);

describeCorpus(
  "odd images the real models still name right, through the HTTP handler",
  () => createTestApp(CORPUS_ENV),
  namesTheImage,
  (name) => source(name).label,
);

/**
 * Sends each kind `kinds` selects (beside a good image) to a fresh service, and checks the
 * answer the corpus expects; `goodLabel` is what the service answers for a good source image.
 */
function describeCorpus(
  title: string,
  start: () => Promise<ServiceApp> | ServiceApp,
  kinds: (kind: CorpusKind) => boolean,
  goodLabel: (name: SourceName) => string,
) {
  describe(title, () => {
    let service: ServiceApp;
    beforeAll(async () => {
      service = await start();
    });

    /** A POST as a modern client sends it: the GraphQL-over-HTTP media type, so errors are 4xx. */
    async function send(request: CorpusRequest) {
      const response = await service.app.fetch(
        new Request("http://localhost/graphql", {
          method: "POST",
          body: request.body as Uint8Array<ArrayBuffer>,
          headers: {
            "content-type": request.contentType,
            accept: "application/graphql-response+json",
            "graphql-preflight": "1",
          },
        }),
      );
      const text = await response.text();
      return { status: response.status, text, body: text ? (JSON.parse(text) as Answer) : null };
    }

    /** Each bad input goes out together with a good one, which must be answered as if alone. */
    async function sendWithGoodNeighbour(kind: CorpusKind, index: number) {
      const good = GOOD[index % GOOD.length] as SourceName;
      const { bytes } = source(good);
      const [bad, neighbour] = await Promise.all([
        kind.build().then(send),
        send(classifyUpload({ bytes, filename: "good.png", contentType: "image/png" })),
      ]);
      expect(neighbour.status, "the good request beside it").toBe(200);
      expect(neighbour.body?.data?.classify?.top.label, "the good request beside it").toBe(
        goodLabel(good),
      );
      return bad;
    }

    BAD_INPUT_CORPUS.forEach((kind, index) => {
      if (!kinds(kind)) return;
      const { expected } = kind;

      it(`${kind.kind}`, async () => {
        const { status, text, body } = await sendWithGoodNeighbour(kind, index);
        const error = body?.errors?.[0];
        const context = `HTTP ${status}: ${text.slice(0, 300)}`;

        if ("code" in expected) {
          expect(error?.extensions?.code, context).toBe(expected.code);
          expect(status, context).toBe(statusOf(expected.code));
          expect(body?.data ?? null, context).toBeNull();
          expect(error?.message, context).not.toMatch(/unexpected error/i);
        } else if ("label" in expected) {
          expect(body?.errors, context).toBeUndefined();
          expect(status, context).toBe(200);
          const answer = body?.data?.classify;
          if (expected.label !== null) expect(answer?.top.label, context).toBe(expected.label);
          expect(answer?.image, context).toMatchObject(expected.image ?? {});
        } else {
          expect(status, context).toBe(expected.httpStatus);
        }
      });
    });

    afterAll(async () => {
      // Nothing leaked into every object of the process from a polluting map path.
      expect(Object.prototype).not.toHaveProperty("polluted");
      const health = await service.app.fetch(new Request("http://localhost/health"));
      expect(health.status).toBe(200);
      const ready = await service.app.fetch(new Request("http://localhost/ready"));
      expect(ready.status).toBe(200);
    });
  });
}

/** The HTTP status a code comes with: the UserError's own, 400 for yoga's BAD_REQUEST. */
function statusOf(code: string): number {
  if ((userErrorCodes as readonly string[]).includes(code)) {
    const status = new UserError(code as UserErrorCode, "").extensions.http as { status: number };
    return status.status;
  }
  return 400;
}
