/** `keepalive`: no audio, but keep the session open (resets the idle timeout). No answer is sent. */
export interface KeepaliveMessage {
  readonly type: 'keepalive';
}
