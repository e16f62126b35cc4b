/** Time as the database stores it: UTC `YYYY-MM-DD HH:mm:ss.SSS`, sortable as text. */
export function toDbTime(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

export function fromDbTime(s: string): Date {
  return new Date(`${s.replace(' ', 'T')}Z`);
}
