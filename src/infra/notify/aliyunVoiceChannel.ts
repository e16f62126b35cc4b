import type { NotificationChannel } from './channel.js';
import { aliyunClient, callAliyunRpc } from './aliyunRpc.js';
import { outIdOf, templateParam } from './aliyunSmsChannel.js';
import { checkMessage, deliverEach } from './notifyRules.js';

/** Aliyun voice notification by text-to-speech (dyvmsapi SingleCallByTts, API 2017-05-25) configuration. */
export interface AliyunVoiceConfig {
  provider: 'aliyun';
  accessKeyId: string;
  /** Secret. */
  accessKeySecret: string;
  /** 被叫显号: the number the callee sees (bought in the voice console). */
  calledShowNumber: string;
  /** TTS 模板 ID, e.g. `TTS_10001`. */
  ttsCode: string;
  /** Times the text is played in one call (1–3); Aliyun's default when absent. */
  playTimes?: number;
  /** Default https://dyvmsapi.aliyuncs.com/ */
  endpoint?: string;
  regionId?: string;
}

export const ALIYUN_VOICE_ENDPOINT = 'https://dyvmsapi.aliyuncs.com/';

/** Voice calls through Aliyun: one SingleCallByTts per number, TTS variables from the message's fields. */
export function createAliyunVoiceChannel(config: AliyunVoiceConfig, o: { timeoutMs?: number } = {}): NotificationChannel {
  const client = aliyunClient('Aliyun voice', ALIYUN_VOICE_ENDPOINT, config, o.timeoutMs);
  return {
    type: 'voice',
    limits: {},
    async send(message) {
      checkMessage(message, 'voice');
      const param = templateParam(message);
      const answers = await deliverEach(
        message.to,
        (n) => n,
        (number) =>
          callAliyunRpc(client, 'SingleCallByTts', '2017-05-25', {
            CalledShowNumber: config.calledShowNumber,
            CalledNumber: number,
            TtsCode: config.ttsCode,
            TtsParam: param,
            ...(config.playTimes ? { PlayTimes: String(config.playTimes) } : {}),
            ...outIdOf(message),
          }),
      );
      return { id: answers.map((a) => String(a.CallId ?? '')).join(','), providerCode: 'OK' };
    },
  };
}
