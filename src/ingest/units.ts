// Quantities as labs write them ('920 nm', '0.8 um', {value, unit}, 'P60') -> a number in the field's canonical unit.

/** Per canonical unit: the factor that converts each accepted spelling into it. */
const conversions: Record<string, Record<string, number>> = {
  nm: { nm: 1, nanometer: 1, nanometre: 1, um: 1e3, 'µm': 1e3, micron: 1e3, micrometer: 1e3, micrometre: 1e3 },
  um: {
    um: 1, 'µm': 1, micron: 1, microns: 1, micrometer: 1, micrometre: 1, mm: 1e3, millimeter: 1e3, millimetre: 1e3,
    nm: 1e-3, nanometer: 1e-3, cm: 1e4,
  },
  Hz: { hz: 1, hertz: 1, khz: 1e3, fps: 1, 'frames/s': 1, 'frames per second': 1, mhz: 1e6 },
  mW: { mw: 1, milliwatt: 1, w: 1e3, watt: 1e3 },
  byte: {
    b: 1, byte: 1, bytes: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3,
    tib: 1024 ** 4,
  },
  day: { d: 1, day: 1, days: 1, w: 7, wk: 7, week: 7, weeks: 7, h: 1 / 24, hour: 1 / 24, hours: 1 / 24, mo: 30.44,
    month: 30.44, months: 30.44, y: 365.25, year: 365.25, years: 365.25 },
};

export const canonicalUnits = Object.keys(conversions);

export type QuantityResult = { ok: true; value: number } | { ok: false; message: string };

/** Converts a quantity to `unit`; a bare number is taken to be in `unit` already. */
export function toCanonical(input: unknown, unit: string): QuantityResult {
  const table = conversions[unit];
  if (!table) return { ok: false, message: `the mapping names an unknown unit '${unit}'` };
  let value: number;
  let given: string | undefined;
  if (typeof input === 'number') {
    value = input;
  } else if (typeof input === 'object' && input !== null && typeof (input as { value?: unknown }).value === 'number') {
    value = (input as { value: number }).value;
    given = (input as { unit?: string }).unit;
  } else if (typeof input === 'string') {
    const text = input.trim();
    const postnatal = unit === 'day' ? /^P(\d+(?:\.\d+)?)$/i.exec(text) : null; // 'P60': postnatal day 60
    if (postnatal) return { ok: true, value: Number(postnatal[1]) };
    const m = /^([-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?)\s*(.*)$/i.exec(text);
    if (!m) return { ok: false, message: `'${input}' is not a number with an optional unit` };
    value = Number(m[1]);
    given = m[2].trim() || undefined;
  } else {
    return { ok: false, message: `expected a number, a string like '920 nm' or {value, unit}` };
  }
  if (!Number.isFinite(value)) return { ok: false, message: `'${String(input)}' is not a finite number` };
  if (given === undefined) return { ok: true, value };
  const factor = table[given.toLowerCase()] ?? table[given];
  if (factor === undefined) {
    return { ok: false, message: `unit '${given}' cannot be converted to ${unit} (accepted: ${Object.keys(table).join(', ')})` };
  }
  return { ok: true, value: roundTo(value * factor) };
}

/** Removes binary floating noise from conversions (0.1 * 1e3 = 100.00000000000001). */
function roundTo(x: number): number {
  return Number.parseFloat(x.toPrecision(12));
}
