import { defineConfig } from 'drizzle-kit';

// Generation compares the schema with migrations/meta, so it needs no database and no URL.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/schema.ts',
  out: '../../migrations',
});
