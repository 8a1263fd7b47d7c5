# syntax=docker/dockerfile:1
# Multi-stage: the build stage installs the production dependencies and compiles the service to
# JavaScript (scripts/build.js, esbuild: a production dependency); the runtime image gets
# node_modules, dist/ and the packs, with no TypeScript sources, tests or development tools.
# The embedded model packs (models/imagenet, the default, and models/fashion-mnist) are baked
# in; mount another pack and set MODEL_PACK to serve it.

FROM node:22.23-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# onnxruntime-node ships its library for every platform (~290 MB); keep only this one's.
RUN npm ci --omit=dev \
  && find node_modules/onnxruntime-node/bin/napi-v6 -mindepth 2 -maxdepth 2 \
    ! -path "*/$(node -p 'process.platform + "/" + process.arch')" -exec rm -rf {} +
COPY scripts/build.js ./scripts/
COPY server ./server
COPY schema ./schema
RUN npm run build

FROM node:22.23-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=4000 CACHE_DIR=/var/cache/vision-classify
WORKDIR /app
# jemalloc returns memory after bursts of large uploads that glibc's arenas keep (BENCHMARKS.md).
RUN apt-get update && apt-get install -y --no-install-recommends libjemalloc2 && rm -rf /var/lib/apt/lists/* \
  && ln -s "/usr/lib/$(uname -m)-linux-gnu/libjemalloc.so.2" /usr/local/lib/libjemalloc.so.2
ENV LD_PRELOAD=/usr/local/lib/libjemalloc.so.2
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY models/imagenet ./models/imagenet
COPY models/fashion-mnist ./models/fashion-mnist
RUN mkdir -p /var/cache/vision-classify && chown node:node /var/cache/vision-classify
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:4000/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/server/main.js"]
