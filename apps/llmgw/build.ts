// Production bundle: our workspace packages compiled into one ESM file, npm dependencies left as
// imports. Running it needs no TypeScript loader: no tsx hooks thread, less memory, faster start.
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const appDir = fileURLToPath(new URL('.', import.meta.url));

await build({
  absWorkingDir: appDir,
  entryPoints: ['src/main.ts'],
  outfile: 'dist/bin/llmgw.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  plugins: [
    {
      name: 'external-npm-packages',
      setup(builder) {
        // Bare imports that are not ours stay imports; @llmgw/* sources are bundled.
        builder.onResolve({ filter: /^[^./]/ }, (args) =>
          args.kind === 'entry-point' || args.path.startsWith('@llmgw/')
            ? undefined
            : { path: args.path, external: true },
        );
      },
    },
  ],
});
