/**
 * A `YYYY-MM-DD` that names a day on the (proleptic Gregorian) calendar, as bag-info.txt dates
 * are written (RFC 8493 §2.2.2, Bagging-Date: ISO 8601). The pattern alone lets through a
 * month 13 or a 30 February, which would then stand in the transfer record.
 */
export function isCalendarDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0-99 to 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
