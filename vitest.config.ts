import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql ships CommonJS and ESM builds; Node loads the CommonJS one for the libraries
    // (yoga, Pothos), so the project's own files must get the same copy, or `instanceof
    // GraphQLError` fails and typed errors are masked as internal ones.
    alias: [{ find: /^graphql$/, replacement: require.resolve("graphql") }],
  },
  test: {
    include: [
      "server/**/*.test.ts",
      "schema/**/*.test.ts",
      "loadtest/**/*.test.ts",
      "monitoring/**/*.test.ts",
      "dashboards/**/*.test.ts",
      "models/**/*.test.ts",
      "deploy/**/*.test.ts",
      "*.test.ts",
    ],
    // Model sessions are heavy; two workers keep a 2-core machine responsive.
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
