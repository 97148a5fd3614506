// WebSocket helpers for simulator tests.
import WebSocket from 'ws';

/** Connect once: 'open' when the upgrade succeeds, the HTTP status the server refused it with, or -1 on a socket error. */
export function connectOrStatus(url: string): Promise<'open' | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.on('open', () => {
      ws.terminate();
      resolve('open');
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('error', () => resolve(-1));
  });
}
