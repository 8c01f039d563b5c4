# Latchkey: node:24-slim, production dependencies only, non-root, data on a volume.
# Both stages build on one base. Pin it by digest for a build you can repeat (docs/operations.md,
# "Building the image"): docker build --build-arg NODE_IMAGE=node:24-slim@sha256:<digest> .
ARG NODE_IMAGE=node:24-slim
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# argon2 ships prebuilt binaries for linux x64/arm64 glibc; nothing is compiled here.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE}
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY config ./config
COPY adapters ./adapters
COPY server ./server
# The guard library: the built-in guard uses its code in-process.
COPY packages ./packages
COPY cli ./cli
COPY views ./views
COPY static ./static
# /docs serves these pages, rendered at boot.
COPY docs ./docs
# Only the node user may read the store (Latchkey also enforces 0700 on DATA_DIR and 0600 on its
# files at boot, for a bind mount or a volume made before this image).
RUN mkdir -p /data && chown node:node /data && chmod 700 /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Run node directly (not npm) so SIGTERM reaches the server: it drains (LATCHKEY_SHUTDOWN_DRAIN, 10 s
# by default here), then finishes requests in flight (10 s). Stop it with `docker stop -t 30`.
CMD ["node", "server/main.ts"]
