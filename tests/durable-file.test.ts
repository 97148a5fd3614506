// Durable writes never leave a partial target or a stray temp file; rotation keeps exactly N generations;
// quarantine renames and never deletes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { quarantine, removeStaleTmp, rotateAndWrite, writeDurable } from '../src/workers/store/durable-file.js';

const tmpDir = (): string => mkdtempSync(path.join(os.tmpdir(), 'durable-file-'));
const ls = (dir: string): string[] => readdirSync(dir).sort();

test('writeDurable creates and then replaces the file, leaving no temp file', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'heartbeat.json');
  await writeDurable(file, '{"ticks":1}');
  assert.equal(readFileSync(file, 'utf8'), '{"ticks":1}');
  await writeDurable(file, '{"ticks":2}');
  assert.equal(readFileSync(file, 'utf8'), '{"ticks":2}');
  assert.deepEqual(ls(dir), ['heartbeat.json']);
});

test('writeDurable onto a directory fails with EISDIR and leaves no temp file', async () => {
  const dir = tmpDir();
  mkdirSync(path.join(dir, 'state.json'));
  await assert.rejects(writeDurable(path.join(dir, 'state.json'), 'x'), { code: 'EISDIR' });
  assert.deepEqual(ls(dir), ['state.json']);
});

test('writeDurable into a missing directory fails with ENOENT', async () => {
  const dir = tmpDir();
  await assert.rejects(writeDurable(path.join(dir, 'gone', 'state.json'), 'x'), { code: 'ENOENT' });
  assert.deepEqual(ls(dir), []);
});

test('rotation keeps exactly `backups` generations, newest first', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'state.json');
  for (let v = 1; v <= 6; v++) await rotateAndWrite(file, `v${v}`, 3);
  assert.deepEqual(ls(dir), ['state.json', 'state.json.bak', 'state.json.bak.2', 'state.json.bak.3']);
  assert.equal(readFileSync(file, 'utf8'), 'v6');
  assert.equal(readFileSync(`${file}.bak`, 'utf8'), 'v5');
  assert.equal(readFileSync(`${file}.bak.2`, 'utf8'), 'v4');
  assert.equal(readFileSync(`${file}.bak.3`, 'utf8'), 'v3');
});

test('rotation with one or zero backups', async () => {
  const one = tmpDir();
  for (let v = 1; v <= 3; v++) await rotateAndWrite(path.join(one, 'state.json'), `v${v}`, 1);
  assert.deepEqual(ls(one), ['state.json', 'state.json.bak']);
  assert.equal(readFileSync(path.join(one, 'state.json.bak'), 'utf8'), 'v2');
  const none = tmpDir();
  for (let v = 1; v <= 3; v++) await rotateAndWrite(path.join(none, 'state.json'), `v${v}`, 0);
  assert.deepEqual(ls(none), ['state.json']);
  assert.equal(readFileSync(path.join(none, 'state.json'), 'utf8'), 'v3');
});

test('a failed rotated write leaves every generation as it was', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'state.json');
  writeFileSync(`${file}.bak`, 'b1');
  writeFileSync(`${file}.bak.2`, 'b2');
  mkdirSync(file); // the primary cannot be linked nor replaced
  await assert.rejects(rotateAndWrite(file, 'new', 3), (e: NodeJS.ErrnoException) => e.code === 'EPERM' || e.code === 'EISDIR');
  assert.deepEqual(ls(dir), ['state.json', 'state.json.bak', 'state.json.bak.2']);
  assert.equal(readFileSync(`${file}.bak`, 'utf8'), 'b1');
  assert.equal(readFileSync(`${file}.bak.2`, 'utf8'), 'b2');
});

test('quarantine renames to <name>.corrupt.<epochms> and never overwrites an earlier one', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'state.json');
  writeFileSync(file, 'garbage-1');
  assert.equal(await quarantine(file, 1_717_000_000_123), `${file}.corrupt.1717000000123`);
  writeFileSync(file, 'garbage-2');
  assert.equal(await quarantine(file, 1_717_000_000_123), `${file}.corrupt.1717000000124`);
  assert.deepEqual(ls(dir), ['state.json.corrupt.1717000000123', 'state.json.corrupt.1717000000124']);
  assert.equal(readFileSync(`${file}.corrupt.1717000000123`, 'utf8'), 'garbage-1');
  assert.equal(readFileSync(`${file}.corrupt.1717000000124`, 'utf8'), 'garbage-2');
  assert.equal(existsSync(file), false);
});

test('removeStaleTmp deletes only leftover .tmp files', async () => {
  const dir = tmpDir();
  writeFileSync(path.join(dir, 'state.json.4242.deadbeef.tmp'), 'half');
  writeFileSync(path.join(dir, 'heartbeat.json.1.00ff00ff.tmp'), '');
  writeFileSync(path.join(dir, 'state.json'), '{}');
  writeFileSync(path.join(dir, 'events.jsonl'), '');
  mkdirSync(path.join(dir, 'keep.tmp')); // not a file: left alone
  assert.deepEqual((await removeStaleTmp(dir)).sort(), ['heartbeat.json.1.00ff00ff.tmp', 'state.json.4242.deadbeef.tmp']);
  assert.deepEqual(ls(dir), ['events.jsonl', 'keep.tmp', 'state.json']);
});
