# syntax=docker/dockerfile:1
# ImpactLedger image: the UI is built with Node, embedded into a static Go binary, and run as a non-root
# user on a distroless base with no shell.

FROM node:20-bookworm-slim AS ui
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY api/openapi.yaml /src/api/openapi.yaml
COPY frontend/ ./
RUN npm run build

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=ui /src/frontend/dist ./frontend/dist
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/impactledger . \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/impactledger /impactledger
# The embedded SQLite default lives here when DATABASE_URL is empty; mount a volume on /data to keep it.
COPY --from=build --chown=65532:65532 /out/data /data
WORKDIR /
ENV IMPACTLEDGER_ADDR=0.0.0.0:8080 \
    IMPACTLEDGER_LOG_FORMAT=json
USER 65532:65532
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 CMD ["/impactledger", "healthcheck"]
ENTRYPOINT ["/impactledger"]
CMD ["serve"]
