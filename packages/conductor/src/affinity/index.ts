export { type AffinityStore, type AffinityStoreDeps, createAffinityStore } from './affinity-store.js';
export { type ConversationKey, conversationKey } from './conversation-key.js';
export { AFFINITY_HEADER, type RequestAffinity } from './request-affinity.js';
