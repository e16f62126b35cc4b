import type { FastifyPluginAsync } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from '../../config/config.js';
import type { AuditLog } from '../../services/system/contract.js';
import type { Logger } from 'pino';
import '../../services/requestState.js';
import type { NotifyConfigService } from '../../services/support/notifyConfig.js';
import { sendTestNotification } from './notifyTest.js';

/** /api/ops/notify — `POST /notify/test {channel}` (a stored channel, or the built-in email / log) needs `ops:notify`. */
export const notifyRoutes =
  (deps: { audit: AuditLog; log: Logger; notify: Config['notify']; notifyConfig: NotifyConfigService }): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    r.post(
      '/notify/test',
      {
        config: { permission: 'ops:notify' },
        schema: {
          body: Type.Object(
            { channel: Type.String({ pattern: '^[a-z0-9-]{1,64}$' }), lang: Type.Optional(Type.Union([Type.Literal('zh-CN'), Type.Literal('en')])) },
            { additionalProperties: false },
          ),
        },
      },
      async (req) => sendTestNotification(deps, { channel: req.body.channel, actor: req.actor, lang: req.body.lang }),
    );
  };
