import {
  type AttemptOutcome,
  type Classification,
  isLlmgwError,
  type RateLimitHints,
  type TripleOutcome,
} from '@llmgw/core';
import { isClientAbort, isHttpTransportError } from '@llmgw/http';
import { isRequestRefusal, isUpstreamStreamError, type ProviderAdapter, type Usage } from '@llmgw/providers';
import { isUpstreamCallError } from '@llmgw/upstream';
import type { Logger } from 'pino';
import type { LeaseResult } from '../contracts.js';
import type { AbortCause } from './abort.js';
import type { RefusedClassification } from './client-errors.js';

/** How one attempt ended, before it is released, recorded and shown in the trail. */
export type AttemptEnd =
  | { kind: 'ok'; status: number; usage?: Usage | undefined; hints?: RateLimitHints | undefined }
  | {
      kind: 'failure';
      classification: Classification;
      status?: number | undefined;
      hints?: RateLimitHints;
      /** The adapter refused the request before any upstream call: the caller's fault, no penalty. */
      refused?: true;
    }
  /** The client left, or the request ran out of time: nobody's fault, no penalty for the triple. */
  | { kind: 'aborted'; cause: Exclude<AbortCause, 'first_byte_timeout'> }
  /** A bug of ours (not an upstream verdict): the triple is not blamed for it. */
  | { kind: 'internal'; error: unknown };

export interface ClassifyContext {
  adapter: ProviderAdapter | undefined;
  cause: AbortCause | undefined;
  firstByteTimeoutMs: number;
  now: number;
}

/** Turns whatever an attempt threw into one outcome; our own abort cause wins over the error's shape. */
export function classifyAttemptError(error: unknown, ctx: ClassifyContext): AttemptEnd {
  if (ctx.cause === 'first_byte_timeout') {
    const message = `no first byte within ${ctx.firstByteTimeoutMs} ms`;
    return { kind: 'failure', classification: { reason: 'timeout', scope: 'triple', message } };
  }
  if (ctx.cause !== undefined) return { kind: 'aborted', cause: ctx.cause };
  if (isClientAbort(error)) return { kind: 'aborted', cause: 'client' };
  if (isUpstreamStreamError(error)) {
    return { kind: 'failure', classification: error.classification, status: error.failure.status };
  }
  if (isRequestRefusal(error)) {
    // The code travels on the classification to the client's 400 (client-errors.ts badRequestError).
    const classification: RefusedClassification = {
      reason: 'bad_request',
      scope: 'triple',
      message: error.message,
      code: error.code,
    };
    return { kind: 'failure', classification, status: 400, refused: true };
  }
  if (isUpstreamCallError(error)) {
    // A 429 often states the key's limits in its headers: they seed the shared windows like a success's.
    const { headers } = error.failure;
    const hints = headers && ctx.adapter ? ctx.adapter.readRateLimitHints(headers, ctx.now) : undefined;
    return {
      kind: 'failure',
      classification: error.classification,
      status: error.failure.status,
      ...(hints && Object.keys(hints).length > 0 ? { hints } : {}),
    };
  }
  if (isHttpTransportError(error)) {
    const failure = { transport: error.transport, code: error.code };
    const classification = ctx.adapter?.classifyFailure(failure, ctx.now) ?? {
      reason: error.transport,
      scope: 'triple',
      message: `${error.transport} (${error.code})`,
    };
    return { kind: 'failure', classification };
  }
  // Adapters refuse unreadable 2xx bodies, and a pool provider without a proxy refuses to route,
  // with an LlmgwError that already names its reason.
  if (isLlmgwError(error) && error.reason !== undefined) {
    const classification: Classification = { reason: error.reason, scope: 'triple', message: error.message };
    return { kind: 'failure', classification, status: error.status };
  }
  return { kind: 'internal', error };
}

/** The trail / attempts-table word for an outcome. */
export function outcomeWord(end: AttemptEnd): AttemptOutcome {
  switch (end.kind) {
    case 'ok':
      return 'ok';
    case 'failure':
      return end.classification.reason;
    case 'aborted':
      return 'client_abort';
    case 'internal':
      return 'server_error';
  }
}

export function leaseResultOf(end: AttemptEnd, latencyMs: number): LeaseResult {
  const outcome = tripleOutcomeOf(end, latencyMs);
  const tokens = end.kind === 'ok' ? end.usage?.total_tokens : undefined;
  const hints = end.kind === 'ok' || end.kind === 'failure' ? end.hints : undefined;
  return {
    outcome,
    latencyMs,
    ...(tokens === undefined ? {} : { tokens }),
    ...(hints === undefined ? {} : { hints }),
  };
}

function tripleOutcomeOf(end: AttemptEnd, latencyMs: number): TripleOutcome {
  switch (end.kind) {
    case 'ok':
      return { kind: 'ok', latencyMs };
    case 'failure':
      // Nothing was sent, so nothing is known about the triple: released like an abort, untouched.
      if (end.refused) return { kind: 'client_abort' };
      return {
        kind: 'failure',
        classification: end.classification,
        ...(end.status === undefined ? {} : { status: end.status }),
      };
    default:
      return { kind: 'client_abort' };
  }
}

/** What the attempts table keeps as the message: key-free, short. */
export function messageOf(end: AttemptEnd): string | null {
  switch (end.kind) {
    case 'ok':
      return null;
    case 'failure':
      return end.classification.message;
    case 'aborted':
      return end.cause === 'client' ? 'client went away' : 'request timeout';
    case 'internal':
      // Only the error's name: an unexpected error's message is not known to be free of secrets.
      return `gateway error (${end.error instanceof Error ? end.error.name : typeof end.error})`;
  }
}

/** For logs only (never the client or the database). */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** `drop_unsupported`: each parameter an adapter left out, at debug (the operator chose to allow it). */
export function droppedLogger(log: Logger, requestId: string, provider: string): (parameter: string) => void {
  return (parameter) =>
    log.debug(
      { event: 'relay.parameter_dropped', requestId, provider, parameter },
      'unsupported parameter dropped',
    );
}
