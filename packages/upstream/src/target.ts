import type { Route } from '@llmgw/http';
import type { ProviderAdapter, ProviderSettings } from '@llmgw/providers';

/** Everything needed to call one key of one provider: who, with what, and by which road. */
export interface UpstreamTarget {
  adapter: ProviderAdapter;
  settings: ProviderSettings;
  /** Database id of the key; logs and errors name this, never the secret. */
  keyId: string;
  secret: string;
  route: Route;
  /** Extra CA for this provider's TLS chain (GigaChat's Russian Trusted Root CA). */
  caFile?: string;
  /** Overrides of the http timeouts for this provider. */
  timeouts?: { firstByteTimeoutMs?: number; idleTimeoutMs?: number };
}
