import { describe, expect, it } from 'vitest';
import { channelConfig } from './channelFields';

describe('a notification channel form turned into the config the API takes', () => {
  it('sends the filled fields when creating and drops empty optional ones', () => {
    expect(channelConfig('dingtalk', { webhookUrl: ' https://oapi.dingtalk.com/robot/send?access_token=x ', secret: '' }, false)).toEqual({
      webhookUrl: 'https://oapi.dingtalk.com/robot/send?access_token=x',
    });
  });

  it('on edit keeps a stored secret whose field was left empty (never sent back) and clears an emptied plain field', () => {
    expect(channelConfig('email', { url: '', from: '' }, true)).toEqual({ from: null });
    expect(channelConfig('webhook', { url: 'https://hooks.example.com/a', secret: 's3' }, true)).toEqual({ url: 'https://hooks.example.com/a', secret: 's3' });
  });

  it('takes sms and voice as JSON, and a JSON mistake throws', () => {
    expect(channelConfig('sms', { json: '{"provider":"http","url":"https://sms.example.com"}' }, false)).toEqual({ provider: 'http', url: 'https://sms.example.com' });
    expect(() => channelConfig('voice', { json: '{oops' }, false)).toThrow();
  });
});
