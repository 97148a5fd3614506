// The control frames: what a client sends (subscribe, the JSON ping) and the server's answers.
import { isObj, num } from './wire-values.js';

/** One subscribe frame for every channel of a symbol (the exchange counts frames, docs/bitunix-wire.md §1.2). */
export function encodeSubscribe(symbol: string, channels: string[]): string {
  return JSON.stringify({ op: 'subscribe', args: channels.map((ch) => ({ symbol, ch })) });
}

/** The JSON keepalive; `ping` is Unix seconds. Never a protocol-level ping (docs/bitunix-wire.md §1.2). */
export function encodePing(unixSeconds: number): string {
  return `{"op":"ping","ping":${Math.floor(unixSeconds)}}`;
}

export const CONNECT_FRAME = '{"op":"connect","data":{"result":true}}';

/** The server's answer to a ping: `op` stays "ping", `pong` echoes, `ping` is a server second. */
export function encodePong(clientPing: number, serverSecond: number): string {
  return `{"op":"ping","pong":${clientPing},"ping":${Math.floor(serverSecond)}}`;
}

export type ClientFrame = { op: 'ping'; ping: number } | { op: 'subscribe' | 'unsubscribe'; args: { symbol: string; ch: string }[] } | { op: 'unknown' };

/** What the simulator understands from a client; anything else is `unknown` (the exchange ignores it). */
export function decodeClientFrame(text: string): ClientFrame {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return { op: 'unknown' };
  }
  if (!isObj(msg)) return { op: 'unknown' };
  if (msg.op === 'ping') {
    const ping = num(msg.ping);
    return Number.isFinite(ping) ? { op: 'ping', ping } : { op: 'unknown' };
  }
  if ((msg.op === 'subscribe' || msg.op === 'unsubscribe') && Array.isArray(msg.args)) {
    const args: { symbol: string; ch: string }[] = [];
    for (const a of msg.args as unknown[]) {
      if (isObj(a) && typeof a.ch === 'string') args.push({ symbol: typeof a.symbol === 'string' ? a.symbol : '', ch: a.ch });
    }
    return { op: msg.op, args };
  }
  return { op: 'unknown' };
}

/** The server's ack of an unsubscribe at market time `ts`. */
export function encodeUnsubscribeAck(ts: number): string {
  return `{"op":"unsubscribe","ts":${ts},"data":"success"}`;
}

/** The exchange's refusal of a subscription past its per-connection limit. */
export const SUBSCRIBE_LIMIT_FRAME = '{"op":"subscribe","data":{"msg":"subscribe channel > 300","nonce":"","result":false}}';
