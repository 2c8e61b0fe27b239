import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { compileFunction } from 'node:vm';

// Evaluates the real function file; compiled in this realm so that deepEqual compares plainly.
const file = join(__dirname, '..', 'functions', 'ws-uri.js');
const handler = compileFunction(`${readFileSync(file, 'utf8')}\nreturn handler;`, [], { filename: file })() as (
  event: unknown,
) => Record<string, any>;

function viewerRequest(uri: string, querystring: Record<string, unknown> = {}) {
  return {
    version: '1.0',
    context: { eventType: 'viewer-request' },
    viewer: { ip: '192.0.2.1' },
    request: {
      method: 'GET',
      uri,
      querystring,
      headers: { host: { value: 'd111111abcdef8.cloudfront.net' }, 'sec-websocket-key': { value: 'dGhlIHNhbXBsZSBub25jZQ==' } },
      cookies: {},
    },
  };
}

test('a path with segments moves into ws-uri and the query string stays', () => {
  const query = { room: { value: 'blue' }, tag: { value: 'a', multiValue: [{ value: 'a' }, { value: 'b' }] } };
  const request = handler(viewerRequest('/chat/rooms/42', query));
  assert.equal(request.uri, '/');
  assert.deepEqual(request.headers['ws-uri'], { value: '/chat/rooms/42' });
  assert.deepEqual(request.querystring, query);
  assert.deepEqual(request.headers['sec-websocket-key'], { value: 'dGhlIHNhbXBsZSBub25jZQ==' });
});

test('the root path is kept as /', () => {
  const request = handler(viewerRequest('/'));
  assert.equal(request.uri, '/');
  assert.deepEqual(request.headers['ws-uri'], { value: '/' });
});

test('percent-encoded characters are passed on as received', () => {
  const request = handler(viewerRequest('/a%20b/caf%C3%A9/%2F%3F'));
  assert.equal(request.uri, '/');
  assert.deepEqual(request.headers['ws-uri'], { value: '/a%20b/caf%C3%A9/%2F%3F' });
});

test('a ws-uri header sent by the client is replaced', () => {
  const event = viewerRequest('/real');
  (event.request.headers as Record<string, { value: string }>)['ws-uri'] = { value: '/spoofed' };
  assert.deepEqual(handler(event).headers['ws-uri'], { value: '/real' });
});

test('the function stays ES5: no let/const, arrow functions or template literals', () => {
  const code = readFileSync(file, 'utf8').replace(/\/\/.*$/gm, '');
  assert.doesNotMatch(code, /\b(let|const|class)\s|=>|`/);
});
