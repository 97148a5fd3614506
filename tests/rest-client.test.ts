// The REST client against a local HTTP server: every request names the engine and its version in its
// User-Agent (the exchange's CDN challenges anonymous clients), and Bitunix's rate-limit replies
// (HTTP 200 with code 10005/10006) are waited out and asked again instead of failing as bad data.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { engineUserAgent, RateLimitedError, RestClient } from '../src/main/rest-client.js';

const FUNDING = '{"code":0,"data":{"symbol":"BTCUSDT","markPrice":"78829.5","lastPrice":"78829.4","fundingRate":"-0.009154"},"msg":"Success"}';
const LIMITED = '{"code":10006,"data":null,"msg":"Too many requests"}';
const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

let server: Server;
let base = '';
const seen: IncomingMessage[] = [];
/** Bodies to answer with, in order; the last one repeats. */
let replies: string[] = [];

before(async () => {
  server = createServer((req, res) => {
    seen.push(req);
    const body = replies.length > 1 ? replies.shift()! : replies[0]!;
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const client = (retries = 4): RestClient =>
  new RestClient(base, 'BTCUSDT', { userAgent: engineUserAgent(version), rateLimitRetries: retries, rateLimitBackoffMs: 1 });

test('every request sends a User-Agent naming the engine and its package version', async () => {
  seen.length = 0;
  replies = [FUNDING];
  await client().fundingRate();
  replies = ['{"code":0,"data":[],"msg":"Success"}'];
  await client().lastClosed('1m', 5, Date.UTC(2026, 1, 1));
  assert.equal(seen.length, 2);
  for (const req of seen) assert.equal(req.headers['user-agent'], `laptop-agents/${version}`);
  assert.match(version, /^\d+\.\d+\.\d+/);
});

test('a rate-limit reply is retried after a backoff, then the answer is used', async () => {
  seen.length = 0;
  replies = [LIMITED, LIMITED.replace('10006', '10005'), FUNDING];
  const f = await client().fundingRate();
  assert.equal(seen.length, 3, 'two refusals, then the answer');
  assert.ok(Math.abs(f.rate - -0.00009154) < 1e-18);
  assert.equal(f.nextFundingTime, null);
});

test('a rate limit that does not lift ends in a RateLimitedError after the retries, never a decode error', async () => {
  seen.length = 0;
  replies = [LIMITED];
  await assert.rejects(client(2).fundingRate(), (err: unknown) => err instanceof RateLimitedError && /rate limited after 3 tries/.test(err.message));
  assert.equal(seen.length, 3);
});
