# syntax=docker/dockerfile:1
#
# jitsi-sso-gateway container image.
#
#   docker build -t jitsi-sso-gateway:0.1.0 .
#   docker run --rm -p 8080:8080 -v "$PWD/config.yaml:/etc/jitsi-sso-gateway/config.yaml:ro" \
#     --read-only --tmpfs /tmp jitsi-sso-gateway:0.1.0
#
# Runtime: distroless Node.js (no shell, no package manager), non-root uid 65532, nothing written
# outside /tmp, so it runs with a read-only root filesystem. The node process is PID 1 and gets
# SIGTERM directly (exec-form ENTRYPOINT), which starts the gateway's graceful shutdown.
# No HEALTHCHECK: Kubernetes probes /healthz and /readyz (see helm/jitsi-sso-gateway).
#
# Node.js 24 (LTS, supported until April 2028), the same major as package.json's engines and as
# the Node that CI runs the test suite on (.ci/run). Base images are pinned by digest (the
# multi-arch index digest of the tag in the comment above each), so a build is reproducible and a
# base image update is a reviewed change: update tag and digest together.

# node:24-bookworm-slim (24.18.0)
ARG NODE_IMAGE=node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d
# gcr.io/distroless/nodejs24-debian12:nonroot
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot@sha256:14d42e2511532589a7c7e01a753667a74fcc96266e137e8125006b87b0c32d0a

# ---- build: compile TypeScript to dist/ -------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV npm_config_audit=false \
    npm_config_fund=false \
    npm_config_update_notifier=false
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

# ---- prod-deps: runtime dependencies only --------------------------------------------------------
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
ENV npm_config_audit=false \
    npm_config_fund=false \
    npm_config_update_notifier=false
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts \
    && npm cache clean --force

# ---- runtime ---------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE} AS runtime
LABEL org.opencontainers.image.title="jitsi-sso-gateway" \
      org.opencontainers.image.description="Corporate SSO (OpenID Connect, CAS) to short-lived, room-scoped Jitsi Meet JWTs" \
      org.opencontainers.image.licenses="Apache-2.0"
WORKDIR /app
ENV NODE_ENV=production \
    JSG_CONFIG=/etc/jitsi-sso-gateway/config.yaml
# Owned by root, read-only for the gateway's user.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY package.json ./
COPY providers ./providers
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/nodejs/bin/node", "dist/src/cli/main.js"]
CMD ["serve", "--config", "/etc/jitsi-sso-gateway/config.yaml"]
