import { createHash } from 'node:crypto';

/**
 * Pins a key to one proxy of its pool by rendezvous (highest-random-weight) hashing: each key gets
 * the healthy proxy with the highest hash(key, proxy). Adding or losing a proxy moves only the keys
 * that must move, so a key keeps its IP (and its provider-side reputation) while its proxy is good.
 */
export function pinProxy(keyFingerprint: string, healthyProxyIds: readonly string[]): string | null {
  let best: string | null = null;
  let bestWeight = -1n;
  for (const proxyId of healthyProxyIds) {
    const weight = createHash('sha256')
      .update(keyFingerprint)
      .update('\0')
      .update(proxyId)
      .digest()
      .readBigUInt64BE(0);
    if (weight > bestWeight || (weight === bestWeight && best !== null && proxyId < best)) {
      best = proxyId;
      bestWeight = weight;
    }
  }
  return best;
}
