import { describe, expect, it } from 'vitest';
import { cutUtf8, fitBody, fitInRequest, utf8Bytes } from '../../../src/infra/notify/truncate.js';

/** Truncation to a provider's byte limit: never splits a UTF-8 character, keeps the link, stays within the limit. */
describe('fitBody', () => {
  const link = 'https://ops.example.com/alerts/abc';

  it('leaves a text that fits unchanged', () => {
    expect(fitBody('数据库不可用', 18)).toBe('数据库不可用');
  });

  it('cuts Chinese text on a character boundary at every limit and appends the note with the link, within the limit', () => {
    const text = '数据库主库不可用，请立即检查复制状态与连接数。'.repeat(20);
    const note = `…（已截断，完整内容：${link}）`;
    for (let max = utf8Bytes(note); max < utf8Bytes(note) + 12; max++) {
      const out = fitBody(text, max, link);
      expect(utf8Bytes(out)).toBeLessThanOrEqual(max);
      expect(out.endsWith(note)).toBe(true);
      const kept = out.slice(0, -note.length);
      expect(text.startsWith(kept)).toBe(true); // a prefix of whole characters: no U+FFFD from a split byte sequence
      expect(out).not.toContain('\uFFFD');
      expect(utf8Bytes(kept)).toBeGreaterThan(max - utf8Bytes(note) - 3); // at most one 3-byte character lost to the boundary
    }
  });

  it('uses the English note when asked', () => {
    const out = fitBody('x'.repeat(500), 100, link, 'en');
    expect(out).toBe(`${'x'.repeat(100 - utf8Bytes(`… (truncated, full text: ${link})`))}… (truncated, full text: ${link})`);
  });

  it('drops the link when the note with it does not fit, and cuts bare when nothing fits', () => {
    expect(fitBody('告警'.repeat(50), 30, 'https://example.com/'.repeat(5))).toBe('告警告警…（已截断）');
    expect(fitBody('告警告警', 7)).toBe('告警');
  });

  it('cutUtf8 never ends inside a character (4-byte emoji included)', () => {
    expect(cutUtf8('a告', 3)).toBe('a');
    expect(cutUtf8('a😀b', 4)).toBe('a');
    expect(cutUtf8('a😀b', 5)).toBe('a😀');
  });

  it('fitInRequest shrinks the text until the whole serialised request fits (JSON escapes count)', () => {
    const text = '第一行\n"引号"\n'.repeat(400);
    const size = (t: string) => utf8Bytes(JSON.stringify({ msgtype: 'markdown', markdown: { text: t } }));
    const out = fitInRequest(text, 2000, size, link);
    expect(size(out)).toBeLessThanOrEqual(2000);
    expect(size(out)).toBeGreaterThan(1900);
    expect(out.endsWith(`…（已截断，完整内容：${link}）`)).toBe(true);
  });
});
