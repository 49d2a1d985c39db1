/** `stop`: the client has sent all its audio. The server labels the last partial second, sends `end` and closes 1000. */
export interface StopMessage {
  readonly type: 'stop';
}
