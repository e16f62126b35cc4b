/**
 * Bodies that fit a provider's limit (issue 11 item 3): the text is cut on a UTF-8 character
 * boundary (a Chinese character is never split) and a note with the link to the full alert is
 * appended, the whole staying within the limit.
 */
export type NotifyLang = 'zh-CN' | 'en';

/** UTF-8 length of a string in bytes. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** The longest prefix of `text` whose UTF-8 encoding takes at most `maxBytes` bytes; never ends inside a character. */
export function cutUtf8(text: string, maxBytes: number): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= maxBytes) return text;
  let end = Math.max(0, maxBytes);
  // Step back over continuation bytes (10xxxxxx) so the cut falls before a character's first byte.
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString('utf8');
}

/** The note appended to a cut body. */
export function truncationNote(lang: NotifyLang, link?: string): string {
  if (lang === 'en') return link ? `… (truncated, full text: ${link})` : '… (truncated)';
  return link ? `…（已截断，完整内容：${link}）` : '…（已截断）';
}

/**
 * `text` unchanged when it fits `maxBytes` (UTF-8); otherwise its longest prefix followed by the
 * truncation note (with `link` when given), the whole at most `maxBytes`. When even the note does
 * not fit, the note without the link; when that does not fit either, the bare cut text.
 */
export function fitBody(text: string, maxBytes: number, link?: string, lang: NotifyLang = 'zh-CN'): string {
  if (utf8Bytes(text) <= maxBytes) return text;
  for (const note of [truncationNote(lang, link), truncationNote(lang)]) {
    const room = maxBytes - utf8Bytes(note);
    if (room >= 0) return cutUtf8(text, room) + note;
  }
  return cutUtf8(text, maxBytes);
}

/**
 * Fits `text` into a request whose serialised size `size(text)` must stay within `maxBytes`: the
 * largest text budget (found by bisection) for which the whole request fits — JSON escaping makes
 * some characters longer in the request than in the text.
 */
export function fitInRequest(text: string, maxBytes: number, size: (text: string) => number, link?: string, lang: NotifyLang = 'zh-CN'): string {
  if (size(text) <= maxBytes) return text;
  let lo = 0;
  let hi = utf8Bytes(text);
  let best = fitBody(text, 0, undefined, lang);
  while (lo <= hi) {
    const mid = Math.floor((lo + hi) / 2);
    const candidate = fitBody(text, mid, link, lang);
    if (size(candidate) <= maxBytes) {
      best = candidate;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best;
}
