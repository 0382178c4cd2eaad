# syntax=docker/dockerfile:1
# llmgw: one image for every role (`llmgw gateway`, `llmgw worker`, `llmgw start`), chosen by the
# command. See docs/deploy.md. Build: docker build -t llmgw .

ARG NODE_IMAGE=node:20-bookworm-slim
ARG PNPM_VERSION=9.15.9

# --- build: the whole workspace with dev dependencies, then the esbuild bundle -------------------
FROM ${NODE_IMAGE} AS build
ARG PNPM_VERSION
# npm's own install, not corepack: a corepack shim can exist and still fail its signature check.
RUN npm install -g --force pnpm@${PNPM_VERSION}
WORKDIR /src
# Manifests first, so the dependency layer is rebuilt only when a manifest or the lockfile changes.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY apps/llmgw/package.json apps/llmgw/
COPY packages/core/package.json packages/core/
COPY packages/config/package.json packages/config/
COPY packages/db/package.json packages/db/
COPY packages/http/package.json packages/http/
COPY packages/providers/package.json packages/providers/
COPY packages/testkit/package.json packages/testkit/
COPY packages/upstream/package.json packages/upstream/
COPY packages/conductor/package.json packages/conductor/
COPY packages/keeper/package.json packages/keeper/
RUN pnpm install --frozen-lockfile
COPY . .
# apps/llmgw/dist/bin/llmgw.mjs: our packages bundled, npm dependencies left as imports.
RUN pnpm build

# --- deps: production dependencies of the CLI only ------------------------------------------------
FROM ${NODE_IMAGE} AS deps
ARG PNPM_VERSION
RUN npm install -g --force pnpm@${PNPM_VERSION}
WORKDIR /app
COPY --from=build /src/package.json /src/pnpm-lock.yaml /src/pnpm-workspace.yaml ./
COPY --from=build /src/apps/llmgw/package.json apps/llmgw/
COPY --from=build /src/packages/core/package.json packages/core/
COPY --from=build /src/packages/config/package.json packages/config/
COPY --from=build /src/packages/db/package.json packages/db/
COPY --from=build /src/packages/http/package.json packages/http/
COPY --from=build /src/packages/providers/package.json packages/providers/
COPY --from=build /src/packages/testkit/package.json packages/testkit/
COPY --from=build /src/packages/upstream/package.json packages/upstream/
COPY --from=build /src/packages/conductor/package.json packages/conductor/
COPY --from=build /src/packages/keeper/package.json packages/keeper/
# The bundle imports npm packages by name; they resolve from apps/llmgw/node_modules.
RUN pnpm install --prod --frozen-lockfile --filter @llmgw/cli...

# --- runtime ---------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    LLMGW_HOST=0.0.0.0 \
    LLMGW_PORT=8080
WORKDIR /app
COPY --from=deps /app ./
COPY --from=build /src/apps/llmgw/dist apps/llmgw/dist
# Found by walking up from the bundle: `db migrate` and every role migrate on boot.
COPY --from=build /src/migrations migrations
# The operator's files: mount over these (config/providers.yaml, config/offline/, keys/, proxies/).
COPY config config
RUN mkdir -p keys proxies data output && chown -R node:node /app
USER node
EXPOSE 8080
# Binding 0.0.0.0 requires LLMGW_AUTH_TOKENS: the gateway refuses to start open to the network.
# --single-threaded-gc: the collector runs on the event loop's own thread, without helper threads
# that compete for the cores the gateway shares (docs/design/conductor.md, "One thread collects").
ENTRYPOINT ["node", "--single-threaded-gc", "apps/llmgw/dist/bin/llmgw.mjs"]
CMD ["gateway"]
