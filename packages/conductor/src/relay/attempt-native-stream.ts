import type { ResponsesApi } from '@llmgw/providers';
import type { AttemptContext, AttemptStep } from './attempt-step.js';
import { createNativeSource, createNativeSseBody } from './native-stream.js';
import { attemptStreamWith } from './stream-attempt.js';

/**
 * One native stream attempt, under the chat stream's rules (`attemptStreamWith`): the first whole
 * event decides whether it started; the upstream's events pass through to the client.
 */
export function attemptNativeStream(
  ctx: AttemptContext,
  api: ResponsesApi,
  body: Record<string, unknown>,
  onEnd: () => void,
): Promise<AttemptStep> {
  return attemptStreamWith(
    ctx,
    {
      build: (_target, call) => api.buildRequest(call, body),
      open: (response) => createNativeSource(response, api.createStreamParser()),
      respond: (feed, headers) => ({
        kind: 'stream',
        body: createNativeSseBody(feed),
        headers,
        format: 'responses',
      }),
    },
    onEnd,
  );
}
