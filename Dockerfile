# syntax=docker/dockerfile:1
# kube-runtime-audit: the image the Helm chart runs (charts/kube-runtime-audit, image.repository).
#   docker build -t ghcr.io/kube-runtime-audit/kube-runtime-audit:0.1.0 --build-arg VERSION=0.1.0 .
# Build on Node 24 (Debian slim), run on distroless Node 24: no shell, no package manager, and no
# container runtime client (the auditor must not depend on the runtime it audits). Every build step is
# a package script or npm itself; test/unit/docker/dockerfile.test.ts holds it to package.json.
# Release pipelines may pin the bases by digest: --build-arg RUNTIME_IMAGE=...@sha256:...

ARG BUILD_IMAGE=node:24.21.0-bookworm-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot

# --- compile TypeScript with the dev dependencies (`npm run build` = tsc -p tsconfig.build.json)
FROM ${BUILD_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are copied; the build runs below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- production dependencies only
FROM ${BUILD_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# --- runtime: what `npm pack` would ship (package.json "files") plus the production node_modules
FROM ${RUNTIME_IMAGE}
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=1970-01-01T00:00:00Z
LABEL org.opencontainers.image.title="kube-runtime-audit" \
      org.opencontainers.image.description="Find what breaks before a Kubernetes container runtime change" \
      org.opencontainers.image.source="https://github.com/kube-runtime-audit/kube-runtime-audit" \
      org.opencontainers.image.url="https://github.com/kube-runtime-audit/kube-runtime-audit" \
      org.opencontainers.image.documentation="https://github.com/kube-runtime-audit/kube-runtime-audit#in-cluster-helm-chart" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.vendor="kube-runtime-audit" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}"
WORKDIR /app
ENV NODE_ENV=production
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY bin ./bin/
COPY docs/rules ./docs/rules/
COPY --from=build /src/dist ./dist/
# 65532 is distroless "nonroot"; the chart's securityContext runs as the same uid.
USER 65532:65532
ENTRYPOINT ["/nodejs/bin/node", "/app/bin/kube-runtime-audit.js"]
CMD ["--help"]
