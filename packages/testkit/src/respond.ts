import type { ServerResponse } from 'node:http';
import type { LeafBehavior, RateLimitState } from './behaviors.js';
import type { CallRecord } from './call-log.js';
import type { Pacer } from './pacer.js';
import { planReply, type ReplyPlan } from './reply.js';
import type { Dialect, ParsedCall, WireResponse } from './wire.js';

/** One request being answered: everything the behaviours need to write (or not write) its response. */
export interface Exchange {
  response: ServerResponse;
  record: CallRecord;
  pacer: Pacer;
  dialect: Dialect;
  call: ParsedCall;
  /** Models the provider's list endpoints show. */
  models: readonly string[];
  now: () => number;
  /** Set when the upstream itself cut the connection, so it is not mistaken for a client abort. */
  cutByServer: boolean;
}

export function send(response: ServerResponse, answer: WireResponse): void {
  if (response.destroyed) return;
  response.writeHead(answer.status, answer.headers);
  response.end(answer.body);
}

export function reply(exchange: Exchange, answer: WireResponse): void {
  exchange.record.status = answer.status;
  send(exchange.response, answer);
}

function failWith(
  exchange: Exchange,
  leaf: LeafBehavior & { kind: 'status' },
  headers: Record<string, string>,
): void {
  const { dialect, call, record, now } = exchange;
  const failure = dialect.failure(leaf, { call, key: record.key, now: now() });
  reply(exchange, { ...failure, headers: { ...failure.headers, ...headers } });
}

/** Carries out one resolved behaviour. */
export async function perform(
  exchange: Exchange,
  leaf: LeafBehavior,
  rateLimit: RateLimitState | undefined,
): Promise<void> {
  const { dialect, call, pacer, now } = exchange;
  const limitHeaders =
    rateLimit && dialect.rateLimitHeaders ? dialect.rateLimitHeaders(rateLimit, now()) : {};
  const streaming = call.stream && call.operation === 'chat';
  if (leaf.kind === 'hang') return;
  if (leaf.kind === 'status') return failWith(exchange, leaf, limitHeaders);
  if (leaf.kind === 'stream_error' && !streaming) {
    return failWith(exchange, { kind: 'status', status: leaf.status ?? 500 }, limitHeaders);
  }
  if (leaf.kind === 'ok') {
    if (leaf.firstByteDelayMs && !(await pacer.wait(leaf.firstByteDelayMs))) return;
    if (!streaming && !leaf.keepAlives && leaf.delayMs && !(await pacer.wait(leaf.delayMs))) return;
  }
  const plan = planReply(call, leaf.reply, leaf.kind === 'ok' ? leaf.usage : undefined);
  const headers = { ...limitHeaders, ...(leaf.kind === 'ok' ? leaf.headers : undefined) };
  if (streaming) return streamAnswer(exchange, leaf, plan, headers);

  const answer = dialect.answer(call, plan, exchange.models);
  if (leaf.kind === 'ok' && leaf.keepAlives) return paddedAnswer(exchange, leaf, answer, headers);
  if (leaf.kind === 'cut_stream') return cutBody(exchange, answer);
  if (leaf.kind === 'stall') {
    exchange.response.writeHead(answer.status, answer.headers).flushHeaders();
    exchange.record.status = answer.status;
    return;
  }
  reply(exchange, { ...answer, headers: { ...answer.headers, ...headers } });
}

async function streamAnswer(
  exchange: Exchange,
  leaf: Exclude<LeafBehavior, { kind: 'hang' | 'status' }>,
  plan: ReplyPlan,
  headers: Record<string, string>,
): Promise<void> {
  const { response, dialect, call, pacer, record } = exchange;
  const stream = dialect.stream(call, plan);
  response.writeHead(200, { ...stream.headers, ...headers });
  record.status = 200;
  if (leaf.kind === 'ok' && leaf.keepAlives) response.write(': keep-alive\n\n'.repeat(leaf.keepAlives));
  const sent = leaf.kind === 'ok' ? stream.pieces.length : Math.min(leaf.afterChunks, stream.pieces.length);
  const chunkDelayMs = leaf.kind === 'ok' || leaf.kind === 'cut_stream' ? (leaf.chunkDelayMs ?? 0) : 0;
  const delayMs = leaf.kind === 'ok' ? (leaf.delayMs ?? 0) : 0;

  if (chunkDelayMs === 0 && delayMs === 0) {
    // The benchmark's hot path: one write for everything before the ending.
    response.write(stream.head + stream.pieces.slice(0, sent).join(''));
  } else {
    // Headers and the opening events go out at once, so a slow stream is distinguishable from a slow first byte.
    response.write(stream.head);
    if (delayMs > 0 && !(await pacer.wait(delayMs))) return;
    for (let index = 0; index < sent; index++) {
      if (index > 0 && chunkDelayMs > 0 && !(await pacer.wait(chunkDelayMs))) return;
      response.write(stream.pieces[index] ?? '');
    }
  }
  switch (leaf.kind) {
    case 'cut_stream':
      exchange.cutByServer = true;
      // Let the bytes already written leave before the connection is torn down.
      response.write('', () => response.destroy());
      return;
    case 'stall':
      return;
    case 'stream_error':
      response.end(dialect.streamFailure(leaf.status ?? 500, call));
      return;
    default:
      if (chunkDelayMs > 0 && sent > 0 && !(await pacer.wait(chunkDelayMs))) return;
      response.end(stream.tail);
  }
}

/** Headers and blank lines at once, the JSON after `delayMs`: how DeepSeek keeps a slow call alive. */
async function paddedAnswer(
  exchange: Exchange,
  leaf: LeafBehavior & { kind: 'ok' },
  answer: WireResponse,
  headers: Record<string, string>,
): Promise<void> {
  const { response, record, pacer } = exchange;
  response.writeHead(answer.status, { ...answer.headers, ...headers });
  record.status = answer.status;
  response.write('\n'.repeat(leaf.keepAlives ?? 0));
  if (leaf.delayMs && !(await pacer.wait(leaf.delayMs))) return;
  response.end(answer.body);
}

/** A non-stream answer that stops halfway: headers promise the full length, half arrives. */
function cutBody(exchange: Exchange, answer: WireResponse): void {
  const { response, record } = exchange;
  exchange.cutByServer = true;
  const bytes = Buffer.from(answer.body);
  response.writeHead(answer.status, { ...answer.headers, 'content-length': String(bytes.length) });
  record.status = answer.status;
  response.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => response.destroy());
}
