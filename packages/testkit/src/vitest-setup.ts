// Runs in every vitest worker before its test file is imported (vitest.config.ts, `setupFiles`).
import { nudgeThreadPool } from './threadpool-nudge.js';

nudgeThreadPool();
