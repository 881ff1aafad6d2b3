/** CSV helpers for the import template (UTF-8 with BOM so spreadsheet programs read Chinese). */

export const IMPORT_HEADERS = ['姓名', '帐号', '工号', '手机', '邮箱', '部门', '职务', '性别', '直属上级', '标签'] as const;

export const IMPORT_EXAMPLE = ['张三', 'zhangsan', 'A0001', '13800000000', 'zhangsan@example.com', '总公司/研发部;总公司/产品部', '工程师', '男', 'lisi', '技术;骨干'];

export function csvCell(value: unknown): string {
  const s = value == null ? '' : String(value);
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(rows: unknown[][]): string {
  return rows.map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

export function importTemplateCsv(): string {
  return '\uFEFF' + toCsv([[...IMPORT_HEADERS], IMPORT_EXAMPLE]);
}

/** Saves text as a file through a temporary link. */
export function downloadText(filename: string, text: string, type = 'text/csv;charset=utf-8'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
