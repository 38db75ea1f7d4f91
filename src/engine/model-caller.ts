import type { ModelCaller } from '../agent/types.js';
import { emitEvent, type EventSink } from '../events.js';
import type { ModelClient } from '../model/types.js';

/**
 * The function agents use to send a logical model request. One attempt per call for now;
 * the resilience layer wraps its retry loop here (and only here).
 */
export function createModelCaller(client: ModelClient, onEvent: EventSink): ModelCaller {
  return async (request, options) => {
    emitEvent(onEvent, {
      type: 'model-request-start',
      ...options.location,
      model: request.model,
      attempt: 1,
    });
    return client.complete(request, {
      ...(options.signal && { signal: options.signal }),
      ...(options.onTextDelta && { onTextDelta: options.onTextDelta }),
    });
  };
}
