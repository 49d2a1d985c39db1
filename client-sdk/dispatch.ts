/** Routing a protocol message to the handler of its `type`; the compiler checks every type has one. */

/** One handler for each `type` of the message union M. */
export type MessageHandlers<M extends { readonly type: string }> = {
  readonly [T in M['type']]: (message: Extract<M, { readonly type: T }>) => void;
};

/** Calls the handler of `message.type`. */
export function dispatch<M extends { readonly type: string }>(message: M, handlers: MessageHandlers<M>): void {
  const handler = handlers[message.type as M['type']] as (message: M) => void;
  handler(message);
}
