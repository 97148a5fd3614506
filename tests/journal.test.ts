// events.jsonl: group-committed lines, seq strictly increasing, a torn last line cut off at open,
// a bad middle line skipped and reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { JournalEntry } from '../src/shared/events.js';
import { Journal, scanJournal } from '../src/workers/store/journal.js';

const journalFile = (): string => path.join(mkdtempSync(path.join(os.tmpdir(), 'journal-')), 'events.jsonl');
const entry = (seq: number, event = 'OrderQueued'): JournalEntry => ({ seq, ts: 1_717_000_000_000 + seq, event }) as JournalEntry;
const line = (seq: number, event = 'OrderQueued'): string => `${JSON.stringify(entry(seq, event))}\n`;

test('appends are one line per entry and survive a reopen', async () => {
  const file = journalFile();
  const { journal, scan } = await Journal.open(file);
  assert.deepEqual(scan, { entries: [], skipped: [], torn: null });
  await journal.append([entry(1, 'SessionStart'), entry(2)]);
  await journal.append([entry(3)]);
  await journal.append([]);
  assert.equal(journal.lastSeq, 3);
  assert.equal(readFileSync(file, 'utf8'), line(1, 'SessionStart') + line(2) + line(3));
  await journal.close();

  const again = await Journal.open(file);
  assert.deepEqual(again.scan.entries, [entry(1, 'SessionStart'), entry(2), entry(3)]);
  assert.equal(again.journal.lastSeq, 3);
  await again.journal.close();
});

test('seq must keep increasing; a refused batch writes nothing', async () => {
  const file = journalFile();
  const { journal } = await Journal.open(file);
  await journal.append([entry(1), entry(2)]);
  await assert.rejects(journal.append([entry(3), entry(3)]), /seq 3 is not after 3/);
  await assert.rejects(journal.append([entry(2)]), /seq 2 is not after 2/);
  await assert.rejects(journal.append([{ seq: 9, event: 'Fill' } as unknown as JournalEntry]), /ts: expected finite number/);
  assert.equal(readFileSync(file, 'utf8'), line(1) + line(2));
  await journal.append([entry(5)]); // gaps are allowed (a failed batch), going back is not
  assert.equal(journal.lastSeq, 5);
  await journal.close();
});

test('a torn last line is truncated off the file and reported; appends continue after it', async () => {
  const file = journalFile();
  const torn = '{"seq":3,"ts":1717000000003,"ev';
  writeFileSync(file, line(1) + line(2) + torn);
  const { journal, scan } = await Journal.open(file);
  assert.deepEqual(scan.torn, { offset: (line(1) + line(2)).length, bytes: torn.length, line: torn });
  assert.deepEqual(
    scan.entries.map((e) => e.seq),
    [1, 2],
  );
  assert.equal(statSync(file).size, (line(1) + line(2)).length);
  await journal.append([entry(3)]);
  await journal.close();
  assert.equal(readFileSync(file, 'utf8'), line(1) + line(2) + line(3));
});

test('a newline-terminated garbage last line is also torn', () => {
  const scan = scanJournal(Buffer.from(line(1) + 'xx}\n'));
  assert.deepEqual(scan.torn, { offset: line(1).length, bytes: 4, line: 'xx}' });
  assert.deepEqual(
    scan.entries.map((e) => e.seq),
    [1],
  );
});

test('a complete last entry missing only its newline is kept and terminated', async () => {
  const file = journalFile();
  writeFileSync(file, line(1) + line(2).trimEnd());
  const { journal, scan } = await Journal.open(file);
  assert.equal(scan.torn, null);
  assert.deepEqual(
    scan.entries.map((e) => e.seq),
    [1, 2],
  );
  await journal.append([entry(3)]);
  await journal.close();
  assert.equal(readFileSync(file, 'utf8'), line(1) + line(2) + line(3));
});

test('bad lines in the middle are skipped and reported with their line number', async () => {
  const file = journalFile();
  writeFileSync(file, line(1) + 'not json\n' + '\n' + line(1) + '{"seq":0,"ts":1,"event":"X"}\n' + line(4));
  const { journal, scan } = await Journal.open(file);
  assert.deepEqual(
    scan.entries.map((e) => e.seq),
    [1, 4],
  );
  assert.deepEqual(scan.skipped, [
    { line: 2, reason: 'unparseable JSON' },
    { line: 4, reason: 'seq 1 not after 1' },
    { line: 5, reason: 'seq: expected integer >= 1' },
  ]);
  assert.equal(scan.torn, null);
  assert.equal(journal.lastSeq, 4);
  await journal.close();
});

test('a journal of garbage lists only its first 100 skipped lines and counts the rest', async () => {
  const file = journalFile();
  writeFileSync(file, line(1) + 'garbage\n'.repeat(250) + line(2));
  const { journal, scan } = await Journal.open(file);
  assert.equal(scan.skipped.length, 100);
  assert.deepEqual(scan.skipped[99], { line: 101, reason: 'unparseable JSON' });
  assert.equal(journal.readAtOpen.skippedLines, 250);
  assert.deepEqual(
    scan.entries.map((e) => e.seq),
    [1, 2],
  );
  await journal.close();
});
