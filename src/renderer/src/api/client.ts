import { ApiError, type ApiInput, type ApiOutput, type EventPayload } from '@shared/api/contract'
import type { EventChannel, InvokeChannel } from '@shared/api/channels'
import type { ApiBridge } from './bridge'

/** Typed calls over whichever bridge is present; a failed envelope becomes a thrown ApiError. */
export function createClient(bridge: ApiBridge) {
  return {
    async call<C extends InvokeChannel>(channel: C, input: ApiInput<C>): Promise<ApiOutput<C>> {
      const envelope = await bridge.invoke(channel, input)
      if (!envelope.ok) throw new ApiError(envelope.error.code, envelope.error.message)
      return envelope.value as ApiOutput<C>
    },
    on<E extends EventChannel>(channel: E, listener: (payload: EventPayload<E>) => void): () => void {
      return bridge.onEvent((c, payload) => {
        if (c === channel) listener(payload as EventPayload<E>)
      })
    }
  }
}
export type ApiClient = ReturnType<typeof createClient>
