# syntax=docker/dockerfile:1
# Multi-stage: dependencies are installed once with the build tools, the runtime image gets
# only what serving needs. The embedded model packs (models/imagenet, the default, and
# models/fashion-mnist) are baked in; mount another pack and set MODEL_PACK to serve it.

FROM node:22-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --ignore-scripts && npm install --no-save --ignore-scripts tsx@4

FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=4000 CACHE_DIR=/var/cache/vision-classify
WORKDIR /app
# jemalloc returns memory after bursts of large uploads that glibc's arenas keep (BENCHMARKS.md).
RUN apt-get update && apt-get install -y --no-install-recommends libjemalloc2 && rm -rf /var/lib/apt/lists/* \
  && ln -s "/usr/lib/$(uname -m)-linux-gnu/libjemalloc.so.2" /usr/local/lib/libjemalloc.so.2
ENV LD_PRELOAD=/usr/local/lib/libjemalloc.so.2
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY server ./server
COPY schema ./schema
COPY models/imagenet ./models/imagenet
COPY models/fashion-mnist ./models/fashion-mnist
RUN mkdir -p /var/cache/vision-classify && chown node:node /var/cache/vision-classify
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:4000/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "--import", "tsx", "server/main.ts"]
