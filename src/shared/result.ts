// A value, or the reason there is none: for checks whose refusal is an answer, not an exception.
export type Result<T, R> = { ok: true; value: T } | { ok: false; reason: R };

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
export const refused = <R>(reason: R): { ok: false; reason: R } => ({ ok: false, reason });
