// A long array's JSON text in slices, for pages of megabytes built piece by piece: the slices joined are
// exactly JSON.stringify(items), and no single string of the whole is made. Pure.

/** Items per slice of a long array's JSON. */
const JSON_SLICE = 512;

/** `JSON.stringify(items)` in slices (no single string of the whole array). */
export function* jsonArrayParts(items: readonly unknown[]): Generator<string> {
  if (items.length === 0) {
    yield '[]';
    return;
  }
  for (let i = 0; i < items.length; i += JSON_SLICE) {
    const body = JSON.stringify(items.slice(i, i + JSON_SLICE)).slice(1, -1);
    yield `${i === 0 ? '[' : ','}${body}${i + JSON_SLICE >= items.length ? ']' : ''}`;
  }
}
