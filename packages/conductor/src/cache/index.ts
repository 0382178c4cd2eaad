export { cacheKey, canonicalJson, isDeterministic } from './cache-key.js';
export { createResponseCache, type ResponseCache } from './response-cache.js';
export { type CacheHeader, type CacheLookup, type CacheTicket, lookupCache } from './serve-cached.js';
