#!/usr/bin/env node
// The workspace packages ship TypeScript sources (Turborepo "just-in-time" packages), so the
// bin registers tsx's loader before the entry point instead of requiring a build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
