/**
 * CSV for spreadsheets: RFC 4180 quoting, CRLF line ends, and a UTF-8 byte order mark so Excel reads
 * Japanese names correctly. A cell starting with = + - @ (or a tab / carriage return) would run as a
 * formula in Excel or LibreOffice: such text cells get a leading apostrophe. Numbers are written as numbers.
 */
export const BOM = "\uFEFF";

export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "";
  if (typeof value === "boolean") return value ? "true" : "false";
  let text = value;
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) || /^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(rows: ReadonlyArray<ReadonlyArray<string | number | boolean | null | undefined>>): string {
  return BOM + rows.map((r) => r.map(csvCell).join(",")).join("\r\n") + "\r\n";
}
