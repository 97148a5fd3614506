// What "the same journal" means for a replay: events.jsonl with each line's wall-clock `ts` and
// SessionStart's `pid` and `at` left out. Everything else a run writes to its journal follows from the feed,
// the flags and --seed, so two runs of one replay compare equal in this form. Pure.

export function journalNormalForm(eventsJsonl: string): string {
  return eventsJsonl
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => {
      const e = JSON.parse(line) as Record<string, unknown>;
      delete e.ts;
      if (e.event === 'SessionStart') {
        delete e.pid;
        delete e.at;
      }
      return JSON.stringify(e);
    })
    .join('\n');
}
